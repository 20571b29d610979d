import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler} from "../types.js";
import {compact} from "./shared.js";

/**
 * Top-nσ n (Tang et al. 2024, "Top-nσ: Not All Logits Are You Need", arXiv 2411.07641): keep the
 * tokens whose logit is ≥ max − n·σ, σ the standard deviation (population, 1/N) of the logits of the
 * current set. As in llama.cpp, −∞ logits are left out of the mean and σ (and are never kept unless
 * everything is −∞). Mean and σ in float64, two passes; one compaction pass, order preserved.
 *
 * Depends only on differences of logits (max − l and σ are shift-invariant), so it is exact on the
 * public route — with one caveat: the public route turns a probability that underflows float32
 * (a logit ≈ 104 nats below the max) into −∞, which then drops out of σ. Since the kept set is
 * invariant to a positive scaling of all logits, it is also the same before or after a temperature.
 */
export class TopNSigmaSampler implements Sampler {
    static readonly NAME = "top-n-sigma";
    readonly name = TopNSigmaSampler.NAME;
    readonly spec: string;
    /** The last σ computed (for tests and inspection). */
    lastSigma = Number.NaN;

    constructor(readonly n: number) {
        if (!(n > 0 && Number.isFinite(n))) throw new RangeError(`top-n-sigma must be a finite number > 0, got ${n}`);
        this.spec = formatSpec(TopNSigmaSampler.NAME, [n]);
    }

    apply(c: Candidates): void {
        const size = c.size;
        if (size <= 1) return;
        const lg = c.logits;
        const max = c.maxLogit();
        if (max === Infinity || max === -Infinity) {
            if (max === Infinity) compact(c, (i) => lg[i] === Infinity);
            return;
        }
        let count = 0;
        let sum = 0;
        for (let i = 0; i < size; i++) {
            const x = lg[i];
            if (x !== -Infinity) {
                sum += x;
                count++;
            }
        }
        const mean = sum / count;
        let acc = 0;
        for (let i = 0; i < size; i++) {
            const x = lg[i];
            if (x !== -Infinity) acc += (x - mean) * (x - mean);
        }
        const sigma = Math.sqrt(acc / count);
        this.lastSigma = sigma;
        const threshold = max - this.n * sigma;
        compact(c, (i) => lg[i] >= threshold);
    }
}
