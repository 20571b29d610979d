/**
 * Helpers shared by the samplers of the "zoo" (typical, epsilon/eta, mirostat, XTC, DRY, penalties,
 * logit bias…). Everything works on the Candidates buffers in place, in linear passes; the only
 * selection that is not by logit (typical's "closest to the entropy") is a weighted quickselect —
 * no step sorts the vocabulary.
 */
import {RuntimeError} from "../../errors.js";
import {Candidates} from "../candidates/set.js";

/**
 * Entropy (nats) of softmax over the current set, given probs[0, size) = weights e^(l − max) with
 * sum `total` (as Candidates.weights(max) leaves them): H = ln Z − Σ w·(l − max) / Z.
 * An infinite max (all −∞, or some +∞) is the uniform limit over the tied tokens: H = ln(count).
 */
export function entropyFromWeights(c: Candidates, max: number, total: number): number {
    if (max === Infinity || max === -Infinity) return Math.log(total);
    const w = c.probs;
    const lg = c.logits;
    const n = c.size;
    let acc = 0;
    for (let i = 0; i < n; i++) {
        const x = w[i];
        if (x > 0) acc += x * (lg[i] - max);
    }
    const h = Math.log(total) - acc / total;
    return h > 0 ? h : 0;
}

/**
 * Keep the candidates i with keep(i) true, in their current order (a stable compaction; the sorted
 * flag stays valid). Returns the new size. The caller guarantees at least one is kept.
 */
export function compact(c: Candidates, keep: (i: number) => boolean): number {
    const ids = c.ids;
    const lg = c.logits;
    const n = c.size;
    let kept = 0;
    for (let i = 0; i < n; i++) {
        if (keep(i)) {
            if (kept !== i) {
                ids[kept] = ids[i];
                lg[kept] = lg[i];
            }
            kept++;
        }
    }
    c.shrinkTo(kept);
    return kept;
}

/**
 * Per-token scratch sized to the vocabulary, reset in O(1) per step by an epoch stamp: a token is
 * "marked" in the current epoch when stamp[id] === epoch. Used to find a few tokens' positions in
 * the candidates, or to test membership, without clearing vocabulary-sized arrays every step.
 */
export class TokenMarks {
    readonly stamp: Uint32Array;
    readonly slot: Int32Array;
    epoch = 0;

    constructor(readonly capacity: number) {
        this.stamp = new Uint32Array(capacity);
        this.slot = new Int32Array(capacity);
    }

    /** Start a new epoch (forget every mark). */
    next(): void {
        this.epoch++;
        if (this.epoch === 0xffffffff) {
            this.stamp.fill(0);
            this.epoch = 1;
        }
    }

    mark(id: number, slot = 0): void {
        this.stamp[id] = this.epoch;
        this.slot[id] = slot;
    }

    has(id: number): boolean {
        return this.stamp[id] === this.epoch;
    }
}

/** Scratch per capacity, created on first use (a sampler does not know the vocabulary size before its first step). */
export function marksFor(current: TokenMarks | undefined, capacity: number): TokenMarks {
    return current !== undefined && current.capacity === capacity ? current : new TokenMarks(capacity);
}

/**
 * Call visit(position, k) for each k in [0, count) whose token targets[k] is in the candidate set.
 * Fast path, as in llama.cpp's logit bias: while the set is untouched, token t sits at position t.
 * Tokens not found there are looked up in one pass over the set. `targets` must be distinct.
 */
export function visitTokens(
    c: Candidates, targets: ArrayLike<number>, count: number, marks: TokenMarks, visit: (position: number, k: number) => void,
): void {
    const ids = c.ids;
    const n = c.size;
    let missing = 0;
    marks.next();
    for (let k = 0; k < count; k++) {
        const id = targets[k];
        if (id < n && ids[id] === id) visit(id, k);
        else if (id >= 0 && id < marks.capacity) {
            marks.mark(id, k);
            missing++;
        }
    }
    if (missing === 0) return;
    for (let i = 0; i < n; i++) {
        const id = ids[i];
        if (marks.stamp[id] === marks.epoch) {
            visit(i, marks.slot[id]);
            if (--missing === 0) return;
        }
    }
}

/**
 * Remove the candidates whose token is marked in the current epoch of `marks` (a ban), preserving
 * the order. A ban that would leave nothing is a RuntimeError naming `who` — drawing a banned token
 * instead would silently break the ban.
 */
export function removeMarked(c: Candidates, marks: TokenMarks, who: string): void {
    const ids = c.ids;
    let left = 0;
    for (let i = 0; i < c.size; i++) if (!marks.has(ids[i])) left++;
    if (left === c.size) return;
    if (left === 0) throw new RuntimeError(`${who} banned every remaining candidate`);
    compact(c, (i) => !marks.has(ids[i]));
}

/**
 * Weighted selection by a key other than the logit (typical sampling). probs[0, size) holds the
 * weights and keys[0, size) the keys; the order is key ascending, then logit descending, then id
 * ascending (a strict total order, ids being distinct). Afterwards [0, cut) holds the smallest
 * prefix in that order whose weight sums to ≥ target (in no particular order), and cut is returned;
 * when even the whole set falls short (rounding), cut = size.
 *
 * Expected O(size): weighted quickselect with median-of-three pivots; past a depth limit the
 * remaining range is sorted (O(r log r), never reached on real inputs).
 */
export function selectByKey(c: Candidates, keys: Float64Array, target: number): number {
    const ids = c.ids;
    const lg = c.logits;
    const w = c.probs;
    const n = c.size;
    if (!(target > 0)) return Math.min(1, n);
    const less = (i: number, j: number): boolean => {
        const a = keys[i];
        const b = keys[j];
        if (a !== b) return a < b;
        if (lg[i] !== lg[j]) return lg[i] > lg[j];
        return ids[i] < ids[j];
    };
    const swap = (i: number, j: number): void => {
        const id = ids[i]; ids[i] = ids[j]; ids[j] = id;
        const l = lg[i]; lg[i] = lg[j]; lg[j] = l;
        const x = w[i]; w[i] = w[j]; w[j] = x;
        const k = keys[i]; keys[i] = keys[j]; keys[j] = k;
    };
    let lo = 0;
    let hi = n;
    let need = target;
    let depth = 0;
    const depthLimit = 4 * Math.ceil(Math.log2(n + 1)) + 16;
    while (hi - lo > 16 && depth++ < depthLimit) {
        // Median of three to lo, then Lomuto partition around it.
        const mid = (lo + hi) >>> 1;
        const last = hi - 1;
        if (less(mid, lo)) swap(mid, lo);
        if (less(last, lo)) swap(last, lo);
        if (less(last, mid)) swap(last, mid);
        swap(lo, mid); // the median is now at lo
        let store = lo + 1;
        let leftMass = 0;
        for (let i = lo + 1; i < hi; i++) {
            if (less(i, lo)) {
                leftMass += w[i];
                if (i !== store) swap(i, store);
                store++;
            }
        }
        const p = store - 1;
        swap(lo, p); // pivot to its final place; [lo, p) < pivot < (p, hi)
        if (leftMass >= need) {
            hi = p;
        } else if (leftMass + w[p] >= need) {
            return p + 1;
        } else {
            need -= leftMass + w[p];
            lo = p + 1;
        }
    }
    // Finish [lo, hi) in order.
    if (hi - lo > 1) {
        const order = Array.from({length: hi - lo}, (_, k) => lo + k);
        order.sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
        const tmpIds = order.map((i) => ids[i]);
        const tmpLg = order.map((i) => lg[i]);
        const tmpW = order.map((i) => w[i]);
        const tmpK = order.map((i) => keys[i]);
        for (let k = 0; k < order.length; k++) {
            ids[lo + k] = tmpIds[k];
            lg[lo + k] = tmpLg[k];
            w[lo + k] = tmpW[k];
            keys[lo + k] = tmpK[k];
        }
    }
    for (let i = lo; i < hi; i++) {
        need -= w[i];
        if (need <= 0) return i + 1;
    }
    return n;
}

/** The index (in [0, size)) of the worst candidate: lowest logit, ties → higher id. */
export function argminIndex(c: Candidates, positions: ArrayLike<number>, count: number): number {
    const ids = c.ids;
    const lg = c.logits;
    let worst = positions[0];
    for (let k = 1; k < count; k++) {
        const i = positions[k];
        if (lg[i] < lg[worst] || (lg[i] === lg[worst] && ids[i] > ids[worst])) worst = i;
    }
    return worst;
}

/**
 * Counts of each token among the last `lastN` tokens of a history (−1 = all of it, 0 = none),
 * with the list of distinct tokens, recomputed per step in O(window) on reused buffers.
 */
export class WindowCounts {
    counts: Int32Array = new Int32Array(0);
    distinct: Int32Array = new Int32Array(0);
    size = 0;

    constructor(readonly lastN: number) {}

    /** Count the window of `history`; tokens outside [0, capacity) are ignored. */
    update(history: ArrayLike<number>, capacity: number): void {
        if (this.counts.length !== capacity) {
            this.counts = new Int32Array(capacity);
            this.size = 0;
        }
        const counts = this.counts;
        for (let k = 0; k < this.size; k++) counts[this.distinct[k]] = 0;
        this.size = 0;
        const end = history.length;
        const start = this.lastN < 0 ? 0 : Math.max(0, end - this.lastN);
        if (this.distinct.length < end - start) this.distinct = new Int32Array(Math.max(64, 2 * (end - start)));
        for (let i = start; i < end; i++) {
            const t = history[i];
            if (!(t >= 0 && t < capacity)) continue;
            if (counts[t]++ === 0) this.distinct[this.size++] = t;
        }
    }
}
