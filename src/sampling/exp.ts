/**
 * A fast, deterministic exp for the sampling hot loops.
 *
 * Softmax over a 128k–256k vocabulary needs one exp per token per step, and V8's Math.exp is the
 * single largest cost there. Two table methods, both plain IEEE float64 arithmetic (the tables are
 * built with a Taylor series, not Math.exp/Math.pow), so results are bit-identical on every
 * platform — seeded draws do not depend on the host's libm:
 *
 * - the hot range −64 < x ≤ 0 (every weight a softmax can tell apart from 0 next to the max, to
 *   float64 precision): x = −j/256 + r with j = round(−256·x) and |r| ≤ 1/512, both exact (256 is a
 *   power of two), and e^x = T[j] · e^r with T[j] = e^(−j/256) (16 385 entries, 128 KiB) and
 *   e^r ≈ 1 + r + r²/2 + r³/6 + r⁴/24 (truncation < 3e-16 relative). One table load, no
 *   range-reduction constants.
 * - everything else: x = (k·N + j)·ln2/N + r, |r| ≤ ln2/(2N), N = 2048, exp(x) = 2^k · 2^(j/N) · e^r,
 *   e^r ≈ 1 + r + r²/2 + r³/6, with a Cody–Waite split of ln2/N so the reduction is exact.
 *
 * Measured against Math.exp the relative error is below 4 ulp (< 1e-15) over the whole range, far
 * below the precision of the float32 logits it is applied to.
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

/** Hot range: e^(−j/HOT_STEPS) for j in [0, HOT_RANGE·HOT_STEPS], built with the general method below. */
const HOT_STEPS = 256;
const HOT_RANGE = 64;
/** Lower bound (exclusive) of the hot range. */
const HOT_MIN = -HOT_RANGE;
const HOT = new Float64Array(HOT_RANGE * HOT_STEPS + 1);
/** Taylor coefficients of e^r on the hot range. */
const C2 = 0.5;
const C3 = 0.16666666666666666;
const C4 = 0.041666666666666664;

/**
 * e^x for x ≤ 0 (the max-subtracted logits of a softmax). Returns 0 for −∞ and NaN.
 * For x > 0 it falls back to Math.exp.
 */
export function expNonPos(x: number): number {
    if (x > HOT_MIN) {
        return x > 0 ? Math.exp(x) : hotExp(x);
    }
    return expCold(x);
}

/** e^x on the hot range −64 < x ≤ 0: HOT[j] · e^r (see the header). */
function hotExp(x: number): number {
    const kk = (x * HOT_STEPS + ROUND) - ROUND; // −j, exact
    const r = x - kk * (1 / HOT_STEPS); // exact, |r| ≤ 1/512
    return HOT[-kk | 0] * (1 + r * (1 + r * (C2 + r * (C3 + r * C4))));
}

/** The general method (x ≤ −64, and the construction of the hot table). */
function expCold(x: number): number {
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

for (let j = 0; j < HOT.length; j++) HOT[j] = expCold(-j / HOT_STEPS);

/** Below this, e^x is subnormal (< 2^-1022 ≈ 2.2e-308). */
const NORMAL_MIN = -708;


/**
 * The softmax hot loop: out[i] = e^(logits[i] − max) for i in [from, to), returning the float64 sum.
 * Precondition: max ≥ every logits[i] in the range (max finite). Same values as expNonPos, except
 * that weights below e^-708 ≈ 3e-308 are flushed to 0: relative to the max's weight 1 they cannot
 * change a float64 sum nor be hit by a 53-bit uniform draw, so nothing observable changes.
 *
 * Unrolled by two with two partial sums (even and odd positions, added at the end): every summing
 * loop here uses that same order, so they all return the same float64 value for the same range.
 */
export function expShiftedInto(logits: Float32Array, max: number, out: Float64Array, from: number, to: number): number {
    let s0 = 0;
    let s1 = 0;
    let i = from;
    // Nothing but the final return may follow the hot loop: V8 compiles a long loop on-stack during
    // its first run, and code after it that has never run yet (so has no type feedback) deoptimizes
    // that compiled code on every later call — measured 3× slower. So the odd element goes first.
    if ((to - from) & 1) {
        s0 = expOneInto(logits, max, out, i);
        i++;
    }
    for (; i < to; i += 2) {
        const x0 = logits[i] - max;
        const x1 = logits[i + 1] - max;
        const w0 = weight(x0);
        const w1 = weight(x1);
        out[i] = w0;
        out[i + 1] = w1;
        s0 += w0;
        s1 += w1;
    }
    return s0 + s1;
}

/**
 * Σ e^(logits[i] − max) over [from, to) without storing anything: the same values and summation
 * order as expShiftedInto, so the same float64 result. Same precondition.
 */
export function expShiftedSum(logits: Float32Array, max: number, from: number, to: number): number {
    let s0 = 0;
    let s1 = 0;
    let i = from;
    if ((to - from) & 1) {
        s0 = expFlushed(logits[i] - max);
        i++;
    }
    for (; i < to; i += 2) {
        const x0 = logits[i] - max;
        const x1 = logits[i + 1] - max;
        s0 += weight(x0);
        s1 += weight(x1);
    }
    return s0 + s1;
}

/**
 * Like expShiftedSum (same sum), and adds each weight to its bucket
 * min(⌊(max − logits[i])·bucketScale⌋, lastBucket) — the mass profile top-p needs, in one pass and
 * without a vocabulary-sized float64 store. `hist` holds two histograms of lastBucket + 1 slots
 * (even positions first, odd positions after): the caller adds them.
 */
export function expSumHistogram(logits: Float32Array, max: number, from: number, to: number, hist: Float64Array, bucketScale: number, lastBucket: number): number {
    const stride = lastBucket + 1;
    let s0 = 0;
    let s1 = 0;
    let i = from;
    if ((to - from) & 1) {
        const x = logits[i] - max;
        const w = expFlushed(x);
        const y = -x * bucketScale;
        hist[y < lastBucket ? y | 0 : lastBucket] += w;
        s0 = w;
        i++;
    }
    for (; i < to; i += 2) {
        const x0 = logits[i] - max;
        const x1 = logits[i + 1] - max;
        const w0 = weight(x0);
        const w1 = weight(x1);
        const y0 = -x0 * bucketScale; // ≥ 0; +∞ or NaN → last bucket
        const y1 = -x1 * bucketScale;
        // Odd positions go to a second histogram (offset `stride`): neighbours usually share a
        // bucket, and two read-modify-writes of one slot in a row would wait on each other.
        hist[y0 < lastBucket ? y0 | 0 : lastBucket] += w0;
        hist[stride + (y1 < lastBucket ? y1 | 0 : lastBucket)] += w1;
        s0 += w0;
        s1 += w1;
    }
    return s0 + s1;
}

/**
 * The weight of x = logit − max ≤ 0 as every loop here computes it: the hot-range table method
 * (small enough for V8 to inline into the loops), else expNonPos flushed to 0 below e^-708.
 */
function weight(x: number): number {
    return x > HOT_MIN && x <= 0 ? hotExp(x) : expFlushed(x);
}

/** expNonPos, flushed to 0 below e^-708. */
function expFlushed(x: number): number {
    return x > NORMAL_MIN ? expNonPos(x) : 0;
}

function expOneInto(logits: Float32Array, max: number, out: Float64Array, i: number): number {
    const w = expFlushed(logits[i] - max);
    out[i] = w;
    return w;
}

