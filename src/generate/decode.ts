/**
 * One entry point for every strategy: `decode(engine, {strategy, …})` runs a sampling chain (one or
 * more samples) or beam search and reports the same events and results either way — token events
 * (with top alternatives, entropy and kept-set size when asked), safe-to-show text, and one result
 * per sample. Commands never branch on the strategy's kind.
 */
import type {Engine, EngineSequence} from "../engine/engine.js";
import {UsageError} from "../errors.js";
import type {TokenConstraint} from "../sampling/constraint.js";
import type {Strategy} from "../sampling/index.js";
import {beamTokenEvents, runBeamSearch, type BeamHypothesis} from "./beam.js";
import {entropy, logSumExp, topIds} from "./logprobs.js";
import {runSampling, type StopReason, type TokenEvent} from "./sample.js";

export interface DecodeOptions {
    promptTokens: readonly number[];
    strategy: Strategy;
    /** Independent samples of a sampling chain (beam search is deterministic: one result). */
    samples?: number;
    seed: number;
    maxTokens: number;
    stops?: readonly string[];
    ignoreEos?: boolean;
    /** Beam search: score = Σ log p / length^α. */
    lengthPenalty?: number;
    /** The n most probable alternatives at every token. */
    topLogprobs?: number;
    /** Entropy and kept-set size at every token. */
    stats?: boolean;
    /** Keep every token event in the results. */
    keepEvents?: boolean;
    signal?: AbortSignal;
    /** Sequences to run on (default: all of the engine's). */
    sequences?: EngineSequence[];
    /**
     * Structured output (a grammar or JSON schema): the first stage of every sample's chain, each
     * sample on its own clone of this state (which is never advanced). Not with beam search.
     */
    constraint?: TokenConstraint;
    onToken?(event: TokenEvent): void;
    /** Text safe to show, as it is generated (beam search: the best beam's, once it is known). */
    onText?(sample: number, text: string): void;
    onDone?(result: DecodeResult): void;
    /** A step of work done (a token sampled, a beam step): progress. */
    onStep?(): void;
}

export interface BeamSummary {
    text: string;
    tokens: number;
    score: number;
    sumLogprob: number;
    stopReason: StopReason;
}

export interface DecodeResult {
    sample: number;
    text: string;
    tokens: number;
    ids: number[];
    stopReason: StopReason;
    /** The sample's seed (beam search uses none: null). */
    seed: number | null;
    strategy: string;
    tokensPerSecond: number;
    events?: TokenEvent[];
    /** Beam search: every finished beam, best first. */
    beams?: BeamSummary[];
}

/** Beam search does not follow a grammar: the one line that says so. */
export const BEAM_GRAMMAR_REFUSAL = (spec: string): string =>
    `${spec} cannot follow a grammar (beam search under a JSON schema or grammar is not supported); use a sampling strategy, e.g. greedy`;

export async function decode(engine: Engine, opts: DecodeOptions): Promise<DecodeResult[]> {
    const strategy = opts.strategy;
    if (strategy.kind === "sample") {
        const results = await runSampling(engine, {
            promptTokens: opts.promptTokens, strategy, samples: opts.samples ?? 1, seed: opts.seed, maxTokens: opts.maxTokens,
            stops: opts.stops, ignoreEos: opts.ignoreEos, topLogprobs: opts.topLogprobs, stats: opts.stats, keepEvents: opts.keepEvents,
            signal: opts.signal, sequences: opts.sequences, constraint: opts.constraint,
            onToken: opts.onToken || opts.onStep ? (e) => {
                opts.onToken?.(e);
                opts.onStep?.();
            } : undefined,
            onText: opts.onText,
            onDone: opts.onDone
        });
        return [...results].sort((a, b) => a.sample - b.sample);
    }
    if (opts.constraint !== undefined) throw new UsageError(BEAM_GRAMMAR_REFUSAL(strategy.spec));
    const sequences = opts.sequences ?? engine.sequences;
    const beam = await runBeamSearch(engine, {
        promptTokens: opts.promptTokens, width: strategy.width, lengthPenalty: opts.lengthPenalty ?? 1, maxTokens: opts.maxTokens,
        ignoreEos: opts.ignoreEos, stops: opts.stops, signal: opts.signal, sequences, onStep: () => opts.onStep?.()
    });
    const best = beam.beams[0];
    const events = best === undefined ? [] : await beamEvents(engine, sequences[0]!, opts, best);
    for (const e of events) opts.onToken?.(e);
    const result: DecodeResult = {
        sample: 0, text: best?.text ?? "", tokens: best?.ids.length ?? 0, ids: best?.ids ?? [], stopReason: best?.stopReason ?? "max-tokens",
        seed: null, strategy: beam.spec, tokensPerSecond: beam.tokensPerSecond,
        ...(opts.keepEvents ? {events} : {}),
        beams: beam.beams.map((b) => ({text: b.text, tokens: b.ids.length, score: b.score, sumLogprob: b.sumLogprob, stopReason: b.stopReason}))
    };
    if (result.text.length > 0) opts.onText?.(0, result.text);
    opts.onDone?.(result);
    return [result];
}

/**
 * The best beam's token events. What beam search does not record on its way (the alternatives and
 * the entropy at each token) comes from walking its path once more on one sequence: each step
 * reuses the KV cache of the one before.
 */
async function beamEvents(engine: Engine, sequence: EngineSequence, opts: DecodeOptions, best: BeamHypothesis): Promise<TokenEvent[]> {
    const events = beamTokenEvents(engine, opts.promptTokens, best);
    if (!opts.topLogprobs && !opts.stats) return events;
    const history = [...opts.promptTokens];
    for (const e of events) {
        if (opts.signal?.aborted) break;
        const logits = await sequence.logitsFor(history);
        const lse = logSumExp(logits);
        if (opts.stats) e.entropy = entropy(logits, lse);
        if (opts.topLogprobs) {
            const before = history.slice();
            e.top = topIds(logits, opts.topLogprobs).map((id) => ({id, text: engine.tokenText(id, before), logprob: logits[id]! - lse}));
        }
        history.push(e.id);
    }
    return events;
}
