/**
 * Route selection at load time: auto|fast|public (the CLI's choice). auto takes the fast route when the loaded binary is llmgen's patched build and
 * falls back to the public route otherwise, with a one-line notice (shown under --verbose).
 */
import type {LlamaContext} from "node-llama-cpp";
import {RuntimeError, type Fix, type Notice} from "../errors.js";
import {detectFastRoute, FastLogitsRoute} from "./fastRoute.js";
import {PublicLogitsRoute, type LogitsRoute} from "./logitsRoute.js";

export type LogitsRouteChoice = "auto" | "fast" | "public";

/** The fast route was required but this binary cannot give it. */
export class FastRouteUnavailableError extends RuntimeError {
    constructor(readonly reason: string, fix?: Fix) {
        super(`the fast logits route is unavailable: ${reason}`, {fix});
    }
}

export async function selectLogitsRoute(choice: LogitsRouteChoice, context: LlamaContext, vocabSize: number,
    forkMinGain = 1, onNotice?: (notice: Notice) => void): Promise<LogitsRoute> {
    const sequences = context.totalSequences;
    if (choice === "public") return new PublicLogitsRoute(vocabSize, sequences);
    const detection = await detectFastRoute(context);
    if (detection.available) return new FastLogitsRoute(vocabSize, sequences, context, detection, forkMinGain);
    if (choice === "fast")
        throw new FastRouteUnavailableError(detection.reason, detection.fix);
    onNotice?.({kind: "route-fallback", message: `fast logits route unavailable: ${detection.reason}; using the public route (≈0.7 µs per vocabulary entry per step)`, fix: detection.fix});
    return new PublicLogitsRoute(vocabSize, sequences);
}
