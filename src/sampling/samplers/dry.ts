import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler, StepContext, Vocabulary} from "../types.js";
import {marksFor, type TokenMarks, visitTokens} from "./shared.js";

/** llama.cpp's default DRY sequence breakers. */
export const DEFAULT_DRY_BREAKERS: readonly string[] = ["\n", ":", "\"", "*"];
/** llama.cpp truncates a breaker to 40 characters and its tokenized tail to 20 tokens. */
const MAX_BREAKER_CHARS = 40;
const MAX_TAIL_TOKENS = 20;
/** ln of the largest float32, llama.cpp's bound on base^exponent. */
const FLOAT_MAX_LOG = 88.7228391;

/**
 * Sequence breakers as llama.cpp processes them (get_overlapping_token_sequences, from koboldcpp):
 * for each token whose text contains a breaker, the token alone is a breaker (empty tail); for each
 * token whose text ends with a proper prefix of a breaker, the token followed by the tokenization of
 * the rest of the breaker (at most 20 tokens) is a breaker. `heads` maps a head token to its tails.
 * Texts are compared as JavaScript strings (UTF-16), llama.cpp compares bytes: the same for ASCII.
 */
export interface ProcessedBreakers {
    readonly heads: ReadonlyMap<number, readonly (readonly number[])[]>;
}

const EMPTY_BREAKERS: ProcessedBreakers = {heads: new Map()};
const processedCache = new WeakMap<Vocabulary, Map<string, ProcessedBreakers>>();
const piecesCache = new WeakMap<Vocabulary, string[]>();

function piecesOf(vocabulary: Vocabulary): string[] {
    let pieces = piecesCache.get(vocabulary);
    if (pieces === undefined) {
        pieces = new Array<string>(vocabulary.size);
        for (let id = 0; id < vocabulary.size; id++) pieces[id] = vocabulary.piece(id);
        piecesCache.set(vocabulary, pieces);
    }
    return pieces;
}

/** Process `breakers` against a vocabulary (memoised per vocabulary and breaker list). */
export function processSequenceBreakers(vocabulary: Vocabulary, breakers: readonly string[]): ProcessedBreakers {
    const key = JSON.stringify(breakers);
    let perVocabulary = processedCache.get(vocabulary);
    if (perVocabulary === undefined) processedCache.set(vocabulary, (perVocabulary = new Map()));
    const cached = perVocabulary.get(key);
    if (cached !== undefined) return cached;
    const heads = new Map<number, number[][]>();
    const add = (head: number, tail: number[]): void => {
        let tails = heads.get(head);
        if (tails === undefined) heads.set(head, (tails = []));
        if (!tails.some((t) => t.length === tail.length && t.every((x, i) => x === tail[i]))) tails.push(tail);
    };
    const pieces = breakers.some((b) => b.length > 0) ? piecesOf(vocabulary) : [];
    for (const raw of breakers) {
        if (raw.length === 0) continue;
        const str = raw.length > MAX_BREAKER_CHARS ? raw.slice(0, MAX_BREAKER_CHARS) : raw;
        for (let id = 0; id < pieces.length; id++) {
            const word = pieces[id];
            if (word.includes(str)) {
                add(id, []);
                continue;
            }
            // A suffix of the token's text that is a proper prefix of the breaker.
            for (let pos = word.indexOf(str[0]); pos >= 0; pos = word.indexOf(str[0], pos + 1)) {
                const matched = word.length - pos; // < str.length, since word does not contain str
                if (word.slice(pos) !== str.slice(0, matched)) continue;
                let tail = vocabulary.tokenize(str.slice(matched));
                if (tail.length > MAX_TAIL_TOKENS) tail = tail.slice(0, MAX_TAIL_TOKENS);
                add(id, tail);
            }
        }
    }
    const processed = {heads};
    perVocabulary.set(key, processed);
    return processed;
}

function sameBreakers(a: readonly string[], b: readonly string[]): boolean {
    return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * DRY, "don't repeat yourself" (p-e-w, text-generation-webui PR #5677; llama.cpp's dry sampler,
 * ported from koboldcpp), multiplier m, base b, allowed length a, window N, sequence breakers:
 * a token that would extend a repetition of length L ≥ a of an earlier part of the window gets its
 * logit lowered by m · b^(L − a) (the exponent capped so b^exp stays a finite float32). Repetitions
 * never reach back across a sequence breaker, and a token that is itself a single-token breaker is
 * never penalised.
 *
 * The window is the last N tokens of ctx.history — the prompt (BOS included) and the generated
 * tokens, as llama.cpp's hosts accept the prompt into the sampler; N = −1 is the whole history
 * (llama.cpp: the context size), N = 0 turns DRY off. The repeat lengths come from the Z-function of
 * the reversed window (O(N) per step), as in llama.cpp. Breakers given as text are processed against
 * ctx.vocabulary once per vocabulary. Subtracting a penalty is shift-invariant: exact on both routes.
 */
export class DrySampler implements Sampler {
    static readonly NAME = "dry";
    readonly name = DrySampler.NAME;
    readonly spec: string;
    readonly breakers: readonly string[];
    /** token → the longest repetition it would extend, at the last step (for tests and inspection). */
    readonly lastRepeats = new Map<number, number>();

    private z = new Int32Array(0);
    private window = new Int32Array(0);
    private marks?: TokenMarks;
    private targets = new Int32Array(0);
    private penalties = new Float64Array(0);

    constructor(
        readonly multiplier: number,
        readonly base: number,
        readonly allowedLength: number,
        readonly lastN: number,
        breakers: readonly string[] = DEFAULT_DRY_BREAKERS,
    ) {
        if (!(multiplier >= 0 && Number.isFinite(multiplier))) throw new RangeError(`dry multiplier must be a finite number >= 0, got ${multiplier}`);
        if (!(base >= 1 && Number.isFinite(base))) throw new RangeError(`dry base must be a finite number >= 1, got ${base}`);
        if (!Number.isSafeInteger(allowedLength) || allowedLength < 1) throw new RangeError(`dry allowed must be an integer >= 1, got ${allowedLength}`);
        if (!Number.isSafeInteger(lastN) || lastN < -1) throw new RangeError(`dry window must be an integer >= -1, got ${lastN}`);
        this.breakers = [...breakers];
        const values = formatSpec(DrySampler.NAME, [multiplier, base, allowedLength, lastN]);
        this.spec = sameBreakers(this.breakers, DEFAULT_DRY_BREAKERS) ? values : `${values}:${JSON.stringify(this.breakers)}`;
    }

    /** Does this unit need the model's vocabulary (to process text breakers)? */
    get needsVocabulary(): boolean {
        return this.multiplier !== 0 && this.lastN !== 0 && this.breakers.some((b) => b.length > 0);
    }

    /** The processed breakers for a vocabulary (Error when text breakers need one and none is given). */
    processed(vocabulary: Vocabulary | undefined): ProcessedBreakers {
        if (!this.breakers.some((b) => b.length > 0)) return EMPTY_BREAKERS;
        if (vocabulary === undefined) throw new Error("dry sequence breakers need the model's vocabulary (StepContext.vocabulary)");
        return processSequenceBreakers(vocabulary, this.breakers);
    }

    apply(c: Candidates, ctx: StepContext): void {
        this.lastRepeats.clear();
        if (this.multiplier === 0 || this.lastN === 0) return;
        const history = ctx.history;
        const length = this.lastN < 0 ? history.length : Math.min(history.length, this.lastN);
        const allowed = this.allowedLength;
        if (length <= allowed) return;
        const {heads} = this.processed(ctx.vocabulary);
        if (this.window.length < length) {
            this.window = new Int32Array(Math.max(64, 2 * length));
            this.z = new Int32Array(this.window.length);
        }
        // rev[k] = the k-th token from the end of the window.
        const rev = this.window;
        for (let k = 0; k < length; k++) rev[k] = history[history.length - 1 - k];

        // Step 1: the most recent sequence breaker limits how far back a repetition may reach.
        let repLimit = length;
        for (let i = 0; i < length; i++) {
            const tails = heads.get(rev[i]);
            if (tails === undefined) continue;
            let longest = -1;
            for (const tail of tails) {
                const len = tail.length;
                if (len <= longest || len > i) continue;
                let match = true;
                for (let o = 0; o < len; o++) {
                    if (tail[o] !== rev[i - o - 1]) {
                        match = false;
                        break;
                    }
                }
                if (match) longest = len;
            }
            if (longest >= 0) {
                repLimit = i - longest;
                break;
            }
        }
        if (repLimit < allowed) return;

        // Step 2: z[k] = longest common prefix of rev and rev[k..] (the Z-function), i.e. how many
        // tokens ending k positions before the end repeat the tokens at the very end.
        const z = this.z;
        z[0] = length;
        let left = 0;
        let right = 0; // [left, right) is the rightmost match window found so far
        for (let k = 1; k < length; k++) {
            let n = 0;
            if (k < right) n = Math.min(right - k, z[k - left]);
            while (k + n < length && rev[n] === rev[k + n]) n++;
            z[k] = n;
            if (k + n > right) {
                left = k;
                right = k + n;
            }
        }

        // Step 3: the token right after each repeated stretch would extend it.
        const marks = (this.marks = marksFor(this.marks, c.capacity));
        marks.next();
        if (this.targets.length < length) {
            this.targets = new Int32Array(length);
            this.penalties = new Float64Array(length);
        }
        const targets = this.targets;
        let count = 0;
        for (let k = 1; k < length; k++) {
            const repeat = Math.min(z[k], repLimit);
            if (repeat < allowed) continue;
            const token = rev[k - 1]; // the token following the stretch that ends k tokens before the end
            if (!(token >= 0 && token < marks.capacity)) continue;
            if (!marks.has(token)) {
                marks.mark(token, count);
                targets[count++] = token;
                this.lastRepeats.set(token, repeat);
            } else if (repeat > (this.lastRepeats.get(token) ?? 0)) {
                this.lastRepeats.set(token, repeat);
            }
        }
        if (count === 0) return;

        // Step 4: penalties (never on a single-token breaker).
        const maxExponent = this.base > 1.000001 ? Math.trunc(FLOAT_MAX_LOG / Math.log(this.base)) : 0;
        const penalties = this.penalties;
        let kept = 0;
        for (let k = 0; k < count; k++) {
            const token = targets[k];
            const tails = heads.get(token);
            if (tails !== undefined && tails.some((t) => t.length === 0)) continue;
            let exponent = this.lastRepeats.get(token)! - allowed;
            if (maxExponent > 0 && exponent > maxExponent) exponent = maxExponent;
            targets[kept] = token;
            penalties[kept] = this.multiplier * Math.pow(this.base, exponent);
            kept++;
        }
        if (kept === 0) return;
        const lg = c.logits;
        visitTokens(c, targets, kept, marks, (i, k) => {
            lg[i] -= penalties[k];
        });
        c.markUnsorted();
    }
}
