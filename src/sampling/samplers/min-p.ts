import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler} from "../types.js";

/**
 * Min-p α: keep the tokens whose probability is at least α times the top probability,
 * p_i ≥ α · p_max, decided as logit_i − max ≥ ln α in float64 (the same inequality, without any
 * exp). α = 0 keeps everything (−∞ included); α = 1 keeps the ties with the maximum. One linear pass,
 * no sort; the relative order (and so the sorted flag) is preserved.
 */
export class MinPSampler implements Sampler {
    static readonly NAME = "min-p";
    readonly name = MinPSampler.NAME;
    readonly spec: string;
    private readonly logAlpha: number;

    constructor(readonly alpha: number) {
        if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`min-p must be in [0, 1], got ${alpha}`);
        this.spec = formatSpec(MinPSampler.NAME, [alpha]);
        this.logAlpha = Math.log(alpha);
    }

    apply(candidates: Candidates): void {
        if (this.alpha === 0) return;
        const n = candidates.size;
        if (n <= 1) return;
        const max = candidates.maxLogit();
        const ids = candidates.ids;
        const lg = candidates.logits;
        const threshold = this.logAlpha;
        const infinite = max === Infinity || max === -Infinity;
        let kept = 0;
        for (let i = 0; i < n; i++) {
            const x = lg[i];
            if (infinite ? x === max : x - max >= threshold) {
                ids[kept] = ids[i];
                lg[kept] = x;
                kept++;
            }
        }
        candidates.shrinkTo(kept);
    }
}
