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

/** 2^(k) for k in [-POW_OFFSET, 0], stored at k + POW_OFFSET (exact powers of two, subnormals included). */
const POW_OFFSET = 1100;
const POW2 = new Float64Array(POW_OFFSET + 1);
POW2[POW_OFFSET] = 1;
for (let k = POW_OFFSET - 1; k >= 0; k--) POW2[k] = POW2[k + 1] * 0.5;

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

/** Below this, e^x is subnormal (and expNonPos takes its slow path). */
const NORMAL_MIN = -708;

/**
 * The softmax hot loop: out[i] = e^(logits[i] − max) for i in [from, to), returning the float64 sum
 * (summed in index order). Same values as expNonPos, with the kernel inlined. max must be finite.
 */
export function expShiftedInto(logits: Float32Array, max: number, out: Float64Array, from: number, to: number): number {
    let sum = 0;
    for (let i = from; i < to; i++) {
        const x = logits[i] - max;
        let w: number;
        if (x > NORMAL_MIN && x <= 0) {
            const kk = (x * INV_LN2_N + ROUND) - ROUND;
            const r = (x - kk * LN2_N_HI) - kk * LN2_N_LO;
            const ki = kk | 0;
            w = FRACTION[ki & MASK] * (1 + r * (1 + r * (0.5 + r * 0.16666666666666666))) * POW2[(ki >> LOG2_N) + POW_OFFSET];
        } else {
            w = expNonPos(x);
        }
        out[i] = w;
        sum += w;
    }
    return sum;
}
