/**
 * The bytes behind a vocabulary entry, and a readable rendering of them. Byte-level BPE vocabularies
 * (GPT-2 style: Llama 3, Qwen…) store each token as its bytes mapped one-to-one onto printable
 * characters ("Ġ" is a space); SentencePiece vocabularies store text with "▁" for a space and
 * byte-fallback tokens as "<0xNN>". A token may hold only part of a multi-byte UTF-8 character:
 * decoding it alone gives U+FFFD, so it is shown as escapes ("\xF0\x9F") instead.
 */

/** GPT-2's bytes_to_unicode, inverted: printable character → byte. */
const BYTE_OF_CHAR: ReadonlyMap<string, number> = (() => {
    const printable: number[] = [];
    for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
    for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
    for (let b = 0xae; b <= 0xff; b++) printable.push(b);
    const map = new Map<string, number>();
    for (const b of printable) map.set(String.fromCodePoint(b), b);
    let n = 0;
    for (let b = 0; b < 256; b++) {
        if (printable.includes(b)) continue;
        map.set(String.fromCodePoint(256 + n), b);
        n++;
    }
    return map;
})();

export type VocabularyKind = "byte-bpe" | "spm" | "other";

/** The kind of vocabulary from GGUF's tokenizer.ggml.model. */
export function vocabularyKind(tokenizerModel: unknown): VocabularyKind {
    if (tokenizerModel === "gpt2") return "byte-bpe";
    if (tokenizerModel === "llama") return "spm";
    return "other";
}

/**
 * The bytes of one vocabulary entry (its text as stored in the GGUF), or undefined when the entry
 * is not a plain piece (a control token, or a BPE entry with characters outside the byte map).
 */
export function pieceBytes(kind: VocabularyKind, stored: string): Uint8Array | undefined {
    if (kind === "byte-bpe") {
        const out: number[] = [];
        for (const ch of stored) {
            const b = BYTE_OF_CHAR.get(ch);
            if (b === undefined) return undefined;
            out.push(b);
        }
        return Uint8Array.from(out);
    }
    if (kind === "spm") {
        const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(stored);
        if (m) return Uint8Array.of(parseInt(m[1]!, 16));
        return new TextEncoder().encode(stored.replaceAll("▁", " "));
    }
    return undefined;
}

function sequenceLength(lead: number): number {
    if (lead < 0x80) return 1;
    if (lead >= 0xc2 && lead <= 0xdf) return 2;
    if (lead >= 0xe0 && lead <= 0xef) return 3;
    if (lead >= 0xf0 && lead <= 0xf4) return 4;
    return 0;
}

const hex = (b: number): string => `\\x${b.toString(16).toUpperCase().padStart(2, "0")}`;

/**
 * Bytes as text: every complete, valid UTF-8 character as itself, every other byte (a lead byte
 * without its continuation, a stray continuation byte) as a "\xNN" escape.
 */
export function readableBytes(bytes: Uint8Array): string {
    const decoder = new TextDecoder("utf-8", {fatal: true});
    let out = "";
    let i = 0;
    while (i < bytes.length) {
        const len = sequenceLength(bytes[i]!);
        if (len > 0 && i + len <= bytes.length) {
            try {
                out += decoder.decode(bytes.subarray(i, i + len));
                i += len;
                continue;
            } catch {
                // invalid sequence: escape its first byte and go on
            }
        }
        out += hex(bytes[i]!);
        i++;
    }
    return out;
}
