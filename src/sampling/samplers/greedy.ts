import type {Candidates} from "../candidates/set.js";
import type {Sampler} from "../types.js";

/** Keep only the most likely token (highest logit; ties → lower id). */
export class GreedySampler implements Sampler {
    static readonly NAME = "greedy";
    readonly name = GreedySampler.NAME;
    readonly spec = GreedySampler.NAME;

    apply(candidates: Candidates): void {
        candidates.keepOnly(candidates.argmaxIndex());
    }
}
