/**
 * Naive reference samplers for the tests of the samplers beyond the core four: contexts with a history, a fake vocabulary, and naive
 * reference implementations of every new sampler (plain arrays, full sorts, Math.exp, written from
 * the papers and the reference implementations — deliberately sharing nothing with src/sampling).
 */
import assert from "node:assert/strict";
import {createRng, parseStrategy, SamplerChain, type StepContext, type Vocabulary} from "../../../src/sampling/index.js";

export interface CtxOptions {
    history?: readonly number[];
    promptLength?: number;
    seed?: number;
    trueLogits?: boolean;
    vocabulary?: Vocabulary;
}

export function ctxWith(o: CtxOptions = {}): StepContext {
    const history = [...(o.history ?? [])];
    return {
        history, promptLength: o.promptLength ?? history.length, rng: createRng(o.seed ?? 1),
        trueLogits: o.trueLogits ?? true, vocabulary: o.vocabulary,
    };
}

export function chainOf(spec: string, vocab: number): SamplerChain {
    const s = parseStrategy(spec);
    assert.equal(s.kind, "sample");
    if (s.kind !== "sample") throw new Error("unreachable");
    return new SamplerChain(s.samplers, vocab);
}

/** The kept set of `spec` as a map id → q, through the real chain. */
export function keptMap(spec: string, logits: readonly number[], ctx: StepContext = ctxWith()): Map<number, number> {
    const kept = chainOf(spec, logits.length).keep(logits, ctx);
    return new Map(kept.map((k) => [k.id, k.q]));
}

/** Assert two id → q maps hold the same ids and q within `tol` (absolute). */
export function assertSameKept(got: ReadonlyMap<number, number>, want: ReadonlyMap<number, number>, tol = 1e-7, what = "kept"): void {
    const g = [...got.keys()].sort((a, b) => a - b);
    const w = [...want.keys()].sort((a, b) => a - b);
    assert.deepEqual(g, w, `${what}: kept ids`);
    for (const [id, q] of want) {
        const x = got.get(id)!;
        if (!(Math.abs(x - q) <= tol)) assert.fail(`${what}: q of ${id} is ${x}, expected ${q} (tol ${tol})`);
    }
}

/** Logits whose softmax is `probs` (ln p; p = 0 → −∞). */
export function logitsOfProbs(probs: readonly number[]): number[] {
    return probs.map((p) => (p > 0 ? Math.log(p) : -Infinity));
}

/**
 * A vocabulary from token texts. tokenize: greedy longest match of the pieces, left to right
 * (enough to exercise DRY's breaker processing and logit bias by text).
 */
export function fakeVocabulary(pieces: readonly string[]): Vocabulary & {pieceCalls: number} {
    const v = {
        size: pieces.length,
        pieceCalls: 0,
        piece(id: number): string {
            v.pieceCalls++;
            return pieces[id];
        },
        tokenize(text: string): number[] {
            const out: number[] = [];
            let i = 0;
            while (i < text.length) {
                let best = -1;
                for (let id = 0; id < pieces.length; id++) {
                    const p = pieces[id];
                    if (p.length > 0 && text.startsWith(p, i) && (best < 0 || p.length > pieces[best].length)) best = id;
                }
                if (best < 0) throw new Error(`fake tokenizer: cannot tokenize ${JSON.stringify(text.slice(i))}`);
                out.push(best);
                i += pieces[best].length;
            }
            return out;
        },
    };
    return v;
}

// ---- naive references ----------------------------------------------------------------------------

/** A reference state: kept ids and every token's current logit (float32-rounded like the buffer). */
export interface Ref {
    ids: number[];
    logit: number[];
}

export function refStart(logits: readonly number[]): Ref {
    return {ids: logits.map((_, i) => i), logit: logits.map((x) => Math.fround(x))};
}

function maxOf(r: Ref): number {
    let m = -Infinity;
    for (const id of r.ids) if (r.logit[id] > m) m = r.logit[id];
    return m;
}

/** Softmax over the kept ids: id → p. */
export function refProbs(r: Ref): Map<number, number> {
    const m = maxOf(r);
    const w = r.ids.map((id) => (m === -Infinity || m === Infinity ? (r.logit[id] === m ? 1 : 0) : Math.exp(r.logit[id] - m)));
    const z = w.reduce((a, b) => a + b, 0);
    return new Map(r.ids.map((id, i) => [id, w[i] / z]));
}

export function refEntropy(r: Ref): number {
    let h = 0;
    for (const p of refProbs(r).values()) if (p > 0) h -= p * Math.log(p);
    return h;
}

/** Ids sorted by logit desc, ties by id asc. */
export function bySortedLogit(r: Ref): number[] {
    return [...r.ids].sort((a, b) => (r.logit[a] !== r.logit[b] ? r.logit[b] - r.logit[a] : a - b));
}

export function refTypical(r: Ref, tau: number): Ref {
    if (tau >= 1) return r;
    const p = refProbs(r);
    const h = refEntropy(r);
    const score = (id: number): number => Math.abs(-Math.log(p.get(id)!) - h);
    const order = [...r.ids].sort((a, b) => score(a) - score(b) || r.logit[b] - r.logit[a] || a - b);
    let cum = 0;
    const kept: number[] = [];
    for (const id of order) {
        kept.push(id);
        cum += p.get(id)!;
        if (cum >= tau * (1 - 1e-9)) break;
    }
    return {ids: kept, logit: r.logit};
}

export function refEpsilon(r: Ref, eps: number): Ref {
    const p = refProbs(r);
    const m = maxOf(r);
    return {ids: r.ids.filter((id) => p.get(id)! >= eps || r.logit[id] === m), logit: r.logit};
}

export function refEtaCutoff(r: Ref, eps: number): number {
    return Math.min(eps, Math.sqrt(eps) * Math.exp(-refEntropy(r)));
}

export function refEta(r: Ref, eps: number): Ref {
    return refEpsilon(r, refEtaCutoff(r, eps));
}

export function refTopNSigma(r: Ref, n: number): Ref {
    const finite = r.ids.map((id) => r.logit[id]).filter((x) => x !== -Infinity);
    const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
    const sigma = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / finite.length);
    const m = maxOf(r);
    return {ids: r.ids.filter((id) => r.logit[id] >= m - n * sigma), logit: r.logit};
}

/** Mirostat 2.0 truncation at μ: surprise −log2 p ≤ μ, at least the argmax. */
export function refMirostatV2(r: Ref, mu: number): Ref {
    const p = refProbs(r);
    const kept = r.ids.filter((id) => p.get(id)! > 0 && -Math.log2(p.get(id)!) <= mu);
    return {ids: kept.length > 0 ? kept : bySortedLogit(r).slice(0, 1), logit: r.logit};
}

/** Mirostat 1 (the paper's Algorithm 1) truncation at μ for a vocabulary of N tokens, m = 100. */
export function refMirostatV1K(r: Ref, mu: number, vocab: number): number {
    const sorted = bySortedLogit(r);
    const p = refProbs(r);
    let num = 0;
    let den = 0;
    for (let i = 0; i < Math.min(100, sorted.length) - 1; i++) {
        const a = p.get(sorted[i])!;
        const b = p.get(sorted[i + 1])!;
        if (b === 0) break;
        const t = Math.log((i + 2) / (i + 1));
        num += t * Math.log(a / b);
        den += t * t;
    }
    const s = num / den;
    const eps = s - 1;
    const k = Math.pow((eps * Math.pow(2, mu)) / (1 - Math.pow(vocab, -eps)), 1 / s);
    return Math.max(1, Math.min(sorted.length, Math.round(k)));
}

export function refMirostatV1(r: Ref, mu: number, vocab: number): Ref {
    return {ids: bySortedLogit(r).slice(0, refMirostatV1K(r, mu, vocab)), logit: r.logit};
}

/** XTC when it acts: drop every token with p ≥ t except the least probable of them (ties: the higher id stays). */
export function refXtcActing(r: Ref, t: number): Ref {
    const p = refProbs(r);
    const above = bySortedLogit(r).filter((id) => p.get(id)! >= t && p.get(id)! > 0);
    if (above.length < 2) return r;
    const stay = above[above.length - 1];
    return {ids: r.ids.filter((id) => !above.includes(id) || id === stay), logit: r.logit};
}

export function refTemperature(r: Ref, t: number): Ref {
    if (t === 0) return {ids: bySortedLogit(r).slice(0, 1), logit: r.logit};
    return {ids: r.ids, logit: r.logit.map((x) => Math.fround(x / t))};
}

export function refDynatempT(r: Ref, t: number, range: number, exponent: number): number {
    const lo = Math.max(0, t - range);
    const hi = t + range;
    return lo + (hi - lo) * Math.pow(Math.min(1, refEntropy(r) / Math.log(r.ids.length)), exponent);
}

export function refDynatemp(r: Ref, t: number, range: number, exponent: number): Ref {
    if (range <= 0 || r.ids.length <= 1) return range <= 0 ? refTemperature(r, t) : r;
    return refTemperature(r, refDynatempT(r, t, range, exponent));
}

function windowOf(history: readonly number[], lastN: number): number[] {
    if (lastN === 0) return [];
    return lastN < 0 ? [...history] : history.slice(Math.max(0, history.length - lastN));
}

function counts(tokens: readonly number[]): Map<number, number> {
    const c = new Map<number, number>();
    for (const t of tokens) c.set(t, (c.get(t) ?? 0) + 1);
    return c;
}

export function refRepeatPenalty(r: Ref, history: readonly number[], theta: number, lastN: number): Ref {
    const c = counts(windowOf(history, lastN));
    return {ids: r.ids, logit: r.logit.map((x, id) => (c.has(id) ? Math.fround(x <= 0 ? x * theta : x / theta) : x))};
}

export function refPresence(r: Ref, history: readonly number[], alpha: number, lastN: number): Ref {
    const c = counts(windowOf(history, lastN));
    return {ids: r.ids, logit: r.logit.map((x, id) => (c.has(id) ? Math.fround(x - alpha) : x))};
}

export function refFrequency(r: Ref, history: readonly number[], alpha: number, lastN: number): Ref {
    const c = counts(windowOf(history, lastN));
    return {ids: r.ids, logit: r.logit.map((x, id) => (c.has(id) ? Math.fround(x - alpha * c.get(id)!) : x))};
}

export function refNoRepeatNgram(r: Ref, history: readonly number[], n: number): Ref {
    const banned = new Set<number>();
    const key = (a: readonly number[]): string => a.join(",");
    const prefix = key(history.slice(history.length - (n - 1)));
    for (let j = 0; j + n <= history.length; j++) {
        if (key(history.slice(j, j + n - 1)) === prefix) banned.add(history[j + n - 1]);
    }
    if (history.length < n) banned.clear();
    return {ids: r.ids.filter((id) => !banned.has(id)), logit: r.logit};
}

export function refLogitBias(r: Ref, biases: ReadonlyMap<number, number>): Ref {
    const logit = r.logit.map((x, id) => (biases.has(id) ? (biases.get(id) === -Infinity ? -Infinity : Math.fround(x + biases.get(id)!)) : x));
    return {ids: r.ids.filter((id) => biases.get(id) !== -Infinity), logit};
}

/**
 * DRY, naively (O(N²)): for every position i before the end, the length of the longest stretch
 * ending at i that equals the stretch ending at the end of the window, capped by the distance to
 * the most recent single-token breaker (`breakers`: token ids that are breakers on their own).
 */
export function refDry(
    r: Ref, history: readonly number[], mult: number, base: number, allowed: number, lastN: number, breakers: ReadonlySet<number> = new Set(),
): Ref {
    const w = windowOf(history, lastN);
    const len = w.length;
    if (mult === 0 || len <= allowed) return r;
    let repLimit = len;
    for (let i = 0; i < len; i++) {
        if (breakers.has(w[len - 1 - i])) {
            repLimit = i;
            break;
        }
    }
    if (repLimit < allowed) return r;
    const best = new Map<number, number>();
    for (let i = 0; i < len - 1; i++) {
        let k = 0;
        while (k <= i && w[i - k] === w[len - 1 - k]) k++;
        const repeat = Math.min(k, repLimit);
        if (repeat < allowed) continue;
        const next = w[i + 1];
        best.set(next, Math.max(best.get(next) ?? 0, repeat));
    }
    const maxExp = base > 1.000001 ? Math.trunc(88.7228391 / Math.log(base)) : 0;
    const logit = r.logit.map((x, id) => {
        const L = best.get(id);
        if (L === undefined || breakers.has(id)) return x;
        let e = L - allowed;
        if (maxExp > 0 && e > maxExp) e = maxExp;
        return Math.fround(x - mult * Math.pow(base, e));
    });
    return {ids: r.ids, logit};
}

/** A kept state as id → q. */
export function refKept(r: Ref): Map<number, number> {
    return refProbs(r);
}
