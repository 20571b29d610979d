import type {Candidates} from "../candidates.js";
import {formatSpec} from "../spec.js";
import type {Sampler} from "../types.js";

/** Above this a float64 quotient may round to ±∞ when stored as float32. */
const FLOAT32_SAFE = 1e38;

/**
 * Temperature T: every logit becomes logit / T (T < 1 sharpens, T > 1 flattens). T = 0 is the
 * limit: greedy (keep only the argmax, ties → lower id).
 *
 * Very small T > 0: when some |logit| / T would overflow float32, the logits are first shifted by
 * their finite maximum ((logit − max) / T). That changes no probability (softmax is
 * shift-invariant), keeps the best token(s) at 0 instead of +∞, and sends the others towards −∞
 * (probability 0) — so the result tends to greedy without ever producing NaN. −∞ stays −∞.
 */
export class TemperatureSampler implements Sampler {
    static readonly NAME = "temperature";
    readonly name = TemperatureSampler.NAME;
    readonly spec: string;

    constructor(readonly temperature: number) {
        if (!(temperature >= 0) || !Number.isFinite(temperature)) {
            throw new RangeError(`temperature must be a finite number >= 0, got ${temperature}`);
        }
        this.spec = formatSpec(TemperatureSampler.NAME, [temperature]);
    }

    apply(candidates: Candidates): void {
        const t = this.temperature;
        if (t === 0) {
            candidates.keepOnly(candidates.argmaxIndex());
            return;
        }
        if (t === 1) return;
        const lg = candidates.logits;
        const n = candidates.size;
        let shift = 0;
        if (t < 1) {
            // Finite extremes (branches taken only on a new extreme, so this pass is cheap).
            let hi = -Infinity;
            let lo = Infinity;
            for (let i = 0; i < n; i++) {
                const x = lg[i];
                if (x > hi && x < Infinity) hi = x;
                if (x < lo && x > -Infinity) lo = x;
            }
            const maxAbs = Math.max(hi < 0 ? -hi : hi, lo < 0 ? -lo : lo);
            if (hi > -Infinity && maxAbs / t > FLOAT32_SAFE) shift = hi;
        }
        if (shift === 0) {
            for (let i = 0; i < n; i++) lg[i] = lg[i] / t;
        } else {
            for (let i = 0; i < n; i++) lg[i] = (lg[i] - shift) / t;
        }
        // Division is monotone but float32 rounding can turn distinct logits into ties.
        if (candidates.sorted) candidates.sorted = candidates.checkSorted();
    }
}
