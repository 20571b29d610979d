import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler} from "../types.js";
import {compact, entropyFromWeights} from "./shared.js";

/**
 * Keep the tokens with p ≥ cutoff, plus the most likely token(s) — the tokens tied with the
 * maximum logit are never removed, so the set is never empty (Hugging Face's min_tokens_to_keep = 1:
 * `scores < topk(scores, 1)` spares every token equal to the top score). Decided as w ≥ cutoff·Z on
 * the weights e^(l − max): one exp pass, one compaction pass, order preserved.
 */
function keepAbove(c: Candidates, cutoff: (max: number, total: number) => number): void {
    const n = c.size;
    if (n <= 1) return;
    const max = c.maxLogit();
    const total = c.weights(max);
    const threshold = cutoff(max, total) * total;
    const w = c.probs;
    const lg = c.logits;
    compact(c, (i) => w[i] >= threshold || lg[i] === max);
}

/**
 * Epsilon sampling ε (Hewitt, Manning & Liang 2022, "Truncation Sampling as Language Model
 * Desmoothing", Findings of EMNLP; Hugging Face EpsilonLogitsWarper): keep the tokens with p ≥ ε.
 * Depends only on probabilities: exact on the public logits route.
 */
export class EpsilonSampler implements Sampler {
    static readonly NAME = "epsilon";
    readonly name = EpsilonSampler.NAME;
    readonly spec: string;

    constructor(readonly epsilon: number) {
        if (!(epsilon > 0 && epsilon < 1)) throw new RangeError(`epsilon must be in (0, 1), got ${epsilon}`);
        this.spec = formatSpec(EpsilonSampler.NAME, [epsilon]);
    }

    apply(c: Candidates): void {
        keepAbove(c, () => this.epsilon);
    }
}

/**
 * Eta sampling ε (Hewitt et al. 2022; Hugging Face EtaLogitsWarper): keep the tokens with
 * p ≥ η = min(ε, √ε · e^(−H)), H the entropy (nats) of the distribution — a cutoff that relaxes when
 * the distribution is flat. Depends only on probabilities: exact on the public logits route.
 */
export class EtaSampler implements Sampler {
    static readonly NAME = "eta";
    readonly name = EtaSampler.NAME;
    readonly spec: string;
    /** The last cutoff η computed (for tests and inspection). */
    lastCutoff = Number.NaN;

    constructor(readonly epsilon: number) {
        if (!(epsilon > 0 && epsilon < 1)) throw new RangeError(`eta must be in (0, 1), got ${epsilon}`);
        this.spec = formatSpec(EtaSampler.NAME, [epsilon]);
    }

    apply(c: Candidates): void {
        keepAbove(c, (max, total) => {
            const h = entropyFromWeights(c, max, total);
            this.lastCutoff = Math.min(this.epsilon, Math.sqrt(this.epsilon) * Math.exp(-h));
            return this.lastCutoff;
        });
    }
}
