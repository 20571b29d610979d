/**
 * Incremental detokenizer for streaming: never emits U+FFFD for a multi-byte character split across
 * tokens, and keeps SentencePiece leading spaces by detokenizing each piece after the tokens that
 * came before it.
 */
const REPLACEMENT = "\uFFFD";
/** A UTF-8 character spans at most 4 byte-fallback tokens. */
const MAX_HELD = 4;
/** How many earlier tokens give the detokenizer its spacing context. */
const CONTEXT = 4;

export type Detokenize = (tokens: readonly number[], before: readonly number[]) => string;

export class StreamDecoder {
    private pending: number[] = [];
    private context: number[];

    constructor(private readonly detokenize: Detokenize, before: readonly number[]) {
        this.context = before.slice(-CONTEXT);
    }

    /** Add one token; returns the text it completes ("" while a character is still incomplete). */
    push(token: number): string {
        this.pending.push(token);
        const text = this.detokenize(this.pending, this.context);
        if (text.endsWith(REPLACEMENT) && this.pending.length < MAX_HELD) return "";
        this.commit();
        return text;
    }

    /** Whatever is still held back (at the end of generation). */
    flush(): string {
        if (this.pending.length === 0) return "";
        const text = this.detokenize(this.pending, this.context);
        this.commit();
        return text;
    }

    private commit(): void {
        this.context = [...this.context, ...this.pending].slice(-CONTEXT);
        this.pending = [];
    }
}
