/**
 * Test helpers: a naive reference implementation of every sampler (full sort, Math.exp, plain
 * arrays — deliberately nothing shared with src/sampling), χ² machinery, seeded vectors.
 */
import assert from "node:assert/strict";
import {createRng, parseStrategy, SamplerChain, type StepContext} from "../../../src/sampling/index.js";

export function ctxFor(seed = 1): StepContext {
    return {history: [], promptLength: 0, rng: createRng(seed), trueLogits: true};
}

export function chainFor(spec: string, vocab: number): SamplerChain {
    const s = parseStrategy(spec);
    assert.equal(s.kind, "sample");
    if (s.kind !== "sample") throw new Error("unreachable");
    return new SamplerChain(s.samplers, vocab);
}

/** Kept ids and q of `spec` on `logits`, via the real chain, sorted by q desc then id. */
export function keepOf(spec: string, logits: ArrayLike<number>): {ids: number[]; q: number[]} {
    const kept = chainFor(spec, logits.length).keep(logits, ctxFor());
    return {ids: kept.map((k) => k.id), q: kept.map((k) => k.q)};
}

export function assertClose(actual: readonly number[], expected: readonly number[], tol = 1e-6, what = "values"): void {
    assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
    for (let i = 0; i < actual.length; i++) {
        const a = actual[i];
        const e = expected[i];
        if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) assert.fail(`${what}[${i}]: got ${a}, expected ${e} (tol ${tol})`);
    }
}

// ---- reference implementation ---------------------------------------------------------------------

export type RefOp =
    | {op: "temp"; t: number}
    | {op: "greedy"}
    | {op: "top-k"; k: number}
    | {op: "top-p"; p: number}
    | {op: "min-p"; a: number};

/** A reference state: the kept ids (in some order) and every token's current logit. */
export interface RefState {
    ids: number[];
    logit: Float64Array;
}

function sortByLogit(ids: readonly number[], logit: Float64Array): number[] {
    return [...ids].sort((a, b) => (logit[a] !== logit[b] ? (logit[a] > logit[b] ? -1 : 1) : a - b));
}

function refProbs(ids: readonly number[], logit: Float64Array): number[] {
    let max = -Infinity;
    for (const id of ids) if (logit[id] > max) max = logit[id];
    const w = ids.map((id) => (logit[id] === max ? 1 : Math.exp(logit[id] - max)));
    let z = 0;
    for (const x of w) z += x;
    return w.map((x) => x / z);
}

const SORTED = new WeakMap<object, number[]>();

/**
 * Apply the ops naively: full sorts everywhere, Math.exp, plain arrays. Logits after temperature are
 * rounded to float32, like the real buffer. The full sort of an untransformed vector is memoised per
 * vector (it is the slow part at 128k).
 */
export function refApply(logits: ArrayLike<number>, ops: readonly RefOp[]): RefState {
    const n = logits.length;
    let logit = new Float64Array(n);
    const initial: number[] = [];
    for (let id = 0; id < n; id++) {
        logit[id] = Math.fround(logits[id]);
        initial.push(id);
    }
    let ids = initial;
    let transformed = false;
    const sorted = (): number[] => {
        if (transformed || ids !== initial) return sortByLogit(ids, logit);
        let memo = SORTED.get(logits as object);
        if (!memo) SORTED.set(logits as object, (memo = sortByLogit(ids, logit)));
        return memo;
    };
    for (const op of ops) {
        switch (op.op) {
            case "temp":
                if (op.t === 0) {
                    ids = sorted().slice(0, 1);
                } else {
                    logit = logit.map((x) => Math.fround(x / op.t));
                    transformed = true;
                }
                break;
            case "greedy":
                ids = sorted().slice(0, 1);
                break;
            case "top-k":
                ids = sorted().slice(0, op.k);
                break;
            case "top-p": {
                if (op.p >= 1) break;
                const order = sorted();
                const probs = refProbs(order, logit);
                let cum = 0;
                let keep = order.length;
                for (let i = 0; i < order.length; i++) {
                    cum += probs[i];
                    if (cum >= op.p) {
                        keep = i + 1;
                        break;
                    }
                }
                ids = order.slice(0, keep);
                break;
            }
            case "min-p": {
                if (op.a === 0) break;
                let max = -Infinity;
                for (const id of ids) if (logit[id] > max) max = logit[id];
                ids = ids.filter((id) => logit[id] === max || Math.exp(logit[id] - max) >= op.a);
                break;
            }
        }
    }
    return {ids, logit};
}

/** The reference kept set, dense: out[id] = renormalised probability, NaN when not kept. */
export function refKeepDense(logits: ArrayLike<number>, ops: readonly RefOp[]): Float64Array {
    const {ids, logit} = refApply(logits, ops);
    const q = refProbs(ids, logit);
    const out = new Float64Array(logits.length).fill(Number.NaN);
    for (let i = 0; i < ids.length; i++) out[ids[i]] = q[i];
    return out;
}

/** The reference kept set with its renormalised probabilities, sorted by q desc then id. */
export function refKeep(logits: ArrayLike<number>, ops: readonly RefOp[]): {ids: number[]; q: number[]} {
    const {ids, logit} = refApply(logits, ops);
    const q = refProbs(ids, logit);
    const pairs = ids.map((id, i) => ({id, q: q[i]})).sort((a, b) => b.q - a.q || a.id - b.id);
    return {ids: pairs.map((p) => p.id), q: pairs.map((p) => p.q)};
}

/** The real chain's kept set, dense: out[id] = q, NaN when not kept (via apply + softmax, no sorting). */
export function keepDenseOf(spec: string, logits: ArrayLike<number>): Float64Array {
    const c = chainFor(spec, logits.length).apply(logits, ctxFor());
    c.softmax();
    const out = new Float64Array(logits.length).fill(Number.NaN);
    for (let i = 0; i < c.size; i++) out[c.ids[i]] = c.probs[i];
    return out;
}

// ---- χ² ----------------------------------------------------------------------------------------------

/** ln Γ(x), Lanczos approximation (g = 7, n = 9), |error| < 1e-13 for x > 0. */
export function logGamma(x: number): number {
    const c = [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];
    if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
    x -= 1;
    let a = c[0];
    const t = x + 7.5;
    for (let i = 1; i < 9; i++) a += c[i] / (x + i);
    return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a) (series / Lentz continued fraction). */
export function gammaQ(a: number, x: number): number {
    if (x <= 0) return 1;
    const lead = Math.exp(-x + a * Math.log(x) - logGamma(a));
    if (x < a + 1) {
        let sum = 1 / a;
        let term = sum;
        for (let n = 1; n < 10000; n++) {
            term *= x / (a + n);
            sum += term;
            if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
        }
        return 1 - sum * lead;
    }
    const tiny = 1e-300;
    let b = x + 1 - a;
    let c = 1 / tiny;
    let d = 1 / b;
    let h = d;
    for (let i = 1; i < 10000; i++) {
        const an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (Math.abs(d) < tiny) d = tiny;
        c = b + an / c;
        if (Math.abs(c) < tiny) c = tiny;
        d = 1 / d;
        const delta = d * c;
        h *= delta;
        if (Math.abs(delta - 1) < 1e-16) break;
    }
    return lead * h;
}

/** P(χ²_df ≥ x). */
export function chi2Survival(x: number, df: number): number {
    return gammaQ(df / 2, x / 2);
}

/** The critical value c with P(χ²_df ≥ c) = alpha, by bisection on the exact survival function. */
export function chi2Critical(df: number, alpha: number): number {
    let lo = 0;
    let hi = Math.max(10, df);
    while (chi2Survival(hi, df) > alpha) hi *= 2;
    for (let i = 0; i < 200; i++) {
        const mid = (lo + hi) / 2;
        if (chi2Survival(mid, df) > alpha) lo = mid;
        else hi = mid;
    }
    return (lo + hi) / 2;
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
    const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
    const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
    const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    const low = 0.02425;
    if (p < low) {
        const q = Math.sqrt(-2 * Math.log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - low) return -normalQuantile(1 - p);
    const q = p - 0.5;
    const r = q * q;
    return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Wilson–Hilferty approximation of the χ² critical value (for cross-checking chi2Critical). */
export function chi2CriticalWilsonHilferty(df: number, alpha: number): number {
    const z = normalQuantile(1 - alpha);
    const k = 2 / (9 * df);
    return df * Math.pow(1 - k + z * Math.sqrt(k), 3);
}

export interface Chi2Result {
    statistic: number;
    df: number;
    critical: number;
    pValue: number;
}

/**
 * Pearson's χ² of observed counts against probabilities q. Cells with q = 0 must have count 0 and
 * are excluded; cells with an expected count below 5 are pooled into one cell (merged into the
 * smallest regular cell if the pool itself stays below 5), as the χ² approximation requires.
 */
export function chi2Test(counts: ReadonlyMap<number, number>, expected: ReadonlyMap<number, number>, draws: number, alpha = 0.001): Chi2Result {
    for (const id of counts.keys()) assert.ok(expected.has(id), `token ${id} was drawn but is outside the kept set`);
    const cells: {observed: number; expected: number}[] = [];
    const pool = {observed: 0, expected: 0};
    for (const [id, q] of expected) {
        const observed = counts.get(id) ?? 0;
        if (q === 0) {
            assert.equal(observed, 0, `token ${id} has probability 0 but was drawn ${observed} times`);
            continue;
        }
        const e = draws * q;
        if (e < 5) {
            pool.observed += observed;
            pool.expected += e;
        } else {
            cells.push({observed, expected: e});
        }
    }
    if (pool.expected >= 5) cells.push(pool);
    else if (pool.expected > 0 && cells.length > 0) {
        const smallest = cells.reduce((a, b) => (b.expected < a.expected ? b : a));
        smallest.observed += pool.observed;
        smallest.expected += pool.expected;
    }
    let statistic = 0;
    for (const c of cells) statistic += ((c.observed - c.expected) * (c.observed - c.expected)) / c.expected;
    const df = cells.length - 1;
    return {statistic, df, critical: df > 0 ? chi2Critical(df, alpha) : Infinity, pValue: df > 0 ? chi2Survival(statistic, df) : 1};
}

// ---- vectors -----------------------------------------------------------------------------------------

export function gaussian(rng: {next(): number}): number {
    const u = 1 - rng.next();
    const v = rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * A vocabulary-sized logits vector: a Gaussian tail (sd 2, mean −3, optionally quantised so that
 * thousands of tokens tie exactly) plus a few peaks `peakHeight` above it.
 */
export function realisticLogits(vocab: number, seed: number, opts: {peak?: number; quantise?: number; flatTail?: boolean} = {}): Float32Array {
    const rng = createRng(seed);
    const out = new Float32Array(vocab);
    for (let i = 0; i < vocab; i++) {
        let x = opts.flatTail ? -3 : 2 * gaussian(rng) - 3;
        if (opts.quantise) x = Math.round(x * opts.quantise) / opts.quantise;
        out[i] = x;
    }
    const peak = opts.peak ?? 20;
    for (const d of [0, -0.75, -1.5, -3, -4, -4]) out[Math.floor(rng.next() * vocab)] = peak + d;
    return out;
}
