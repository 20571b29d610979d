import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler, StepContext} from "../types.js";
import {compact} from "./shared.js";

/**
 * XTC, "exclude top choices" (p-e-w, text-generation-webui PR #6335; llama.cpp's xtc sampler),
 * probability π and threshold t: with probability π, if at least two tokens have p ≥ t, remove all
 * of them except the least probable one — the model's "obvious" choices make way for the next most
 * creative viable one. Otherwise nothing changes.
 *
 * The coin is ctx.rng: exactly one uniform u per step, always (also when the set is too small to
 * act on, so seeded streams stay aligned); XTC acts when u < π (π = 0 never, π = 1 always). Among
 * tokens tied at the least probable place above the threshold, the one kept is the last in our
 * order (lowest logit, ties → the higher id). Linear: one exp pass and one compaction pass.
 * Depends only on probabilities: exact on the public logits route. As llama.cpp, t > 0.5 could never
 * find two tokens, so the range of t is (0, 0.5].
 */
export class XtcSampler implements Sampler {
    static readonly NAME = "xtc";
    readonly name = XtcSampler.NAME;
    readonly spec: string;
    /** Whether the last step excluded anything (for tests and inspection). */
    lastExcluded = 0;

    constructor(readonly probability: number, readonly threshold: number) {
        if (!(probability >= 0 && probability <= 1)) throw new RangeError(`xtc probability must be in [0, 1], got ${probability}`);
        if (!(threshold > 0 && threshold <= 0.5)) throw new RangeError(`xtc threshold must be in (0, 0.5], got ${threshold}`);
        this.spec = formatSpec(XtcSampler.NAME, [probability, threshold]);
    }

    apply(c: Candidates, ctx: StepContext): void {
        const u = ctx.rng.next();
        this.lastExcluded = 0;
        if (c.size < 2 || !(u < this.probability)) return;
        const max = c.maxLogit();
        const total = c.weights(max);
        const cut = this.threshold * total;
        const w = c.probs;
        const lg = c.logits;
        const ids = c.ids;
        let above = 0;
        let last = -1; // the least probable token above the threshold: lowest logit, ties → higher id
        for (let i = 0; i < c.size; i++) {
            if (w[i] >= cut && w[i] > 0) {
                above++;
                if (last < 0 || lg[i] < lg[last] || (lg[i] === lg[last] && ids[i] > ids[last])) last = i;
            }
        }
        if (above < 2) return;
        const keepId = ids[last];
        compact(c, (i) => !(w[i] >= cut && w[i] > 0) || ids[i] === keepId);
        this.lastExcluded = above - 1;
    }
}
