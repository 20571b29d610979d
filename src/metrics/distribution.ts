/**
 * One step of `llmgen explain`: the model's next-token distribution and, for each strategy, the
 * set its sampler chain keeps with the renormalised probabilities. Pure: logits in, numbers out.
 */
import {entropy, logSumExp, topIds} from "../generate/logprobs.js";
import type {StepContext} from "../sampling/types.js";

/** What explain needs of a sampler chain (SamplerChain.keep): the kept set sorted by q desc. */
export interface KeepingChain {
    keep(logits: Float32Array, ctx: StepContext): ReadonlyArray<{id: number; q: number}>;
    /**
     * Optional (SamplerChain.apply): the kept set unsorted, with softmax() filling probs with the same
     * q as keep(). Used when only the kept tokens among the candidates are listed, so that a
     * vocabulary-sized kept set is not sorted for nothing.
     */
    apply?(logits: Float32Array, ctx: StepContext): {readonly size: number; readonly ids: ArrayLike<number>; readonly probs: ArrayLike<number>; softmax(): void};
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
    /** How many tokens the strategy keeps. */
    size: number;
    /** The kept set, sorted by q descending (ties by id): complete, or only its members among the candidates (opts.keptAmong). */
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
    opts: {position: number; top: number; textOf: (id: number) => string; keptAmong?: "all" | "candidates"; trace?: boolean}
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
            const whole = last === undefined ? described(traced.kept) : {kept: last.kept, mass: last.mass};
            return {spec, size: whole.kept.length, ...whole, stages};
        }
        let size: number;
        let mass = 0;
        let chosen: Array<{id: number; q: number}>;
        if (listed !== undefined && chain.apply !== undefined) {
            const c = chain.apply(logits, ctx);
            c.softmax();
            size = c.size;
            chosen = [];
            for (let i = 0; i < c.size; i++) {
                const id = c.ids[i]!;
                mass += p(id);
                if (listed.has(id)) chosen.push({id, q: c.probs[i]!});
            }
            chosen.sort((a, b) => b.q - a.q || a.id - b.id);
        } else {
            const all = chain.keep(logits, ctx);
            for (const k of all) mass += p(k.id);
            size = all.length;
            chosen = listed === undefined ? [...all] : all.filter((k) => listed.has(k.id));
        }
        const kept = chosen.map(({id, q}) => ({id, text: text(id), p: p(id), q}));
        return {spec, size, kept, mass: Math.min(1, mass)};
    });
    return {position: opts.position, entropy: entropy(logits, lse), candidates, strategies};
}
