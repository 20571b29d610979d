import assert from "node:assert/strict";
import {describe, it} from "node:test";
import {
    Candidates,
    createRng,
    MinPSampler,
    SamplerChain,
    TopKSampler,
    type Sampler,
    type StepContext,
    warmUpSampling,
} from "../../../src/sampling/index.js";
import {assertClose, chainFor, ctxFor, keepOf, realisticLogits, refKeep} from "./helpers.js";

const A = [1, 3, 3, 2, -Infinity, 0.5];

describe("SamplerChain: order", () => {
    it("temp then top-p differs from top-p then temp (hand-computed)", () => {
        // temp=0.5 first: weights [e^-4, 1, 1, e^-2, 0, e^-5], Z ≈ 2.16039; cumulative 0.4629, 0.9258 ≥ 0.9 → {1, 2}.
        const first = keepOf("temp=0.5,top-p=0.9", A);
        assert.deepEqual(first.ids, [1, 2]);
        assertClose(first.q, [0.5, 0.5]);
        // top-p=0.9 first on A keeps {1, 2, 3} (cumulative 0.9159); then T = 0.5 gives weights 1, 1, e^-2.
        const second = keepOf("top-p=0.9,temp=0.5", A);
        const z = 2 + Math.exp(-2);
        assert.deepEqual(second.ids, [1, 2, 3]);
        assertClose(second.q, [1 / z, 1 / z, Math.exp(-2) / z]);
    });
    it("top-k then min-p equals min-p then top-k (they commute)", () => {
        const z = 2 + Math.exp(-1);
        for (const spec of ["top-k=3,min-p=0.2", "min-p=0.2,top-k=3"]) {
            const got = keepOf(spec, A);
            assert.deepEqual(got.ids, [1, 2, 3], spec);
            assertClose(got.q, [1 / z, 1 / z, Math.exp(-1) / z], 1e-6, spec);
        }
        for (let seed = 1; seed <= 30; seed++) {
            const v = realisticLogits(2000, seed, {peak: 4, quantise: seed % 2 ? 4 : 0});
            const k = 1 + ((seed * 37) % 300);
            const a = [0.001, 0.01, 0.05, 0.2][seed % 4];
            const x = keepOf(`top-k=${k},min-p=${a}`, v);
            const y = keepOf(`min-p=${a},top-k=${k}`, v);
            assert.deepEqual(x.ids, y.ids, `seed ${seed}`);
            assertClose(x.q, y.q, 1e-12, `seed ${seed}`);
        }
    });
    it("top-k then top-p is not top-p then top-k", () => {
        // top-k=2 first: {1, 2} at 0.5 each; top-p=0.4 keeps {1}. top-p=0.4 first keeps {1, 2} (0.387 < 0.4); top-k=2 keeps both.
        assert.deepEqual(keepOf("top-k=2,top-p=0.4", A).ids, [1]);
        assert.deepEqual(keepOf("top-p=0.4,top-k=2", A).ids, [1, 2]);
    });
    it("matches the naive reference for random chains", () => {
        for (let seed = 1; seed <= 20; seed++) {
            const v = realisticLogits(3000, seed, {peak: 5});
            const chains: [string, Parameters<typeof refKeep>[1]][] = [
                ["temp=0.8,top-k=50,top-p=0.9,min-p=0.02", [{op: "temp", t: 0.8}, {op: "top-k", k: 50}, {op: "top-p", p: 0.9}, {op: "min-p", a: 0.02}]],
                ["top-p=0.8,temp=1.3", [{op: "top-p", p: 0.8}, {op: "temp", t: 1.3}]],
                ["min-p=0.01,top-p=0.6", [{op: "min-p", a: 0.01}, {op: "top-p", p: 0.6}]],
                ["temp=2,top-p=0.7", [{op: "temp", t: 2}, {op: "top-p", p: 0.7}]],
            ];
            for (const [spec, ops] of chains) {
                const got = keepOf(spec, v);
                const ref = refKeep(v, ops);
                assert.deepEqual(got.ids, ref.ids, `${spec}, seed ${seed}`);
                assertClose(got.q, ref.q, 1e-12, `${spec}, seed ${seed}`);
            }
        }
    });
});

describe("SamplerChain: API", () => {
    it("spec joins the members' specs; the empty chain is 'random'", () => {
        assert.equal(new SamplerChain([], 4).spec, "random");
        assert.equal(new SamplerChain([new TopKSampler(40), new MinPSampler(0.1)], 4).spec, "top-k=40,min-p=0.1");
        assert.equal(chainFor("temp=0.7,top-p=0.9", 4).spec, "temperature=0.7,top-p=0.9");
    });
    it("apply returns the same reused buffer every step", () => {
        const chain = chainFor("top-k=2", 6);
        const a = chain.apply(A, ctxFor());
        const ids = a.ids;
        const b = chain.apply([0, 1, 2, 3, 4, 5], ctxFor());
        assert.equal(a, b);
        assert.equal(b.ids, ids);
        assert.deepEqual([...b.ids.subarray(0, b.size)], [5, 4]);
    });
    it("accepts shorter logits than the vocabulary and rejects longer ones", () => {
        const chain = chainFor("random", 4);
        assert.equal(chain.apply([0, 1], ctxFor()).size, 2);
        assert.throws(() => chain.apply([0, 1, 2, 3, 4], ctxFor()), RangeError);
    });
    it("keep() lists the kept set with q, sorted by q desc then id", () => {
        const kept = chainFor("top-k=3", 6).keep([0, 2, 2, 5, 1, 1], ctxFor());
        const z = 1 + 2 * Math.exp(-3);
        assert.deepEqual(kept.map((k) => k.id), [3, 1, 2]);
        assertClose(kept.map((k) => k.q), [1 / z, Math.exp(-3) / z, Math.exp(-3) / z]);
    });
    it("sample() draws only kept tokens, is reproducible, and uses exactly one rng number per step", () => {
        const chain = chainFor("top-k=3", 6);
        const draws = (seed: number): number[] => {
            const ctx = ctxFor(seed);
            return Array.from({length: 200}, () => chain.sample(A, ctx));
        };
        const x = draws(5);
        assert.deepEqual(x, draws(5));
        assert.notDeepEqual(x, draws(6));
        assert.ok(x.every((id) => id === 1 || id === 2 || id === 3));
        // One number per step, even for greedy: after 10 greedy steps the rng is 10 numbers in.
        const ctx = ctxFor(9);
        const greedy = chainFor("greedy", 6);
        for (let i = 0; i < 10; i++) assert.equal(greedy.sample(A, ctx), 1);
        const fresh = createRng(9);
        for (let i = 0; i < 10; i++) fresh.next();
        assert.equal(ctx.rng.next(), fresh.next());
    });
    it("the draw walks the cumulative weights: u = r · total", () => {
        // Weights in buffer order for top-k=3 on A (sorted: ids 1, 2, 3): 1, 1, e^-1; total 2 + e^-1.
        const c = chainFor("top-k=3", 6).apply(A, ctxFor());
        const total = 2 + Math.exp(-1);
        assert.equal(c.draw(0), 1);
        assert.equal(c.draw(0.999999 / total), 1);
        assert.equal(c.draw(1.000001 / total), 2);
        assert.equal(c.draw(1.999999 / total), 2);
        assert.equal(c.draw(2.000001 / total), 3);
        assert.equal(c.draw(0.9999999999999999), 3);
    });
    it("never draws a zero-probability token, even at r = 0 or r → 1", () => {
        const c = new Candidates(5);
        c.load([-Infinity, 0, -Infinity, 0, -Infinity]);
        assert.equal(c.draw(0), 1);
        assert.equal(c.draw(0.5), 3);
        assert.equal(c.draw(0.9999999999999999), 3);
    });
    it("forwards accept and reset to the samplers that have them", () => {
        const log: string[] = [];
        const spy: Sampler = {
            name: "spy",
            spec: "spy",
            apply: (_c: Candidates, _ctx: StepContext) => undefined,
            accept: (t: number) => void log.push(`accept ${t}`),
            reset: () => void log.push("reset"),
        };
        const chain = new SamplerChain([new TopKSampler(2), spy], 6);
        chain.accept(3);
        chain.reset();
        assert.deepEqual(log, ["accept 3", "reset"]);
    });
    it("the JIT warm-up runs once and leaves no trace", () => {
        warmUpSampling();
        warmUpSampling();
        const chain = chainFor("top-k=3", 6);
        assert.deepEqual(chain.keep(A, ctxFor()).map((k) => k.id), [1, 2, 3]);
        const big = new SamplerChain([], 5000); // triggers the (already done) warm-up
        assert.equal(big.spec, "random");
    });
    it("refuses a sampler that leaves nothing", () => {
        const bad: Sampler = {name: "bad", spec: "bad", apply: (c: Candidates) => c.shrinkTo(0)};
        assert.throws(() => new SamplerChain([bad], 3).apply([1, 2, 3], ctxFor()), /bad left no candidates/);
    });
});

describe("SamplerChain.trace: the candidates after every stage", () => {
    it("top-k=3,top-p=0.9,temp=0.7 on [3, 1.5, 0, -1, -2] (hand-computed)", () => {
        const {kept, stages} = chainFor("top-k=3,top-p=0.9,temp=0.7", 5).trace([3, 1.5, 0, -1, -2], ctxFor());
        assert.deepEqual(stages.map((s) => s.spec), ["top-k=3", "top-p=0.9", "temperature=0.7"]);
        // top-k=3 keeps {0, 1, 2}: q = e^l / (e^3 + e^1.5 + e^0) = 0.78559, 0.17529, 0.03911.
        const z1 = Math.exp(3) + Math.exp(1.5) + 1;
        assert.deepEqual(stages[0]!.kept.map((k) => k.id), [0, 1, 2]);
        assertClose(stages[0]!.kept.map((k) => k.q), [Math.exp(3) / z1, Math.exp(1.5) / z1, 1 / z1]);
        // top-p=0.9: cumulative 0.78559 < 0.9, then 0.96089 ≥ 0.9 → {0, 1}, q renormalised over them.
        const z2 = Math.exp(3) + Math.exp(1.5);
        assert.deepEqual(stages[1]!.kept.map((k) => k.id), [0, 1]);
        assertClose(stages[1]!.kept.map((k) => k.q), [Math.exp(3) / z2, Math.exp(1.5) / z2]);
        // temp=0.7 keeps the set and sharpens it: q0 = 1 / (1 + e^(−1.5/0.7)) = 0.89501.
        const q0 = 1 / (1 + Math.exp(-1.5 / 0.7));
        assert.deepEqual(stages[2]!.kept.map((k) => k.id), [0, 1]);
        assertClose(stages[2]!.kept.map((k) => k.q), [q0, 1 - q0]);
        assert.equal(stages[2]!.kept, kept, "the last stage is the kept set");
    });
    it("the last stage equals keep(), and looking at a stage changes nothing (temperature before selections, ties)", () => {
        const specs = ["temp=0.5,top-k=10,min-p=0.05,top-p=0.9", "top-p=0.95,temp=1.3,top-k=50", "min-p=0.02,temp=0.8,typical-p=0.9,top-k=20", "greedy"];
        for (const spec of specs) {
            for (let seed = 1; seed <= 20; seed++) {
                const logits = realisticLogits(1000, seed, {quantise: seed % 2 === 0 ? 0.25 : undefined});
                const {kept, stages} = chainFor(spec, 1000).trace(logits, ctxFor());
                const reference = chainFor(spec, 1000).keep(logits, ctxFor());
                assert.deepEqual(kept, reference, `${spec}, seed ${seed}`);
                assert.deepEqual(stages.at(-1)!.kept, reference);
                // Every stage is a subset of the one before (samplers only narrow here).
                for (let i = 1; i < stages.length; i++) {
                    const before = new Set(stages[i - 1]!.kept.map((k) => k.id));
                    for (const k of stages[i]!.kept) assert.ok(before.has(k.id), `${spec}: stage ${i + 1} kept ${k.id}, removed earlier`);
                }
                // Stage i alone is the chain cut after sampler i.
                const parts = chainFor(spec, 1000).samplers;
                for (let i = 0; i < stages.length - 1; i++) {
                    const prefix = new SamplerChain(parts.slice(0, i + 1), 1000).keep(logits, ctxFor());
                    assert.deepEqual(stages[i]!.kept.map((k) => k.id), prefix.map((k) => k.id), `${spec}: stage ${i + 1}`);
                    assertClose(stages[i]!.kept.map((k) => k.q), prefix.map((k) => k.q), 1e-12);
                }
            }
        }
    });
    it("the empty chain has no stages", () => {
        const {kept, stages} = chainFor("random", 3).trace([0, 1, 2], ctxFor());
        assert.equal(stages.length, 0);
        assert.equal(kept.length, 3);
    });
});
