/**
 * Scoring an existing text: the log-probability of every token under the model given everything
 * before it (`llmgen score`). The text is evaluated in batches with logits for every position
 * (EngineSequence.logitsEach), never one decode per token.
 *
 * Texts longer than the window are scored in overlapping windows, the strided evaluation of
 * llama.cpp's perplexity tool (--ppl-stride) and of Hugging Face's "perplexity of fixed-length
 * models": the first window scores all its tokens; each further window ends `stride` tokens after
 * the previous one, scores only those `stride` new tokens and gives them the `window − stride` tokens
 * before as context (after BOS, when the model wants one: every window starts with it, as in
 * llama.cpp). Every token is scored exactly once.
 */
import type {EngineSequence} from "../engine/engine.js";
import {logSumExp, topIds} from "./logprobs.js";

/** What scoring needs of the engine (Engine satisfies it). */
export interface ScoringEngine {
    readonly sequences: readonly EngineSequence[];
    readonly bos: number | null;
    tokenText(id: number, before?: readonly number[]): string;
    /** An incremental UTF-8-safe detokenizer (Engine.streamDecoder). */
    streamDecoder(before: readonly number[]): {push(token: number): string; flush(): string};
}

export interface ScoreOptions {
    /** Every token fed: BOS (when the model wants it), the unscored prompt, then the scored text. */
    tokens: readonly number[];
    /** Index of the first scored token (≥ 1: a token needs something before it). */
    scoreFrom: number;
    /** Tokens per evaluation window (at most the context size). */
    window: number;
    /** New tokens scored per window after the first (1 ≤ stride < window; default window / 2). */
    stride?: number;
    /** Also report the n most probable tokens at every position. */
    topLogprobs?: number;
    /** Prepend this token to every window after the first (the model's BOS), as llama.cpp does. */
    windowStart?: number | null;
    signal?: AbortSignal;
    /** Each scored token, in order, as soon as it is known. */
    onToken?(token: ScoredToken): void;
}

export interface ScoredAlternative {
    id: number;
    text: string;
    logprob: number;
}

export interface ScoredToken {
    /** 0, 1, 2…: the token's place among the scored tokens. */
    index: number;
    id: number;
    /** The token's text for display (a partial UTF-8 character shows as byte escapes). */
    text: string;
    /**
     * The text this token adds to the output, UTF-8 safe: "" for a token holding the first bytes of
     * a character, whose text then comes with the token that completes it.
     */
    piece: string;
    /** log p(token | everything before it), natural log. */
    logprob: number;
    top?: ScoredAlternative[];
}

export interface ScoreResult {
    tokens: ScoredToken[];
    /** Mean log-probability per scored token. */
    logprob: number;
    /** exp(−mean log-probability). */
    perplexity: number;
    /** Evaluation windows used (1 when the text fits). */
    windows: number;
    /** Stopped by the signal: `tokens` holds what was scored before. */
    interrupted: boolean;
}

/** A window: the positions of `tokens` it evaluates, and which of them it scores. */
export interface ScoreWindow {
    /** Positions of the whole token list evaluated, in order (BOS first in later windows, when used). */
    positions: number[];
    /** Scored positions are positions[firstScored…]. */
    firstScored: number;
}

/**
 * The windows for `n` tokens, scoring positions from `scoreFrom` on (see the module comment).
 * Windows after the first start with position 0 (BOS) when `withStart` is true.
 */
export function scoreWindows(n: number, scoreFrom: number, window: number, stride: number, withStart: boolean): ScoreWindow[] {
    if (!(Number.isInteger(window) && window >= 2)) throw new RangeError(`window must be an integer ≥ 2, got ${window}`);
    const body = withStart ? window - 1 : window;
    if (!(Number.isInteger(stride) && stride >= 1 && stride < body)) throw new RangeError(`stride must be an integer from 1 to ${body - 1}, got ${stride}`);
    const from = Math.max(1, scoreFrom);
    const out: ScoreWindow[] = [];
    if (n <= window) {
        if (from < n) out.push({positions: range(0, n), firstScored: from});
        return out;
    }
    let end = window;
    if (from < end) out.push({positions: range(0, end), firstScored: from});
    while (end < n) {
        const next = Math.min(n, end + stride);
        const start = next - body;
        const firstScoredPosition = Math.max(end, from);
        if (firstScoredPosition < next) {
            const positions = withStart ? [0, ...range(start, next)] : range(start, next);
            out.push({positions, firstScored: positions.indexOf(firstScoredPosition)});
        }
        end = next;
    }
    return out;
}

function range(a: number, b: number): number[] {
    const out = new Array<number>(Math.max(0, b - a));
    for (let i = a; i < b; i++) out[i - a] = i;
    return out;
}

export async function scoreText(engine: ScoringEngine, opts: ScoreOptions): Promise<ScoreResult> {
    const tokens = opts.tokens;
    const withStart = opts.windowStart !== undefined && opts.windowStart !== null && tokens[0] === opts.windowStart;
    const stride = opts.stride ?? Math.max(1, Math.floor((withStart ? opts.window - 1 : opts.window) / 2));
    const windows = scoreWindows(tokens.length, opts.scoreFrom, opts.window, stride, withStart);
    const sequence = engine.sequences[0]!;
    const scored: ScoredToken[] = [];
    const first = Math.max(1, opts.scoreFrom);
    const decoder = engine.streamDecoder(tokens.slice(Math.max(0, first - 4), first));
    let sum = 0;
    let interrupted = false;
    for (const w of windows) {
        if (opts.signal?.aborted) {
            interrupted = true;
            break;
        }
        // The last token's own logits are not needed: nothing follows it.
        const history = w.positions.slice(0, -1).map((p) => tokens[p]!);
        await sequence.logitsEach(history, w.firstScored - 1, (i, logits) => {
            const position = w.positions[i + 1]!;
            const id = tokens[position]!;
            const lse = logSumExp(logits);
            const logprob = logits[id]! - lse;
            const before = tokens.slice(Math.max(0, position - 4), position);
            const token: ScoredToken = {index: scored.length, id, text: engine.tokenText(id, before), piece: decoder.push(id), logprob};
            if (opts.topLogprobs !== undefined && opts.topLogprobs > 0)
                token.top = topIds(logits, opts.topLogprobs).map((t) => ({id: t, text: engine.tokenText(t, before), logprob: logits[t]! - lse}));
            sum += logprob;
            scored.push(token);
            opts.onToken?.(token);
        }, opts.signal);
    }
    const expected = windows.reduce((n, w) => n + w.positions.length - w.firstScored, 0);
    if (scored.length < expected) interrupted = true;
    const tail = decoder.flush();
    if (tail.length > 0 && scored.length > 0) scored[scored.length - 1]!.piece += tail;
    const mean = scored.length === 0 ? 0 : sum / scored.length;
    return {tokens: scored, logprob: mean, perplexity: Math.exp(-mean), windows: windows.length, interrupted};
}
