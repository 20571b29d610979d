/**
 * Top-p's mass machinery over a candidate set, by histograms of l − max instead of one exponential
 * and one sort per candidate:
 *
 * - restMassBounds: lower and upper bounds on the mass of a range, from one counting pass;
 * - massProfile: the exact normaliser Z and the mass per bucket of the whole set, in one pass;
 * - selectMass: the smallest set of best candidates whose weights reach a target (weighted
 *   selection), via the histogram and a weighted quickselect on packed keys.
 *
 * A MassSelector owns the histograms and the key scratch; the top-p sampler owns the MassSelector
 * (the shared candidate set knows nothing of it). The two histogram passes over the whole set are
 * free functions over typed arrays, exported for the JIT warm-up (warmup.ts).
 */
import {expNonPos, expSumHistogram} from "../exp.js";
import {KeySelector, MAX_VOCAB, medianOf3, SMALL_RANGE, sortKeys} from "./select.js";
import {Candidates} from "./set.js";

/**
 * The id's share of a packed key (ids < MAX_VOCAB take its low digits), as a module-local const for
 * splitAtBucket's loop: an imported or exported binding is read through a cell on every use.
 */
const ID_SCALE = MAX_VOCAB;

/** selectMass histogram: buckets of 1/BUCKET_SCALE nat of l − max; the last one takes everything below −64. */
const BUCKET_SCALE = 16;
const BUCKETS = 1024;
/** Regions smaller than this skip the histogram and go straight to weighted quickselect. */
export const BUCKET_MIN_REGION = 4096;
/** restMassBounds: buckets of 1/BOUND_SCALE nat of max − l; the last one takes everything below −64. */
const BOUND_SCALE = 128;
const BOUND_BUCKETS = 64 * BOUND_SCALE;

/** Bounds on a mass Σ e^(l − max): low ≤ mass ≤ high. */
export interface MassBounds {
    readonly low: number;
    readonly high: number;
}

export class MassSelector {
    /** selectMass: the weight per bucket (from massProfile, or from selectMass's own first pass). */
    private readonly bucketMass = newMassHistogram();
    /** massProfile: the even- and odd-position histograms, added into bucketMass. */
    private readonly bucketPair = new Float64Array(2 * BUCKETS);
    /** restMassBounds: candidate counts per bucket, even and odd positions apart. */
    private readonly boundCounts = new Int32Array(2 * BOUND_BUCKETS);
    /** Packed keys of the candidates being resolved exactly (grown to the vocabulary on first use). */
    private keys = new Float64Array(0);
    /** What massProfile measured (the max and the set size), so that selectMass can trust bucketMass. */
    private profiledMax = NaN;
    private profiledSize = -1;

    /**
     * Bounds on the mass of [from, size) of `c` without one exponential per candidate: one counting
     * pass puts every candidate in a 1/128-nat bucket of l − max, and each bucket's mass lies between
     * its count times the weights of its two edges. Both bounds are widened by 1e-9 (relative) to
     * cover the rounding of the sums (≤ n·2^-53), so that low ≤ Σ e^(l − max) ≤ high holds for the
     * float64 sum massProfile / Candidates.weights would compute. `max` must be finite and ≥ every
     * logit of the range. Cost: one pass, no stores but counts.
     */
    restMassBounds(c: Candidates, max: number, from: number): MassBounds {
        const counts = this.boundCounts;
        counts.fill(0);
        countBuckets(c.logits, max, from | 0, c.size, counts);
        let lo = 0;
        let hi = 0;
        const edge = boundEdges();
        for (let b = 0; b < BOUND_BUCKETS; b++) {
            const n = counts[b] + counts[BOUND_BUCKETS + b];
            if (n === 0) continue;
            hi += n * edge[b];
            if (b < BOUND_BUCKETS - 1) lo += n * edge[b + 1];
        }
        return {low: lo * (1 - 1e-9), high: hi * (1 + 1e-9)};
    }

    /**
     * The mass profile of the whole set, in one pass with no vocabulary-sized store: returns
     * Z = Σ e^(l_i − max) (the same float64 value as c.weights(max)) and keeps the histogram of the
     * weights by bucket, which selectMass(c, 0, target, max, "profiled") then uses instead of its
     * own two passes. `max` must be finite and ≥ every logit. Reordering the set keeps the profile
     * valid; any other change invalidates it.
     */
    massProfile(c: Candidates, max: number): number {
        const lg = c.logits;
        const n = c.size;
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
     * Weighted selection, for top-p when the kept prefix is large. Region [from, size) of `c` is
     * rearranged so that [from, cut) holds the smallest set of best candidates whose weights
     * e^(l − max) sum to ≥ target (unordered); returns cut. Precondition as Candidates.selectTop:
     * everything in [0, from) is better than everything in [from, size). If the region's whole weight
     * is < target (rounding), cut = size. The caller then truncates the set to cut and marks it
     * unsorted; the rest of the region is left as scratch.
     *
     * Large regions: one pass builds a histogram of the weights by 1/16-nat bucket of l − max, which
     * locates the bucket where the cumulative mass crosses the target; a second pass copies the
     * buckets above it to the front and stages that bucket aside; only that bucket is resolved
     * exactly (by weighted quickselect on packed keys). Expected O(size − from), no sort.
     *
     * The weights are the set's probs, which this permutes along with the candidates it moves:
     * weightsReady = true when c.probs[from, size) already holds e^(l − max) for the current positions
     * (right after c.weights(max)), to skip the exps; "profiled" (from = 0 only) right after
     * massProfile(c, max), to skip the exps and the histogram pass; false to compute them here.
     */
    selectMass(c: Candidates, from: number, target: number, max: number, weightsReady: boolean | "profiled" = false): number {
        const n = c.size;
        if (from >= n) return n;
        from = from | 0;
        if (!(target > 0)) return from;
        const profiled = weightsReady === "profiled" && from === 0 && this.profiledMax === max && this.profiledSize === n;
        if (!profiled && weightsReady !== true) c.weights(max, from);
        if (this.keys.length < c.capacity) this.keys = new Float64Array(c.capacity);
        const codec = new KeySelector(c.ids, c.logitBits, this.keys);
        if (!profiled && n - from < BUCKET_MIN_REGION) return this.massSelect(c, codec, from, n, target, max);

        const ids = c.ids;
        const lg = c.logits;
        const hist = this.bucketMass;
        if (!profiled) {
            hist.fill(0);
            bucketize(lg, c.probs, hist, from, n, max);
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
        const split = splitAtBucket(ids, lg, c.logitBits, this.keys, from, n, max, crossing);
        const a = split.end;
        const staged = split.staged;
        if (staged === 0) return a;
        this.keys.copyWithin(a, 0, staged);
        codec.decode(a, a + staged);
        c.weights(max, a, a + staged);
        return this.massSelect(c, codec, a, a + staged, need, max);
    }

    /**
     * Weighted quickselect on [from, to) of `c`, c.probs holding the weights (permuted along with the
     * candidates): afterwards [from, cut) holds the smallest set of best candidates of the range whose
     * weights sum to ≥ need; returns cut (to if the range's weight falls short through rounding).
     */
    private massSelect(c: Candidates, codec: KeySelector, from: number, to: number, need: number, max: number): number {
        if (!(need > 0)) return from;
        if (from >= to) return to;
        codec.encode(from, to);
        const keys = this.keys;
        const w = c.probs;
        const lg = c.logits;
        let lo = from;
        let hi = to;
        let cut = to;
        let depth = 0;
        const depthLimit = 4 * Math.ceil(Math.log2(to - from + 1)) + 8;
        for (;;) {
            if (hi - lo <= SMALL_RANGE || depth++ > depthLimit) {
                // Finish exactly: sort the range, accumulate in order.
                sortKeys(keys, lo, hi);
                codec.decode(lo, hi);
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
        codec.decode(from, to);
        return cut;
    }
}

/** An empty histogram for bucketize and splitAtBucket. */
export function newMassHistogram(): Float64Array {
    return new Float64Array(BUCKETS);
}

/** selectMass, pass 1: add the weight w[i] of every i in [from, to) to its bucket of l − max. */
export function bucketize(lg: Float32Array, w: Float64Array, hist: Float64Array, from: number, to: number, max: number): void {
    const last = BUCKETS - 1;
    for (let i = from; i < to; i++) {
        const y = (max - lg[i]) * BUCKET_SCALE; // ≥ 0; +∞ (or NaN for an infinite max) → last bucket
        hist[y < last ? y | 0 : last] += w[i];
    }
}

/** What splitAtBucket did: [from, end) holds the candidates kept for sure; keys[0, staged) the crossing bucket. */
export interface Split {
    readonly end: number;
    readonly staged: number;
}

/**
 * selectMass, pass 2: compact the candidates of [from, to) whose bucket is above `crossing` to the
 * front (stable copy, no swaps) and stage those of the crossing bucket as packed keys in
 * keys[0, staged). The rest of the range becomes scratch — fine, since selectMass's caller truncates
 * there.
 */
export function splitAtBucket(
    ids: Int32Array, lg: Float32Array, bits: Uint32Array, keys: Float64Array, from: number, to: number, max: number, crossing: number,
): Split {
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
    return {end: a, staged};
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
/** e^(−b/BOUND_SCALE) for b in [0, BOUND_BUCKETS], built on first use (a constant table). */
function boundEdges(): Float64Array {
    if (edges === undefined) {
        edges = new Float64Array(BOUND_BUCKETS + 1);
        for (let b = 0; b <= BOUND_BUCKETS; b++) edges[b] = expNonPos(-b / BOUND_SCALE);
    }
    return edges;
}
