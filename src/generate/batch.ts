/**
 * Many requests through one context: each request (a prompt, its strategy, seed, samples…) runs
 * through `decode` on its own share of the engine's sequences, up to `parallel` sequences at once.
 * Requests whose sequences wait for logits in the same tick are decoded in one llama_decode, so a
 * batch is faster than the same requests one after another, while each request computes exactly
 * what it computes alone (same seed streams, same chain; see docs/benchmarks.md for the check).
 * Requests start in input order; they finish in any order, and `InOrder` puts results back in order.
 */
import type {Engine, EngineSequence} from "../engine/engine.js";
import type {Strategy} from "../sampling/index.js";
import {decode, type DecodeOptions, type DecodeResult} from "./decode.js";
import type {TokenEvent} from "./sample.js";

/** Per-request decode options beyond the basics (a later per-request constraint flows through here). */
export type ExtraDecodeOptions = Omit<Partial<DecodeOptions>,
    "promptTokens" | "strategy" | "samples" | "seed" | "maxTokens" | "stops" | "sequences" | "signal" | "onToken" | "onText" | "onDone" | "onStep">;

export interface BatchJob {
    /** Position in the input: results are reported with it. */
    index: number;
    promptTokens: readonly number[];
    strategy: Strategy;
    samples: number;
    seed: number;
    maxTokens: number;
    stops: readonly string[];
    options?: ExtraDecodeOptions;
}

export interface BatchOptions {
    /** Sequences to share among the jobs (at least the widest job's need). */
    sequences: readonly EngineSequence[];
    signal?: AbortSignal;
    /** A job's token events, as they are generated (jobs interleave). */
    onToken?(job: BatchJob, event: TokenEvent): void;
    /** A job finished (in completion order): its results, one per sample, or why it failed. */
    onJobDone?(job: BatchJob, outcome: JobOutcome): void;
    /** A job got its sequences and started. */
    onJobStart?(job: BatchJob): void;
    /** A token generated (any job): progress. */
    onStep?(): void;
}

export type JobOutcome = {ok: true; results: DecodeResult[]} | {ok: false; error: unknown};

/** Sequences a job holds while it runs: beam search its width, a sampling chain one per sample. */
export function sequencesNeeded(job: Pick<BatchJob, "strategy" | "samples">, available: number): number {
    return job.strategy.kind === "beam" ? job.strategy.width : Math.min(job.samples, available);
}

/**
 * Run the jobs, in input order as sequences free up (a job waits until all the sequences it needs
 * are free; jobs behind it wait too, so the order of starts is the input order). After an abort no
 * job starts; running ones end with stopReason "interrupted". Resolves when every started job is done.
 */
export async function runBatch(engine: Engine, jobs: readonly BatchJob[], opts: BatchOptions): Promise<void> {
    const free = [...opts.sequences];
    const available = free.length;
    for (const job of jobs)
        if (sequencesNeeded(job, available) > available)
            throw new RangeError(`request ${job.index} needs ${sequencesNeeded(job, available)} sequences, only ${available} are shared`);
    let next = 0;
    let running = 0;
    await new Promise<void>((resolve) => {
        const pump = (): void => {
            while (next < jobs.length && !opts.signal?.aborted) {
                const job = jobs[next]!;
                const need = sequencesNeeded(job, available);
                if (free.length < need) break;
                const sequences = free.splice(0, need);
                next++;
                running++;
                opts.onJobStart?.(job);
                void runJob(engine, job, sequences, opts).then((outcome) => {
                    free.push(...sequences);
                    running--;
                    opts.onJobDone?.(job, outcome);
                    pump();
                });
            }
            if (running === 0 && (next >= jobs.length || opts.signal?.aborted === true)) resolve();
        };
        pump();
    });
}

async function runJob(engine: Engine, job: BatchJob, sequences: EngineSequence[], opts: BatchOptions): Promise<JobOutcome> {
    try {
        const results = await decode(engine, {
            ...job.options,
            promptTokens: job.promptTokens, strategy: job.strategy, samples: job.samples, seed: job.seed,
            maxTokens: job.maxTokens, stops: job.stops, sequences, signal: opts.signal,
            onToken: opts.onToken === undefined ? undefined : (e) => opts.onToken!(job, e),
            onStep: opts.onStep
        });
        return {ok: true, results};
    } catch (error) {
        return {ok: false, error};
    }
}

/**
 * Items put back in input order: `put(index, item)` in any order; `take` hands out, in index order,
 * the items whose predecessors have all been put or skipped.
 */
export class InOrder<T> {
    private readonly pending = new Map<number, T | null>();
    private nextIndex = 0;

    constructor(private readonly total: number, private readonly emit: (item: T, index: number) => void) {}

    /** Item `index` is ready. */
    put(index: number, item: T): void {
        this.pending.set(index, item);
        this.drain();
    }

    /** Index `index` has no item (skipped): it does not hold back the ones after it. */
    skip(index: number): void {
        this.pending.set(index, null);
        this.drain();
    }

    /** Hand out whatever is ready, in order, ignoring gaps (at the end of an interrupted run). */
    flushAll(): void {
        for (const index of [...this.pending.keys()].sort((a, b) => a - b)) {
            const item = this.pending.get(index);
            this.pending.delete(index);
            if (item !== null && item !== undefined) this.emit(item, index);
        }
        this.nextIndex = this.total;
    }

    private drain(): void {
        while (this.pending.has(this.nextIndex)) {
            const item = this.pending.get(this.nextIndex);
            this.pending.delete(this.nextIndex);
            if (item !== null && item !== undefined) this.emit(item, this.nextIndex);
            this.nextIndex++;
        }
    }
}
