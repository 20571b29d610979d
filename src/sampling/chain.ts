import {Candidates} from "./candidates/set.js";
import type {Rng, Sampler, StepContext} from "./types.js";
import {warmUpSampling} from "./warmup.js";

/** Chains for vocabularies at least this large warm the JIT up first (once per process; see warmup.ts). */
const WARM_UP_FROM_VOCAB = 4096;

/** One kept token and its renormalised probability. */
export interface KeptToken {
    id: number;
    q: number;
}

/**
 * An ordered composition of samplers. It knows nothing about its members: it loads the step's
 * logits into a reusable Candidates buffer, lets each sampler narrow or transform it in the order
 * given, and draws the token from softmax over what is left.
 */
export class SamplerChain {
    readonly samplers: readonly Sampler[];
    /** The samplers' specs joined by ","; the empty chain (pure sampling) is "random". */
    readonly spec: string;
    readonly vocabSize: number;
    private readonly candidates: Candidates;

    constructor(samplers: readonly Sampler[], vocabSize: number) {
        this.samplers = [...samplers];
        this.spec = this.samplers.length === 0 ? "random" : this.samplers.map((s) => s.spec).join(",");
        this.vocabSize = vocabSize;
        this.candidates = new Candidates(vocabSize);
        if (vocabSize >= WARM_UP_FROM_VOCAB) warmUpSampling();
    }

    /**
     * Load the logits and run every sampler. Returns the chain's internal buffer holding the kept
     * set — valid until the next call on this chain.
     */
    apply(logits: ArrayLike<number>, ctx: StepContext): Candidates {
        const c = this.candidates;
        c.load(logits);
        for (const sampler of this.samplers) {
            sampler.apply(c, ctx);
            if (c.size < 1) throw new Error(`sampler ${sampler.spec} left no candidates`);
        }
        return c;
    }

    /**
     * The kept set with renormalised probabilities q (softmax over the kept logits), sorted by q desc
     * then id asc. Zero-probability members (−∞ logits that no sampler removed) are included with q = 0.
     * Allocates; meant for inspection (`explain`), not for the generation loop.
     */
    keep(logits: ArrayLike<number>, ctx: StepContext): KeptToken[] {
        const c = this.apply(logits, ctx);
        c.softmax();
        const out: KeptToken[] = new Array(c.size);
        for (let i = 0; i < c.size; i++) out[i] = {id: c.ids[i], q: c.probs[i]};
        out.sort((a, b) => b.q - a.q || a.id - b.id);
        return out;
    }

    /**
     * Apply the chain, then draw one token from softmax over the kept set: u = ctx.rng.next() · total
     * weight, walking the cumulative weights (float64) in the buffer's order. Deterministic for a
     * given rng state. Does not call accept(): the caller does, once the token is final.
     */
    sample(logits: ArrayLike<number>, ctx: StepContext): number {
        return this.draw(this.apply(logits, ctx), ctx.rng);
    }

    /**
     * The final draw alone, on a kept set returned by apply(): one rng.next() (exactly one per step,
     * even when a single token is left, so streams stay aligned), then the cumulative walk.
     */
    draw(candidates: Candidates, rng: Rng): number {
        return candidates.draw(rng.next());
    }

    /** Tell stateful samplers which token was chosen. */
    accept(token: number): void {
        for (const s of this.samplers) s.accept?.(token);
    }

    /** Forget all sampler state (a new sample starts). */
    reset(): void {
        for (const s of this.samplers) s.reset?.();
    }
}
