/**
 * The fast logits route: node-llama-cpp 3.21.1's native addon, patched by
 * patches/node-llama-cpp+3.21.1.patch and rebuilt from its bundled llama.cpp source
 * (`npm run build:fast`), gains three AddonContext methods:
 *
 *   llmgenCopyLogits(batchLogitIndex, out: Float32Array) → n_vocab
 *       memcpy of llama_get_logits_ith(ctx, batchLogitIndex) into `out` (no allocation);
 *   llmgenCopySequence(src, dst, p0, p1) → max position of dst
 *       llama_memory_seq_rm(dst) + llama_memory_seq_cp(src → dst): a KV-cache fork;
 *   llmgenFastRouteVersion() → 3 (2: without the grammar mask).
 *
 * and one static AddonSampler method (version 3, see grammar.ts):
 *
 *   llmgenGrammarMask(grammarEvaluationState, logits: Float32Array) → allowed count
 *       llama_sampler_apply of the state's grammar sampler over the whole vocabulary; −∞ for rejected ids.
 *
 * Evaluation goes through the sequence's decode path (the private `_decodeTokens`, the same one
 * `controlledEvaluate` uses, so batching across sequences, context shift and token metering are
 * node-llama-cpp's own) with a logit callback that copies the raw logits instead of sampling.
 * Private members are used, so the dependency is pinned exactly and everything is feature-detected:
 * when anything is missing, `detectFastRoute` says why and the engine falls back to the public route.
 */
import {createRequire} from "node:module";
import {fileURLToPath, pathToFileURL} from "node:url";
import {LlamaContextSequence, type LlamaContext, type Token} from "node-llama-cpp";
import type {EngineSequence} from "./engine.js";
import {logitsPerCall, type LogitsRoute} from "./logitsRoute.js";
import {RuntimeError, type Fix} from "../errors.js";

/** The patched AddonContext methods. */
interface FastAddonContext {
    llmgenCopyLogits(batchLogitIndex: number, out: Float32Array): number;
    llmgenCopySequence(src: number, dst: number, p0: number, p1: number): number;
    llmgenFastRouteVersion(): number;
    removeTokenCellsFromSequence(sequenceId: number, start: number, end: number): boolean;
}

type LogitMapper = (batchLogitIndex: number, tokenIndex: number) => unknown;

/** The private parts of LlamaContextSequence 3.21.1 that the route drives. */
interface RawSequence {
    _sequenceId: number;
    _context: unknown;
    _lock: object;
    _contextTokens: Token[];
    _nextTokenIndex: number;
    _loadedTokenPredictions: unknown[];
    _tokenMeter: unknown;
    _contextShift: {size: unknown; strategy: unknown};
    _checkpoints: {pruneFromEndToIndex(index: number): void};
    _takeIntervalCheckpointIfNeededAfterBatch?: (length: number) => unknown;
    needsCheckpoints: boolean;
    _decodeTokens(tokens: Token[], logits: boolean[], evaluationPriority: number, tokenMeter: unknown,
        contextShiftOptions: {size: unknown; strategy: unknown}, logitDataMapper: LogitMapper,
        afterBatchAction?: (length: number) => unknown): Promise<unknown[]>;
}

type WithLock = <T>(scope: [object, string], callback: () => Promise<T> | T) => Promise<T>;

/** node-llama-cpp's default evaluation priority (LlamaContext.js: defaultEvaluationPriority). */
const EVALUATION_PRIORITY = 5;
/** The patch's version; builds of version MIN_FAST_ROUTE_VERSION and later still carry the logits route. */
export const FAST_ROUTE_VERSION = 3;
export const MIN_FAST_ROUTE_VERSION = 2;

export type FastRouteDetection =
    | {available: true; version: number; addon: FastAddonContext; withLock: WithLock; canFork: boolean}
    | {available: false; reason: string; fix?: Fix};

let lockModule: Promise<WithLock | undefined> | undefined;

/**
 * lifecycle-utils' withLock, resolved from node-llama-cpp's own location so that it is the very
 * module instance node-llama-cpp locks with (locks are keyed in module state).
 */
function nodeLlamaCppWithLock(): Promise<WithLock | undefined> {
    lockModule ??= (async () => {
        try {
            const entry = fileURLToPath(import.meta.resolve("node-llama-cpp"));
            const file = createRequire(entry).resolve("lifecycle-utils");
            const mod = (await import(pathToFileURL(file).href)) as {withLock?: unknown};
            return typeof mod.withLock === "function" ? (mod.withLock as WithLock) : undefined;
        } catch {
            return undefined;
        }
    })();
    return lockModule;
}

/**
 * Does this context's native addon carry the fast route, and are the private LlamaContextSequence
 * methods it drives there? (Instance fields are checked on first use, see FastLogitsRoute.)
 */
export async function detectFastRoute(context: LlamaContext): Promise<FastRouteDetection> {
    const addon = (context as unknown as {_ctx?: Partial<FastAddonContext>})._ctx;
    if (addon === undefined || addon === null) return {available: false, reason: "node-llama-cpp's context has no native handle (_ctx)"};
    if (typeof addon.llmgenCopyLogits !== "function" || typeof addon.llmgenFastRouteVersion !== "function")
        return {available: false, reason: "the loaded llama.cpp binary is not llmgen's patched build", fix: "build-fast-route"};
    const version = addon.llmgenFastRouteVersion();
    if (version < MIN_FAST_ROUTE_VERSION || version > FAST_ROUTE_VERSION)
        return {available: false, reason: `the patched build has fast-route version ${version}, llmgen expects ${MIN_FAST_ROUTE_VERSION}–${FAST_ROUTE_VERSION}`, fix: "build-fast-route"};
    const proto = LlamaContextSequence.prototype as unknown as Partial<RawSequence>;
    if (typeof proto._decodeTokens !== "function")
        return {available: false, reason: "node-llama-cpp's private decode path changed (llmgen needs node-llama-cpp 3.21.1 exactly)", fix: "use-public-route"};
    const withLock = await nodeLlamaCppWithLock();
    if (withLock === undefined) return {available: false, reason: "cannot load node-llama-cpp's lifecycle-utils (locks)"};
    const canFork = typeof addon.llmgenCopySequence === "function" && typeof addon.removeTokenCellsFromSequence === "function";
    return {available: true, version, addon: addon as FastAddonContext, withLock, canFork};
}

/** Throws when a sequence lacks the private fields the route drives (checked once per sequence). */
function checkRawSequence(raw: Partial<RawSequence>): asserts raw is RawSequence {
    if (typeof raw._decodeTokens !== "function" || typeof raw._sequenceId !== "number" || !Array.isArray(raw._contextTokens) ||
        typeof raw._nextTokenIndex !== "number" || raw._contextShift === undefined || raw._lock === undefined ||
        !Array.isArray(raw._loadedTokenPredictions) || typeof raw._checkpoints?.pruneFromEndToIndex !== "function")
        throw new RuntimeError("node-llama-cpp's private sequence members changed (llmgen's fast route needs node-llama-cpp 3.21.1 exactly)", {fix: "use-public-route"});
}

export interface ForkStats {
    forks: number;
    /** Tokens not re-evaluated thanks to forks. */
    tokensSaved: number;
}

/**
 * Raw logits through the patched addon. `evaluate` decodes on the sequence's own decode path and
 * copies llama_get_logits_ith of the last token into the sequence's reused buffer; `forkInto` copies
 * another sequence's KV cache when it shares a longer prefix with the wanted history.
 */
export class FastLogitsRoute implements LogitsRoute {
    readonly name = "fast (patched addon)";
    readonly trueLogits = true;
    readonly stats: ForkStats = {forks: 0, tokensSaved: 0};
    private readonly buffers: Float32Array[];
    private readonly checked = new Set<number>();
    private readonly addon: FastAddonContext;
    private readonly withLock: WithLock;
    /** Minimum prefix gain (tokens) for a fork to replace re-evaluation; Infinity disables forking. */
    readonly forkMinGain: number;

    constructor(readonly vocabSize: number, sequences: number, private readonly context: LlamaContext,
        detection: Extract<FastRouteDetection, {available: true}>, forkMinGain = 1) {
        this.buffers = Array.from({length: sequences}, () => new Float32Array(vocabSize));
        this.addon = detection.addon;
        this.withLock = detection.withLock;
        this.forkMinGain = detection.canFork ? forkMinGain : Infinity;
    }

    get canFork(): boolean {
        return this.forkMinGain !== Infinity;
    }

    buffer(sequenceIndex: number): Float32Array {
        return this.buffers[sequenceIndex]!;
    }

    private rawOf(sequence: EngineSequence): RawSequence {
        const raw = sequence.raw as unknown as Partial<RawSequence>;
        if (!this.checked.has(sequence.index)) {
            checkRawSequence(raw);
            this.checked.add(sequence.index);
        }
        return raw as RawSequence;
    }

    async evaluate(sequence: EngineSequence, tokens: Token[]): Promise<Float32Array> {
        if (tokens.length === 0) throw new Error("evaluate needs at least one token");
        const raw = this.rawOf(sequence);
        const out = this.buffers[sequence.index]!;
        const logits: boolean[] = new Array<boolean>(tokens.length).fill(false);
        logits[tokens.length - 1] = true;
        let copied = false;
        const addon = this.addon;
        const mapper: LogitMapper = (batchLogitIndex) => {
            // Runs right after the batch's llama_decode, inside node-llama-cpp's context lock.
            addon.llmgenCopyLogits(batchLogitIndex, out);
            copied = true;
            return undefined;
        };
        await this.withLock([raw._lock, "evaluate"], () => raw._decodeTokens(
            tokens, logits, EVALUATION_PRIORITY, raw._tokenMeter,
            {size: raw._contextShift.size, strategy: raw._contextShift.strategy},
            mapper, raw._takeIntervalCheckpointIfNeededAfterBatch
        ));
        if (!copied) throw new Error("the fast logits route got no logits for the last token");
        return out;
    }

    /**
     * Logits for every position from `from` on, copied out of llama.cpp's output buffer one by one
     * inside the decode callback. llama.cpp keeps one vocabulary-sized row per requested position, so
     * the positions go in calls of about four million values (32 at a 128k vocabulary).
     */
    async evaluateEach(sequence: EngineSequence, tokens: Token[], from: number, onLogits: (index: number, logits: Float32Array) => void, signal?: AbortSignal): Promise<void> {
        const raw = this.rawOf(sequence);
        const out = this.buffers[sequence.index]!;
        const addon = this.addon;
        const chunk = logitsPerCall(this.vocabSize, 1 << 22);
        let start = 0;
        while (start < tokens.length && signal?.aborted !== true) {
            const end = start < from ? Math.min(tokens.length, from + chunk) : Math.min(tokens.length, start + chunk);
            const part = tokens.slice(start, end);
            const logits = part.map((_, i) => start + i >= from);
            let copied = 0;
            let failure: {error: unknown} | undefined;
            const offset = start;
            const mapper: LogitMapper = (batchLogitIndex, tokenIndex) => {
                // Runs inside node-llama-cpp's batch loop: an exception here would escape it, so it
                // is kept and rethrown once the decode is over.
                if (failure !== undefined) return undefined;
                try {
                    addon.llmgenCopyLogits(batchLogitIndex, out);
                    onLogits(offset + tokenIndex, out);
                    copied++;
                } catch (error) {
                    failure = {error};
                }
                return undefined;
            };
            await this.withLock([raw._lock, "evaluate"], () => raw._decodeTokens(
                part, logits, EVALUATION_PRIORITY, raw._tokenMeter,
                {size: raw._contextShift.size, strategy: raw._contextShift.strategy},
                mapper, raw._takeIntervalCheckpointIfNeededAfterBatch
            ));
            if (failure !== undefined) throw failure.error;
            if (copied !== end - Math.max(start, from)) throw new Error(`the fast logits route got ${copied} of ${end - Math.max(start, from)} logit rows`);
            start = end;
        }
    }

    /**
     * Give `target` the KV cache of the sibling sharing the longest prefix with `history` (at most
     * history.length − 1 tokens: the last one is evaluated for its logits), when that beats the
     * target's own common prefix `own` by at least forkMinGain tokens. Done under node-llama-cpp's
     * context lock, so no decode runs meanwhile and sibling states are read consistently. Returns the
     * target's new state length, or undefined when it did not fork.
     */
    async forkInto(target: EngineSequence, history: readonly number[], own: number, siblings: readonly EngineSequence[]): Promise<number | undefined> {
        if (!this.canFork || siblings.length < 2) return undefined;
        const limit = history.length - 1;
        if (limit - own < this.forkMinGain) return undefined;
        const dst = this.rawOf(target);
        // Recurrent, hybrid and sliding-window memories cannot be forked by a plain cell copy.
        if (dst.needsCheckpoints) return undefined;
        return this.withLock([this.context, "context"], () => {
            if (dst._loadedTokenPredictions.length > 0) return undefined;
            let best: RawSequence | undefined;
            let bestCommon = own;
            for (const s of siblings) {
                if (s === target) continue;
                const src = this.rawOf(s);
                if (src._loadedTokenPredictions.length > 0) continue;
                const state = src._contextTokens;
                const max = Math.min(state.length, limit);
                let c = 0;
                while (c < max && state[c] === history[c]) c++;
                if (c > bestCommon) {
                    best = src;
                    bestCommon = c;
                }
            }
            if (best === undefined || bestCommon - own < this.forkMinGain) return undefined;
            // Copy the whole of src's cells into dst (the only copy llama.cpp allows between
            // per-sequence KV streams), then drop dst's cells from bestCommon on.
            this.addon.llmgenCopySequence(best._sequenceId, dst._sequenceId, -1, -1);
            this.addon.removeTokenCellsFromSequence(dst._sequenceId, bestCommon, -1);
            dst._contextTokens = best._contextTokens.slice(0, bestCommon);
            dst._nextTokenIndex = bestCommon;
            dst._checkpoints.pruneFromEndToIndex(bestCommon - 1);
            this.stats.forks++;
            this.stats.tokensSaved += bestCommon - own;
            return bestCommon;
        });
    }
}
