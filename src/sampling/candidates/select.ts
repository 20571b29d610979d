/**
 * Selection and sorting by logit (higher first, ties → lower id) over a candidate set's buffers: the
 * bounded heap scan for a few wanted candidates (HeapSelector, which owns the heap's scratch and also
 * compares under a pending temperature), quickselect on packed keys for many (KeySelector), and the
 * introsort on packed keys that finishes both (sortKeys). Candidates.selectTop chooses between them;
 * it owns the flags, this module only moves ids and logits.
 *
 * Packed keys (a float bit trick): a candidate's float32 logit bits, turned into an order-preserving
 * integer, times 2^21, plus its token id — one float64 that sorts ascending = better first (−0 counts
 * as +0). The id takes the low 21 bits, hence MAX_VOCAB.
 *
 * Performance notes, measured: long loops each sit in a function of their own with nothing after
 * them (V8 compiles a long loop on-stack during its first run, and code after such a loop that has
 * never run yet deoptimizes that compiled code again and again); the selectors keep the set's buffers
 * as fields rather than taking them as arguments (4–12% faster loops); and a constant read in a hot
 * loop must be a module-local, unexported const — an imported or exported one is read through a cell
 * on every use (10% on top-k=1000).
 */
import {quotientFloor} from "./temperature.js";

/** 2^21: the id's share of a packed key (unexported: read in hot loops). */
const ID_SCALE = 2097152;
/** Largest vocabulary the candidate buffers support: token ids take the low 21 bits of a packed key. */
export const MAX_VOCAB = ID_SCALE;

/** Up to this many wanted candidates, selection is a bounded heap scan (no key encoding). */
export const HEAP_SELECT_MAX = 256;
/** Ranges this small are finished with a plain sort. */
export const SMALL_RANGE = 24;

/**
 * Bounded heap selection over one set's buffers: a min-heap ("worst on top") of at most
 * HEAP_SELECT_MAX candidates, reused across calls.
 */
export class HeapSelector {
    private readonly heapIds = new Int32Array(HEAP_SELECT_MAX);
    /** The heap's comparison values (the logits, divided by a pending temperature if any)... */
    private readonly heapLogits = new Float32Array(HEAP_SELECT_MAX);
    /** ...and the stored values written back (differ only while a temperature is pending). */
    private readonly heapRaw = new Float32Array(HEAP_SELECT_MAX);
    private readonly heapPos = new Int32Array(HEAP_SELECT_MAX);
    private readonly heapTaken = new Uint8Array(HEAP_SELECT_MAX);

    /** ids and logits are the set's buffers (the stored logits, before any pending division). */
    constructor(private readonly ids: Int32Array, private readonly lg: Float32Array) {}

    /**
     * Place the m − from best of [from, n) at [from, m), sorted best-first (m − from ≤
     * HEAP_SELECT_MAX); the candidates they displace move to the winners' old slots. `divisor` is a
     * pending temperature (1 = none): comparisons use the float32 quotients the division will store,
     * while the stored values are moved unchanged.
     */
    select(n: number, from: number, m: number, divisor: number): void {
        const ids = this.ids;
        const lg = this.lg;
        const c = m - from;
        const hI = this.heapIds;
        const hL = this.heapLogits;
        const hR = this.heapRaw;
        const hP = this.heapPos;
        for (let t = 0; t < c; t++) {
            hI[t] = ids[from + t];
            hR[t] = lg[from + t];
            hL[t] = divisor === 1 ? lg[from + t] : lg[from + t] / divisor;
            hP[t] = from + t;
        }
        for (let t = (c >> 1) - 1; t >= 0; t--) this.siftDown(t, c);
        if (divisor === 1) this.scan(from + c, n, c);
        else this.scanDivided(from + c, n, c, divisor);
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

    /** The long loop of select, alone in its own function (see the header). */
    private scan(start: number, end: number, count: number): void {
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
            this.push(i, count);
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
                this.push(q, count);
                rootLogit = hL[0];
                rootId = hI[0];
            }
        }
    }

    /** Replace the heap's root (its worst member) by the candidate at position i. */
    private push(i: number, count: number): void {
        this.heapLogits[0] = this.lg[i];
        this.heapRaw[0] = this.lg[i];
        this.heapIds[0] = this.ids[i];
        this.heapPos[0] = i;
        this.siftDown(0, count);
    }

    /**
     * scan while a temperature t is pending: compares the quotients the division will store
     * (float32 of logit / t), so ties that rounding creates are broken by id exactly as if the
     * logits had been divided first. A block of four is skipped when all its stored values lie
     * below a threshold under which no quotient can reach the root's (see quotientFloor).
     */
    private scanDivided(start: number, end: number, count: number, t: number): void {
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
            this.pushDivided(i, q, count);
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
                this.pushDivided(k, q, count);
                if (hL[0] !== rootLogit) floor = quotientFloor(hL[0], t);
                rootLogit = hL[0];
                rootId = hI[0];
            }
        }
    }

    /** push with the quotient q as the comparison value. */
    private pushDivided(i: number, q: number, count: number): void {
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
 * Quickselect, sorting and the packed-key codec over one set's buffers (kept as fields, like
 * HeapSelector's): `bits` is the logits' raw bits, `keys` scratch as long as the buffers.
 */
export class KeySelector {
    constructor(private readonly ids: Int32Array, private readonly bits: Uint32Array, private readonly keys: Float64Array) {}

    /** Afterwards [from, m) holds the m − from best of [from, n) sorted, and [m, n) the rest. */
    select(n: number, from: number, m: number): void {
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

    /** Sort [lo, hi) of the set. */
    sortRange(lo: number, hi: number): void {
        this.encode(lo, hi);
        sortKeys(this.keys, lo, hi);
        this.decode(lo, hi);
    }

    /** keys[i] for i in [lo, hi): ascending key = descending logit, then ascending id. −0 counts as +0. */
    encode(lo: number, hi: number): void {
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

    /** Inverse of encode: rewrite the ids and logits of [lo, hi) from keys. */
    decode(lo: number, hi: number): void {
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
}

/**
 * Sort a[lo, hi) ascending: introsort (median-of-3 quicksort, insertion sort below 16 elements,
 * heapsort past the depth limit — pass depth 0 to force it).
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

/** The median of three keys (the pivot of every quickselect and quicksort here). */
export function medianOf3(a: number, b: number, c: number): number {
    if (a < b) {
        if (b < c) return b;
        return a < c ? c : a;
    }
    if (a < c) return a;
    return b < c ? c : b;
}
