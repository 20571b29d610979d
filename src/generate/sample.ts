/**
 * The sampling loop: prompt tokens → logits → sampler chain → token → text, for one or many
 * independent samples. Each sample runs on its own sequence of the engine's context; samples that
 * wait for logits in the same tick are decoded in one batch. Sample i draws from its own seeded
 * stream deriveSeed(seed, i), so its output does not depend on how many samples run beside it.
 */
import type {Engine, EngineSequence} from "../engine/engine.js";
import {checkStrategyForModel, createChain, createRng, deriveSeed, type SampleStrategy} from "../sampling/index.js";
import {ConstraintStage, type TokenConstraint} from "../sampling/constraint.js";
import {entropy, logSumExp, topIds} from "./logprobs.js";
import {StopMatcher} from "./stop.js";
import {engineVocabulary} from "./vocabulary.js";

/** Why a generation ended; "grammar": the constraint is complete (it accepts nothing but the end, or its stop text came). */
export type StopReason = "eos" | "max-tokens" | "stop" | "grammar" | "context-full" | "interrupted";

export interface TopLogprob {
    id: number;
    text: string;
    logprob: number;
}

export interface TokenEvent {
    sample: number;
    index: number;
    id: number;
    /** The text this token completes (may be "" while a multi-byte character is incomplete). */
    text: string;
    /** log-probability under the model's unmodified distribution (log-softmax of the logits). */
    logprob: number;
    top?: TopLogprob[];
    /** Entropy (nats) of the model's next-token distribution at this step (with `stats`). */
    entropy?: number;
    /** How many tokens the strategy kept at this step (with `stats`). */
    kept?: number;
}

export interface SampleResult {
    sample: number;
    /** Generated text, stop string excluded. */
    text: string;
    tokens: number;
    ids: number[];
    stopReason: StopReason;
    seed: number;
    strategy: string;
    tokensPerSecond: number;
    /** Per-token events (kept when `keepEvents` is set). */
    events?: TokenEvent[];
}

export interface SamplingOptions {
    promptTokens: readonly number[];
    /** A sampling chain (not beam). Each sample builds its own fresh chain from it (samplers keep state). */
    strategy: SampleStrategy;
    samples: number;
    seed: number;
    maxTokens: number;
    stops?: readonly string[];
    ignoreEos?: boolean;
    topLogprobs?: number;
    /** Compute entropy and kept-set size per step. */
    stats?: boolean;
    keepEvents?: boolean;
    signal?: AbortSignal;
    /** Sequences to run on (defaults to all of the engine's). */
    sequences?: EngineSequence[];
    /** Index of the first sample (when several jobs share numbering). */
    firstSample?: number;
    /**
     * Structured output: the chain's first stage (see src/sampling/constraint.ts). Never advanced
     * itself: each sample works on its own clone.
     */
    constraint?: TokenConstraint;
    onToken?(event: TokenEvent): void;
    /** Text safe to show (stop strings held back and removed). */
    onText?(sample: number, text: string): void;
    onDone?(result: SampleResult): void;
}

/** A pool handing sequences to concurrent jobs. */
export class SequencePool {
    private readonly free: EngineSequence[];
    private readonly waiting: Array<(s: EngineSequence) => void> = [];

    constructor(sequences: readonly EngineSequence[]) {
        this.free = [...sequences];
    }

    async acquire(): Promise<EngineSequence> {
        const s = this.free.pop();
        if (s !== undefined) return s;
        return new Promise((resolve) => this.waiting.push(resolve));
    }

    release(s: EngineSequence): void {
        const next = this.waiting.shift();
        if (next !== undefined) next(s);
        else this.free.push(s);
    }
}

export async function runSampling(engine: Engine, opts: SamplingOptions): Promise<SampleResult[]> {
    // Refusals (a sampler that needs raw logits on the public route, bad logit-bias tokens) before any output.
    checkStrategyForModel(opts.strategy, {trueLogits: engine.route.trueLogits, vocabSize: engine.vocabSize, vocabulary: engineVocabulary(engine)});
    const pool = new SequencePool(opts.sequences ?? engine.sequences);
    const first = opts.firstSample ?? 0;
    const jobs = Array.from({length: opts.samples}, (_, i) => runOne(engine, pool, opts, first + i, i));
    return Promise.all(jobs);
}

async function runOne(engine: Engine, pool: SequencePool, opts: SamplingOptions, sample: number, streamIndex: number): Promise<SampleResult> {
    const sequence = await pool.acquire();
    try {
        return await sampleOn(engine, sequence, opts, sample, streamIndex);
    } finally {
        pool.release(sequence);
    }
}

async function sampleOn(engine: Engine, sequence: EngineSequence, opts: SamplingOptions, sample: number, streamIndex: number): Promise<SampleResult> {
    const constraint = opts.constraint?.clone();
    const stage = constraint === undefined ? undefined
        : new ConstraintStage(constraint, {isEnd: (id) => engine.isEndOfGeneration(id), dropEnd: opts.ignoreEos === true});
    const chain = createChain(opts.strategy, engine.vocabSize, stage === undefined ? [] : [stage]);
    const rng = createRng(deriveSeed(opts.seed, streamIndex));
    const history = [...opts.promptTokens];
    const ctx = {history, promptLength: opts.promptTokens.length, rng, trueLogits: engine.route.trueLogits, vocabulary: engineVocabulary(engine)};
    const decoder = engine.streamDecoder(opts.promptTokens);
    const stopper = new StopMatcher([...(opts.stops ?? []), ...(constraint?.stopTexts ?? [])]);
    const stopReasonOf = (): StopReason => stopper.matched !== undefined && constraint?.stopTexts.includes(stopper.matched) === true ? "grammar" : "stop";
    const ids: number[] = [];
    const events: TokenEvent[] | undefined = opts.keepEvents ? [] : undefined;
    const wantEvents = events !== undefined || opts.onToken !== undefined;
    let text = "";
    let stopReason: StopReason = "max-tokens";
    const emit = (t: string): void => {
        if (t.length === 0) return;
        text += t;
        opts.onText?.(sample, t);
    };
    const started = performance.now();
    while (true) {
        if (ids.length >= opts.maxTokens) break;
        if (opts.signal?.aborted) {
            stopReason = "interrupted";
            break;
        }
        if (history.length >= sequence.contextSize) {
            stopReason = "context-full";
            break;
        }
        const logits = await sequence.logitsFor(history);
        if (opts.signal?.aborted) {
            stopReason = "interrupted";
            break;
        }
        const candidates = chain.apply(logits, ctx);
        if (stage?.complete === true) {
            // The grammar accepts nothing but an end token: the structured output is complete.
            stopReason = "grammar";
            break;
        }
        const kept = candidates.size;
        const id = chain.draw(candidates, rng);
        chain.accept(id);
        if (!opts.ignoreEos && engine.isEndOfGeneration(id)) {
            stopReason = "eos";
            break;
        }
        history.push(id);
        ids.push(id);
        const piece = decoder.push(id);
        if (wantEvents) {
            // The model's unmodified distribution: one full-vocabulary pass, paid only when asked for.
            const lse = logSumExp(logits);
            const event: TokenEvent = {sample, index: ids.length - 1, id, text: piece, logprob: logits[id]! - lse};
            if (opts.topLogprobs) {
                const before = history.slice(0, -1);
                event.top = topIds(logits, opts.topLogprobs).map((t) => ({id: t, text: engine.tokenText(t, before), logprob: logits[t]! - lse}));
            }
            if (opts.stats) {
                event.entropy = entropy(logits, lse);
                event.kept = kept;
            }
            events?.push(event);
            opts.onToken?.(event);
        }
        emit(stopper.push(piece));
        if (stopper.stopped) {
            stopReason = stopReasonOf();
            break;
        }
    }
    if (!stopper.stopped) {
        emit(stopper.push(decoder.flush()));
        if (stopper.stopped) stopReason = stopReasonOf();
        else emit(stopper.flush());
    }
    const seconds = (performance.now() - started) / 1000;
    const result: SampleResult = {
        sample,
        text,
        tokens: ids.length,
        ids,
        stopReason,
        seed: opts.seed,
        strategy: opts.strategy.spec,
        tokensPerSecond: seconds > 0 ? ids.length / seconds : 0,
        events
    };
    opts.onDone?.(result);
    return result;
}
