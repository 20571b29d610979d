/**
 * One step of `llmgen explain`: the model's next-token distribution and, for each strategy, the
 * set its sampler chain keeps with the renormalised probabilities. Pure: logits in, numbers out.
 */
import {entropy, logSumExp, topIds} from "../generate/logprobs.js";
import type {StepContext} from "../sampling/types.js";

/** What explain needs of a sampler chain (SamplerChain.keep): the kept set sorted by q desc. */
export interface KeepingChain {
    keep(logits: Float32Array, ctx: StepContext): ReadonlyArray<{id: number; q: number}>;
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
    /** How many tokens the strategy keeps. */
    size: number;
    /** The kept set, sorted by q descending (ties by id): complete, or only its members among the candidates (opts.keptAmong). */
    kept: ExplainKept[];
    /** Σ p over the kept set: how much of the model's distribution the strategy keeps. */
    mass: number;
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
    opts: {position: number; top: number; textOf: (id: number) => string; keptAmong?: "all" | "candidates"}
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
    const listed = opts.keptAmong === "candidates" ? new Set(candidates.map((c) => c.id)) : undefined;
    const strategies = chains.map(({spec, chain}) => {
        const all = chain.keep(logits, ctx);
        let mass = 0;
        for (const k of all) mass += p(k.id);
        const kept = (listed === undefined ? all : all.filter((k) => listed.has(k.id))).map(({id, q}) => ({id, text: text(id), p: p(id), q}));
        return {spec, size: all.length, kept, mass: Math.min(1, mass)};
    });
    return {position: opts.position, entropy: entropy(logits, lse), candidates, strategies};
}
