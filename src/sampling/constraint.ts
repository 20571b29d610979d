/**
 * Structured output, engine-free: a token constraint (a grammar, a JSON schema compiled to one) and
 * the chain stage that applies it. The stage comes FIRST in the chain: it removes every token the
 * constraint cannot accept next, so the samplers after it (and the final softmax) work on the
 * grammatical tokens only — top-p=0.9 keeps 90 % of the grammatical mass, and the draw renormalises
 * over what the grammar allows.
 *
 * The implementation backed by llama.cpp's grammar engine lives in src/engine/grammar.ts.
 */
import type {Candidates} from "./candidates/set.js";
import {SamplerChain} from "./chain.js";
import {createChain, type SampleStrategy} from "./strategy.js";
import type {Sampler} from "./types.js";

/** Which tokens may come next, and its state as tokens are accepted. */
export interface TokenConstraint {
    /** "json-schema" or "grammar": the stage's name in reports. */
    readonly kind: string;
    /**
     * Text that ends generation once it appears (not part of the output): node-llama-cpp's JSON-schema
     * grammars end in four newlines ("\n\n\n\n" [\n]*) and stop there.
     */
    readonly stopTexts: readonly string[];
    /**
     * Write −∞ into logits[id] for every token id (0..vocabulary size − 1) the constraint does not
     * accept next; leave the others unchanged. Returns how many tokens it accepts. Accepts nothing.
     */
    mask(logits: Float32Array): number;
    /** Advance the state by a token the constraint accepts (a token it rejects is a programming error). */
    accept(token: number): void;
    /** An independent copy in the same state (one per sample or hypothesis). */
    clone(): TokenConstraint;
}

export interface ConstraintStageOptions {
    /** End-of-generation tokens: acceptable only where the grammar may end. */
    isEnd(token: number): boolean;
    /** Remove end tokens while any other token is acceptable (--ignore-eos). */
    dropEnd?: boolean;
}

/**
 * The chain's first stage. Must run on a freshly loaded candidate set (ids 0..n−1 in order), which
 * SamplerChain guarantees for its first sampler. After apply, `complete` says whether the grammar
 * accepts nothing but end tokens here: the generation is over.
 */
export class ConstraintStage implements Sampler {
    readonly name: string;
    readonly spec: string;
    /** The constraint accepts only end-of-generation tokens at this step. */
    complete = false;
    /** Tokens the constraint accepted at the last step (before removing −∞ model logits). */
    allowed = 0;

    constructor(readonly constraint: TokenConstraint, private readonly opts: ConstraintStageOptions) {
        this.name = constraint.kind;
        this.spec = constraint.kind;
    }

    apply(c: Candidates): void {
        const n = c.size;
        if (n !== c.capacity) throw new Error(`the ${this.name} stage must come first in the chain`);
        const lg = c.logits;
        const ids = c.ids;
        this.allowed = this.constraint.mask(lg);
        if (this.allowed === 0) throw new Error(`the ${this.name} accepts no token here`);
        let kept = 0;
        let ends = 0;
        for (let i = 0; i < n; i++) {
            const l = lg[i]!;
            if (l === -Infinity) continue;
            ids[kept] = ids[i]!;
            lg[kept] = l;
            kept++;
            if (this.opts.isEnd(ids[i]!)) ends++;
        }
        this.complete = kept === ends;
        if (kept === 0) {
            // Every grammatical token has probability 0 under the model: keep them all, equally likely (the limit).
            for (let id = 0; id < n; id++) lg[id] = 0;
            const copy = new Float32Array(n);
            this.constraint.mask(copy);
            for (let id = 0; id < n; id++) if (copy[id] !== -Infinity) ids[kept++] = id;
            for (let i = 0; i < kept; i++) lg[i] = 0;
            ends = 0;
            for (let i = 0; i < kept; i++) if (this.opts.isEnd(ids[i]!)) ends++;
            this.complete = kept === ends;
        }
        if (this.opts.dropEnd === true && !this.complete && ends > 0) {
            let k = 0;
            for (let i = 0; i < kept; i++) {
                if (this.opts.isEnd(ids[i]!)) continue;
                ids[k] = ids[i]!;
                lg[k] = lg[i]!;
                k++;
            }
            kept = k;
        }
        c.shrinkTo(kept);
        c.markUnsorted();
    }

    accept(token: number): void {
        this.constraint.accept(token);
    }
}

/**
 * The chains `explain` shows under a constraint: first the constraint alone (its kept set: the tokens
 * it accepts, renormalised), then each strategy with the constraint as its first stage. Each chain
 * has its own clone of the constraint; accept() on a chain advances its clone.
 */
export function constrainedChains(constraint: TokenConstraint, strategies: ReadonlyArray<{spec: string; strategy: SampleStrategy}>,
    vocabSize: number, isEnd: (token: number) => boolean): Array<{spec: string; chain: SamplerChain; stage: ConstraintStage}> {
    const alone = new ConstraintStage(constraint.clone(), {isEnd});
    return [
        {spec: constraint.kind, chain: new SamplerChain([alone], vocabSize), stage: alone},
        ...strategies.map(({spec, strategy}) => {
            const stage = new ConstraintStage(constraint.clone(), {isEnd});
            return {spec, chain: createChain(strategy, vocabSize, [stage]), stage};
        })
    ];
}
