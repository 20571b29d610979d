/**
 * Diversity and degeneration measures over token sequences (of words or of model tokens).
 *
 * distinct-n (Li et al., 2016): unique n-grams / all n-grams, pooled over every sample.
 * Repetition (Holtzman et al., 2019, "The Curious Case of Neural Text Degeneration", §4.2 / Table 1):
 * a generation is repetitive when it ends in a phrase of at least 2 tokens repeated at least 3 times
 * back to back.
 */

/** The n-grams of `seq` as joinable keys ("\u0001"-separated), in order. */
export function ngrams<T>(seq: readonly T[], n: number): string[] {
    const out: string[] = [];
    for (let i = 0; i + n <= seq.length; i++) out.push(seq.slice(i, i + n).map(String).join("\u0001"));
    return out;
}

/**
 * distinct-n over all samples pooled: |unique n-grams| / |n-grams|. Undefined (null) when no sample
 * has n tokens.
 */
export function distinctN<T>(samples: ReadonlyArray<readonly T[]>, n: number): number | null {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer ≥ 1, got ${n}`);
    const unique = new Set<string>();
    let total = 0;
    for (const s of samples) {
        for (const g of ngrams(s, n)) {
            unique.add(g);
            total++;
        }
    }
    return total === 0 ? null : unique.size / total;
}

/**
 * The phrase length L (≥ minPhrase) of the shortest phrase that `seq` ends in, repeated ≥ minRepeats
 * times back to back; 0 when there is none. "a b a b a b" ends in "a b" × 3 → 2.
 */
export function trailingRepetition<T>(seq: readonly T[], minPhrase = 2, minRepeats = 3): number {
    const n = seq.length;
    for (let len = minPhrase; len * minRepeats <= n; len++) {
        let ok = true;
        for (let k = 1; k < minRepeats && ok; k++) {
            for (let j = 0; j < len; j++) {
                if (seq[n - 1 - j] !== seq[n - 1 - j - k * len]) {
                    ok = false;
                    break;
                }
            }
        }
        if (ok) return len;
    }
    return 0;
}

/** Does `seq` end in a phrase of ≥ 2 tokens repeated ≥ 3 times? */
export function endsInRepetition<T>(seq: readonly T[], minPhrase = 2, minRepeats = 3): boolean {
    return trailingRepetition(seq, minPhrase, minRepeats) > 0;
}

/** Share of samples that end in a repetition loop (0..1); null for no samples. */
export function repetitionRate<T>(samples: ReadonlyArray<readonly T[]>, minPhrase = 2, minRepeats = 3): number | null {
    if (samples.length === 0) return null;
    let count = 0;
    for (const s of samples) if (endsInRepetition(s, minPhrase, minRepeats)) count++;
    return count / samples.length;
}
