import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler} from "../types.js";
import {TOP_P_RELATIVE_EPSILON} from "./top-p.js";
import {entropyFromWeights, selectByKey} from "./shared.js";

/**
 * Locally typical sampling τ (Meister et al. 2023, "Locally Typical Sampling", TACL; arXiv
 * 2202.00666): with H the entropy of the distribution, order the tokens by |−log p − H| (how far
 * their surprisal is from the expected surprisal) and keep the smallest prefix of that order whose
 * probability sums to ≥ τ. τ = 1 keeps all.
 *
 * Ties in |−log p − H| (e.g. two tokens whose surprisals lie symmetrically around H) go to the more
 * probable token, then to the lower id. The cumulative test is cum ≥ τ·Z·(1 − 1e-9), as in top-p
 * (the paper's "smallest set with mass ≥ τ"; Hugging Face's TypicalLogitsWarper keeps the same set
 * except that it also keeps every token tied with the last one; llama.cpp stops at cum > τ, which
 * differs only when the mass hits τ exactly).
 *
 * Surprisal − H = ln Z − H − (l − max): the key is the distance of the logit from one centre, so a
 * weighted quickselect finds the set in expected linear time (no sort of the vocabulary).
 * Depends only on probabilities: exact on the public logits route.
 */
export class TypicalSampler implements Sampler {
    static readonly NAME = "typical";
    readonly name = TypicalSampler.NAME;
    readonly spec: string;
    private keys = new Float64Array(0);

    constructor(readonly tau: number) {
        if (!(tau > 0 && tau <= 1)) throw new RangeError(`typical must be in (0, 1], got ${tau}`);
        this.spec = formatSpec(TypicalSampler.NAME, [tau]);
    }

    apply(c: Candidates): void {
        const n = c.size;
        if (this.tau >= 1 || n <= 1) return;
        const max = c.maxLogit();
        const total = c.weights(max);
        const h = entropyFromWeights(c, max, total);
        if (this.keys.length < c.capacity) this.keys = new Float64Array(c.capacity);
        const keys = this.keys;
        const lg = c.logits;
        const w = c.probs;
        if (max === Infinity || max === -Infinity) {
            // Uniform over the tied tokens: their surprisal is exactly H.
            for (let i = 0; i < n; i++) keys[i] = w[i] > 0 ? 0 : Infinity;
        } else {
            const centre = Math.log(total) - h; // surprisal − H = centre − (l − max)
            for (let i = 0; i < n; i++) {
                const d = centre - (lg[i] - max);
                keys[i] = d < 0 ? -d : d; // −∞ logits: +∞
            }
        }
        const cut = selectByKey(c, keys, this.tau * total * (1 - TOP_P_RELATIVE_EPSILON));
        c.truncate(cut);
        c.markUnsorted();
    }
}
