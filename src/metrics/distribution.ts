/**
 * One step of `llmgen explain`: the model's next-token distribution and, for each strategy, the
 * set its sampler chain keeps with the renormalised probabilities. Pure: logits in, numbers out.
 */
import {entropy, logSumExp, topIds} from "../generate/logprobs.js";
import type {StepContext} from "../sampling/types.js";

/** What explain needs of a sampler chain (SamplerChain.keep): the kept set sorted by q desc. */
export interface KeepingChain {
    keep(logits: Float32Array, ctx: StepContext): ReadonlyArray<{id: number; q: number}>;
    /** The kept set and the set after every stage of the chain (SamplerChain.trace), for --trace. */
    trace?(logits: Float32Array, ctx: StepContext): {
        kept: ReadonlyArray<{id: number; q: number}>;
        stages: ReadonlyArray<{spec: string; kept: ReadonlyArray<{id: number; q: number}>}>;
    };
}

export interface ExplainCandidate {
    id: number;
    text: string;
    /** Probability under the model's unmodified distribution. */
    p: number;
}

export interface ExplainKept extends ExplainCandidate {
    /** Probability after the strategy's chain (renormalised over the kept set). */
    q: number;
}

export interface ExplainStrategy {
    spec: string;
    /** The complete kept set, sorted by q descending (ties by id). */
    kept: ExplainKept[];
    /** Σ p over the kept set: how much of the model's distribution the strategy keeps. */
    mass: number;
    /**
     * With trace: the candidates after every stage of the chain, in order (the last one is `kept`;
     * none for the empty chain).
     */
    stages?: ExplainStage[];
}

export interface ExplainStage {
    /** The stage's sampler spec, e.g. "top-k=40". */
    spec: string;
    size: number;
    /** Σ p (the model's unmodified distribution) over the set left after this stage. */
    mass: number;
    /** The set left after this stage, q renormalised over it (after the stage's transformation), sorted by q desc. */
    kept: ExplainKept[];
}

export interface ExplainStep {
    /** Tokens generated before this step (0: right after the prompt). */
    position: number;
    /** Entropy (nats) of the model's next-token distribution. */
    entropy: number;
    /** The `top` most probable tokens, p descending. */
    candidates: ExplainCandidate[];
    strategies: ExplainStrategy[];
}

export function explainStep(
    logits: Float32Array,
    chains: ReadonlyArray<{spec: string; chain: KeepingChain}>,
    ctx: StepContext,
    opts: {position: number; top: number; textOf: (id: number) => string; trace?: boolean}
): ExplainStep {
    const lse = logSumExp(logits);
    const texts = new Map<number, string>();
    const text = (id: number): string => {
        let t = texts.get(id);
        if (t === undefined) {
            t = opts.textOf(id);
            texts.set(id, t);
        }
        return t;
    };
    const p = (id: number): number => Math.exp(logits[id]! - lse);
    const candidates = topIds(logits, opts.top).map((id) => ({id, text: text(id), p: p(id)}));
    const described = (set: ReadonlyArray<{id: number; q: number}>): {kept: ExplainKept[]; mass: number} => {
        const kept = set.map(({id, q}) => ({id, text: text(id), p: p(id), q}));
        let mass = 0;
        for (const k of kept) mass += k.p;
        return {kept, mass: Math.min(1, mass)};
    };
    const strategies = chains.map(({spec, chain}): ExplainStrategy => {
        if (opts.trace === true && chain.trace !== undefined) {
            const traced = chain.trace(logits, ctx);
            const stages = traced.stages.map((stage) => {
                const d = described(stage.kept);
                return {spec: stage.spec, size: d.kept.length, mass: d.mass, kept: d.kept};
            });
            // The last stage is the kept set itself: one object, not a recomputation.
            const last = stages[stages.length - 1];
            return last === undefined ? {spec, ...described(traced.kept), stages} : {spec, kept: last.kept, mass: last.mass, stages};
        }
        return {spec, ...described(chain.keep(logits, ctx))};
    });
    return {position: opts.position, entropy: entropy(logits, lse), candidates, strategies};
}
