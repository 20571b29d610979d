/**
 * The candidate set of one sampling step: the surviving token ids and their (possibly transformed)
 * logits, in buffers sized once to the vocabulary and reused every step — no vocabulary-sized
 * allocation per step.
 *
 * Order: "better" means higher logit, ties broken by lower token id. `sorted` is true when [0, size)
 * is in that order. Probabilities are softmax over the current set: p_i = e^(l_i − max) / Σ e^(l_j − max)
 * in float64. A −∞ logit has probability 0, and so has a logit more than 708 nats below the max
 * (its weight, < 3e-308, is flushed to 0: no float64 sum or 53-bit draw could see it). If the whole
 * set is −∞ — or some logits are +∞ — the limit is taken: the tokens equal to the maximum share the
 * mass equally. NaN logits are not supported: the engine must not hand them out.
 *
 * This module owns the set and its invariants: the size, the sorted flag and a pending temperature
 * change only through its methods (samplers may rewrite ids and logits in place, then say so with
 * shrinkTo or markUnsorted). The algorithms it runs live beside it, one concern each: select.ts
 * (selection and sorting by logit, packed keys), temperature.ts (the rounding rules of a deferred
 * temperature — the division and the argmax under it stay methods here, see there why), idOrder.ts
 * (the draw's token-id order). Top-p's mass histograms (mass.ts) belong to the top-p sampler, not to
 * the set.
 */
import {expNonPos, expShiftedInto} from "../exp.js";
import {IdOrder} from "./idOrder.js";
import {HEAP_SELECT_MAX, HeapSelector, KeySelector, MAX_VOCAB} from "./select.js";
import {FLOAT32_SAFE, quotientFloor} from "./temperature.js";

export class Candidates {
    /** Vocabulary size the buffers were made for. */
    readonly capacity: number;
    /** ids[i] is the token whose logit is logits[i]; only [0, size) is meaningful. */
    readonly ids: Int32Array;
    /**
     * probs[i] is the weight e^(l_i − max) of candidate i as the last weights() call computed it, or
     * its probability after softmax(). Anything that moves candidates (selection, compaction) leaves
     * it stale — except mass selection (mass.ts), which permutes it along with what it moves.
     */
    readonly probs: Float64Array;

    /** Number of candidates (see size). */
    private count = 0;
    /** See sorted. */
    private inOrder = false;
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
    /** 0, 1, 2, …: the ids of a freshly loaded set. */
    private readonly identity: Int32Array;
    /** Scratch: packed sort keys for selection, or the weights by token id for a large draw. */
    private readonly keys: Float64Array;
    private readonly heap: HeapSelector;
    private readonly keySelector: KeySelector;
    private readonly byId: IdOrder;

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
        this.heap = new HeapSelector(this.ids, this.lg);
        this.keySelector = new KeySelector(this.ids, this.bits, this.keys);
        this.byId = new IdOrder(capacity);
    }

    /** Number of candidates still in the set. */
    get size(): number {
        return this.count;
    }

    /** True when [0, size) is sorted by logit desc, ties by lower id first. */
    get sorted(): boolean {
        return this.inOrder;
    }

    /**
     * logits[i] is the (possibly transformed) logit of ids[i]; only [0, size) is meaningful. Reading
     * it applies a pending temperature first (see divideLogits).
     */
    get logits(): Float32Array {
        if (this.pendingDivisor !== 1) this.settle();
        return this.lg;
    }

    /** The raw IEEE bits of `logits` (the same buffer, for packed sort keys); applies a pending temperature first. */
    get logitBits(): Uint32Array {
        if (this.pendingDivisor !== 1) this.settle();
        return this.bits;
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
        if (this.inOrder) this.settle();
    }

    /**
     * Apply the pending division to [0, size). Its loops stay in this method: a small settle would
     * be inlined into every `logits` read (see temperature.ts).
     */
    private settle(): void {
        const t = this.pendingDivisor;
        this.pendingDivisor = 1;
        const lg = this.lg;
        const n = this.count;
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
        if (this.inOrder) this.inOrder = this.checkSorted();
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
        this.count = n;
        this.inOrder = false;
        this.pendingDivisor = 1;
    }

    /** Highest logit in the set (−∞ for an all −∞ set). */
    maxLogit(): number {
        const lg = this.logits;
        if (this.inOrder) return lg[0];
        const n = this.count;
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
        if (this.inOrder) return 0;
        if (this.pendingDivisor !== 1) return this.argmaxIndexDivided(this.pendingDivisor);
        const lg = this.lg;
        const ids = this.ids;
        const n = this.count;
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

    /**
     * argmaxIndex while a temperature t is pending: compares the float32 quotients the division will
     * store (ties → lower id), skipping values under quotientFloor of the best quotient.
     */
    private argmaxIndexDivided(t: number): number {
        const lg = this.lg;
        const ids = this.ids;
        const n = this.count;
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
        if (!(index >= 0 && index < this.count)) throw new RangeError(`index ${index} outside [0, ${this.count})`);
        const i = index | 0;
        this.ids[0] = this.ids[i];
        this.lg[0] = this.lg[i];
        this.count = 1;
        this.inOrder = true;
    }

    /** Keep the first n candidates (n ≥ 1). The sorted flag is unchanged. */
    truncate(n: number): void {
        if (!Number.isInteger(n) || n < 1) throw new RangeError(`cannot truncate to ${n} candidates (at least 1 must remain)`);
        if (n < this.count) this.count = n | 0;
    }

    /**
     * Keep the first n candidates, which the caller guarantees are the n best in sorted order
     * (e.g. right after selectTop(m) with n ≤ m): the result is sorted.
     */
    keepSortedPrefix(n: number): void {
        this.truncate(n);
        this.inOrder = true;
    }

    /**
     * End an in-place compaction: the caller moved the candidates it keeps, in their order, to
     * [0, n) of ids and logits; they become the set. Order is preserved, so the sorted flag stays
     * valid. Unlike truncate, n = 0 is accepted: the chain then refuses the sampler, naming it.
     */
    shrinkTo(n: number): void {
        if (!(Number.isInteger(n) && n >= 0 && n <= this.count)) throwCannotShrink(this.count, n);
        this.count = n | 0;
    }

    /** The set is no longer known to be sorted (logits were changed in place, or the order was permuted). */
    markUnsorted(): void {
        this.inOrder = false;
    }

    /**
     * Fill probs[from, to) with the unnormalised weights e^(l_i − max) and return their float64 sum
     * (by default over the whole set). `max` defaults to maxLogit(); pass it when known.
     */
    weights(max: number = this.maxLogit(), from = 0, to: number = this.count): number {
        const lg = this.logits;
        const w = this.probs;
        let sum = 0;
        if (max === Infinity || max === -Infinity) {
            for (let i = from; i < to; i++) {
                const x = lg[i] === max ? 1 : 0;
                w[i] = x;
                sum += x;
            }
            return sum;
        }
        return expShiftedInto(lg, max, w, from, to);
    }

    /** Fill probs[0, size) with softmax probabilities over the current set (max-subtracted, float64). */
    softmax(): void {
        const total = this.weights();
        const w = this.probs;
        const n = this.count;
        for (let i = 0; i < n; i++) w[i] /= total;
    }

    /**
     * softmax() of the current set into a new array, leaving the set exactly as it was (logits, a
     * pending temperature, the sorted flag and probs are restored): what a later sampler sees is
     * unchanged. Allocates; for inspection (stage tracing), not for the sampling loop.
     */
    peekSoftmax(): Float64Array {
        const n = this.count;
        const savedLogits = this.lg.slice(0, n);
        const savedProbs = this.probs.slice(0, n);
        const divisor = this.pendingDivisor;
        const inOrder = this.inOrder;
        this.softmax();
        const out = this.probs.slice(0, n);
        this.lg.set(savedLogits);
        this.probs.set(savedProbs);
        this.pendingDivisor = divisor;
        this.inOrder = inOrder;
        return out;
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
        const n = this.count;
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

    /** The positions [0, size) ordered by token id, in a reused buffer (valid until the next call). */
    idOrder(): Int32Array {
        return this.byId.positions(this.ids, this.count);
    }

    /** Is [0, size) really in sorted order? (Linear check.) */
    checkSorted(): boolean {
        const lg = this.logits;
        const ids = this.ids;
        const n = this.count;
        for (let i = 1; i < n; i++) {
            const a = lg[i - 1];
            const b = lg[i];
            if (a < b || (a === b && ids[i - 1] > ids[i])) return false;
        }
        return true;
    }

    /** Sort the whole current set (O(size log size); meant for small sets and `explain`). */
    sortAll(): void {
        this.selectTop(this.count);
    }

    /**
     * Partial selection: afterwards [0, m) holds the m best candidates in sorted order and [m, size)
     * the rest (in no particular order). Precondition when from > 0: [0, from) already holds the
     * `from` best in sorted order (so a prefix can be grown without redoing it). Cost O(size) plus
     * O(m log m): a bounded heap scan for m − from ≤ HEAP_SELECT_MAX, otherwise quickselect on packed
     * keys. Never a full sort unless m ≥ size.
     */
    selectTop(m: number, from = 0): void {
        const n = this.count;
        if (this.inOrder) return;
        // Counts and positions are small integers: force the int32 representation once here, so
        // that a caller passing a boxed double (e.g. Math.ceil's result) cannot push every loop
        // below onto slower generic number code (V8 keeps that code once it has seen one).
        from = from | 0;
        // The key-based paths order by stored bits: apply a pending temperature first.
        if (this.pendingDivisor !== 1 && (m >= n || m - from > HEAP_SELECT_MAX)) this.settle();
        if (m >= n) {
            this.keySelector.sortRange(from, n);
            this.inOrder = true;
            return;
        }
        m = m | 0;
        if (m <= from) return;
        if (m - from <= HEAP_SELECT_MAX) this.heap.select(n, from, m, this.pendingDivisor);
        else this.keySelector.select(n, from, m);
    }
}

/** shrinkTo's error, out of line: an inlined template-string throw measured 5% on min-p's loop. */
function throwCannotShrink(size: number, n: number): never {
    throw new RangeError(`cannot shrink ${size} candidates to ${n}`);
}

function maxOf4(a: number, b: number, c: number, d: number): number {
    const x = a > b ? a : b;
    const y = c > d ? c : d;
    return x > y ? x : y;
}
