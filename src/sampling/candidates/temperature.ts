/**
 * Lazy (deferred) temperature: the float32 rounding arithmetic of working before a pending division
 * by t > 0 is applied. Division by t is monotone, so order-only work (argmax, top-k selection) can run
 * on the stored logits and only the survivors need dividing. The one difference from dividing first —
 * distinct logits whose float32 quotients round to the same value, a tie then broken by id — is
 * handled by comparing the quotients themselves, skipping every stored value below quotientFloor of
 * the best quotient so far.
 *
 * Who does what: the pending divisor is state of the candidate set (set.ts), which applies it
 * (settle) and runs the argmax under it; the heap scan under it lives with the heap (select.ts). Those
 * loops stay methods over their owners' buffers on purpose: moved here as free functions taking the
 * buffers as arguments they measured 5–12% slower, and a small settle gets inlined by V8 into every
 * `logits` read. prevFloat32 sits here, not with the key packing, because quotientFloor calls it in the
 * heap's scan: across a module boundary it is not inlined (5% on temperature,top-k).
 */

/** Above this a float64 quotient may round to ±∞ when stored as float32. */
export const FLOAT32_SAFE = 1e38;
/** 2^128 − 2^103: float64 quotients at or above it round to +∞ in float32. */
const FLOAT32_OVERFLOW = 3.4028235677973366e38;

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The largest float32 below the float32 s (s > −∞). */
function prevFloat32(s: number): number {
    if (s === 0) return -1.401298464324817e-45;
    F32[0] = s;
    if (s > 0) U32[0]--;
    else U32[0]++;
    return F32[0];
}

/**
 * A float64 bound under which no stored value x can have a float32 quotient fround(x / t) ≥ q (q a
 * float32 quotient, t > 0): quotients below the midpoint between q and the float32 just under it
 * round below q, and the bound stays a little under midpoint · t to absorb the rounding of the
 * float64 products and quotients. Conservative: values above it are checked exactly.
 */
export function quotientFloor(q: number, t: number): number {
    if (!(q > -Infinity)) return -Infinity;
    const prev = prevFloat32(q);
    if (prev === -Infinity) return -Infinity;
    const mid = q === Infinity ? FLOAT32_OVERFLOW : (q + prev) / 2;
    const bound = mid * t;
    return bound - Math.abs(bound) * 2 ** -50 - Number.MIN_VALUE;
}
