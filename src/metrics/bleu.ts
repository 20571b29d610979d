/**
 * BLEU (Papineni et al., 2002) and Self-BLEU (Zhu et al., 2018, Texygen), as NLTK's sentence_bleu
 * computes them with Texygen's choice of smoothing (Chen & Cherry "method 1": a modified precision
 * with no matching n-gram counts as ε = 0.1 matches).
 *
 * Self-BLEU-N of a set of samples: the mean over samples of BLEU-N of that sample against all the
 * others as references. 1 = every sample repeats the others; near 0 = they share no n-grams.
 */
import {ngrams} from "./diversity.js";

export const SMOOTHING_EPSILON = 0.1;

function counts(keys: readonly string[]): Map<string, number> {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
}

/**
 * Sentence BLEU with uniform weights 1/maxN, clipped counts against several references, the
 * brevity penalty against the closest reference length (ties → shorter), and method-1 smoothing.
 * 0 when the hypothesis is empty or shares no unigram with any reference.
 */
export function bleu<T>(hypothesis: readonly T[], references: ReadonlyArray<readonly T[]>, maxN = 4): number {
    if (hypothesis.length === 0 || references.length === 0) return 0;
    const logPrecisions: number[] = [];
    for (let n = 1; n <= maxN; n++) {
        const hyp = counts(ngrams(hypothesis, n));
        const maxRef = new Map<string, number>();
        for (const ref of references) {
            for (const [g, c] of counts(ngrams(ref, n))) if (c > (maxRef.get(g) ?? 0)) maxRef.set(g, c);
        }
        let matched = 0;
        let total = 0;
        for (const [g, c] of hyp) {
            matched += Math.min(c, maxRef.get(g) ?? 0);
            total += c;
        }
        if (n === 1 && matched === 0) return 0;
        const denominator = Math.max(1, total);
        const precision = matched === 0 ? SMOOTHING_EPSILON / denominator : matched / denominator;
        logPrecisions.push(Math.log(precision));
    }
    const c = hypothesis.length;
    let r = references[0]!.length;
    for (const ref of references) {
        const d = Math.abs(ref.length - c);
        const best = Math.abs(r - c);
        if (d < best || (d === best && ref.length < r)) r = ref.length;
    }
    const bp = c > r ? 1 : Math.exp(1 - r / c);
    const mean = logPrecisions.reduce((a, b) => a + b, 0) / maxN;
    return bp * Math.exp(mean);
}

/** Self-BLEU-maxN; null with fewer than two samples. */
export function selfBleu<T>(samples: ReadonlyArray<readonly T[]>, maxN = 4): number | null {
    if (samples.length < 2) return null;
    let sum = 0;
    for (let i = 0; i < samples.length; i++) {
        const refs = samples.filter((_, j) => j !== i);
        sum += bleu(samples[i]!, refs, maxN);
    }
    return sum / samples.length;
}
