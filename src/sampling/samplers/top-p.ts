import {BUCKET_MIN_REGION, MassSelector} from "../candidates/mass.js";
import {HEAP_SELECT_MAX} from "../candidates/select.js";
import {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler} from "../types.js";

/** First prefix tried: enough for the usual peaked next-token distribution. */
const INITIAL_PREFIX = 64;
/** decideFromBounds: every SAMPLE_STRIDE-th candidate of the rest estimates its mass. */
const SAMPLE_STRIDE = 64;
/** A prefix growth larger than this switches to weighted selection over the rest. */
const MAX_PREFIX_STEP = HEAP_SELECT_MAX;
/**
 * Relative tolerance of the cumulative test. The total mass Z is summed in index order and the
 * prefix mass in sorted order, so the two float64 sums can disagree by a few ulp per term (worst
 * case ≈ n·2^-53 ≈ 3e-11 at n = 256k). The test is cum ≥ p·Z·(1 − 1e-9): a cumulative mass that
 * equals p in exact arithmetic is never missed because of summation order. 1e-9 is far below the
 * precision of the float32 logits (≈ 6e-8 relative), so no genuine decision changes.
 */
export const TOP_P_RELATIVE_EPSILON = 1e-9;

/**
 * Top-p (nucleus; Holtzman et al. 2019): order the tokens by probability (ties → lower id) and keep
 * the smallest prefix whose cumulative probability is ≥ p (at least one token). p = 1 keeps all.
 *
 * Never sorts the vocabulary: it selects the best 64, sorts them and accumulates; if the mass is not
 * reached it grows the prefix (size guided by a lower bound: every remaining token weighs at most as
 * much as the last one seen), and if the prefix must grow by more than 256 at once — a flat tail that
 * must be partly kept — it finishes with an expected-linear weighted quickselect. Small results stay
 * sorted; a result found by weighted selection is left unsorted.
 */
export class TopPSampler implements Sampler {
    static readonly NAME = "top-p";
    readonly name = TopPSampler.NAME;
    readonly spec: string;
    /** The mass histograms and key scratch of the large-set paths. */
    private readonly mass = new MassSelector();
    /** decideFromBounds: the weights of the sorted prefix (at most INITIAL_PREFIX long). */
    private readonly prefixWeights = new Float64Array(INITIAL_PREFIX);

    constructor(readonly p: number) {
        if (!(p > 0 && p <= 1)) throw new RangeError(`top-p must be in (0, 1], got ${p}`);
        this.spec = formatSpec(TopPSampler.NAME, [p]);
    }

    apply(candidates: Candidates): void {
        const n = candidates.size;
        if (this.p >= 1 || n <= 1) return;
        const wasSorted = candidates.sorted;
        let m = wasSorted ? n : Math.min(INITIAL_PREFIX, n);
        if (!wasSorted) candidates.selectTop(m);
        const lg = candidates.logits;
        const max = lg[0];
        // A large unsorted set: one pass gives the normaliser and the mass histogram (no stored
        // weights), so a flat tail that must be partly kept costs one more pass, not three.
        const profile = !wasSorted && n >= BUCKET_MIN_REGION && Number.isFinite(max);
        if (profile && this.decideFromBounds(candidates, m, max)) return;
        const total = profile ? this.mass.massProfile(candidates, max) : candidates.weights(max);
        const w = candidates.probs;
        const target = this.p * total * (1 - TOP_P_RELATIVE_EPSILON);
        let cum = 0;
        let i = 0;
        let weightsAligned = !profile; // probs[i] = weight of position i, until the prefix is grown
        for (;;) {
            for (; i < m; i++) {
                cum += weightsAligned ? w[i] : Candidates.weight(lg[i], max);
                if (cum >= target) {
                    candidates.keepSortedPrefix(i + 1);
                    return;
                }
            }
            if (m >= n) return; // the whole set (only reachable through rounding)
            const last = Candidates.weight(lg[m - 1], max);
            const need = target - cum;
            const atLeast = last > 0 ? Math.min(n, Math.ceil(need / last)) : n;
            const step = Math.max(m, atLeast);
            if (step > MAX_PREFIX_STEP) {
                const cut = profile
                    ? this.mass.selectMass(candidates, 0, target, max, "profiled")
                    : this.mass.selectMass(candidates, m, need, max, weightsAligned);
                candidates.truncate(cut);
                candidates.markUnsorted();
                return;
            }
            const next = Math.min(n, m + step) | 0;
            candidates.selectTop(next, m);
            weightsAligned = false;
            m = next;
        }
    }

    /**
     * The common peaked case without one exponential per token: the normaliser Z lies between the
     * exact weight of the sorted prefix [0, m ≤ INITIAL_PREFIX) plus lower and upper bounds on the
     * rest (MassSelector.restMassBounds: one counting pass). Walking the prefix, a position whose
     * cumulative weight clears the cut for every Z in that interval — and whose predecessors fail it
     * for every Z — is exactly where the exact test (against the computed Z, with its tolerance)
     * stops too, so the result is the same kept set. Returns false, having changed nothing in the
     * set, when the interval cannot decide within the prefix (a flat tail, or a cut too close to
     * call): the caller then computes Z exactly.
     */
    private decideFromBounds(candidates: Candidates, m: number, max: number): boolean {
        const lg = candidates.logits;
        const w = this.prefixWeights;
        let head = 0;
        for (let i = 0; i < m; i++) {
            const x = Candidates.weight(lg[i], max);
            w[i] = x;
            head += x;
        }
        // A strided sample of the rest predicts whether the prefix can reach the cut at all; when it
        // clearly cannot (a flat tail holding more than 1 − p of the mass), the counting pass would
        // be wasted. Only the path depends on this guess, never the result.
        const n = candidates.size;
        let sample = 0;
        let sampled = 0;
        for (let i = m; i < n; i += SAMPLE_STRIDE) {
            sample += Candidates.weight(lg[i], max);
            sampled++;
        }
        if (sampled > 0 && head < this.p * (head + sample * ((n - m) / sampled)) * 0.98) return false;
        const rest = this.mass.restMassBounds(candidates, max, m);
        // The head was summed in sorted order; the exact Z sums every weight in buffer order: the
        // same terms, rounding apart by far less than the bounds' 1e-9 widening.
        const scale = this.p * (1 - TOP_P_RELATIVE_EPSILON);
        const sureFail = scale * (head * (1 - 1e-9) + rest.low); // cum below this fails for every Z
        const surePass = scale * (head * (1 + 1e-9) + rest.high); // cum at or above this passes for every Z
        let cum = 0;
        for (let i = 0; i < m; i++) {
            cum += w[i];
            if (cum >= surePass) {
                candidates.keepSortedPrefix(i + 1);
                return true;
            }
            if (!(cum < sureFail)) return false;
        }
        return false;
    }
}
