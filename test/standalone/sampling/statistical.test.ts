/**
 * Statistical tests of the final draw: ≥ 100 000 seeded draws per strategy must fit the exact
 * renormalised distribution (computed by the naive reference, not by the implementation) under
 * Pearson's χ² test at α = 0.001, and never produce a token outside the kept set. The critical
 * value is computed from the χ² distribution itself (regularised incomplete gamma + bisection),
 * cross-checked against Wilson–Hilferty and published table values.
 *
 * The draws are seeded, so each test is deterministic: it either always passes or always fails.
 */
import assert from "node:assert/strict";
import {describe, it} from "node:test";
import {
    chainFor,
    chi2Critical,
    chi2CriticalWilsonHilferty,
    chi2Survival,
    chi2Test,
    ctxFor,
    refKeep,
    type RefOp,
} from "./helpers.js";

const DRAWS = 100_000;
const ALPHA = 0.001;

/** 12 tokens: a tie at the top, a tie further down, a −∞, a spread of values. */
const V = [2.1, 3.5, 3.5, 1.2, -Infinity, 0.3, 2.8, -0.5, 1.2, 2.4, -1.6, 0.9];

function draw(spec: string, logits: readonly number[], seed: number, n = DRAWS): Map<number, number> {
    const chain = chainFor(spec, logits.length);
    const ctx = ctxFor(seed);
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
        const id = chain.sample(logits, ctx);
        counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
}

function expectedOf(logits: readonly number[], ops: RefOp[]): Map<number, number> {
    const ref = refKeep(logits, ops);
    return new Map(ref.ids.map((id, i) => [id, ref.q[i]]));
}

const CASES: [string, RefOp[], number][] = [
    ["random", [], 11],
    ["top-k=5", [{op: "top-k", k: 5}], 12],
    ["top-p=0.8", [{op: "top-p", p: 0.8}], 13],
    ["min-p=0.1", [{op: "min-p", a: 0.1}], 14],
    ["temp=0.7,top-p=0.9", [{op: "temp", t: 0.7}, {op: "top-p", p: 0.9}], 15],
    ["top-p=0.9,temp=0.7", [{op: "top-p", p: 0.9}, {op: "temp", t: 0.7}], 16],
    ["temp=1.5,top-k=8,min-p=0.05", [{op: "temp", t: 1.5}, {op: "top-k", k: 8}, {op: "min-p", a: 0.05}], 17],
    ["temp=0.4", [{op: "temp", t: 0.4}], 18],
];

describe("χ² critical values", () => {
    it("match published tables (α = 0.001)", () => {
        for (const [df, table] of [[1, 10.828], [2, 13.816], [5, 20.515], [10, 29.588], [30, 59.703], [100, 149.449]] as const) {
            const c = chi2Critical(df, ALPHA);
            assert.ok(Math.abs(c - table) < 0.002, `df ${df}: ${c} vs ${table}`);
        }
    });
    it("agree with Wilson–Hilferty within its known accuracy", () => {
        for (const df of [3, 5, 10, 20, 50, 100, 500]) {
            const exact = chi2Critical(df, ALPHA);
            const wh = chi2CriticalWilsonHilferty(df, ALPHA);
            assert.ok(Math.abs(wh - exact) / exact < 0.02, `df ${df}: exact ${exact}, Wilson–Hilferty ${wh}`);
            assert.ok(Math.abs(chi2Survival(exact, df) - ALPHA) < 1e-9);
        }
    });
});

describe("χ² goodness of fit of seeded draws (100 000 per strategy, α = 0.001)", () => {
    for (const [spec, ops, seed] of CASES) {
        it(spec, () => {
            const expected = expectedOf(V, ops);
            const counts = draw(spec, V, seed);
            const r = chi2Test(counts, expected, DRAWS, ALPHA);
            assert.ok(r.df >= 2, `${spec}: df ${r.df}`);
            assert.ok(
                r.statistic < r.critical,
                `${spec}: χ² = ${r.statistic.toFixed(2)} ≥ critical ${r.critical.toFixed(2)} (df ${r.df}, p = ${r.pValue.toExponential(2)})`,
            );
        });
    }

    it("degenerate strategies always draw the argmax (greedy, temp=0, tiny top-p, top-k=1)", () => {
        for (const spec of ["greedy", "temp=0", "top-p=1e-6", "top-k=1"]) {
            const counts = draw(spec, V, 3, 20_000);
            assert.deepEqual([...counts], [[1, 20_000]], spec);
        }
        // min-p=1 keeps the two tokens tied at the top.
        const counts = draw("min-p=1", V, 3, 20_000);
        assert.deepEqual([...counts.keys()].sort(), [1, 2]);
    });

    it("a large, unsorted kept set (weighted-selection path of top-p) fits too", () => {
        // 1 000 tokens with logits spread over [0, 1): top-p=0.5 keeps ~380 of them — more than the first
        // 64 plus one 256-step — so they are found by weighted quickselect and drawn from in unsorted order.
        const logits = Array.from({length: 1000}, (_, i) => ((i * 7919) % 1000) / 1000);
        const expected = expectedOf(logits, [{op: "top-p", p: 0.5}]);
        assert.ok(expected.size > 64 + 256, `kept ${expected.size}`);
        const chain = chainFor("top-p=0.5", logits.length);
        const c = chain.apply(logits, ctxFor());
        assert.equal(c.sorted, false, "weighted-selection path taken");
        // The kept set is the same every step: apply once, then draw from it repeatedly (as sample() does).
        const rng = ctxFor(21).rng;
        const counts = new Map<number, number>();
        for (let i = 0; i < DRAWS; i++) {
            const id = chain.draw(c, rng);
            counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        const r = chi2Test(counts, expected, DRAWS, ALPHA);
        assert.ok(r.statistic < r.critical, `χ² = ${r.statistic.toFixed(1)} ≥ ${r.critical.toFixed(1)} (df ${r.df})`);
    });

    it("has power: the same draws reject a wrong distribution", () => {
        // Draws from temp=0.7,top-p=0.9 tested against the distribution without the temperature.
        const counts = draw("temp=0.7,top-p=0.9", V, 15);
        const kept = expectedOf(V, [{op: "temp", t: 0.7}, {op: "top-p", p: 0.9}]);
        const wrongQ = expectedOf(V, [{op: "top-p", p: 1}]);
        let z = 0;
        for (const id of kept.keys()) z += wrongQ.get(id) ?? 0;
        const wrong = new Map([...kept.keys()].map((id) => [id, (wrongQ.get(id) ?? 0) / z]));
        const r = chi2Test(counts, wrong, DRAWS, ALPHA);
        assert.ok(r.statistic > r.critical, `χ² = ${r.statistic.toFixed(1)} should exceed ${r.critical.toFixed(1)}`);
    });
});
