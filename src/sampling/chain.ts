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
        return keptOf(c.ids, c.probs, c.size);
    }

    /**
     * keep() with the candidates after every stage: stages[i] is the set left by samplers[i], with q
     * = softmax over that set's (transformed) logits, sorted like keep(). The last stage is the kept
     * set itself (the empty chain has no stages). Looking at a stage leaves the set untouched
     * (Candidates.peekSoftmax), so the stages are those of a normal apply(); a separate method, so
     * that apply() pays nothing for it. Allocates; for inspection (`explain --trace`).
     */
    trace(logits: ArrayLike<number>, ctx: StepContext): {kept: KeptToken[]; stages: Array<{spec: string; kept: KeptToken[]}>} {
        const c = this.candidates;
        c.load(logits);
        const stages: Array<{spec: string; kept: KeptToken[]}> = [];
        for (const [i, sampler] of this.samplers.entries()) {
            sampler.apply(c, ctx);
            if (c.size < 1) throw new Error(`sampler ${sampler.spec} left no candidates`);
            if (i < this.samplers.length - 1) stages.push({spec: sampler.spec, kept: keptOf(c.ids, c.peekSoftmax(), c.size)});
        }
        c.softmax();
        const kept = keptOf(c.ids, c.probs, c.size);
        if (this.samplers.length > 0) stages.push({spec: this.samplers[this.samplers.length - 1]!.spec, kept});
        return {kept, stages};
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

/** The first n candidates as KeptTokens, sorted by q desc then id asc. */
function keptOf(ids: Int32Array, probs: Float64Array, n: number): KeptToken[] {
    const out: KeptToken[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = {id: ids[i], q: probs[i]};
    out.sort((a, b) => b.q - a.q || a.id - b.id);
    return out;
}
