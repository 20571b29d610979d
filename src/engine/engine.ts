/**
 * The only code (with its siblings in src/engine/) that knows node-llama-cpp.
 *
 * An Engine owns one model and one context with N sequences. Each sequence hands out, for any token
 * history, the full-vocabulary logits vector after the last token of that history (up to an
 * additive constant), through a LogitsRoute. Decoding loops call `logitsFor` on several sequences in
 * the same event-loop tick and node-llama-cpp decodes them in one batch.
 */
import fs from "node:fs";
import os from "node:os";
import {
    LlamaLogLevel, type ChatHistoryItem, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token
} from "node-llama-cpp";
import {RuntimeError, UsageError, type Notice} from "../errors.js";
import {loadLlama} from "./binary.js";
import {pieceBytes, readableBytes, vocabularyKind, type VocabularyKind} from "./pieces.js";
import {type LogitsRoute} from "./logitsRoute.js";
import {selectLogitsRoute, type LogitsRouteChoice} from "./routeSelect.js";
import {StreamDecoder} from "./streamDecoder.js";

export type GpuChoice = "auto" | "cuda" | "vulkan" | "cpu";

export interface EngineOptions {
    modelPath: string;
    gpu?: GpuChoice;
    /** CPU threads; default: see defaultThreads(). */
    threads?: number;
    /** Context size per sequence; default: the model's training context, capped at 4096. */
    ctxSize?: number;
    /** Parallel sequences in the context (samples, beams, strategies). */
    sequences?: number;
    /** llama.cpp logs to stderr (info level with verbose, debug level with debug). */
    verbose?: boolean;
    debug?: boolean;
    /** Receives one-line notices (route, threads...) when verbose. */
    onNotice?: (notice: Notice) => void;
    /** Receives one-line warnings the user should always see (a local llama.cpp build refused). */
    onWarning?: (notice: Notice) => void;
    /** llama.cpp's own log lines under verbose/debug (one line each, without the newline). */
    onLog?: (level: string, line: string) => void;
    /** Logits route: auto (fast when the patched build is loaded, else public), fast, public. Default auto. */
    logitsRoute?: LogitsRouteChoice;
    /** Minimum prefix gain (tokens) for a KV fork on the fast route; Infinity turns forking off. Default 1. */
    forkMinGain?: number;
    /**
     * One KV cache shared by all sequences (llama.cpp's kv_unified; needs the patched build, ignored
     * by others). A KV fork then relabels cells instead of copying a whole per-sequence stream, and
     * a step's batch is one ubatch: beam search is about twice as fast on the fixtures. The price:
     * logits then depend slightly on what the other sequences hold (measured up to 0.017 nats on
     * stories260K), so runs that must be reproducible sample by sample keep it off. Default false.
     */
    kvUnified?: boolean;
}

/** One message of a conversation, in the order said. */
export interface ChatMessage {
    role: "system" | "user" | "assistant";
    text: string;
}

export interface EngineInfo {
    modelPath: string;
    backend: string;
    buildType: string;
    route: string;
    threads: number;
    contextSize: number;
    sequences: number;
    vocabSize: number;
    trainContextSize: number;
    architecture: string;
}

/** Physical cores from /proc/cpuinfo (distinct physical id/core id pairs); logical count elsewhere. */
export function physicalCores(): number {
    try {
        const text = fs.readFileSync("/proc/cpuinfo", "utf8");
        const cores = new Set<string>();
        let phys = "0";
        for (const line of text.split("\n")) {
            const [k, v] = line.split(":").map((s) => s?.trim());
            if (k === "physical id") phys = v ?? "0";
            else if (k === "core id") cores.add(`${phys}:${v}`);
        }
        if (cores.size > 0) return cores.size;
    } catch {
        // not Linux: fall through
    }
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/**
 * Default thread count: never more than the physical cores; tiny models (file < 64 MiB) use one
 * thread, because thread synchronisation costs more than their matrix products (see NOTES.md:
 * stories260K ran ≈10× faster on 1 thread than on 2).
 */
export function defaultThreads(modelBytes: number): number {
    if (modelBytes < 64 * 1024 * 1024) return 1;
    return physicalCores();
}

export class EngineSequence {
    /** Logits after the last evaluated token, valid while `state` is unchanged. */
    private cachedFor = -1;

    constructor(
        readonly index: number,
        readonly raw: LlamaContextSequence,
        private readonly route: LogitsRoute,
        private readonly vocabSize: number,
        /** The engine's sequences (this one included): KV-fork sources when the route can fork. */
        private readonly siblings: readonly EngineSequence[] = []
    ) {}

    /** Tokens currently held in this sequence's KV cache. */
    get state(): readonly number[] {
        return this.raw.contextTokens;
    }

    /**
     * Tokens this sequence may hold: the context's size, or the size asked for when llama.cpp
     * allocated more (it rounds small contexts up to 256 cells).
     */
    get contextSize(): number {
        return Math.min(this.raw.contextSize, this.limit);
    }

    /** The size asked for (--ctx-size); set by the Engine. */
    limit = Infinity;

    /** Tokens evaluated on this sequence so far (a prefix already in its KV cache is not counted again). */
    evaluatedTokens = 0;

    /**
     * The logits after the last token of `history`: reuses the longest common prefix of the
     * sequence's state, erases the rest, evaluates what is missing. The returned array is this
     * sequence's buffer, overwritten by the next call.
     */
    async logitsFor(history: readonly number[]): Promise<Float32Array> {
        if (history.length === 0) throw new Error("logitsFor needs at least one token");
        if (history.length > this.contextSize)
            throw new RuntimeError(`context is full (${this.contextSize} tokens); raise --ctx-size`);
        const state = this.raw.contextTokens;
        let common = 0;
        const limit = Math.min(state.length, history.length);
        while (common < limit && state[common] === history[common]) common++;
        if (common === history.length && common === state.length && this.cachedFor === common)
            return this.route.buffer(this.index);
        // The last token must be evaluated now to get its logits.
        if (common === history.length) common--;
        // KV fork: copy a sibling's cache when it holds a longer prefix of `history` than we do.
        const forked = this.route.forkInto === undefined || common >= history.length - 1
            ? undefined
            : await this.route.forkInto(this, history, common, this.siblings);
        if (forked !== undefined) common = forked;
        else if (common < state.length) await this.raw.eraseContextTokenRanges([{start: common, end: state.length}]);
        const out = await this.route.evaluate(this, history.slice(common) as Token[]);
        this.evaluatedTokens += history.length - common;
        this.cachedFor = history.length;
        return out;
    }

    /**
     * The logits after every token of `history` from index `from` on: `onLogits(i, logits)` gets the
     * distribution of the token that follows history[i] (a reused buffer: read it in the callback).
     * Reuses the sequence's KV prefix up to `from`, evaluates the rest in batches (scoring a text).
     * Never shifts the context: a history longer than the context is an error (score in windows).
     * An aborted `signal` stops between batches: positions not reached get no call.
     */
    async logitsEach(history: readonly number[], from: number, onLogits: (index: number, logits: Float32Array) => void, signal?: AbortSignal): Promise<void> {
        if (!(Number.isInteger(from) && from >= 0 && from < history.length)) throw new RangeError(`logitsEach: from ${from} is outside the history (${history.length} tokens)`);
        // node-llama-cpp shifts the context (drops tokens) once a sequence holds contextSize − 1 tokens.
        if (history.length > this.contextSize || history.length >= this.raw.contextSize)
            throw new RuntimeError(`${history.length} tokens do not fit the context (${this.contextSize} tokens); raise --ctx-size or score in windows`);
        const state = this.raw.contextTokens;
        let common = 0;
        const limit = Math.min(state.length, from);
        while (common < limit && state[common] === history[common]) common++;
        if (common < state.length) await this.raw.eraseContextTokenRanges([{start: common, end: state.length}]);
        this.cachedFor = -1;
        await this.route.evaluateEach(this, history.slice(common) as Token[], from - common, (i, logits) => onLogits(common + i, logits), signal);
        this.evaluatedTokens += this.raw.contextTokens.length - common;
    }

    /** Forget everything held (a new sample starts from scratch). */
    async clear(): Promise<void> {
        this.cachedFor = -1;
        await this.raw.clearHistory();
    }

    get vocabularySize(): number {
        return this.vocabSize;
    }
}

export class Engine {
    readonly sequences: EngineSequence[];
    readonly vocabSize: number;
    readonly info: EngineInfo;

    private constructor(
        readonly llama: Llama,
        readonly model: LlamaModel,
        readonly context: LlamaContext,
        readonly route: LogitsRoute,
        threads: number,
        modelPath: string,
        private readonly contextLimit: number,
        private readonly forkMinGain: number,
        rawSequences?: readonly LlamaContextSequence[]
    ) {
        this.vocabSize = route.vocabSize;
        this.sequences = [];
        for (let i = 0; i < context.totalSequences; i++)
            this.sequences.push(new EngineSequence(i, rawSequences?.[i] ?? context.getSequence(), route, this.vocabSize, this.sequences));
        for (const s of this.sequences) s.limit = contextLimit;
        this.info = {
            modelPath,
            backend: llama.gpu === false ? "cpu" : String(llama.gpu),
            buildType: llama.buildType,
            route: route.name,
            threads,
            contextSize: Math.min(context.contextSize, contextLimit),
            sequences: context.totalSequences,
            vocabSize: this.vocabSize,
            trainContextSize: model.trainContextSize,
            architecture: String(model.fileInfo.metadata?.general?.architecture ?? "unknown")
        };
    }

    static async load(opts: EngineOptions): Promise<Engine> {
        const sequences = opts.sequences ?? 1;
        let modelBytes: number;
        try {
            modelBytes = fs.statSync(opts.modelPath).size;
        } catch {
            throw new RuntimeError(`model file not found: ${opts.modelPath}`, {fix: "list-models"});
        }
        const threads = opts.threads ?? defaultThreads(modelBytes);
        const logLevel = opts.debug ? LlamaLogLevel.debug : opts.verbose ? LlamaLogLevel.info : LlamaLogLevel.disabled;
        const gpu = opts.gpu === "cpu" ? false : (opts.gpu ?? "auto");
        let llama: Llama;
        try {
            llama = await loadLlama({
                gpu,
                logLevel,
                logger: (level, message) => {
                    if (logLevel === LlamaLogLevel.disabled) return;
                    opts.onLog?.(level, message.endsWith("\n") ? message.slice(0, -1) : message);
                },
                maxThreads: threads,
                onWarning: opts.onWarning
            });
        } catch (err) {
            const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
            if (opts.gpu === "cuda" || opts.gpu === "vulkan")
                throw new RuntimeError(`cannot use the ${opts.gpu} backend here (${why})`, {fix: "other-backend"});
            throw new RuntimeError(`cannot start llama.cpp (${why})`, {fix: "debug"});
        }
        let model: LlamaModel;
        try {
            model = await llama.loadModel({modelPath: opts.modelPath, gpuLayers: gpu === false ? 0 : "auto"});
        } catch (err) {
            await llama.dispose().catch(() => undefined);
            const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
            throw new RuntimeError(`cannot load model ${opts.modelPath}: ${why}`, {fix: "pull-again"});
        }
        const train = model.trainContextSize;
        const ctxSize = opts.ctxSize ?? Math.min(train, 4096);
        if (opts.ctxSize !== undefined && opts.ctxSize > train)
            opts.onNotice?.({kind: "context-beyond-training", message: `context size ${opts.ctxSize} exceeds the model's training context (${train}); quality may degrade`});
        let context: LlamaContext;
        try {
            const contextOptions: Parameters<LlamaModel["createContext"]>[0] & {_llmgenKvUnified?: boolean} = {
                contextSize: ctxSize,
                sequences,
                threads,
                batchSize: Math.max(512, sequences),
                flashAttention: false,
                // llmgen's patch (fast-route version ≥ 2), see EngineOptions.kvUnified.
                _llmgenKvUnified: opts.kvUnified === true && sequences > 1
            };
            context = await model.createContext(contextOptions);
        } catch (err) {
            await model.dispose().catch(() => undefined);
            await llama.dispose().catch(() => undefined);
            const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
            throw new RuntimeError(`cannot create a context of ${ctxSize} tokens × ${sequences} sequences: ${why} (try a smaller --ctx-size)`);
        }
        const vocabSize = vocabularySize(model);
        let route: LogitsRoute;
        try {
            route = await selectLogitsRoute(opts.logitsRoute ?? "auto", context, vocabSize, opts.forkMinGain ?? 1, opts.onNotice);
        } catch (err) {
            await context.dispose().catch(() => undefined);
            await model.dispose().catch(() => undefined);
            await llama.dispose().catch(() => undefined);
            throw err;
        }
        opts.onNotice?.({kind: "route", message: `logits route: ${route.name}; backend: ${llama.gpu === false ? "cpu" : llama.gpu}; build: ${llama.buildType}; threads: ${threads}`});
        return new Engine(llama, model, context, route, threads, opts.modelPath, ctxSize, opts.forkMinGain ?? 1);
    }

    /**
     * The same model, context and sequences read through another logits route (bench and tests
     * compare routes in one process). Use one of the two at a time; dispose only the original.
     */
    async withLogitsRoute(choice: LogitsRouteChoice): Promise<Engine> {
        const route = await selectLogitsRoute(choice, this.context, this.vocabSize, this.forkMinGain);
        for (const s of this.sequences) await s.clear();
        return new Engine(this.llama, this.model, this.context, route, this.info.threads, this.info.modelPath, this.contextLimit, this.forkMinGain, this.sequences.map((s) => s.raw));
    }

    /** Prompt tokens, with BOS first when the model asks for it. "" gives [BOS] (or [] if the model has none). */
    tokenize(text: string): number[] {
        const tokens: number[] = [];
        const bos = this.model.tokens.bos;
        if (this.model.tokens.shouldPrependBosToken && bos !== null) tokens.push(bos);
        if (text.length === 0) return tokens;
        // No spread: a megabyte prompt is hundreds of thousands of tokens, past the argument limit.
        const body = this.model.tokenize(text, false);
        return tokens.length === 0 ? body.slice() : tokens.concat(body);
    }

    /** Text of `tokens` (special tokens not rendered), given the tokens before them for spacing. */
    detokenize(tokens: readonly number[], before: readonly number[] = []): string {
        return this.model.detokenize(tokens as Token[], false, before as Token[]);
    }

    /** Text of one token as it would appear after `before`, special tokens rendered (raw: may hold U+FFFD). */
    tokenPiece(id: number, before: readonly number[] = []): string {
        // llama.cpp aborts the process on an id outside the vocabulary: never hand it one.
        if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) throw new RangeError(`token id ${id} is outside the vocabulary (0 to ${this.vocabSize - 1})`);
        const special = this.model.isSpecialToken(id as Token);
        return this.model.detokenize([id as Token], special, before.slice(-4) as Token[]);
    }

    /**
     * Text of one token for display (explain, --top-logprobs): as tokenPiece, except that a token
     * holding part of a multi-byte character shows its bytes as escapes ("\xF0\x9F") instead of U+FFFD.
     */
    tokenText(id: number, before: readonly number[] = []): string {
        const text = this.tokenPiece(id, before);
        if (!text.includes("\uFFFD")) return text;
        const stored = this.vocabularyStrings()[id];
        const bytes = stored === undefined ? undefined : pieceBytes(this.kind, stored);
        if (bytes === undefined || bytes.length === 0) return text;
        // A real U+FFFD in the vocabulary (EF BF BD) stays as it is.
        return readableBytes(bytes);
    }

    private strings?: readonly string[];
    private get kind(): VocabularyKind {
        return vocabularyKind(this.model.fileInfo.metadata?.tokenizer?.ggml?.model);
    }

    private vocabularyStrings(): readonly string[] {
        this.strings ??= (this.model.fileInfo.metadata?.tokenizer?.ggml?.tokens as readonly string[] | undefined) ?? [];
        return this.strings;
    }

    /**
     * End-of-generation tokens (EOS, EOT…), and BOS: a generated BOS starts a new document, which
     * is how llama2.c-style TinyStories models end a story (they never emit EOS).
     */
    isEndOfGeneration(token: number): boolean {
        return this.model.isEogToken(token as Token) || token === this.model.tokens.bos || this.endOfTurn.has(token);
    }

    /** Extra end tokens: the chat template's end-of-turn tokens, set by chatPrompt. */
    private readonly endOfTurn = new Set<number>();

    /** Does the model file carry a chat template (GGUF tokenizer.chat_template)? */
    get hasChatTemplate(): boolean {
        const template = this.model.fileInfo.metadata?.tokenizer?.chat_template;
        return typeof template === "string" && template.length > 0;
    }

    /**
     * The prompt as one user turn (after an optional system message) in the model's own chat
     * template, resolved by node-llama-cpp (its specialised wrapper for known templates, else the
     * Jinja template itself), ending where the assistant's reply starts. The template's end-of-turn
     * tokens end generation from now on; its textual stop triggers are returned for the stop matcher.
     */
    async chatPrompt(messages: readonly ChatMessage[]): Promise<{tokens: number[]; stops: string[]; template: string}> {
        if (!this.hasChatTemplate) throw new UsageError(`${this.info.modelPath} has no chat template (GGUF tokenizer.chat_template); drop --chat and write the prompt in the model's own format`);
        const {resolveChatWrapper} = await import("node-llama-cpp");
        const wrapper = resolveChatWrapper(this.model);
        const history: ChatHistoryItem[] = [
            ...messages.map((m): ChatHistoryItem => (m.role === "assistant" ? {type: "model", response: [m.text]} : {type: m.role, text: m.text})),
            {type: "model", response: []}
        ];
        const state = wrapper.generateContextState({chatHistory: history});
        const tokens = [...state.contextText.tokenize(this.model.tokenizer)] as number[];
        const stops: string[] = [];
        for (const trigger of state.stopGenerationTriggers) {
            const parts = trigger.toJSON();
            const list = Array.isArray(parts) ? parts : [parts];
            if (list.every((x) => typeof x === "string")) {
                const text = list.join("");
                if (text.length > 0 && !stops.includes(text)) stops.push(text);
                continue;
            }
            const ids = trigger.tokenize(this.model.tokenizer);
            if (ids.length === 1) this.endOfTurn.add(ids[0]!);
        }
        return {tokens, stops, template: wrapper.wrapperName};
    }

    /** Text of tokens with special tokens rendered ("<|start_header_id|>"…): what the model was fed. */
    renderTokens(tokens: readonly number[]): string {
        return this.model.detokenize(tokens as Token[], true);
    }

    get bos(): number | null {
        return this.model.tokens.bos;
    }

    /** An incremental UTF-8-safe detokenizer, primed with the tokens that came before. */
    streamDecoder(before: readonly number[]): StreamDecoder {
        return new StreamDecoder((tokens, prev) => this.detokenize(tokens, prev), before);
    }

    /** Check a prompt fits: it plus at least one generated token must fit in the context. */
    checkPromptFits(promptTokens: readonly number[]): void {
        if (promptTokens.length >= this.info.contextSize)
            throw new UsageError(`the prompt is ${promptTokens.length} tokens but the context holds ${this.info.contextSize}; shorten it or raise --ctx-size (the model was trained on ${this.info.trainContextSize})`);
    }

    async dispose(): Promise<void> {
        await this.context.dispose().catch(() => undefined);
        await this.model.dispose().catch(() => undefined);
        await this.llama.dispose().catch(() => undefined);
    }
}

function vocabularySize(model: LlamaModel): number {
    const tokens = model.fileInfo.metadata?.tokenizer?.ggml?.tokens;
    if (Array.isArray(tokens) && tokens.length > 0) return tokens.length;
    throw new RuntimeError("the model file has no tokenizer vocabulary (tokenizer.ggml.tokens); it cannot generate text");
}
