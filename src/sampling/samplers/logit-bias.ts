import {UsageError} from "../../errors.js";
import type {Candidates} from "../candidates/set.js";
import {formatNumber} from "../spec.js";
import type {Sampler, StepContext, Vocabulary} from "../types.js";
import {marksFor, removeMarked, type TokenMarks, visitTokens} from "./shared.js";

/** One entry: a token id or a text, and the bias added to the logit (−∞ bans). */
export interface LogitBiasEntry {
    readonly key: number | string;
    readonly bias: number;
}

/** The resolved biases: distinct token ids and the sum of the biases aimed at each. */
export interface ResolvedBias {
    readonly ids: Int32Array;
    readonly biases: Float64Array;
    /** For each entry, the tokens it resolved to. */
    readonly tokensOf: readonly (readonly number[])[];
}

/** "-inf" for −∞, the minimal number otherwise. */
export function formatBias(bias: number): string {
    return bias === -Infinity ? "-inf" : formatNumber(bias);
}

/**
 * Logit bias (llama.cpp `--logit-bias`, OpenAI's logit_bias, llama.cpp server's text form): add a
 * bias to the logit of given tokens; −inf bans the token (it is removed from the set). A key is a
 * token id, or a text: the text is tokenized as written (no BOS; through ctx.vocabulary) and every
 * token of it gets the bias, as llama.cpp's server does. Biases aimed at the same token add up.
 *
 * Spec: logit-bias(29=-5;"the"=-5;1034=-inf) — texts are JSON strings. Additive, so exact on both
 * logits routes. A ban that would leave no candidate is a RuntimeError.
 */
export class LogitBiasSampler implements Sampler {
    static readonly NAME = "logit-bias";
    readonly name = LogitBiasSampler.NAME;
    readonly spec: string;
    private cache?: {vocabulary: Vocabulary | undefined; capacity: number; resolved: ResolvedBias};
    private marks?: TokenMarks;

    constructor(readonly entries: readonly LogitBiasEntry[]) {
        if (entries.length === 0) throw new RangeError("logit-bias needs at least one token=bias entry");
        for (const e of entries) {
            if (!(Number.isFinite(e.bias) || e.bias === -Infinity)) throw new RangeError(`logit-bias bias must be a finite number or -inf, got ${e.bias}`);
            if (typeof e.key === "number" && !(Number.isSafeInteger(e.key) && e.key >= 0)) throw new RangeError(`logit-bias token id must be an integer >= 0, got ${e.key}`);
            if (typeof e.key === "string" && e.key.length === 0) throw new RangeError("logit-bias text must not be empty");
        }
        this.spec = `${LogitBiasSampler.NAME}(${entries.map((e) => `${typeof e.key === "number" ? e.key : JSON.stringify(e.key)}=${formatBias(e.bias)}`).join(";")})`;
    }

    /** Does any entry need the tokenizer? */
    get needsVocabulary(): boolean {
        return this.entries.some((e) => typeof e.key === "string");
    }

    /**
     * Token ids and summed biases for a vocabulary of `capacity` tokens. UsageError for an id outside
     * the vocabulary or a text that gives no token; Error when a text needs a vocabulary and none is given.
     */
    resolve(vocabulary: Vocabulary | undefined, capacity: number): ResolvedBias {
        const cached = this.cache;
        if (cached !== undefined && cached.vocabulary === vocabulary && cached.capacity === capacity) return cached.resolved;
        const sums = new Map<number, number>();
        const tokensOf: number[][] = [];
        for (const e of this.entries) {
            let tokens: number[];
            if (typeof e.key === "number") {
                if (e.key >= capacity) throw new UsageError(`logit-bias token ${e.key} is outside the vocabulary (ids 0 to ${capacity - 1})`);
                tokens = [e.key];
            } else {
                if (vocabulary === undefined) throw new Error(`logit-bias by text (${JSON.stringify(e.key)}) needs the model's vocabulary (StepContext.vocabulary)`);
                tokens = [...new Set(vocabulary.tokenize(e.key))];
                if (tokens.length === 0) throw new UsageError(`logit-bias text ${JSON.stringify(e.key)} gives no token with this model`);
                for (const t of tokens) {
                    if (!(t >= 0 && t < capacity)) throw new Error(`the tokenizer returned token ${t} outside the vocabulary`);
                }
            }
            tokensOf.push(tokens);
            for (const t of tokens) sums.set(t, (sums.get(t) ?? 0) + e.bias);
        }
        const ids = Int32Array.from(sums.keys());
        const biases = Float64Array.from(sums.values());
        const resolved = {ids, biases, tokensOf};
        this.cache = {vocabulary, capacity, resolved};
        return resolved;
    }

    apply(c: Candidates, ctx: StepContext): void {
        const {ids, biases} = this.resolve(ctx.vocabulary, c.capacity);
        this.marks = marksFor(this.marks, c.capacity);
        const lg = c.logits;
        let banned = 0;
        visitTokens(c, ids, ids.length, this.marks, (i, k) => {
            const b = biases[k];
            if (b === -Infinity) banned++;
            else lg[i] += b;
        });
        c.markUnsorted();
        if (banned === 0) return;
        const marks = this.marks;
        marks.next();
        for (let k = 0; k < ids.length; k++) if (biases[k] === -Infinity) marks.mark(ids[k]);
        removeMarked(c, marks, "logit-bias");
    }
}
