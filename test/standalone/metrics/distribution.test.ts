/**
 * explain's kept sets are the sampler chain's, on the same logits.
 */
import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {explainStep} from "../../../src/metrics/distribution.js";
import {createRng, parseStrategy, SamplerChain, type SampleStrategy} from "../../../src/sampling/index.js";

function chainFor(spec: string, vocab: number): {spec: string; chain: SamplerChain} {
    const s = parseStrategy(spec) as SampleStrategy;
    return {spec: s.spec, chain: new SamplerChain(s.samplers, vocab)};
}

/** A peaked distribution over 100 tokens with a few ties and one impossible token. */
function logits(): Float32Array {
    const l = new Float32Array(100);
    for (let i = 0; i < l.length; i++) l[i] = -0.15 * i + Math.sin(i) * 0.3;
    l[17] = 3; // the favourite, in the middle of the ids
    l[40] = l[41] = 1.25; // a tie
    l[99] = -Infinity;
    return l;
}

const ctx = {history: [1, 2, 3], promptLength: 3, rng: createRng(1), trueLogits: true};
const textOf = (id: number): string => `t${id}`;

describe("explainStep", () => {
    const specs = ["greedy", "random", "top-k=10", "top-p=0.9", "min-p=0.1", "temp=0.7,top-p=0.9"];

    test("kept sets and q equal SamplerChain.keep on the same logits", () => {
        const l = logits();
        const step = explainStep(l, specs.map((s) => chainFor(s, 100)), ctx, {position: 0, top: 20, textOf});
        for (const [i, spec] of specs.entries()) {
            const reference = chainFor(spec, 100).chain.keep(l, ctx);
            const got = step.strategies[i]!;
            assert.equal(got.spec, parseStrategy(spec).spec);
            assert.deepEqual(got.kept.map((k) => k.id), reference.map((k) => k.id), spec);
            for (const [j, k] of got.kept.entries()) assert.equal(k.q, reference[j]!.q);
        }
    });

    test("p is the model's probability; mass is Σp over the kept set; candidates are the top tokens", () => {
        const l = logits();
        let z = 0;
        for (const x of l) z += Math.exp(x);
        const step = explainStep(l, specs.map((s) => chainFor(s, 100)), ctx, {position: 2, top: 5, textOf});
        assert.equal(step.position, 2);
        const byP = Array.from(l.keys()).sort((a, b) => l[b]! - l[a]! || a - b);
        assert.deepEqual(step.candidates.map((c) => c.id), byP.slice(0, 5));
        assert.deepEqual(byP.slice(0, 3), [17, 40, 41]);
        assert.equal(step.candidates[0]!.text, "t17");
        for (const c of step.candidates) assert.ok(Math.abs(c.p - Math.exp(l[c.id]!) / z) < 1e-9);
        let h = 0;
        for (const x of l) if (x > -Infinity) h -= (Math.exp(x) / z) * Math.log(Math.exp(x) / z);
        assert.ok(Math.abs(step.entropy - h) < 1e-6);
        const [greedy, random, topk, topp] = step.strategies;
        assert.deepEqual(greedy!.kept.map((k) => [k.id, k.q]), [[17, 1]]);
        assert.ok(Math.abs(greedy!.mass - Math.exp(3) / z) < 1e-9);
        assert.equal(random!.kept.length, 100);
        assert.ok(Math.abs(random!.mass - 1) < 1e-9);
        for (const k of random!.kept) assert.ok(Math.abs(k.q - k.p) < 1e-6);
        assert.equal(topk!.kept.length, 10);
        // top-p: the smallest prefix with mass ≥ 0.9, and q = p / mass.
        assert.ok(topp!.mass >= 0.9 - 1e-9);
        assert.ok(topp!.mass - topp!.kept[topp!.kept.length - 1]!.p < 0.9);
        for (const k of topp!.kept) assert.ok(Math.abs(k.q - k.p / topp!.mass) < 1e-6);
        for (const s of step.strategies) {
            const sum = s.kept.reduce((a, k) => a + k.q, 0);
            assert.ok(Math.abs(sum - 1) < 1e-9, `${s.spec}: Σq = ${sum}`);
            for (let j = 1; j < s.kept.length; j++) assert.ok(s.kept[j - 1]!.q >= s.kept[j]!.q);
        }
    });

    test("keptAmong candidates: the kept tokens among the listed ones, with the whole set's size and mass", () => {
        const l = logits();
        const full = explainStep(l, specs.map((s) => chainFor(s, 100)), ctx, {position: 0, top: 8, textOf});
        const listedOnly = explainStep(l, specs.map((s) => chainFor(s, 100)), ctx, {position: 0, top: 8, textOf, keptAmong: "candidates"});
        const listed = new Set(full.candidates.map((c) => c.id));
        assert.deepEqual(listedOnly.candidates, full.candidates);
        for (const [i, s] of listedOnly.strategies.entries()) {
            const f = full.strategies[i]!;
            assert.equal(s.size, f.kept.length, s.spec);
            assert.ok(Math.abs(s.mass - f.mass) < 1e-12, s.spec);
            assert.deepEqual(s.kept, f.kept.filter((k) => listed.has(k.id)), s.spec);
        }
        assert.deepEqual(listedOnly.strategies.map((s) => [s.size, s.kept.length]), [[1, 1], [100, 8], [10, 8], [full.strategies[3]!.kept.length, Math.min(8, full.strategies[3]!.kept.length)], [full.strategies[4]!.kept.length, Math.min(8, full.strategies[4]!.kept.length)], [full.strategies[5]!.kept.length, Math.min(8, full.strategies[5]!.kept.length)]]);
    });
});
