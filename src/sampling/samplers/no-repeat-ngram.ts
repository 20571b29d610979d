import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler, StepContext} from "../types.js";
import {marksFor, removeMarked, type TokenMarks} from "./shared.js";

/**
 * No-repeat n-gram N (Hugging Face's NoRepeatNGramLogitsProcessor / `no_repeat_ngram_size`, from
 * fairseq): a token that would complete an N-gram already present in the history is banned. The
 * history is ctx.history — the prompt (BOS included) and the generated tokens, as Hugging Face,
 * whose input_ids include the prompt. N = 1 bans every token seen so far. Banned tokens are removed
 * from the set (Hugging Face sets them to −∞); if every candidate is banned, the step fails with a
 * RuntimeError rather than drawing a banned token.
 *
 * O(history · N) per step: one scan for the occurrences of the last N − 1 tokens, then one pass over
 * the candidates when something is banned. Removing tokens is shift-invariant: exact on both routes.
 */
export class NoRepeatNgramSampler implements Sampler {
    static readonly NAME = "no-repeat-ngram";
    readonly name = NoRepeatNgramSampler.NAME;
    readonly spec: string;
    /** How many distinct tokens the last step banned (for tests and inspection). */
    lastBanned = 0;
    private marks?: TokenMarks;

    constructor(readonly n: number) {
        if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`no-repeat-ngram must be an integer >= 1, got ${n}`);
        this.spec = formatSpec(NoRepeatNgramSampler.NAME, [n]);
    }

    apply(c: Candidates, ctx: StepContext): void {
        const h = ctx.history;
        const len = h.length;
        const n = this.n;
        this.lastBanned = 0;
        if (len < n) return; // no complete n-gram in the history yet
        const marks = (this.marks = marksFor(this.marks, c.capacity));
        marks.next();
        const prefix = len - (n - 1); // the last n − 1 tokens start here
        let banned = 0;
        for (let j = 0; j + n <= len; j++) {
            let match = true;
            for (let k = 0; k < n - 1; k++) {
                if (h[j + k] !== h[prefix + k]) {
                    match = false;
                    break;
                }
            }
            if (!match) continue;
            const t = h[j + n - 1];
            if (t >= 0 && t < marks.capacity && !marks.has(t)) {
                marks.mark(t);
                banned++;
            }
        }
        this.lastBanned = banned;
        if (banned === 0) return;
        removeMarked(c, marks, `no-repeat-ngram=${n}`);
    }
}

