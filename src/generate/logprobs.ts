/**
 * Quantities of the model's unmodified next-token distribution, from a logits vector known up to an
 * additive constant: log-softmax, entropy, top alternatives. Natural logs. The exponentials use the
 * sampling core's table-based exp (within a few ulp, ≈2× faster than Math.exp).
 */
import {expNonPos} from "../sampling/index.js";

/** log Σ exp(x), stable; −Infinity entries contribute nothing. */
export function logSumExp(logits: Float32Array): number {
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
    if (max === -Infinity) return -Infinity;
    let sum = 0;
    for (let i = 0; i < logits.length; i++) sum += expNonPos(logits[i]! - max);
    return max + Math.log(sum);
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

/** The n most probable token ids (probability desc, ties by lower id), by a bounded insertion scan. */
export function topIds(logits: Float32Array, n: number): number[] {
    const ids: number[] = [];
    if (n <= 0) return ids;
    for (let i = 0; i < logits.length; i++) {
        const v = logits[i]!;
        if (ids.length === n && !(v > logits[ids[n - 1]!]!)) continue;
        let pos = ids.length === n ? n - 1 : ids.length;
        while (pos > 0 && logits[ids[pos - 1]!]! < v) pos--;
        ids.splice(pos, 0, i);
        if (ids.length > n) ids.pop();
    }
    return ids;
}
