/**
 * χ² goodness of fit of the stateless samplers beyond the core four (and of mirostat and XTC at a fixed state):
 * 100 000 seeded draws each through the real chain against the exact distribution computed by the
 * naive references of reference-samplers.ts, Pearson's test at α = 0.001 with the critical value computed
 * from the χ² distribution (helpers.ts). Draws are seeded: each test always passes or always fails.
 * Plus seeded reproducibility of whole multi-step runs with stateful units.
 */
import assert from "node:assert/strict";
import {describe, it} from "node:test";
import type {StepContext} from "../../../src/sampling/index.js";
import {chi2Test} from "./helpers.js";
import {
    chainOf, ctxWith, fakeVocabulary, refDry, refDynatemp, refEpsilon, refEta, refFrequency, refKept, refLogitBias, refMirostatV1,
    refMirostatV2, refNoRepeatNgram, refPresence, refProbs, refRepeatPenalty, refStart, refTemperature, refTopNSigma, refTypical,
    refXtcActing, type Ref,
} from "./reference-samplers.js";

const DRAWS = 100_000;
const ALPHA = 0.001;

/** 12 tokens: ties, a −∞, positive and negative logits (the CTRL penalty sees both signs). */
const V = [2.1, 3.5, 3.5, 1.2, -Infinity, 0.3, 2.8, -0.5, 1.2, 2.4, -1.6, 0.9];
/** A history with a repeated "3 7" (DRY: tokens 1 and 2 followed it) and repeats for the penalties. */
const H = [3, 7, 1, 3, 7, 2, 9, 3, 7];

function draw(spec: string, ctx: StepContext, n = DRAWS): Map<number, number> {
    const chain = chainOf(spec, V.length);
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
        const id = chain.sample(V, ctx);
        counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
}

const start = (): Ref => refStart(V);

const CASES: [string, () => Map<number, number>, number][] = [
    ["typical=0.8", () => refKept(refTypical(start(), 0.8)), 31],
    ["epsilon=0.05", () => refKept(refEpsilon(start(), 0.05)), 32],
    ["eta=0.05", () => refKept(refEta(start(), 0.05)), 33],
    ["top-n-sigma=1", () => refKept(refTopNSigma(start(), 1)), 34],
    ["dynatemp=1:0.6:1.5", () => refKept(refDynatemp(start(), 1, 0.6, 1.5)), 35],
    ["repeat-penalty=1.3:8", () => refKept(refRepeatPenalty(start(), H, 1.3, 8)), 36],
    ["presence-penalty=0.8,frequency-penalty=0.4:-1", () => refKept(refFrequency(refPresence(start(), H, 0.8, 64), H, 0.4, -1)), 37],
    ["dry=0.8:1.75:2:-1:[]", () => refKept(refDry(start(), H, 0.8, 1.75, 2, -1)), 38],
    ["no-repeat-ngram=2", () => refKept(refNoRepeatNgram(start(), H, 2)), 39],
    ["logit-bias(1=-inf;3=1.5;5=-0.7)", () => refKept(refLogitBias(start(), new Map([[1, -Infinity], [3, 1.5], [5, -0.7]]))), 40],
    ["mirostat=2:1.5:0.1", () => refKept(refMirostatV2(start(), 3)), 41],
    ["mirostat=1:2:0.1", () => refKept(refMirostatV1(start(), 4, V.length)), 42],
    [
        "repeat-penalty=1.2:-1,dry=0.8:1.75:2:-1:[],typical=0.95,temp=0.8,top-n-sigma=2",
        () => refKept(refTopNSigma(refTemperature(refTypical(refDry(refRepeatPenalty(start(), H, 1.2, -1), H, 0.8, 1.75, 2, -1), 0.95), 0.8), 2)),
        43,
    ],
];

describe("χ² goodness of fit of every sampler (100 000 seeded draws each, α = 0.001)", () => {
    for (const [spec, expectedOf, seed] of CASES) {
        it(spec, (t) => {
            const expected = expectedOf();
            const counts = draw(spec, ctxWith({history: H, seed}));
            const r = chi2Test(counts, expected, DRAWS, ALPHA);
            t.diagnostic(`${spec}: χ² = ${r.statistic.toFixed(2)}, df ${r.df}, critical ${r.critical.toFixed(2)}, p = ${r.pValue.toFixed(3)}`);
            assert.ok(r.df >= 1, `${spec}: df ${r.df}`);
            assert.ok(r.statistic < r.critical, `${spec}: χ² = ${r.statistic.toFixed(2)} ≥ critical ${r.critical.toFixed(2)} (df ${r.df})`);
        });
    }

    it("XTC is the mixture (1 − π)·p + π·q_excluded", (t) => {
        const pi = 0.4;
        const none = refProbs(start());
        const acting = refKept(refXtcActing(start(), 0.1));
        const mixture = new Map<number, number>();
        for (const [id, p] of none) mixture.set(id, (1 - pi) * p + pi * (acting.get(id) ?? 0));
        const counts = draw(`xtc=${pi}:0.1`, ctxWith({seed: 44}));
        const r = chi2Test(counts, mixture, DRAWS, ALPHA);
        t.diagnostic(`xtc=${pi}:0.1: χ² = ${r.statistic.toFixed(2)}, df ${r.df}, critical ${r.critical.toFixed(2)}, p = ${r.pValue.toFixed(3)}`);
        assert.ok(acting.size < none.size, "XTC acts on this vector");
        assert.ok(r.statistic < r.critical, `χ² = ${r.statistic.toFixed(2)} ≥ ${r.critical.toFixed(2)} (df ${r.df})`);
        // power: the same draws reject "XTC always acts" and "XTC never acts"
        assert.ok(chi2Test(counts, none, DRAWS, ALPHA).statistic > r.critical);
        assert.ok([...counts.keys()].some((id) => !acting.has(id)), "the steps where XTC did not act drew top choices");
    });

    it("has power: DRY's draws reject the distribution without the penalty", () => {
        const counts = draw("dry=0.8:1.75:2:-1:[]", ctxWith({history: H, seed: 38}));
        const r = chi2Test(counts, refProbs(start()), DRAWS, ALPHA);
        assert.ok(r.statistic > r.critical, `χ² = ${r.statistic.toFixed(1)} should exceed ${r.critical.toFixed(1)}`);
    });
});

describe("seeded reproducibility of multi-step runs with stateful and random units", () => {
    /** A toy "model": logits that depend on the last token, so history-based units matter. */
    function logitsAfter(history: ArrayLike<number>): number[] {
        const last = history[history.length - 1] ?? 0;
        return V.map((x, i) => (x === -Infinity ? x : x + Math.sin(last * 1.7 + i)));
    }
    function run(spec: string, seed: number, steps = 300): number[] {
        const chain = chainOf(spec, V.length);
        const ctx = ctxWith({history: [1, 2], seed, vocabulary: fakeVocabulary(V.map((_, i) => (i === 5 ? "\n" : String.fromCharCode(97 + i))))});
        const out: number[] = [];
        for (let i = 0; i < steps; i++) {
            const id = chain.sample(logitsAfter(ctx.history), ctx);
            chain.accept(id);
            (ctx.history as number[]).push(id);
            out.push(id);
        }
        return out;
    }
    const SPECS = [
        "mirostat=2:2.5:0.2", "mirostat=1:2:0.3", "xtc=0.5:0.1,temp=1.2", "dry=0.8:1.75:2:-1,repeat-penalty=1.2:16,top-k=6",
        "presence-penalty=0.5,frequency-penalty=0.2,no-repeat-ngram=3,typical=0.9", "dynatemp=1:0.5,eta=0.01,epsilon=0.01,top-n-sigma=1.5",
    ];
    for (const spec of SPECS) {
        it(spec, () => {
            const a = run(spec, 123);
            assert.deepEqual(run(spec, 123), a, "same seed, same tokens");
            assert.notDeepEqual(run(spec, 124), a, "another seed, other tokens");
            assert.ok(new Set(a).size > 1);
        });
    }
    it("mirostat keeps the average surprise near τ over a long run (the paper's control property)", () => {
        const chain = chainOf("mirostat=2:2:0.1", V.length);
        const m = chain.samplers[0] as unknown as {surprise(t: number): number};
        const ctx = ctxWith({history: [1], seed: 9});
        let total = 0;
        const steps = 20_000;
        for (let i = 0; i < steps; i++) {
            const id = chain.sample(logitsAfter(ctx.history), ctx);
            total += m.surprise(id);
            chain.accept(id);
            (ctx.history as number[]).push(id);
        }
        const mean = total / steps;
        assert.ok(Math.abs(mean - 2) < 0.05, `mean surprise ${mean.toFixed(3)} bits, τ = 2`);
    });
});
