/**
 * Quantities of the model's unmodified next-token distribution, from a logits vector known up to an
 * additive constant: log-softmax, entropy, top alternatives. Natural logs. The exponentials use the
 * sampling core's table-based exp (within a few ulp, ≈2× faster than Math.exp).
 */
import {Candidates, expNonPos} from "../sampling/index.js";
import {expShiftedSum} from "../sampling/exp.js";

/**
 * log Σ exp(x), stable; −Infinity entries contribute nothing. One max pass (four independent
 * maxima) and one summing pass of the table exp, nothing stored.
 */
export function logSumExp(logits: Float32Array): number {
    const n = logits.length;
    let m0 = -Infinity;
    let m1 = -Infinity;
    let m2 = -Infinity;
    let m3 = -Infinity;
    let i = 0;
    for (; i < (n & 3); i++) if (logits[i]! > m0) m0 = logits[i]!;
    for (; i < n; i += 4) {
        const x0 = logits[i]!;
        const x1 = logits[i + 1]!;
        const x2 = logits[i + 2]!;
        const x3 = logits[i + 3]!;
        if (x0 > m0) m0 = x0;
        if (x1 > m1) m1 = x1;
        if (x2 > m2) m2 = x2;
        if (x3 > m3) m3 = x3;
    }
    const max = Math.max(m0, m1, m2, m3);
    if (max === -Infinity) return -Infinity;
    if (max === Infinity) return Infinity;
    return max + Math.log(expShiftedSum(logits, max, 0, n));
}

/** Entropy (nats) of softmax(logits), given lse = logSumExp(logits). */
export function entropy(logits: Float32Array, lse: number): number {
    let h = 0;
    for (let i = 0; i < logits.length; i++) {
        const lp = logits[i]! - lse;
        if (lp > -Infinity) h -= expNonPos(lp) * lp;
    }
    return h;
}

/** Scratch for topIds, grown to the largest vocabulary seen (reused: no per-call vocabulary-sized allocation). */
let scratch: Candidates | undefined;

/**
 * The n most probable token ids (probability desc, ties by lower id): the sampling core's partial
 * selection (a bounded heap scan), never a full sort unless n ≥ the vocabulary.
 */
export function topIds(logits: Float32Array, n: number): number[] {
    if (n <= 0 || logits.length === 0) return [];
    if (scratch === undefined || scratch.capacity < logits.length) scratch = new Candidates(logits.length);
    scratch.load(logits);
    const k = Math.min(n, logits.length);
    scratch.selectTop(k);
    return Array.from(scratch.ids.subarray(0, k));
}
