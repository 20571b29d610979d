/**
 * Route selection at load time: `--logits-route auto|fast|public` (env LLMGEN_LOGITS_ROUTE,
 * default auto). auto takes the fast route when the loaded binary is llmgen's patched build and
 * falls back to the public route otherwise, with a one-line notice (shown under --verbose).
 */
import type {LlamaContext} from "node-llama-cpp";
import {RuntimeError, UsageError} from "../errors.js";
import {detectFastRoute, FastLogitsRoute} from "./fastRoute.js";
import {PublicLogitsRoute, type LogitsRoute} from "./logitsRoute.js";

export const LOGITS_ROUTE_CHOICES = ["auto", "fast", "public"] as const;
export type LogitsRouteChoice = (typeof LOGITS_ROUTE_CHOICES)[number];

/** The requested route: the option, else env LLMGEN_LOGITS_ROUTE, else auto. */
export function requestedRoute(option?: string): LogitsRouteChoice {
    const raw = option ?? process.env.LLMGEN_LOGITS_ROUTE;
    if (raw === undefined || raw === "") return "auto";
    const value = raw.trim().toLowerCase();
    if ((LOGITS_ROUTE_CHOICES as readonly string[]).includes(value)) return value as LogitsRouteChoice;
    const from = option !== undefined ? "--logits-route" : "LLMGEN_LOGITS_ROUTE";
    throw new UsageError(`${from} must be one of ${LOGITS_ROUTE_CHOICES.join(", ")}, got "${raw}"`);
}

/** Minimum prefix gain (tokens) for a KV fork: env LLMGEN_FORK_MIN_GAIN (0 or "off" disables forking), default 1. */
export function forkMinGain(): number {
    const raw = process.env.LLMGEN_FORK_MIN_GAIN;
    if (raw === undefined || raw === "") return 1;
    if (raw === "off" || raw === "0") return Infinity;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`LLMGEN_FORK_MIN_GAIN must be an integer ≥ 1 or "off", got "${raw}"`);
    return n;
}

export async function selectLogitsRoute(option: string | undefined, context: LlamaContext, vocabSize: number,
    onNotice?: (line: string) => void): Promise<LogitsRoute> {
    const choice = requestedRoute(option);
    const sequences = context.totalSequences;
    if (choice === "public") return new PublicLogitsRoute(vocabSize, sequences);
    const detection = await detectFastRoute(context);
    if (detection.available) return new FastLogitsRoute(vocabSize, sequences, context, detection, forkMinGain());
    if (choice === "fast")
        throw new RuntimeError(`--logits-route fast: ${detection.reason}`);
    onNotice?.(`fast logits route unavailable: ${detection.reason}; using the public route (≈0.7 µs per vocabulary entry per step)`);
    return new PublicLogitsRoute(vocabSize, sequences);
}
