/**
 * The NDJSON events of generation (`llmgen --json`) as plain objects, shared by every command that
 * prints them (generation, `batch`), so that their fields stay the same everywhere.
 */
import type {DecodeResult} from "../generate/decode.js";
import type {TokenEvent} from "../generate/sample.js";

export interface DoneEvent {
    type: "done";
    sample: number;
    text: string;
    tokens: number;
    stopReason: DecodeResult["stopReason"];
    seed: number;
    strategy: string;
    tokensPerSecond: number;
    lengthPenalty?: number;
    beams?: DecodeResult["beams"];
}

/** A token event: {"type":"token","sample","index","id","text","logprob",…}. */
export function tokenEvent(e: TokenEvent): {type: "token"} & TokenEvent {
    return {type: "token", ...e};
}

/**
 * A sample's done event. `seed`: the run's seed, reported for beam search too (which uses none);
 * `lengthPenalty` is reported with the beams.
 */
export function doneEvent(r: DecodeResult, run: {seed: number; lengthPenalty: number}): DoneEvent {
    return {
        type: "done", sample: r.sample, text: r.text, tokens: r.tokens, stopReason: r.stopReason,
        seed: r.seed ?? run.seed, strategy: r.strategy, tokensPerSecond: Math.round(r.tokensPerSecond * 100) / 100,
        ...(r.beams === undefined ? {} : {lengthPenalty: run.lengthPenalty, beams: r.beams})
    };
}
