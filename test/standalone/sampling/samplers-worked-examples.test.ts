/**
 * Typical, epsilon, eta, top-n-σ, mirostat, XTC, DRY, dynamic temperature, penalties, no-repeat-ngram and logit bias on small vectors: hand-computed kept sets and probabilities, the reference
 * implementations' own worked examples (llama.cpp tests/test-sampling.cpp; the values are theirs),
 * mirostat's μ following the paper's update rule, DRY's repeat lengths, the penalties' windows,
 * logit bias by id and by text, and agreement with the naive references in reference-samplers.ts.
 */
import {withFix} from "../../../src/cli/fixes.js";
import assert from "node:assert/strict";
import {describe, it} from "node:test";
import {RuntimeError, UsageError} from "../../../src/errors.js";
import {
    Candidates, DrySampler, EtaSampler, MirostatSampler, parseStrategy, processSequenceBreakers, TopNSigmaSampler,
    TRUE_LOGITS_REQUIRED, XtcSampler, DynaTempSampler, type StepContext,
} from "../../../src/sampling/index.js";
import {
    assertSameKept, chainOf, ctxWith, fakeVocabulary, keptMap, logitsOfProbs, refDry, refDynatempT, refEta, refEtaCutoff,
    refKept, refMirostatV1K, refRepeatPenalty, refStart, refTypical, refPresence, refFrequency, refNoRepeatNgram,
} from "./reference-samplers.js";

const P4 = [0.1, 0.2, 0.3, 0.4];

/** The kept set as id → q for probabilities given in a table (ids are positions). */
function want(entries: [number, number][]): Map<number, number> {
    return new Map(entries);
}

describe("typical (Meister et al.)", () => {
    it("llama.cpp's worked examples: {0.97, 0.01×3} keeps 0.97; {0.4, 0.2×3} keeps the three 0.2s", () => {
        assertSameKept(keptMap("typical=0.5", logitsOfProbs([0.97, 0.01, 0.01, 0.01])), want([[0, 1]]));
        assertSameKept(keptMap("typical=0.5", logitsOfProbs([0.4, 0.2, 0.2, 0.2])), want([[1, 1 / 3], [2, 1 / 3], [3, 1 / 3]]));
    });
    it("hand-computed: p = [0.5, 0.3, 0.2], H = 1.0297 nats; |−ln p − H| = 0.336, 0.174, 0.580", () => {
        const L = logitsOfProbs([0.5, 0.3, 0.2]);
        // order by closeness to H: 0.3, 0.5, 0.2
        assertSameKept(keptMap("typical=0.5", L), want([[1, 0.375], [0, 0.625]]));
        assertSameKept(keptMap("typical=0.29", L), want([[1, 1]]));
        assertSameKept(keptMap("typical=0.31", L), want([[1, 0.375], [0, 0.625]]));
        assertSameKept(keptMap("typical=0.81", L), want([[0, 0.5], [1, 0.3], [2, 0.2]]));
        assertSameKept(keptMap("typical=1", L), want([[0, 0.5], [1, 0.3], [2, 0.2]]));
    });
    it("when the mass reaches τ exactly, the smallest set with mass ≥ τ is kept (llama.cpp's cum > τ keeps one more)", () => {
        // uniform over 4: every surprisal equals H (all tie; then by id), exact in floating point
        assertSameKept(keptMap("typical=0.5", [0, 0, 0, 0]), want([[0, 0.5], [1, 0.5]]));
        assertSameKept(keptMap("typical=0.75", [0, 0, 0, 0]), want([[0, 1 / 3], [1, 1 / 3], [2, 1 / 3]]));
    });
    it("agrees with the naive reference on many random vectors (ties and −∞ included)", () => {
        let seed = 7;
        const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
        for (let trial = 0; trial < 300; trial++) {
            const n = 2 + Math.floor(rnd() * 60);
            const L = Array.from({length: n}, () => (rnd() < 0.05 ? -Infinity : Math.round(rnd() * 40) / 8 - 2));
            if (L.every((x) => x === -Infinity)) L[0] = 0;
            for (const tau of [0.1, 0.5, 0.9, 0.99]) {
                assertSameKept(keptMap(`typical=${tau}`, L), refKept(refTypical(refStart(L), tau)), 1e-9, `trial ${trial} τ ${tau}`);
            }
        }
    });
    it("is shift-invariant (exact on the public route)", () => {
        const L = [1.5, 0.2, -0.7, 2.2, 0.9, -3];
        assertSameKept(keptMap("typical=0.7", L.map((x) => x - 12.25)), keptMap("typical=0.7", L), 1e-6);
    });
});

describe("epsilon and eta (Hewitt et al.)", () => {
    const L = logitsOfProbs([0.5, 0.3, 0.15, 0.05]);
    it("epsilon keeps p ≥ ε, and always the most likely token(s)", () => {
        assertSameKept(keptMap("epsilon=0.1", L), want([[0, 0.5 / 0.95], [1, 0.3 / 0.95], [2, 0.15 / 0.95]]));
        assertSameKept(keptMap("epsilon=0.6", L), want([[0, 1]]));
        assertSameKept(keptMap("epsilon=0.5", logitsOfProbs([0.4, 0.4, 0.2])), want([[0, 0.5], [1, 0.5]]));
    });
    it("eta's cutoff is min(ε, √ε·e^−H): H = 1.1421 nats here", () => {
        const h = -(0.5 * Math.log(0.5) + 0.3 * Math.log(0.3) + 0.15 * Math.log(0.15) + 0.05 * Math.log(0.05));
        assert.ok(Math.abs(h - 1.14212) < 1e-4);
        const eta = new EtaSampler(0.4);
        const c = new Candidates(4);
        c.load(L);
        eta.apply(c);
        assert.ok(Math.abs(eta.lastCutoff - Math.min(0.4, Math.sqrt(0.4) * Math.exp(-h))) < 1e-6);
        assert.ok(Math.abs(eta.lastCutoff - 0.20184) < 1e-4);
        // cutoff 0.2018: keeps 0.5 and 0.3 (epsilon=0.4 would keep only 0.5)
        assertSameKept(keptMap("eta=0.4", L), want([[0, 0.625], [1, 0.375]]));
        assertSameKept(keptMap("eta=0.1", L), want([[0, 0.5 / 0.95], [1, 0.3 / 0.95], [2, 0.15 / 0.95]]));
        assertSameKept(keptMap("eta=0.4", L), refKept(refEta(refStart(L), 0.4)));
        assert.ok(Math.abs(refEtaCutoff(refStart(L), 0.2) - Math.sqrt(0.2) * Math.exp(-h)) < 1e-7);
    });
});

describe("top-n-σ (Tang et al.)", () => {
    it("llama.cpp's worked examples on ln[0.1, 0.2, 0.3, 0.4]", () => {
        assertSameKept(keptMap("top-n-sigma=1", logitsOfProbs(P4)), want([[2, 0.428571], [3, 0.571429]]), 1e-6);
        assertSameKept(keptMap("top-n-sigma=3", logitsOfProbs(P4)), want([[0, 0.1], [1, 0.2], [2, 0.3], [3, 0.4]]), 1e-6);
    });
    it("hand-computed: logits 0..4 have σ = √2; n = 1 keeps ≥ 2.586, n = 2 keeps ≥ 1.172; −∞ is left out of σ", () => {
        const e = (x: number): number => Math.exp(x);
        const z2 = e(3) + e(4);
        assertSameKept(keptMap("top-n-sigma=1", [0, 1, 2, 3, 4]), want([[3, e(3) / z2], [4, e(4) / z2]]));
        const z3 = e(2) + e(3) + e(4);
        assertSameKept(keptMap("top-n-sigma=2", [0, 1, 2, 3, 4, -Infinity]), want([[2, e(2) / z3], [3, e(3) / z3], [4, e(4) / z3]]));
        const s = new TopNSigmaSampler(1);
        const c = new Candidates(6);
        c.load([0, 1, 2, 3, 4, -Infinity]);
        s.apply(c);
        assert.ok(Math.abs(s.lastSigma - Math.SQRT2) < 1e-12);
    });
    it("the kept set is the same before or after a temperature (scale invariance)", () => {
        const L = [0.3, 2.5, -1, 4, 3.9, 1.2, 0];
        const ids = (spec: string): number[] => [...keptMap(spec, L).keys()].sort();
        assert.deepEqual(ids("top-n-sigma=0.8"), ids("temp=0.3,top-n-sigma=0.8"));
        assert.deepEqual(ids("top-n-sigma=0.8"), ids("temp=2.5,top-n-sigma=0.8"));
    });
});

describe("mirostat (Basu et al.): truncation + the chain's draw + μ ← μ − η(S(X) − τ)", () => {
    // p = [1/2, 1/4, 1/8, 1/8]: surprises 1, 2, 3, 3 bits.
    const L = logitsOfProbs([0.5, 0.25, 0.125, 0.125]);
    it("version 2 keeps the tokens with surprise ≤ μ (μ starts at 2τ)", () => {
        const m = new MirostatSampler(2, 1.05, 0.1);
        assert.equal(m.mu, 2.1);
        const c = new Candidates(4);
        c.load(L);
        m.apply(c);
        assert.deepEqual([...c.ids.subarray(0, c.size)].sort(), [0, 1]);
        // μ = 0.5 < every surprise: the most probable token alone
        const low = new MirostatSampler(2, 0.25, 0.1);
        c.load(L);
        low.apply(c);
        assert.deepEqual([...c.ids.subarray(0, c.size)], [0]);
    });
    it("μ evolves exactly by the paper's rule, with S(X) under the distribution the unit received", () => {
        const m = new MirostatSampler(2, 1, 0.1);
        const c = new Candidates(4);
        let mu = 2;
        const steps: [number, number][] = [[1, 2], [0, 1], [0, 1], [2, 3], [3, 3]]; // token, its surprise in bits
        for (const [token, surprise] of steps) {
            c.load(L);
            m.apply(c);
            assert.ok(Math.abs(m.surprise(token) - surprise) < 1e-7, `S(${token})`);
            m.accept(token);
            mu -= 0.1 * (surprise - 1);
            assert.ok(Math.abs(m.mu - mu) < 1e-7, `μ ${m.mu} vs ${mu}`);
        }
        // the surprise is measured before the truncation: token 1 (S = 2 bits) even though μ kept only token 0
        m.reset();
        assert.equal(m.mu, 2);
        c.load(L.map((x) => x + 7)); // a shift changes nothing
        m.apply(c);
        assert.ok(Math.abs(m.surprise(1) - 2) < 1e-6);
    });
    it("version 1: on an exact Zipf distribution ŝ = s, and k = (ε̂·2^μ / (1 − N^−ε̂))^(1/ŝ) rounded", () => {
        const N = 1000;
        const s = 1.5;
        const L = Array.from({length: N}, (_, i) => -s * Math.log(i + 1));
        for (const tau of [2, 3, 4, 5]) {
            const mu = 2 * tau;
            const eps = s - 1;
            const expected = Math.round(Math.pow((eps * Math.pow(2, mu)) / (1 - Math.pow(N, -eps)), 1 / s));
            const m = new MirostatSampler(1, tau, 0.1);
            const c = new Candidates(N);
            c.load(L);
            m.apply(c);
            assert.equal(c.size, expected, `τ ${tau}`);
            assert.equal(expected, refMirostatV1K(refStart(L), mu, N));
            assert.deepEqual([...c.ids.subarray(0, c.size)].sort((a, b) => a - b), Array.from({length: expected}, (_, i) => i));
        }
        // τ = 3: μ = 6, k = (0.5·64 / (1 − 1000^−0.5))^(2/3) = 10.3 → 10
        assert.equal(refMirostatV1K(refStart(L), 6, N), 10);
    });
    it("version 1 updates μ from the surprise under the received (untruncated) distribution", () => {
        const N = 50;
        const L = Array.from({length: N}, (_, i) => -1.2 * Math.log(i + 1));
        const p = L.map((x) => Math.exp(Math.fround(x)));
        const z = p.reduce((a, b) => a + b, 0);
        const m = new MirostatSampler(1, 2, 0.5);
        const c = new Candidates(N);
        c.load(L);
        m.apply(c);
        m.accept(3);
        assert.ok(Math.abs(m.mu - (4 - 0.5 * (-Math.log2(p[3] / z) - 2))) < 1e-9);
    });
    it("is reset per sample: a fresh chain and reset() both start at μ = 2τ", () => {
        const chain = chainOf("mirostat=2:3:0.5", 4);
        const ctx = ctxWith({seed: 5});
        for (let i = 0; i < 10; i++) chain.accept(chain.sample(L, ctx));
        const m = chain.samplers[0] as MirostatSampler;
        assert.notEqual(m.mu, 6);
        chain.reset();
        assert.equal(m.mu, 6);
        assert.equal((chainOf("mirostat=2:3:0.5", 4).samplers[0] as MirostatSampler).mu, 6);
    });
    it("a token the unit never saw leaves μ unchanged", () => {
        const m = new MirostatSampler(2, 1, 0.1);
        m.accept(2); // before any step
        assert.equal(m.mu, 2);
    });
});

describe("XTC (exclude top choices)", () => {
    const L = logitsOfProbs([0.4, 0.3, 0.2, 0.1]);
    it("llama.cpp's worked examples (probability 1: it always acts)", () => {
        assertSameKept(keptMap("xtc=1:0.09", L), want([[3, 1]]));
        assertSameKept(keptMap("xtc=1:0.19", L), want([[2, 2 / 3], [3, 1 / 3]]));
        assertSameKept(keptMap("xtc=1:0.29", L), want([[1, 0.5], [2, 1 / 3], [3, 1 / 6]]));
        // only one token above 0.39: nothing to exclude
        assertSameKept(keptMap("xtc=1:0.39", L), want([[0, 0.4], [1, 0.3], [2, 0.2], [3, 0.1]]));
    });
    it("probability 0 never acts; one uniform is drawn per step, whatever happens", () => {
        assertSameKept(keptMap("xtc=0:0.09", L), want([[0, 0.4], [1, 0.3], [2, 0.2], [3, 0.1]]));
        let draws = 0;
        const ctx: StepContext = {history: [], promptLength: 0, trueLogits: true, rng: {next: () => (draws++, 0.3)}};
        const x = new XtcSampler(0.5, 0.09);
        const c = new Candidates(4);
        for (const input of [L, [0], L]) {
            c.load(input);
            x.apply(c, ctx);
        }
        assert.equal(draws, 3);
        // u = 0.3 < 0.5 acts: keeps the 0.1 only
        assert.deepEqual([...c.ids.subarray(0, c.size)], [3]);
        // u = 0.7 ≥ 0.5 does not
        const y = new XtcSampler(0.5, 0.1);
        c.load(L);
        y.apply(c, {...ctx, rng: {next: () => 0.7}});
        assert.equal(c.size, 4);
    });
    it("ties at the least probable top choice: the last in order (higher id) stays", () => {
        assertSameKept(keptMap("xtc=1:0.2", logitsOfProbs([0.3, 0.3, 0.3, 0.1])), want([[2, 0.75], [3, 0.25]]));
    });
});

describe("DRY (as llama.cpp defines it)", () => {
    const none: string[] = [];
    const dry = (m: number, b: number, a: number, n: number, breakers: readonly string[] = none): string =>
        `dry=${m}:${b}:${a}:${n}:${JSON.stringify(breakers)}`;
    const vocab = fakeVocabulary(["a", "b", "c", "\n", "e"]);
    it("llama.cpp's worked examples", () => {
        const P25 = logitsOfProbs([0.25, 0.25, 0.25, 0.25]);
        const P20 = logitsOfProbs([0.2, 0.2, 0.2, 0.2, 0.2]);
        assertSameKept(keptMap(dry(1, 1.1, 2, 4), P25, ctxWith({history: [0, 1]})), want([[0, 0.25], [1, 0.25], [2, 0.25], [3, 0.25]]));
        assertSameKept(keptMap(dry(1, 1.1, 2, 5), P25, ctxWith({history: [0, 1, 2, 0, 1]})),
            want([[0, 0.296923], [1, 0.296923], [2, 0.109232], [3, 0.296923]]), 1e-6);
        // token 3 is a sequence breaker ("\n" in this vocabulary): no penalty
        assertSameKept(keptMap(dry(1, 1.1, 2, 6, ["\n"]), P20, ctxWith({history: [0, 1, 3, 4, 0, 1], vocabulary: vocab})),
            want([[0, 0.2], [1, 0.2], [2, 0.2], [3, 0.2], [4, 0.2]]), 1e-6);
        assertSameKept(keptMap(dry(2, 1.1, 2, 5), P20, ctxWith({history: [0, 1, 2, 0, 1]})),
            want([[0, 0.241818], [1, 0.241818], [2, 0.032727], [3, 0.241818], [4, 0.241818]]), 1e-6);
        assertSameKept(keptMap(dry(1, 1.1, 4, 7), P20, ctxWith({history: [0, 1, 2, 3, 4, 0, 1]})),
            want([[0, 0.2], [1, 0.2], [2, 0.2], [3, 0.2], [4, 0.2]]), 1e-6);
    });
    it("hand-computed: a b c d a b c → d extends a repeat of 3: penalty m·b^(3−2)", () => {
        const s = new DrySampler(0.8, 1.75, 2, -1, []);
        const c = new Candidates(5);
        c.load([0, 0, 0, 0, 0]);
        s.apply(c, ctxWith({history: [0, 1, 2, 3, 0, 1, 2]}));
        assert.deepEqual([...s.lastRepeats], [[3, 3]]);
        const pos = [...c.ids.subarray(0, c.size)].indexOf(3);
        assert.ok(Math.abs(c.logits[pos] - Math.fround(-0.8 * 1.75)) < 1e-6);
    });
    it("a breaker in the middle limits how far back a repeat reaches", () => {
        // a b \n a b \n a b: the repeat of "a b" would reach back across "\n" to length 5, capped at 2
        const s = new DrySampler(1, 2, 2, -1, ["\n"]);
        const c = new Candidates(5);
        c.load([0, 0, 0, 0, 0]);
        s.apply(c, ctxWith({history: [0, 1, 3, 0, 1, 3, 0, 1], vocabulary: vocab}));
        assert.deepEqual([...s.lastRepeats], [[3, 2]]); // "\n" would extend it — but it is a breaker: not penalised
        assert.ok([...c.logits.subarray(0, c.size)].every((x) => x === 0));
    });
    it("the exponent is capped so base^exp stays a finite float32 (llama.cpp's max_exponent)", () => {
        const s = new DrySampler(1, 100, 1, -1, []);
        const c = new Candidates(3);
        const history = Array.from({length: 60}, () => 1);
        c.load([0, 0, 0]);
        s.apply(c, ctxWith({history}));
        const cap = Math.trunc(88.7228391 / Math.log(100));
        const pos = [...c.ids.subarray(0, c.size)].indexOf(1);
        assert.equal(c.logits[pos], Math.fround(-Math.pow(100, cap)));
    });
    it("agrees with the naive O(N²) reference on random histories and windows", () => {
        let seed = 11;
        const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
        for (let trial = 0; trial < 300; trial++) {
            const V = 3 + Math.floor(rnd() * 4);
            const history = Array.from({length: 1 + Math.floor(rnd() * 40)}, () => Math.floor(rnd() * V));
            const L = Array.from({length: V}, () => rnd() * 4 - 2);
            const allowed = 1 + Math.floor(rnd() * 3);
            const lastN = [-1, 0, 5, 12, 100][Math.floor(rnd() * 5)];
            const withBreaker = rnd() < 0.5;
            const pieces = Array.from({length: V}, (_, i) => (withBreaker && i === V - 1 ? "\n" : String.fromCharCode(97 + i)));
            const ctx = ctxWith({history, vocabulary: fakeVocabulary(pieces)});
            const got = keptMap(dry(0.8, 1.75, allowed, lastN, withBreaker ? ["\n"] : []), L, ctx);
            const ref = refKept(refDry(refStart(L), history, 0.8, 1.75, allowed, lastN, withBreaker ? new Set([V - 1]) : new Set()));
            assertSameKept(got, ref, 1e-6, `trial ${trial}`);
        }
    });
    it("processes text breakers like llama.cpp: containing tokens alone, overlapping ones with the tokenized rest", () => {
        const v = fakeVocabulary(["x", "y:", "ab", "zz", "cd", "a", "b", "c", "d", "z", "y"]);
        const p = processSequenceBreakers(v, ["abcd", ":"]);
        // "y:" contains ":" → a breaker alone; "ab" is a prefix of "abcd" → "ab" + tokens("cd"); "b" ends with "b"? no:
        // only suffixes of a token that are proper prefixes of the breaker count ("a" → tokens("bcd")).
        assert.deepEqual(p.heads.get(1), [[]]);
        assert.deepEqual(p.heads.get(2), [[4]]);
        assert.deepEqual(p.heads.get(5), [[6, 4]]);
        assert.equal(p.heads.has(6), false);
        assert.equal(p.heads.has(0), false);
        // memoised per vocabulary: the pieces are read once
        const calls = v.pieceCalls;
        processSequenceBreakers(v, ["abcd", ":"]);
        processSequenceBreakers(v, ["abcd"]);
        assert.equal(v.pieceCalls, calls);
    });
    it("a multi-token breaker limits the repeat length where it occurs", () => {
        // the breaker "ab" is the token pair (a, b) in this vocabulary: "a" is a head with tail [b]
        const v = fakeVocabulary(["a", "b", "c", "d"]);
        const c = new Candidates(4);
        c.load([0, 0, 0, 0]);
        // c a b c a b c: "c a b c" repeats (length 4, extended by "a"), but the last "a b" is 2–3 tokens
        // back, so a repeat may reach back 1 token only
        const history = [2, 0, 1, 2, 0, 1, 2];
        const broken = new DrySampler(1, 2, 1, -1, ["ab"]);
        broken.apply(c, ctxWith({history, vocabulary: v}));
        assert.deepEqual([...broken.lastRepeats], [[0, 1]]);
        const free = new DrySampler(1, 2, 1, -1, []);
        c.load([0, 0, 0, 0]);
        free.apply(c, ctxWith({history}));
        assert.deepEqual([...free.lastRepeats], [[0, 4]]);
        assert.equal(c.logits[0], -8); // 1·2^(4−1)
    });
    it("text breakers without a vocabulary are an error; an empty list needs none", () => {
        const s = new DrySampler(1, 2, 1, -1);
        const c = new Candidates(3);
        c.load([0, 0, 0]);
        assert.throws(() => s.apply(c, ctxWith({history: [0, 1, 0, 1]})), /vocabulary/);
        new DrySampler(1, 2, 1, -1, []).apply(c, ctxWith({history: [0, 1, 0, 1]}));
    });
});

describe("dynamic temperature (llama.cpp temp-ext)", () => {
    it("range 0 is plain temperature (llama.cpp's worked example: T = 1 keeps p)", () => {
        assertSameKept(keptMap("dynatemp=1:0", logitsOfProbs(P4)), want([[0, 0.1], [1, 0.2], [2, 0.3], [3, 0.4]]), 1e-6);
        assertSameKept(keptMap("dynatemp=0:0", logitsOfProbs(P4)), want([[3, 1]]));
        assertSameKept(keptMap("dynatemp=0.5:0", [1, 2, 3]), keptMap("temp=0.5", [1, 2, 3]), 1e-12);
    });
    it("maximum entropy gets T + δ, zero entropy max(0, T − δ); in between (H/Hmax)^κ", () => {
        const d = (L: number[], spec: [number, number, number]): number => {
            const s = new DynaTempSampler(...spec);
            const c = new Candidates(L.length);
            c.load(L);
            s.apply(c);
            return s.lastTemperature;
        };
        assert.ok(Math.abs(d([0, 0, 0, 0], [1, 0.5, 1]) - 1.5) < 1e-12);
        assert.equal(d([0, -Infinity, -Infinity, -Infinity], [1, 0.5, 1]), 0.5);
        assert.equal(d([0, -Infinity, -Infinity, -Infinity], [0.3, 0.5, 1]), 0);
        const L = logitsOfProbs(P4);
        const h = -P4.reduce((a, p) => a + p * Math.log(p), 0);
        const expected = 0.5 + (1.5 - 0.5) * Math.pow(h / Math.log(4), 2);
        assert.ok(Math.abs(d(L, [1, 0.5, 2]) - expected) < 1e-7);
        assert.ok(Math.abs(d(L, [1, 0.5, 2]) - refDynatempT(refStart(L), 1, 0.5, 2)) < 1e-12);
        // and the logits are divided by it
        assertSameKept(keptMap("dynatemp=1:0.5:2", L), keptMap(`temp=${expected}`, L), 1e-6);
    });
});

describe("penalties (CTRL repetition, presence, frequency) over the --repeat-last-n window", () => {
    const P20 = logitsOfProbs([0.2, 0.2, 0.2, 0.2, 0.2]);
    const run = (spec: string, history: number[], L: readonly number[] = P20): Map<number, number> => keptMap(spec, L, ctxWith({history}));
    it("llama.cpp's worked examples (repeat penalty 50; frequency and presence 5)", () => {
        assertSameKept(run("repeat-penalty=50:5", [0]), want([[0, 0], [1, 0.25], [2, 0.25], [3, 0.25], [4, 0.25]]), 1e-5);
        assertSameKept(run("repeat-penalty=50:5", [0, 1, 2]), want([[0, 0], [1, 0], [2, 0], [3, 0.5], [4, 0.5]]), 1e-5);
        assertSameKept(run("repeat-penalty=50:5", [0, 1, 2, 0, 0]), want([[0, 0], [1, 0], [2, 0], [3, 0.5], [4, 0.5]]), 1e-5);
        const fp = "frequency-penalty=5:5,presence-penalty=5:5";
        assertSameKept(run(fp, [0]), want([[0, 0.000011], [1, 0.249997], [2, 0.249997], [3, 0.249997], [4, 0.249997]]), 1e-6);
        assertSameKept(run(fp, [0, 1, 2]), want([[0, 0.000023], [1, 0.000023], [2, 0.000023], [3, 0.499966], [4, 0.499966]]), 1e-6);
        assertSameKept(run(fp, [0, 1, 2, 0, 0]), want([[0, 0], [1, 0.000023], [2, 0.000023], [3, 0.499977], [4, 0.499977]]), 1e-6);
    });
    it("CTRL: a positive logit is divided by θ, a negative one multiplied; once per token whatever its count", () => {
        const c = chainOf("repeat-penalty=2:-1", 4).apply([2, -1, 0.5, 3], ctxWith({history: [0, 1, 0, 0]}));
        const byId = new Map([...c.ids.subarray(0, c.size)].map((id, i) => [id, c.logits[i]]));
        assert.deepEqual([byId.get(0), byId.get(1), byId.get(2), byId.get(3)], [1, -2, 0.5, 3]);
    });
    it("the window is the last N tokens of the history (prompt included); −1 = all, 0 = off", () => {
        const L = [1, 1, 1, 1, 1];
        const h = [0, 1, 2, 3];
        assertSameKept(run("presence-penalty=1:2", h, L), refKept(refPresence(refStart(L), h, 1, 2)));
        assert.ok(run("presence-penalty=1:2", h, L).get(0)! > run("presence-penalty=1:2", h, L).get(3)!);
        assertSameKept(run("presence-penalty=1:-1", h, L), refKept(refPresence(refStart(L), h, 1, -1)));
        assertSameKept(run("presence-penalty=1:0", h, L), keptMap("random", L));
        assertSameKept(run("frequency-penalty=0.5:-1", [0, 0, 0, 1], L), refKept(refFrequency(refStart(L), [0, 0, 0, 1], 0.5, -1)));
        assertSameKept(run("repeat-penalty=1.5:3", [4, 0, 1, 2], [2, -1, 0.5, 3, 1]), refKept(refRepeatPenalty(refStart([2, -1, 0.5, 3, 1]), [4, 0, 1, 2], 1.5, 3)));
    });
    it("the CTRL penalty refuses logits known only up to a constant (RuntimeError, one line)", () => {
        const chain = chainOf("repeat-penalty=1.1", 4);
        assert.throws(() => chain.apply([1, 2, 3, 4], ctxWith({history: [1], trueLogits: false})), (e: unknown) => {
            assert.ok(e instanceof RuntimeError);
            assert.equal(e.message, TRUE_LOGITS_REQUIRED);
            assert.ok(!e.message.includes("\n"));
            // The library names the remedy by kind; the CLI words it as its command and flag.
            assert.equal(e.fix, "build-fast-route");
            const line = withFix(e.message, e.fix);
            assert.match(line, /npm run build:fast/);
            assert.match(line, /--logits-route fast/);
            return true;
        });
        // θ = 1 is a no-op and needs nothing; presence/frequency are exact on log-probabilities
        chainOf("repeat-penalty=1", 4).apply([1, 2, 3, 4], ctxWith({history: [1], trueLogits: false}));
        const L = [1, 2, 3, 4];
        const shifted = L.map((x) => x - 9.5);
        const spec = "presence-penalty=0.7,frequency-penalty=0.3";
        assertSameKept(keptMap(spec, shifted, ctxWith({history: [1, 1, 2], trueLogits: false})), keptMap(spec, L, ctxWith({history: [1, 1, 2]})), 1e-6);
    });
});

describe("no-repeat-ngram (Hugging Face)", () => {
    const L = [0, 0, 0, 0, 0, 0, 0, 0];
    const kept = (n: number, history: number[]): number[] => [...keptMap(`no-repeat-ngram=${n}`, L, ctxWith({history})).keys()].sort((a, b) => a - b);
    it("bans the tokens that would complete an n-gram already in the history", () => {
        assert.deepEqual(kept(3, [5, 6, 7, 5, 6]), [0, 1, 2, 3, 4, 5, 6]); // (5, 6, 7) seen → 7 banned
        assert.deepEqual(kept(2, [5, 6, 7, 5, 6]), [0, 1, 2, 3, 4, 5, 6]); // (6, 7) seen → 7 banned
        assert.deepEqual(kept(2, [5, 6, 5, 7, 5]), [0, 1, 2, 3, 4, 5]); // after 5: 6 and 7 banned
        assert.deepEqual(kept(1, [1, 3, 3]), [0, 2, 4, 5, 6, 7]); // n = 1: everything seen
        assert.deepEqual(kept(4, [1, 2, 3]), [0, 1, 2, 3, 4, 5, 6, 7]); // no 4-gram yet
        for (const [n, h] of [[2, [1, 2, 1, 2, 1]], [3, [0, 1, 0, 1, 0, 1]]] as const) {
            assertSameKept(keptMap(`no-repeat-ngram=${n}`, L, ctxWith({history: [...h]})), refKept(refNoRepeatNgram(refStart(L), h, n)));
        }
    });
    it("banning every candidate is a RuntimeError, not a banned draw", () => {
        assert.throws(() => chainOf("top-k=1,no-repeat-ngram=1", 3).apply([3, 1, 2], ctxWith({history: [0]})), (e: unknown) => e instanceof RuntimeError && /banned every/.test(e.message));
    });
});

describe("logit bias", () => {
    it("adds to token ids; −inf removes; biases on one token add up", () => {
        assertSameKept(keptMap(`logit-bias(1=${Math.log(2)})`, [0, 0, 0]), want([[0, 0.25], [1, 0.5], [2, 0.25]]), 1e-7);
        assertSameKept(keptMap("logit-bias(1=-inf)", [0, 5, 0]), want([[0, 0.5], [2, 0.5]]));
        const vocab = fakeVocabulary(["a", "b", "ab", "c"]);
        // "abc" tokenizes as [ab, c]: both get the bias; token 3 also gets +1 by id
        const ctx = ctxWith({vocabulary: vocab});
        const got = keptMap(`logit-bias("abc"=-1;3=1)`, [0, 0, 0, 0], ctx);
        const z = 2 + Math.exp(-1) + 1;
        assertSameKept(got, want([[0, 1 / z], [1, 1 / z], [2, Math.exp(-1) / z], [3, 1 / z]]), 1e-7);
    });
    it("by text needs the vocabulary; unknown ids and empty tokenizations are usage errors", () => {
        assert.throws(() => keptMap(`logit-bias("a"=1)`, [0, 0]), /vocabulary/);
        assert.throws(() => keptMap("logit-bias(7=1)", [0, 0]), (e: unknown) => e instanceof UsageError && /outside the vocabulary/.test(e.message));
        const vocab = fakeVocabulary(["a", "b"]);
        assert.throws(() => keptMap("logit-bias(\"zz\"=1)", [0, 0], ctxWith({vocabulary: {...vocab, tokenize: () => []}})),
            (e: unknown) => e instanceof UsageError && /gives no token/.test(e.message));
    });
    it("banning every candidate is a RuntimeError", () => {
        assert.throws(() => keptMap("logit-bias(0=-inf;1=-inf)", [0, 0]), (e: unknown) => e instanceof RuntimeError);
    });
});

describe("the chain's order matters (and the grammar round-trips)", () => {
    it("temperature before or after top-p keeps different sets", () => {
        const L = logitsOfProbs([0.5, 0.3, 0.15, 0.05]);
        assert.deepEqual([...keptMap("top-p=0.8,temp=1.5", L).keys()].sort(), [0, 1]);
        assert.deepEqual([...keptMap("temp=1.5,top-p=0.8", L).keys()].sort(), [0, 1, 2]);
    });
    it("every new sampler's normalised spec parses back to itself", () => {
        for (const spec of [
            "typical=0.9", "epsilon=0.0003", "eta=0.002", "top-n-sigma=1", "mirostat=1:5:0.1", "mirostat=2:3:0.2", "xtc=0.5:0.1",
            "dry=0.8:1.75:2:-1", "dry=0.8:1.75:2:64:[\"\\n\",\":\",\",\",\"(\",\";\"]", "dry=1:2:3:0:[]", "dynatemp=0.8:0.5:1",
            "repeat-penalty=1.1:64", "presence-penalty=-0.5:-1", "frequency-penalty=0.25:0", "no-repeat-ngram=3",
            "logit-bias(29=-5;\"the\"=-inf;\" a;b=c\"=2.5)", "logit-bias(3=-inf),dry=0.8:1.75:2:-1,temperature=0.7,mirostat=2:5:0.1",
        ]) {
            const parsed = parseStrategy(spec);
            assert.equal(parsed.spec, spec);
            assert.equal(parsed.kind === "sample" && parsed.samplers.map((x) => x.spec).join(","), spec);
        }
    });
});
