import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler} from "../types.js";
import {entropyFromWeights} from "./shared.js";
import {TemperatureSampler} from "./temperature.js";

/**
 * Dynamic temperature, entropy-based (llama.cpp's temp-ext / `--dynatemp-range`, after kalomaze's
 * DynaTemp): base temperature T, range δ, exponent κ. With δ > 0 and at least two candidates:
 *
 *   H = entropy (nats) of softmax over the current set, Hmax = ln(size) (−∞ members included)
 *   T' = max(0, T − δ) + ((T + δ) − max(0, T − δ)) · (H / Hmax)^κ
 *
 * then the logits are divided by T' exactly as `temperature=T'` does (T' = 0 keeps the argmax).
 * Flat distributions get the hot end of the range, peaked ones the cold end. δ = 0 is plain
 * temperature T. Entropy and the division are shift-invariant: exact on the public logits route.
 */
export class DynaTempSampler implements Sampler {
    static readonly NAME = "dynatemp";
    readonly name = DynaTempSampler.NAME;
    readonly spec: string;
    /** The temperature used at the last step (for tests and inspection). */
    lastTemperature = Number.NaN;

    constructor(readonly temperature: number, readonly range: number, readonly exponent: number) {
        if (!(temperature >= 0 && Number.isFinite(temperature))) throw new RangeError(`dynatemp t must be a finite number >= 0, got ${temperature}`);
        if (!(range >= 0 && Number.isFinite(range))) throw new RangeError(`dynatemp range must be a finite number >= 0, got ${range}`);
        if (!(exponent > 0 && Number.isFinite(exponent))) throw new RangeError(`dynatemp exponent must be a finite number > 0, got ${exponent}`);
        this.spec = formatSpec(DynaTempSampler.NAME, [temperature, range, exponent]);
    }

    /** The temperature for a set of `size` candidates with entropy `h` (nats). */
    temperatureFor(h: number, size: number): number {
        const lo = Math.max(0, this.temperature - this.range);
        const hi = this.temperature + this.range;
        const normalised = Math.min(1, Math.max(0, h / Math.log(size)));
        return lo + (hi - lo) * Math.pow(normalised, this.exponent);
    }

    apply(c: Candidates): void {
        let t = this.temperature;
        if (this.range > 0) {
            if (c.size <= 1) return;
            const max = c.maxLogit();
            const total = c.weights(max);
            t = this.temperatureFor(entropyFromWeights(c, max, total), c.size);
        }
        this.lastTemperature = t;
        new TemperatureSampler(t).apply(c);
    }
}
