/**
 * Route selection at load time: auto|fast|public (the CLI reads --logits-route and
 * LLMGEN_LOGITS_ROUTE). auto takes the fast route when the loaded binary is llmgen's patched build and
 * falls back to the public route otherwise, with a one-line notice (shown under --verbose).
 */
import type {LlamaContext} from "node-llama-cpp";
import {RuntimeError} from "../errors.js";
import {detectFastRoute, FastLogitsRoute} from "./fastRoute.js";
import {PublicLogitsRoute, type LogitsRoute} from "./logitsRoute.js";

export type LogitsRouteChoice = "auto" | "fast" | "public";

export async function selectLogitsRoute(choice: LogitsRouteChoice, context: LlamaContext, vocabSize: number,
    forkMinGain = 1, onNotice?: (line: string) => void): Promise<LogitsRoute> {
    const sequences = context.totalSequences;
    if (choice === "public") return new PublicLogitsRoute(vocabSize, sequences);
    const detection = await detectFastRoute(context);
    if (detection.available) return new FastLogitsRoute(vocabSize, sequences, context, detection, forkMinGain);
    if (choice === "fast")
        throw new RuntimeError(`--logits-route fast: ${detection.reason}`);
    onNotice?.(`fast logits route unavailable: ${detection.reason}; using the public route (≈0.7 µs per vocabulary entry per step)`);
    return new PublicLogitsRoute(vocabSize, sequences);
}
