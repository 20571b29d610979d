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
        return FRACTION[ki & MASK] * (1 + r * (1 + r * (0.5 + r * 0.16666666666666666))) * POW2[(ki >> LOG2_N) + POW_OFFSET];
    }
    return 0;
}
