/**
 * A fast, deterministic exp for the sampling hot loops.
 *
 * Softmax over a 128k–256k vocabulary needs one exp per token per step, and V8's Math.exp is the
 * single largest cost there. `expNonPos` uses the classic table method:
 *
 *   x = (k·N + j)·ln2/N + r,  |r| ≤ ln2/(2N),  N = 2048
 *   exp(x) = 2^k · 2^(j/N) · e^r,  e^r ≈ 1 + r + r²/2 + r³/6  (truncation error < 4e-17)
 *
 * with a Cody–Waite split of ln2/N so the reduction is exact. Measured against Math.exp the relative
 * error is below 4 ulp (< 1e-15) over the whole range, which is far below the precision of the float32
 * logits it is applied to. Every operation is plain IEEE float64 arithmetic (the tables are built with
 * a Taylor series, not Math.exp/Math.pow), so results are bit-identical on every platform — seeded
 * draws do not depend on the host's libm.
 */

const N = 2048;
const LOG2_N = 11;
const MASK = N - 1;
const INV_LN2_N = N / Math.LN2;
/** fdlibm's ln2 split (ln2_hi has 32 trailing zero bits, so k·ln2_hi/N is exact for |k| < 2^20). */
const LN2_N_HI = 6.93147180369123816490e-01 / N;
const LN2_N_LO = 1.90821492927058770002e-10 / N;
/** Adding then subtracting 1.5·2^52 rounds a double of magnitude < 2^51 to the nearest integer. */
const ROUND = 6755399441055744;
/** Below this, e^x is smaller than half the least subnormal and rounds to 0. */
const UNDERFLOW = -745.1332191019411;

function taylorExp(x: number): number {
    let sum = 1;
    let term = 1;
    for (let i = 1; i < 30; i++) {
        term *= x / i;
        sum += term;
    }
    return sum;
}

/** 2^(j/N) for j in [0, N). */
const FRACTION = new Float64Array(N);
for (let j = 0; j < N; j++) FRACTION[j] = taylorExp(j * (LN2_N_HI + LN2_N_LO));

const TWO_POW_MINUS_64 = 2 ** -64;

/**
 * 2^k for k in [-POW_OFFSET, POW_OFFSET], stored at k + POW_OFFSET (exact powers of two, subnormals
 * and +∞ included), so that even a slightly-too-small max in expShiftedInto stays finite and correct.
 */
const POW_OFFSET = 1100;
const POW2 = new Float64Array(2 * POW_OFFSET + 1);
POW2[POW_OFFSET] = 1;
for (let k = POW_OFFSET - 1; k >= 0; k--) POW2[k] = POW2[k + 1] * 0.5;
for (let k = POW_OFFSET + 1; k <= 2 * POW_OFFSET; k++) POW2[k] = POW2[k - 1] * 2;

/**
 * e^x for x ≤ 0 (the max-subtracted logits of a softmax). Returns 0 for −∞ and NaN.
 * For x > 0 it falls back to Math.exp.
 */
export function expNonPos(x: number): number {
    if (x > UNDERFLOW) {
        if (x > 0) return Math.exp(x);
        const kk = (x * INV_LN2_N + ROUND) - ROUND;
        const r = (x - kk * LN2_N_HI) - kk * LN2_N_LO;
        const ki = kk | 0;
        const k = ki >> LOG2_N;
        const m = FRACTION[ki & MASK] * (1 + r * (1 + r * (0.5 + r * 0.16666666666666666)));
        if (k >= -1022) return m * POW2[k + POW_OFFSET];
        // Subnormal result: scale in two steps (2^k alone may not be representable).
        return m * POW2[k + 64 + POW_OFFSET] * TWO_POW_MINUS_64;
    }
    return 0;
}

/** Below this, e^x is subnormal (< 2^-1022 ≈ 2.2e-308). */
const NORMAL_MIN = -708;

/**
 * The softmax hot loop: out[i] = e^(logits[i] − max) for i in [from, to), returning the float64 sum.
 * Precondition: max ≥ every logits[i] in the range (max finite). Same values as expNonPos, except
 * that weights below e^-708 ≈ 3e-308 are flushed to 0: relative to the max's weight 1 they cannot
 * change a float64 sum nor be hit by a 53-bit uniform draw, so nothing observable changes, and the
 * loop stays branch-light. Unrolled by two; the sum adds the pairs in index order (deterministic).
 */
export function expShiftedInto(logits: Float32Array, max: number, out: Float64Array, from: number, to: number): number {
    let sum = 0;
    let i = from;
    // Nothing but `return sum` may follow the hot loop: V8 compiles a long loop on-stack during its
    // first run, and code after it that has never run yet (so has no type feedback) deoptimizes
    // that compiled code on every later call — measured 3× slower. So the odd element goes first.
    if ((to - from) & 1) sum = expOneInto(logits, max, out, i++);
    for (; i < to; i += 2) {
        const x0 = logits[i] - max;
        const x1 = logits[i + 1] - max;
        let w0 = 0;
        let w1 = 0;
        if (x0 > NORMAL_MIN) {
            const kk = (x0 * INV_LN2_N + ROUND) - ROUND;
            const r = (x0 - kk * LN2_N_HI) - kk * LN2_N_LO;
            const ki = kk | 0;
            w0 = FRACTION[ki & MASK] * (1 + r * (1 + r * (0.5 + r * 0.16666666666666666))) * POW2[(ki >> LOG2_N) + POW_OFFSET];
        }
        if (x1 > NORMAL_MIN) {
            const kk = (x1 * INV_LN2_N + ROUND) - ROUND;
            const r = (x1 - kk * LN2_N_HI) - kk * LN2_N_LO;
            const ki = kk | 0;
            w1 = FRACTION[ki & MASK] * (1 + r * (1 + r * (0.5 + r * 0.16666666666666666))) * POW2[(ki >> LOG2_N) + POW_OFFSET];
        }
        out[i] = w0;
        out[i + 1] = w1;
        sum += w0 + w1;
    }
    return sum;
}

function expOneInto(logits: Float32Array, max: number, out: Float64Array, i: number): number {
    const x = logits[i] - max;
    const w = x > NORMAL_MIN ? expNonPos(x) : 0;
    out[i] = w;
    return w;
}

