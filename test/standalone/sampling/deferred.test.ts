/**
 * The speed paths of Candidates must not change a single result: the deferred temperature (order-only
 * work on undivided logits), the bound that lets a scan skip blocks, the radix id order of the draw
 * and the one-pass mass profile of top-p. Each is checked against the naive reference (eager float32
 * division, full sorts) on inputs built to hit the edge cases: quotients that round to ties, huge
 * and tiny temperatures, infinities.
 */
import assert from "node:assert/strict";
import {describe, it} from "node:test";
import {Candidates, createRng, TemperatureSampler, TopKSampler} from "../../../src/sampling/index.js";
import {quotientFloor} from "../../../src/sampling/candidates/temperature.js";
import {MassSelector} from "../../../src/sampling/candidates/mass.js";
import {keepDenseOf, refKeep, refKeepDense, keepOf, realisticLogits, type RefOp} from "./helpers.js";

/** Logits crowded onto a few float32 neighbourhoods, so that many quotients round to ties. */
function crowded(n: number, seed: number): Float32Array {
    const rng = createRng(seed);
    const bases = [3, 1, -0.5, 7.25, 1e-30, -2];
    const out = new Float32Array(n);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < n; i++) {
        f[0] = bases[Math.floor(rng.next() * bases.length)];
        u[0] += Math.floor(rng.next() * 6); // a few ulp apart
        out[i] = rng.next() < 0.02 ? -Infinity : f[0];
    }
    return out;
}

const TEMPERATURES = [0.3, 0.7, 1 / 3, 3, 7, 1e-30, 1e30, 1e46];

describe("deferred temperature", () => {
    it("temperature then top-k / greedy equals dividing first (rounding ties broken by id)", () => {
        let cases = 0;
        for (let seed = 1; seed <= 12; seed++) {
            for (const n of [5, 37, 300, 5000]) {
                const logits = crowded(n, seed * 100 + n);
                for (const t of TEMPERATURES) {
                    for (const k of [1, 2, 7, 64, 300]) {
                        if (k > n) continue;
                        const got = keepOf(`temperature=${t},top-k=${k}`, logits);
                        const ref = refKeep(logits, [{op: "temp", t}, {op: "top-k", k}]);
                        assert.deepEqual(got.ids, ref.ids, `n=${n} seed=${seed} T=${t} k=${k}`);
                        cases++;
                    }
                    const g = keepOf(`temperature=${t},greedy`, logits);
                    const r = refKeep(logits, [{op: "temp", t}, {op: "greedy"}]);
                    assert.deepEqual(g.ids, r.ids, `greedy n=${n} T=${t}`);
                }
            }
        }
        assert.ok(cases > 1000);
    });

    it("the quotients really do tie in these inputs (the test above is not vacuous)", () => {
        const logits = crowded(300, 7);
        const seen = new Map<number, number>();
        for (const x of logits) {
            const q = Math.fround(x / 3);
            if (Number.isFinite(q)) seen.set(q, (seen.get(q) ?? 0) + 1);
        }
        const distinctRaw = new Set(Array.from(logits).filter(Number.isFinite)).size;
        const ties = distinctRaw - seen.size;
        assert.ok(ties > 0, "some distinct logits share a quotient");
    });

    it("values, sorted flag and later samplers see the divided logits", () => {
        const logits = Float32Array.from([2, 1, 0.5, -Infinity, 3]);
        const c = new Candidates(5);
        c.load(logits);
        new TemperatureSampler(0.5).apply(c);
        new TopKSampler(3).apply(c);
        assert.deepEqual([...c.ids.subarray(0, c.size)], [4, 0, 1]);
        assert.deepEqual([...c.logits.subarray(0, c.size)], [6, 4, 2]);
        assert.equal(c.sorted, true);
        // Reading the logits applies it; so does a weight computation, exactly once.
        c.load(logits);
        new TemperatureSampler(2).apply(c);
        assert.equal(c.maxLogit(), 1.5);
        assert.deepEqual([...c.logits], [1, 0.5, 0.25, -Infinity, 1.5]);
    });

    it("two temperatures compose like two divisions", () => {
        const logits = realisticLogits(2000, 5, {peak: 8});
        const got = keepDenseOf("temperature=0.7,temperature=1.3,top-k=50,top-p=0.9", logits);
        const ref = refKeepDense(logits, [{op: "temp", t: 0.7}, {op: "temp", t: 1.3}, {op: "top-k", k: 50}, {op: "top-p", p: 0.9}]);
        for (let i = 0; i < got.length; i++) {
            assert.equal(Number.isNaN(got[i]), Number.isNaN(ref[i]), `token ${i}`);
            if (!Number.isNaN(ref[i])) assert.ok(Math.abs(got[i] - ref[i]) <= 1e-12, `q of ${i}`);
        }
    });

    it("an overflowing quotient still shifts by the finite maximum (no NaN)", () => {
        const logits = Float32Array.from([3e38, 1e38, -3e38, 0, -Infinity]);
        for (const spec of ["temperature=0.001,top-k=2", "temperature=0.001,top-p=0.5", "temperature=0.001"]) {
            const kept = keepOf(spec, logits);
            assert.deepEqual(kept.ids.slice(0, 1), [0], spec);
            for (const q of kept.q) assert.ok(!Number.isNaN(q), spec);
        }
    });
});

describe("quotientFloor", () => {
    it("no float32 value under the floor has a quotient reaching q (and the floor is tight)", () => {
        const rng = createRng(9);
        const f = new Float32Array(1);
        const u = new Uint32Array(f.buffer);
        let tight = 0;
        for (let i = 0; i < 20000; i++) {
            const t = [0.3, 0.8, 1.7, 1e-20, 1e20, 1e46, 1e-40][i % 7];
            f[0] = (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 12 - 6);
            const x0 = f[0];
            const q = Math.fround(x0 / t);
            const floor = quotientFloor(q, t);
            // Walk down from x0 in float32 steps: once below the floor, no quotient may reach q.
            u[0] = new Uint32Array(Float32Array.from([x0]).buffer)[0];
            for (let s = 0; s < 40; s++) {
                const x = f[0];
                if (x < floor && Math.fround(x / t) >= q) assert.fail(`x=${x} t=${t} q=${q} floor=${floor}`);
                if (x >= 0) u[0] = x === 0 ? 0x80000001 : u[0] - 1;
                else u[0] = u[0] + 1;
            }
            if (floor > -Infinity && Math.abs(floor - x0 * (1 - Math.sign(x0) * 1e-6)) < Math.abs(x0)) tight++;
        }
        assert.ok(tight > 1000, `the floor is near the value in most cases (${tight})`);
        assert.equal(quotientFloor(-Infinity, 2), -Infinity);
        assert.ok(quotientFloor(Infinity, 2) > 3e38);
    });
});

describe("draw order by token id", () => {
    it("idOrder sorts positions by id for every size (insertion and radix paths)", () => {
        const rng = createRng(11);
        for (const n of [1, 2, 31, 32, 33, 100, 2047, 2048, 2049, 70_000]) {
            const c = new Candidates(1 << 21);
            const v = new Float32Array(n);
            for (let i = 0; i < n; i++) v[i] = rng.next();
            c.load(v);
            // Permute ids: a random set of distinct ids, spread over the whole 21-bit range.
            const ids = new Set<number>();
            while (ids.size < n) ids.add(Math.floor(rng.next() * (1 << 21)));
            const list = [...ids];
            for (let i = 0; i < n; i++) c.ids[i] = list[i];
            const order = Array.from(c.idOrder());
            const expected = Array.from({length: n}, (_, i) => i).sort((a, b) => list[a] - list[b]);
            assert.deepEqual(order, expected, `n=${n}`);
        }
    });
});

describe("top-p mass profile (one pass)", () => {
    it("gives the reference kept set on large sets for many p, before and after a temperature", () => {
        for (const seed of [21, 22]) {
            const logits = realisticLogits(50_000, seed, {peak: 9});
            for (const p of [0.3, 0.8, 0.95, 0.99]) {
                for (const ops of [[{op: "top-p", p}], [{op: "temp", t: 1.5}, {op: "top-p", p}]] as RefOp[][]) {
                    const spec = ops.map((o) => (o.op === "temp" ? `temperature=${o.t}` : `top-p=${p}`)).join(",");
                    const got = keepDenseOf(spec, logits);
                    const ref = refKeepDense(logits, ops);
                    let kept = 0;
                    for (let i = 0; i < got.length; i++) {
                        assert.equal(Number.isNaN(got[i]), Number.isNaN(ref[i]), `${spec}: token ${i}`);
                        if (!Number.isNaN(ref[i])) {
                            kept++;
                            assert.ok(Math.abs(got[i] - ref[i]) <= 1e-10 * ref[i], `${spec}: q of ${i}`);
                        }
                    }
                    if (p === 0.99) assert.ok(kept > 300, `${spec} keeps a large part of the tail (${kept})`);
                }
            }
        }
    });
});

describe("top-p decided from mass bounds (no exponential per token)", () => {
    it("restMassBounds brackets the exact mass of the rest, also on bucket edges and −∞", () => {
        const rng = createRng(31);
        for (const n of [5000, 40_000]) {
            for (const shape of ["gauss", "edges", "deep"]) {
                const v = new Float32Array(n);
                for (let i = 0; i < n; i++) {
                    if (shape === "gauss") v[i] = 3 * Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(6.283185307179586 * rng.next());
                    else if (shape === "edges") v[i] = 10 - Math.floor(rng.next() * 2000) / 128; // exactly on 1/128-nat edges
                    else v[i] = rng.next() < 0.1 ? -Infinity : 10 - rng.next() * 200; // most below −64
                }
                v[0] = 10;
                const c = new Candidates(n);
                c.load(v);
                c.selectTop(64);
                const lg = c.logits;
                const max = lg[0];
                let exact = 0;
                for (let i = 64; i < n; i++) exact += Math.exp(lg[i] - max);
                const {low: lo, high: hi} = new MassSelector().restMassBounds(c, max, 64);
                assert.ok(lo <= exact && exact <= hi, `${shape} n=${n}: ${lo} ≤ ${exact} ≤ ${hi}`);
                if (shape === "gauss") assert.ok((hi - lo) / exact < 0.02, `bounds are tight (${(hi - lo) / exact})`);
            }
        }
    });

    it("decides peaked distributions without the exact pass, falls back on flat tails, and always keeps the reference set", () => {
        const original = MassSelector.prototype.massProfile;
        let exactPasses = 0;
        MassSelector.prototype.massProfile = function (this: MassSelector, c: Candidates, max: number): number {
            exactPasses++;
            return original.call(this, c, max);
        };
        try {
            const peaked = realisticLogits(128_256, 41, {peak: 20});
            const flat = realisticLogits(128_256, 42, {peak: 11});
            const run = (logits: Float32Array, p: number): number => {
                exactPasses = 0;
                const got = keepDenseOf(`top-p=${p}`, logits);
                const ref = refKeepDense(logits, [{op: "top-p", p}]);
                for (let i = 0; i < got.length; i++) {
                    assert.equal(Number.isNaN(got[i]), Number.isNaN(ref[i]), `p=${p}: token ${i}`);
                    if (!Number.isNaN(ref[i])) assert.ok(Math.abs(got[i] - ref[i]) <= 1e-10 * ref[i], `p=${p}: q of ${i}`);
                }
                return exactPasses;
            };
            let decided = 0;
            for (const p of [0.1, 0.5, 0.7, 0.9, 0.95]) decided += run(peaked, p) === 0 ? 1 : 0;
            assert.ok(decided >= 4, `the bounds decided ${decided} of 5 peaked cases`);
            assert.ok(run(flat, 0.99) >= 1, "a cut deep in a flat tail needs the exact normaliser");
        } finally {
            MassSelector.prototype.massProfile = original;
        }
    });
});
