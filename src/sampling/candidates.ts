/**
 * The working set of one sampling step: the surviving token ids and their (possibly transformed)
 * logits, in buffers sized once to the vocabulary and reused every step — no vocabulary-sized
 * allocation per step.
 *
 * Order: "better" means higher logit, ties broken by lower token id. `sorted` is true when [0, size)
 * is in that order. Probabilities are softmax over the current set: p_i = e^(l_i − max) / Σ e^(l_j − max)
 * in float64. A −∞ logit has probability 0, and so has a logit more than 708 nats below the max
 * (its weight, < 3e-308, is flushed to 0: no float64 sum or 53-bit draw could see it). If the whole
 * set is −∞ — or some logits are +∞ — the limit is taken: the tokens equal to the maximum share the
 * mass equally. NaN logits are not supported: the engine must not hand them out.
 */
import {expNonPos, expShiftedInto, expSumHistogram} from "./exp.js";

/** Largest vocabulary the buffers support (token ids are packed into 21 bits of a sort key). */
export const MAX_VOCAB = 1 << 21;
const ID_SCALE = 2097152; // 2^21
/** Up to this many wanted candidates, selection is a bounded heap scan (no key encoding). */
export const HEAP_SELECT_MAX = 256;
/** Ranges this small are finished with a plain sort. */
const SMALL_RANGE = 24;
/** selectMass histogram: buckets of 1/BUCKET_SCALE nat of l − max; the last one takes everything below −64. */
const BUCKET_SCALE = 16;
const BUCKETS = 1024;
/** Regions smaller than this skip the histogram and go straight to weighted quickselect. */
export const BUCKET_MIN_REGION = 4096;
/** idOrder: radix digit size (11 bits; two passes cover the 21-bit ids). */
const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;
/** Above this a float64 quotient may round to ±∞ when stored as float32. */
const FLOAT32_SAFE = 1e38;
/** restMassBounds: buckets of 1/BOUND_SCALE nat of max − l; the last one takes everything below −64. */
const BOUND_SCALE = 128;
const BOUND_BUCKETS = 64 * BOUND_SCALE;

export class Candidates {
    /** Vocabulary size the buffers were made for. */
    readonly capacity: number;
    /** ids[i] is the token whose logit is logits[i]; only [0, size) is meaningful. */
    readonly ids: Int32Array;
    /** Float64 scratch aligned with [0, size): weights or probabilities, as the last helper left them. */
    readonly probs: Float64Array;
    /** Number of candidates still in the set. */
    size = 0;
    /** True when [0, size) is sorted by logit desc, ties by lower id first. */
    sorted = false;

    /** The logits storage; `logits` hands it out after applying a pending temperature. */
    private readonly lg: Float32Array;
    /** The raw bits of `lg` (same buffer), for order-preserving sort keys. */
    private readonly bits: Uint32Array;
    /**
     * A temperature not yet applied to the stored logits (1 = none): see divideLogits. Positive
     * division is monotone, so order-only work (argmax, top-k selection) runs on the stored values
     * and only the survivors are divided.
     */
    private pendingDivisor = 1;
    /** Scratch for idOrder (LSD radix sort of positions by token id). */
    private readonly order2: Int32Array;
    private readonly radixCount = new Int32Array(RADIX);
    private readonly identity: Int32Array;
    /** Scratch: kept positions in token-id order for the draw. */
    private readonly order: Int32Array;
    /** Packed sort keys, ascending = better first: (descending-logit bits) · 2^21 + id. */
    private readonly keys: Float64Array;
    private readonly heapIds = new Int32Array(HEAP_SELECT_MAX);
    /** The heap's comparison values (the logits, divided by a pending temperature if any)... */
    private readonly heapLogits = new Float32Array(HEAP_SELECT_MAX);
    /** ...and the stored values written back (differ only while a temperature is pending). */
    private readonly heapRaw = new Float32Array(HEAP_SELECT_MAX);
    private readonly heapPos = new Int32Array(HEAP_SELECT_MAX);
    private readonly heapTaken = new Uint8Array(HEAP_SELECT_MAX);
    /** selectMass: the weight per bucket, and how many candidates splitAtBucket staged. */
    private readonly bucketMass = new Float64Array(BUCKETS);
    /** restMassBounds: candidate counts per bucket, even and odd positions apart. */
    private readonly boundCounts = new Int32Array(2 * BOUND_BUCKETS);
    /** massProfile: the even- and odd-position histograms, added into bucketMass. */
    private readonly bucketPair = new Float64Array(2 * BUCKETS);
    private stagedCount = 0;
    /** What massProfile measured (the max and the set size), so that selectMass can trust it. */
    private profiledMax = NaN;
    private profiledSize = -1;

    constructor(capacity: number) {
        if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_VOCAB) {
            throw new RangeError(`vocabulary size must be an integer in [1, ${MAX_VOCAB}], got ${capacity}`);
        }
        this.capacity = capacity;
        this.ids = new Int32Array(capacity);
        this.lg = new Float32Array(capacity);
        this.bits = new Uint32Array(this.lg.buffer);
        this.probs = new Float64Array(capacity);
        this.keys = new Float64Array(capacity);
        this.identity = new Int32Array(capacity);
        for (let i = 0; i < capacity; i++) this.identity[i] = i;
        this.order = new Int32Array(capacity);
        this.order2 = new Int32Array(capacity);
    }

    /**
     * logits[i] is the (possibly transformed) logit of ids[i]; only [0, size) is meaningful. Reading
     * it applies a pending temperature first (see divideLogits).
     */
    get logits(): Float32Array {
        if (this.pendingDivisor !== 1) this.settle();
        return this.lg;
    }

    /**
     * Divide every logit by t > 0 (temperature), lazily: the division is recorded and applied to
     * whatever candidates remain the first time values are needed (weights, draw, `logits`), while
     * order-only operations (argmax, selectTop, top-k) work on the stored values. Division by a
     * positive number is monotone, so they select the same candidates; the only difference from
     * dividing first is that two distinct logits which the float32 quotient would round to the same
     * value keep their true order instead of becoming a tie broken by token id.
     *
     * When some |logit| / t would overflow float32 (t < 1 only), the remaining logits are first
     * shifted by their finite maximum ((logit − max) / t): no probability changes (softmax is
     * shift-invariant), the best token(s) stay at 0 instead of +∞, and the result tends to greedy
     * without NaN. −∞ stays −∞.
     */
    divideLogits(t: number): void {
        if (!(t > 0) || !Number.isFinite(t)) throw new RangeError(`cannot divide logits by ${t}`);
        if (t === 1) return;
        if (this.pendingDivisor !== 1) this.settle();
        this.pendingDivisor = t;
        // A sorted set must learn now whether rounding created ties out of id order.
        if (this.sorted) this.settle();
    }

    /** Apply the pending division to [0, size). */
    private settle(): void {
        const t = this.pendingDivisor;
        this.pendingDivisor = 1;
        const lg = this.lg;
        const n = this.size;
        let shift = 0;
        if (t < 1) {
            // Finite extremes (branches taken only on a new extreme, so this pass is cheap).
            let hi = -Infinity;
            let lo = Infinity;
            for (let i = 0; i < n; i++) {
                const x = lg[i];
                if (x > hi && x < Infinity) hi = x;
                if (x < lo && x > -Infinity) lo = x;
            }
            const maxAbs = Math.max(hi < 0 ? -hi : hi, lo < 0 ? -lo : lo);
            if (hi > -Infinity && maxAbs / t > FLOAT32_SAFE) shift = hi;
        }
        if (shift === 0) {
            for (let i = 0; i < n; i++) lg[i] = lg[i] / t;
        } else {
            for (let i = 0; i < n; i++) lg[i] = (lg[i] - shift) / t;
        }
        // Division is monotone but float32 rounding can turn distinct logits into ties.
        if (this.sorted) this.sorted = this.checkSorted();
    }

    /** Start a step: every token of `logits` is a candidate (ids 0..n−1), unsorted. */
    load(logits: ArrayLike<number>): void {
        const n = logits.length;
        if (n < 1 || n > this.capacity) {
            throw new RangeError(`logits length must be in [1, ${this.capacity}], got ${n}`);
        }
        if (logits instanceof Float32Array) {
            this.lg.set(logits);
        } else {
            const out = this.lg;
            for (let i = 0; i < n; i++) out[i] = logits[i];
        }
        this.ids.set(n === this.capacity ? this.identity : this.identity.subarray(0, n));
        this.size = n;
        this.sorted = false;
        this.pendingDivisor = 1;
        this.profiledSize = -1;
    }

    /** Highest logit in the set (−∞ for an all −∞ set). */
    maxLogit(): number {
        const lg = this.logits;
        if (this.sorted) return lg[0];
        const n = this.size;
        // Four independent maxima: no loop-carried dependency through one comparison chain.
        let m0 = -Infinity;
        let m1 = -Infinity;
        let m2 = -Infinity;
        let m3 = -Infinity;
        let i = 0;
        for (; i < (n & 3); i++) {
            const x = lg[i];
            if (x > m0) m0 = x;
        }
        for (; i < n; i += 4) {
            const x0 = lg[i];
            const x1 = lg[i + 1];
            const x2 = lg[i + 2];
            const x3 = lg[i + 3];
            if (x0 > m0) m0 = x0;
            if (x1 > m1) m1 = x1;
            if (x2 > m2) m2 = x2;
            if (x3 > m3) m3 = x3;
        }
        return maxOf4(m0, m1, m2, m3);
    }

    /** Index (into [0, size)) of the best candidate: highest logit, ties → lower id. */
    argmaxIndex(): number {
        if (this.sorted) return 0;
        if (this.pendingDivisor !== 1) return this.argmaxIndexDivided(this.pendingDivisor);
        const lg = this.lg;
        const ids = this.ids;
        const n = this.size;
        let best = 0;
        let bestLogit = lg[0];
        let i = 1;
        for (; i < n && ((n - i) & 3) !== 0; i++) {
            const x = lg[i];
            if (x > bestLogit || (x === bestLogit && ids[i] < ids[best])) {
                best = i;
                bestLogit = x;
            }
        }
        // Blocks of four: one combined test skips a block whose values are all below the best.
        for (; i < n; i += 4) {
            const x0 = lg[i];
            const x1 = lg[i + 1];
            const x2 = lg[i + 2];
            const x3 = lg[i + 3];
            if (x0 < bestLogit && x1 < bestLogit && x2 < bestLogit && x3 < bestLogit) continue;
            for (let q = i; q < i + 4; q++) {
                const x = lg[q];
                if (x > bestLogit || (x === bestLogit && ids[q] < ids[best])) {
                    best = q;
                    bestLogit = x;
                }
            }
        }
        return best;
    }

    /** argmaxIndex while a temperature t is pending: compares the quotients (see heapScanDivided). */
    private argmaxIndexDivided(t: number): number {
        const lg = this.lg;
        const ids = this.ids;
        const n = this.size;
        let best = 0;
        let bestQ = Math.fround(lg[0] / t);
        let floor = quotientFloor(bestQ, t);
        for (let i = 1; i < n; i++) {
            const x = lg[i];
            if (x < floor) continue;
            const q = Math.fround(x / t);
            if (q > bestQ || (q === bestQ && ids[i] < ids[best])) {
                if (q !== bestQ) floor = quotientFloor(q, t);
                best = i;
                bestQ = q;
            }
        }
        return best;
    }

    /** Token id of the best candidate (ties → lower id). */
    argmax(): number {
        return this.ids[this.argmaxIndex()];
    }

    /** Keep only the candidate at `index`. */
    keepOnly(index: number): void {
        if (!(index >= 0 && index < this.size)) throw new RangeError(`index ${index} outside [0, ${this.size})`);
        const i = index | 0;
        this.ids[0] = this.ids[i];
        this.lg[0] = this.lg[i];
        this.size = 1;
        this.sorted = true;
    }

    /** Keep the first n candidates (n ≥ 1). The sorted flag is unchanged. */
    truncate(n: number): void {
        if (!Number.isInteger(n) || n < 1) throw new RangeError(`cannot truncate to ${n} candidates (at least 1 must remain)`);
        if (n < this.size) this.size = n | 0;
    }

    /**
     * Keep the first n candidates, which the caller guarantees are the n best in sorted order
     * (e.g. right after selectTop(m) with n ≤ m): the result is sorted.
     */
    keepSortedPrefix(n: number): void {
        this.truncate(n);
        this.sorted = true;
    }

    /**
     * Fill probs[0, size) with the unnormalised weights e^(l_i − max) and return their float64 sum.
     * `max` defaults to maxLogit(); pass it when known.
     */
    weights(max: number = this.maxLogit()): number {
        const lg = this.logits;
        const w = this.probs;
        const n = this.size;
        let sum = 0;
        if (max === Infinity || max === -Infinity) {
            for (let i = 0; i < n; i++) {
                const x = lg[i] === max ? 1 : 0;
                w[i] = x;
                sum += x;
            }
            return sum;
        }
        return expShiftedInto(lg, max, w, 0, n);
    }

    /** Fill probs[0, size) with softmax probabilities over the current set (max-subtracted, float64). */
    softmax(): void {
        const total = this.weights();
        const w = this.probs;
        const n = this.size;
        for (let i = 0; i < n; i++) w[i] /= total;
    }

    /**
     * The weight e^(l − max) used by every helper here: handles an infinite max, and flushes weights
     * below e^-708 to 0 exactly like the vectorised loop (expShiftedInto), so all paths agree.
     */
    static weight(logit: number, max: number): number {
        if (max === Infinity || max === -Infinity) return logit === max ? 1 : 0;
        const x = logit - max;
        return x > -708 ? expNonPos(x) : 0;
    }

    /**
     * Draw one candidate with probability proportional to its weight, given r ∈ [0, 1): computes the
     * weights, sets u = r · total, and returns the first token **in token-id order** whose cumulative
     * weight exceeds u. Zero-weight candidates are never returned.
     *
     * Walking in id order, not in buffer order, makes the draw independent of how selection
     * permuted the buffer: two logits vectors that differ only by rounding (raw logits vs the
     * public route's float32 log-probabilities) reorder near-ties during selection but still give
     * the same token for the same r, unless u falls within the rounding of a boundary.
     * Kept sets up to a quarter of the vocabulary are put in id order by sorting their positions
     * (idOrder: O(n)); larger ones are scattered into an id-indexed buffer and walked (O(vocabulary)).
     * No allocation either way.
     */
    draw(r: number): number {
        const total = this.weights();
        const w = this.probs;
        const ids = this.ids;
        const n = this.size;
        const u = r * total;
        let cum = 0;
        let lastPositive = -1;
        if (n * 4 <= this.capacity) {
            const positions = this.idOrder();
            for (let k = 0; k < n; k++) {
                const i = positions[k];
                const x = w[i];
                if (x > 0) {
                    cum += x;
                    lastPositive = ids[i];
                    if (u < cum) return ids[i];
                }
            }
        } else {
            const byId = this.keys;
            byId.fill(0);
            for (let i = 0; i < n; i++) byId[ids[i]] = w[i];
            const cap = this.capacity;
            for (let id = 0; id < cap; id++) {
                const x = byId[id];
                if (x > 0) {
                    cum += x;
                    lastPositive = id;
                    if (u < cum) return id;
                }
            }
        }
        // u ≥ cum only through rounding (r just below 1): the last token with positive weight.
        return lastPositive >= 0 ? lastPositive : ids[0];
    }

    /**
     * The positions [0, size) ordered by token id, in a reused buffer (valid until the next call):
     * insertion sort for a few, else a stable two-pass LSD radix sort on the 21-bit ids (11 bits per
     * pass), O(size + 2048) with no comparisons.
     */
    idOrder(): Int32Array {
        const n = this.size;
        const ids = this.ids;
        const a = this.order;
        if (n <= 32) {
            for (let i = 0; i < n; i++) {
                const id = ids[i];
                let j = i - 1;
                while (j >= 0 && ids[a[j]] > id) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = i;
            }
            return a.subarray(0, n);
        }
        // Each long loop sits in its own function (see heapScan for why).
        const b = this.order2;
        const count = this.radixCount;
        count.fill(0);
        countLowDigits(ids, n, count);
        prefixSums(count);
        scatterByLowDigit(ids, n, count, b);
        count.fill(0);
        countHighDigits(ids, b, n, count);
        prefixSums(count);
        scatterByHighDigit(ids, b, n, count, a);
        return a.subarray(0, n);
    }

    /** Is [0, size) really in sorted order? (Linear check.) */
    checkSorted(): boolean {
        const lg = this.logits;
        const ids = this.ids;
        const n = this.size;
        for (let i = 1; i < n; i++) {
            const a = lg[i - 1];
            const b = lg[i];
            if (a < b || (a === b && ids[i - 1] > ids[i])) return false;
        }
        return true;
    }

    /** Sort the whole current set (O(size log size); meant for small sets and `explain`). */
    sortAll(): void {
        this.selectTop(this.size);
    }

    /**
     * Partial selection: afterwards [0, m) holds the m best candidates in sorted order and [m, size)
     * the rest (in no particular order). Precondition when from > 0: [0, from) already holds the
     * `from` best in sorted order (so a prefix can be grown without redoing it). Cost O(size) plus
     * O(m log m): a bounded heap scan for m − from ≤ HEAP_SELECT_MAX, otherwise quickselect on packed
     * keys. Never a full sort unless m ≥ size.
     */
    selectTop(m: number, from = 0): void {
        const n = this.size;
        if (this.sorted) return;
        // Counts and positions are small integers: force the int32 representation once here, so
        // that a caller passing a boxed double (e.g. Math.ceil's result) cannot push every loop
        // below onto slower generic number code (V8 keeps that code once it has seen one).
        from = from | 0;
        // The key-based paths order by stored bits: apply a pending temperature first.
        if (this.pendingDivisor !== 1 && (m >= n || m - from > HEAP_SELECT_MAX)) this.settle();
        if (m >= n) {
            this.encode(from, n);
            sortKeys(this.keys, from, n);
            this.decode(from, n);
            this.sorted = true;
            return;
        }
        m = m | 0;
        if (m <= from) return;
        if (m - from <= HEAP_SELECT_MAX) this.heapSelect(from, m);
        else this.keySelect(from, m);
    }

    /**
     * Bounds on the mass of [from, size) without one exponential per candidate: one counting pass
     * puts every candidate in a 1/128-nat bucket of l − max, and each bucket's mass lies between its
     * count times the weights of its two edges. Returns the lower bound; the upper one is left in
     * `restMassHigh`. Both are widened by 1e-9 (relative) to cover the rounding of the sums (≤ n·2^-53), so
     * that lower ≤ Σ e^(l − max) ≤ upper holds for the float64 sum massProfile/weights would compute.
     * `max` must be finite and ≥ every logit of the range. Cost: one pass, no stores but counts.
     */
    restMassBounds(max: number, from: number): number {
        const counts = this.boundCounts;
        counts.fill(0);
        countBuckets(this.logits, max, from | 0, this.size, counts);
        let lo = 0;
        let hi = 0;
        const edge = boundEdges();
        for (let b = 0; b < BOUND_BUCKETS; b++) {
            const c = counts[b] + counts[BOUND_BUCKETS + b];
            if (c === 0) continue;
            hi += c * edge[b];
            if (b < BOUND_BUCKETS - 1) lo += c * edge[b + 1];
        }
        this.restMassHigh = hi * (1 + 1e-9);
        return lo * (1 - 1e-9);
    }

    /** The upper bound left by restMassBounds. */
    restMassHigh = 0;

    /**
     * The mass profile of the whole set, in one pass with no vocabulary-sized store: returns
     * Z = Σ e^(l_i − max) (the same float64 value as weights(max)) and keeps the histogram of the
     * weights by bucket that selectMass(0, target, max, "profiled") then uses instead of its own
     * two passes. `max` must be finite and ≥ every logit. Any change to the set invalidates it.
     */
    massProfile(max: number): number {
        const lg = this.logits;
        const n = this.size;
        const two = this.bucketPair;
        two.fill(0);
        const total = expSumHistogram(lg, max, 0, n, two, BUCKET_SCALE, BUCKETS - 1);
        const hist = this.bucketMass;
        for (let b = 0; b < BUCKETS; b++) hist[b] = two[b] + two[BUCKETS + b];
        this.profiledMax = max;
        this.profiledSize = n;
        return total;
    }

    /**
     * Weighted selection, for top-p when the kept prefix is large. Region [from, size) is rearranged
     * so that [from, cut) holds the smallest set of best candidates whose weights e^(l − max) sum to
     * ≥ target (unordered); returns cut. Precondition as selectTop: everything in [0, from) is better
     * than everything in [from, size). If the region's whole weight is < target (rounding), cut = size.
     *
     * Large regions: one pass builds a histogram of the weights by 1/16-nat bucket of l − max, which
     * locates the bucket where the cumulative mass crosses the target; a second pass copies the
     * buckets above it to the front and stages that bucket aside; only that bucket is resolved
     * exactly (by weighted quickselect on packed keys). Expected O(size − from), no sort. Afterwards
     * only [0, cut) is meaningful (the rest of the region is scratch: callers truncate). Uses probs as scratch;
     * pass weightsReady when probs[from, size) already holds e^(l − max) for the current positions
     * (e.g. right after weights(max)) to skip the exps, or "profiled" (from = 0 only) right after
     * massProfile(max) to skip the exps and the histogram pass.
     */
    selectMass(from: number, target: number, max: number, weightsReady: boolean | "profiled" = false): number {
        const n = this.size;
        if (from >= n) return n;
        from = from | 0;
        if (!(target > 0)) return from;
        const w = this.probs;
        const lg = this.logits;
        const profiled = weightsReady === "profiled" && from === 0 && this.profiledMax === max && this.profiledSize === n;
        if (!profiled && weightsReady !== true) {
            if (max === Infinity || max === -Infinity) {
                for (let i = from; i < n; i++) w[i] = lg[i] === max ? 1 : 0;
            } else {
                expShiftedInto(lg, max, w, from, n);
            }
        }
        if (!profiled && n - from < BUCKET_MIN_REGION) return this.massSelect(from, n, target, max);

        const hist = this.bucketMass;
        if (!profiled) {
            hist.fill(0);
            this.bucketize(from, n, max);
        }
        this.profiledSize = -1;
        let need = target;
        let crossing = 0;
        for (; crossing < BUCKETS; crossing++) {
            if (hist[crossing] >= need) break;
            need -= hist[crossing];
        }
        if (crossing === BUCKETS) return n; // not reachable (rounding): keep all

        // One pass: buckets above the crossing one are compacted to the front (kept for sure), the
        // crossing bucket is staged as packed keys; then only that bucket is resolved exactly.
        const a = this.splitAtBucket(from, n, max, crossing);
        const staged = this.stagedCount;
        if (staged === 0) return a;
        this.keys.copyWithin(a, 0, staged);
        this.decode(a, a + staged);
        if (max === Infinity || max === -Infinity) {
            for (let i = a; i < a + staged; i++) w[i] = lg[i] === max ? 1 : 0;
        } else {
            expShiftedInto(lg, max, w, a, a + staged);
        }
        return this.massSelect(a, a + staged, need, max);
    }

    /**
     * Run every loop of this class a dozen times on tiny inputs (see warmup.ts: V8 compiles a
     * function well only if its first calls were not long ones). Touches no shared state.
     */
    static warmUp(): void {
        const c = new Candidates(48);
        const v = new Float32Array(48);
        for (let round = 0; round < 12; round++) {
            for (let i = 0; i < 48; i++) v[i] = i % 11 === 0 ? -Infinity : ((i * 37 + round * 11) % 23) / 4;
            const n = 40 + (round % 8);
            c.load(n === 48 ? v : v.subarray(0, n));
            c.maxLogit();
            c.argmaxIndex();
            c.checkSorted();
            c.draw(0.37);
            c.softmax();
            c.selectTop(5);
            c.selectTop(9, 5);
            c.weights(c.logits[0]);
            c.selectMass(9, 0.5, c.logits[0], true);
            c.load(v);
            const max = c.maxLogit();
            c.weights(max);
            c.bucketMass.fill(0);
            c.bucketize(0, 48, max);
            c.splitAtBucket(0, 48, max, 20 + round);
            c.load(v);
            c.massSelect(0, 48, 0.8 * c.weights(max), max);
            c.load(v);
            c.keySelect(0, 17);
            c.encode(17, 48);
            sortKeys(c.keys, 17, 48);
            c.decode(17, 48);
            c.load(v);
            c.sortAll();
            c.checkSorted();
            c.load(v);
            c.idOrder();
            c.divideLogits(0.7 + round / 10);
            c.argmaxIndex();
            c.selectTop(7);
            void c.logits;
            c.load(v);
            const top = c.maxLogit();
            c.massProfile(top);
            c.selectMass(0, 0.9 * c.massProfile(top), top, "profiled");
        }
    }

    // ---- internals -------------------------------------------------------------------------------

    /** selectMass, pass 1: the weight per bucket of l − max over [from, to) (weights in probs). */
    private bucketize(from: number, to: number, max: number): void {
        const lg = this.lg;
        const w = this.probs;
        const hist = this.bucketMass;
        const last = BUCKETS - 1;
        for (let i = from; i < to; i++) {
            const y = (max - lg[i]) * BUCKET_SCALE; // ≥ 0; +∞ (or NaN for an infinite max) → last bucket
            hist[y < last ? y | 0 : last] += w[i];
        }
    }

    /**
     * selectMass, pass 2: compact the candidates of [from, to) whose bucket is above `crossing` to the
     * front (stable copy, no swaps) and stage those of the crossing bucket as packed keys in
     * keys[0, stagedCount); returns the end of the compacted block. The rest of the range becomes
     * scratch — fine, since selectMass's caller truncates there.
     */
    private splitAtBucket(from: number, to: number, max: number, crossing: number): number {
        const ids = this.ids;
        const lg = this.lg;
        const bits = this.bits;
        const keys = this.keys;
        const last = BUCKETS - 1;
        let a = from;
        let staged = 0;
        for (let i = from; i < to; i++) {
            const y = (max - lg[i]) * BUCKET_SCALE;
            const b = y < last ? y | 0 : last;
            if (b < crossing) {
                ids[a] = ids[i];
                bits[a] = bits[i];
                a++;
            } else if (b === crossing) {
                let u = bits[i];
                if (u === 0x80000000) u = 0;
                keys[staged++] = (u >= 0x80000000 ? u : (~u & 0x7fffffff)) * ID_SCALE + ids[i];
            }
        }
        this.stagedCount = staged;
        return a;
    }

    /**
     * Weighted quickselect on [from, to) with probs holding the weights: afterwards [from, cut) holds the
     * smallest set of best candidates of the range whose weights sum to ≥ need; returns cut (to if the
     * range's weight falls short through rounding).
     */
    private massSelect(from: number, to: number, need: number, max: number): number {
        if (!(need > 0)) return from;
        if (from >= to) return to;
        this.encode(from, to);
        const keys = this.keys;
        const w = this.probs;
        const lg = this.lg;
        let lo = from;
        let hi = to;
        let cut = to;
        let depth = 0;
        const depthLimit = 4 * Math.ceil(Math.log2(to - from + 1)) + 8;
        for (;;) {
            if (hi - lo <= SMALL_RANGE || depth++ > depthLimit) {
                // Finish exactly: sort the range, accumulate in order.
                sortKeys(keys, lo, hi);
                this.decode(lo, hi);
                cut = hi;
                for (let t = lo; t < hi; t++) {
                    need -= Candidates.weight(lg[t], max);
                    if (need <= 0) {
                        cut = t + 1;
                        break;
                    }
                }
                break;
            }
            // Hoare/Wirth partition around the median of three; weights travel with their keys.
            const pivot = medianOf3(keys[lo], keys[(lo + hi) >>> 1], keys[hi - 1]);
            let i = lo;
            let j = hi - 1;
            while (i <= j) {
                while (keys[i] < pivot) i++;
                while (keys[j] > pivot) j--;
                if (i <= j) {
                    const k = keys[i]; keys[i] = keys[j]; keys[j] = k;
                    const x = w[i]; w[i] = w[j]; w[j] = x;
                    i++;
                    j--;
                }
            }
            // [lo, j] ≤ pivot, (j, i) = pivot, [i, hi) ≥ pivot.
            let massLeft = 0;
            for (let t = lo; t <= j; t++) massLeft += w[t];
            if (massLeft >= need) {
                hi = j + 1;
                continue;
            }
            need -= massLeft;
            let done = false;
            for (let t = j + 1; t < i; t++) {
                need -= w[t];
                if (need <= 0) {
                    cut = t + 1;
                    done = true;
                    break;
                }
            }
            if (done) break;
            lo = i;
            if (lo >= hi) {
                cut = hi;
                break;
            }
        }
        this.decode(from, to);
        return cut;
    }

    /** keys[i] for i in [lo, hi): ascending key = descending logit, then ascending id. −0 counts as +0. */
    private encode(lo: number, hi: number): void {
        const bits = this.bits;
        const ids = this.ids;
        const keys = this.keys;
        for (let i = lo; i < hi; i++) {
            let u = bits[i];
            if (u === 0x80000000) u = 0;
            const desc = u >= 0x80000000 ? u : (~u & 0x7fffffff);
            keys[i] = desc * ID_SCALE + ids[i];
        }
    }

    /** Inverse of encode: rewrite ids/logits of [lo, hi) from keys. */
    private decode(lo: number, hi: number): void {
        const bits = this.bits;
        const ids = this.ids;
        const keys = this.keys;
        for (let i = lo; i < hi; i++) {
            const key = keys[i];
            const desc = Math.floor(key / ID_SCALE);
            ids[i] = key - desc * ID_SCALE;
            bits[i] = desc >= 0x80000000 ? desc : (~desc & 0x7fffffff);
        }
    }

    private keySelect(from: number, m: number): void {
        const n = this.size;
        const keys = this.keys;
        this.encode(from, n);
        let lo = from;
        let hi = n;
        let depth = 0;
        const depthLimit = 4 * Math.ceil(Math.log2(n - from + 1)) + 8;
        while (hi - lo > SMALL_RANGE) {
            if (depth++ > depthLimit) break;
            const pivot = medianOf3(keys[lo], keys[(lo + hi) >>> 1], keys[hi - 1]);
            let i = lo;
            let j = hi - 1;
            while (i <= j) {
                while (keys[i] < pivot) i++;
                while (keys[j] > pivot) j--;
                if (i <= j) {
                    const k = keys[i]; keys[i] = keys[j]; keys[j] = k;
                    i++;
                    j--;
                }
            }
            if (m <= j) hi = j + 1;
            else if (m > i) lo = i;
            else {
                lo = hi; // boundary m already separates
                break;
            }
        }
        if (hi - lo > 1) sortKeys(keys, lo, hi);
        sortKeys(keys, from, m);
        this.decode(from, n);
    }

    /** Bounded min-heap ("worst on top") of the m − from best in [from, size), then placed at [from, m) sorted. */
    /** Bounded heap selection of the m − from best of [from, size) into [from, m), sorted. */
    private heapSelect(from: number, m: number): void {
        const c = m - from;
        const n = this.size;
        const ids = this.ids;
        const lg = this.lg;
        const hI = this.heapIds;
        const hL = this.heapLogits;
        const hR = this.heapRaw;
        const hP = this.heapPos;
        const t0 = this.pendingDivisor;
        for (let t = 0; t < c; t++) {
            hI[t] = ids[from + t];
            hR[t] = lg[from + t];
            hL[t] = t0 === 1 ? lg[from + t] : lg[from + t] / t0;
            hP[t] = from + t;
        }
        for (let t = (c >> 1) - 1; t >= 0; t--) this.siftDown(t, c);
        if (t0 === 1) this.heapScan(from + c, n, c);
        else this.heapScanDivided(from + c, n, c, t0);
        // Move the candidates of [from, m) that lost into the slots (≥ m) the winners came from.
        const taken = this.heapTaken;
        taken.fill(0, 0, c);
        let outside = 0;
        for (let t = 0; t < c; t++) {
            const p = hP[t];
            if (p < m) taken[p - from] = 1;
            else hP[outside++] = p; // compact the outside positions at the front of hP
        }
        let next = 0;
        for (let s = from; s < m; s++) {
            if (taken[s - from]) continue;
            const q = hP[next++];
            ids[q] = ids[s];
            lg[q] = lg[s];
        }
        // Pop the heap (worst first) into [from, m) from the back: sorted best-first.
        for (let t = c - 1; t >= 0; t--) {
            ids[from + t] = hI[0];
            lg[from + t] = hR[0];
            hI[0] = hI[t];
            hL[0] = hL[t];
            hR[0] = hR[t];
            this.siftDown(0, t);
        }
    }

    /**
     * The long loop of heapSelect, alone in its own function: V8 compiles long loops on-stack during
     * their first run, and code after such a loop that has never run yet deoptimizes that compiled
     * code again and again. Nothing follows the loop here.
     */
    private heapScan(start: number, end: number, count: number): void {
        const ids = this.ids;
        const lg = this.lg;
        const hI = this.heapIds;
        const hL = this.heapLogits;
        let rootLogit = hL[0];
        let rootId = hI[0];
        let i = start;
        // The odd elements first (nothing but the hot loop may come last, see above), then blocks of
        // four with one combined test: almost every block of a long tail is below the heap's root.
        const head = Math.min(end, start + ((end - start) & 3));
        for (; i < head; i++) {
            const x = lg[i];
            if (x < rootLogit || (x === rootLogit && ids[i] > rootId)) continue;
            this.heapPush(i, count);
            rootLogit = hL[0];
            rootId = hI[0];
        }
        for (; i < end; i += 4) {
            const x0 = lg[i];
            const x1 = lg[i + 1];
            const x2 = lg[i + 2];
            const x3 = lg[i + 3];
            if (x0 < rootLogit && x1 < rootLogit && x2 < rootLogit && x3 < rootLogit) continue;
            for (let q = i; q < i + 4; q++) {
                const x = lg[q];
                if (x < rootLogit || (x === rootLogit && ids[q] > rootId)) continue;
                this.heapPush(q, count);
                rootLogit = hL[0];
                rootId = hI[0];
            }
        }
    }

    /** Replace the heap's root (its worst member) by the candidate at position i. */
    private heapPush(i: number, count: number): void {
        this.heapLogits[0] = this.lg[i];
        this.heapRaw[0] = this.lg[i];
        this.heapIds[0] = this.ids[i];
        this.heapPos[0] = i;
        this.siftDown(0, count);
    }

    /**
     * heapScan while a temperature t is pending: compares the quotients the division will store
     * (float32 of logit / t), so ties that rounding creates are broken by id exactly as if the
     * logits had been divided first. A block of four is skipped when all its stored values lie
     * below a threshold under which no quotient can reach the root's (see quotientFloor).
     */
    private heapScanDivided(start: number, end: number, count: number, t: number): void {
        const ids = this.ids;
        const lg = this.lg;
        const hI = this.heapIds;
        const hL = this.heapLogits;
        let rootLogit = hL[0];
        let rootId = hI[0];
        let floor = quotientFloor(rootLogit, t);
        let i = start;
        const head = Math.min(end, start + ((end - start) & 3));
        for (; i < head; i++) {
            const x = lg[i];
            if (x < floor) continue;
            const q = Math.fround(x / t);
            if (q < rootLogit || (q === rootLogit && ids[i] > rootId)) continue;
            this.heapPushDivided(i, q, count);
            if (hL[0] !== rootLogit) floor = quotientFloor(hL[0], t);
            rootLogit = hL[0];
            rootId = hI[0];
        }
        for (; i < end; i += 4) {
            if (lg[i] < floor && lg[i + 1] < floor && lg[i + 2] < floor && lg[i + 3] < floor) continue;
            for (let k = i; k < i + 4; k++) {
                const x = lg[k];
                if (x < floor) continue;
                const q = Math.fround(x / t);
                if (q < rootLogit || (q === rootLogit && ids[k] > rootId)) continue;
                this.heapPushDivided(k, q, count);
                if (hL[0] !== rootLogit) floor = quotientFloor(hL[0], t);
                rootLogit = hL[0];
                rootId = hI[0];
            }
        }
    }

    private heapPushDivided(i: number, q: number, count: number): void {
        this.heapLogits[0] = q;
        this.heapRaw[0] = this.lg[i];
        this.heapIds[0] = this.ids[i];
        this.heapPos[0] = i;
        this.siftDown(0, count);
    }

    private siftDown(start: number, count: number): void {
        const hI = this.heapIds;
        const hL = this.heapLogits;
        const hP = this.heapPos;
        const hR = this.heapRaw;
        let t = start;
        for (;;) {
            const left = 2 * t + 1;
            if (left >= count) return;
            let worst = t;
            if (hL[left] < hL[worst] || (hL[left] === hL[worst] && hI[left] > hI[worst])) worst = left;
            const right = left + 1;
            if (right < count && (hL[right] < hL[worst] || (hL[right] === hL[worst] && hI[right] > hI[worst]))) worst = right;
            if (worst === t) return;
            const id = hI[t]; hI[t] = hI[worst]; hI[worst] = id;
            const l = hL[t]; hL[t] = hL[worst]; hL[worst] = l;
            const p = hP[t]; hP[t] = hP[worst]; hP[worst] = p;
            const r = hR[t]; hR[t] = hR[worst]; hR[worst] = r;
            t = worst;
        }
    }
}

/**
 * Sort a[lo, hi) ascending: introsort (median-of-3 quicksort, insertion sort below 16 elements,
 * heapsort past the depth limit — pass depth 0 to force it). Exported for tests.
 */
export function sortKeys(a: Float64Array, lo: number, hi: number, depth = 2 * Math.ceil(Math.log2(hi - lo + 1)) + 4): void {
    quickSortKeys(a, lo, hi, depth);
}

function quickSortKeys(a: Float64Array, lo: number, hi: number, depth: number): void {
    while (hi - lo > 16) {
        if (depth-- <= 0) {
            heapSortKeys(a, lo, hi);
            return;
        }
        const pivot = medianOf3(a[lo], a[(lo + hi) >>> 1], a[hi - 1]);
        let i = lo;
        let j = hi - 1;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                const t = a[i]; a[i] = a[j]; a[j] = t;
                i++;
                j--;
            }
        }
        // Recurse into the smaller side, loop on the larger.
        if (j + 1 - lo < hi - i) {
            quickSortKeys(a, lo, j + 1, depth);
            lo = i;
        } else {
            quickSortKeys(a, i, hi, depth);
            hi = j + 1;
        }
    }
    for (let i = lo + 1; i < hi; i++) {
        const x = a[i];
        let j = i - 1;
        while (j >= lo && a[j] > x) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = x;
    }
}

function heapSortKeys(a: Float64Array, lo: number, hi: number): void {
    const n = hi - lo;
    const sift = (start: number, end: number): void => {
        let root = start;
        for (;;) {
            let child = 2 * root + 1;
            if (child >= end) return;
            if (child + 1 < end && a[lo + child + 1] > a[lo + child]) child++;
            if (a[lo + root] >= a[lo + child]) return;
            const t = a[lo + root]; a[lo + root] = a[lo + child]; a[lo + child] = t;
            root = child;
        }
    };
    for (let start = (n >> 1) - 1; start >= 0; start--) sift(start, n);
    for (let end = n - 1; end > 0; end--) {
        const t = a[lo]; a[lo] = a[lo + end]; a[lo + end] = t;
        sift(0, end);
    }
}

function medianOf3(a: number, b: number, c: number): number {
    if (a < b) {
        if (b < c) return b;
        return a < c ? c : a;
    }
    if (a < c) return a;
    return b < c ? c : b;
}

function maxOf4(a: number, b: number, c: number, d: number): number {
    const x = a > b ? a : b;
    const y = c > d ? c : d;
    return x > y ? x : y;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
/** 2^128 − 2^103: float64 quotients at or above it round to +∞ in float32. */
const FLOAT32_OVERFLOW = 3.4028235677973366e38;

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

// ---- idOrder's radix passes: one loop per function, so that none runs after a loop V8 compiled on-stack.

function countLowDigits(ids: Int32Array, n: number, count: Int32Array): void {
    for (let i = 0; i < n; i++) count[ids[i] & (RADIX - 1)]++;
}

function scatterByLowDigit(ids: Int32Array, n: number, count: Int32Array, out: Int32Array): void {
    for (let i = 0; i < n; i++) out[count[ids[i] & (RADIX - 1)]++] = i;
}

function countHighDigits(ids: Int32Array, positions: Int32Array, n: number, count: Int32Array): void {
    for (let k = 0; k < n; k++) count[ids[positions[k]] >>> RADIX_BITS]++;
}

function scatterByHighDigit(ids: Int32Array, positions: Int32Array, n: number, count: Int32Array, out: Int32Array): void {
    for (let k = 0; k < n; k++) {
        const p = positions[k];
        out[count[ids[p] >>> RADIX_BITS]++] = p;
    }
}

/** Exclusive prefix sums in place. */
function prefixSums(count: Int32Array): void {
    let sum = 0;
    for (let d = 0; d < count.length; d++) {
        const c = count[d];
        count[d] = sum;
        sum += c;
    }
}

/**
 * restMassBounds' counting pass: counts[b] (even positions) or counts[BOUND_BUCKETS + b] (odd ones)
 * for b = min(⌊(max − l)·BOUND_SCALE⌋, BOUND_BUCKETS − 1). Two count arrays, so that neighbours in
 * the same bucket do not wait on each other's increment.
 */
function countBuckets(lg: Float32Array, max: number, from: number, to: number, counts: Int32Array): void {
    const last = BOUND_BUCKETS - 1;
    let i = from;
    if ((to - from) & 1) {
        const y = (max - lg[i]) * BOUND_SCALE;
        counts[y < last ? y | 0 : last]++;
        i++;
    }
    for (; i < to; i += 2) {
        const y0 = (max - lg[i]) * BOUND_SCALE; // ≥ 0; +∞ for −∞ logits → last bucket
        const y1 = (max - lg[i + 1]) * BOUND_SCALE;
        counts[y0 < last ? y0 | 0 : last]++;
        counts[BOUND_BUCKETS + (y1 < last ? y1 | 0 : last)]++;
    }
}

let edges: Float64Array | undefined;
/** e^(−b/BOUND_SCALE) for b in [0, BOUND_BUCKETS], built on first use. */
function boundEdges(): Float64Array {
    if (edges === undefined) {
        edges = new Float64Array(BOUND_BUCKETS + 1);
        for (let b = 0; b <= BOUND_BUCKETS; b++) edges[b] = expNonPos(-b / BOUND_SCALE);
    }
    return edges;
}
