import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler} from "../types.js";

/**
 * Temperature T: every logit becomes logit / T (T < 1 sharpens, T > 1 flattens). T = 0 is the
 * limit: greedy (keep only the argmax, ties → lower id).
 *
 * Very small T > 0: when some |logit| / T would overflow float32, the logits are first shifted by
 * their finite maximum ((logit − max) / T). That changes no probability (softmax is
 * shift-invariant), keeps the best token(s) at 0 instead of +∞, and sends the others towards −∞
 * (probability 0) — so the result tends to greedy without ever producing NaN. −∞ stays −∞.
 * The division is deferred until values are needed (Candidates.divideLogits), so that
 * `temperature,top-k=…` divides k logits instead of the vocabulary.
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
        // Applied lazily (see Candidates.divideLogits): a following top-k selects on the stored
        // logits and only its survivors are divided.
        candidates.divideLogits(t);
    }
}
