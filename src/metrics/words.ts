/**
 * Word segmentation for the text-diversity metrics (distinct-n, self-BLEU): runs of letters, marks,
 * digits and apostrophes are words, every other non-space character is a token of its own
 * (punctuation), the way NLTK's word tokenizer treats English. Case is kept.
 */
const WORD = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;

export function words(text: string): string[] {
    return text.match(WORD) ?? [];
}
