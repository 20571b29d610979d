/**
 * 128k vocabulary: top-p, top-k and min-p against a naive full-sort reference, on realistic shapes
 * (peaked, flat tail holding a large share of the mass, thousands of exact ties).
 */
import assert from "node:assert/strict";
import {describe, it} from "node:test";
import {Candidates, TopKSampler, TopPSampler} from "../../../src/sampling/index.js";
import {keepDenseOf, keepOf, realisticLogits, refKeepDense, type RefOp} from "./helpers.js";

const VOCAB = 128_256;

const SHAPES: [string, Float32Array][] = [
    ["peaked", realisticLogits(VOCAB, 1, {peak: 20})],
    ["flat tail with ~30% of the mass", realisticLogits(VOCAB, 2, {peak: 11})],
    ["exactly flat tail (128k ties)", realisticLogits(VOCAB, 3, {peak: 12, flatTail: true})],
    ["quantised tail (many ties)", realisticLogits(VOCAB, 4, {peak: 10, quantise: 8})],
];

/** Compare kept sets and q with the reference; returns the kept count. */
function compare(spec: string, ops: RefOp[], logits: Float32Array, what: string): number {
    const got = keepDenseOf(spec, logits);
    const ref = refKeepDense(logits, ops);
    let kept = 0;
    let refKept = 0;
    for (let id = 0; id < got.length; id++) {
        const g = got[id];
        const r = ref[id];
        if (!Number.isNaN(g)) kept++;
        if (!Number.isNaN(r)) refKept++;
        if (Number.isNaN(g) !== Number.isNaN(r)) {
            assert.fail(`${what} ${spec}: token ${id} (logit ${logits[id]}) is ${Number.isNaN(g) ? "dropped" : "kept"}, the reference ${Number.isNaN(r) ? "drops" : "keeps"} it`);
        }
        // 1e-10 relative: the normalising sums run over up to 128k terms in different orders (≤ n·2^-53 apart).
        if (!Number.isNaN(r) && !(Math.abs(g - r) <= 1e-10 * r)) assert.fail(`${what} ${spec}: q of ${id} is ${g}, reference ${r}`);
    }
    assert.equal(kept, refKept);
    return kept;
}

describe("128k vocabulary vs a naive full-sort reference", () => {
    for (const [shape, logits] of SHAPES) {
        it(`top-p on ${shape}`, () => {
            const sizes: number[] = [];
            for (const p of [1e-6, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1]) sizes.push(compare(`top-p=${p}`, [{op: "top-p", p}], logits, shape));
            if (shape !== "peaked") assert.ok(sizes.some((n) => n > 1000), `some p keeps > 1000 tokens (${sizes})`);
        });
        it(`top-k on ${shape}`, () => {
            for (const k of [1, 2, 40, 256, 257, 1000, 50_000, VOCAB - 1, VOCAB, 200_000]) compare(`top-k=${k}`, [{op: "top-k", k}], logits, shape);
        });
        it(`min-p and a full chain on ${shape}`, () => {
            for (const a of [0.001, 0.05, 0.5]) compare(`min-p=${a}`, [{op: "min-p", a}], logits, shape);
            compare(
                "temp=0.8,top-k=1000,top-p=0.95,min-p=0.001",
                [{op: "temp", t: 0.8}, {op: "top-k", k: 1000}, {op: "top-p", p: 0.95}, {op: "min-p", a: 0.001}],
                logits,
                shape,
            );
            compare("top-p=0.99,top-k=300", [{op: "top-p", p: 0.99}, {op: "top-k", k: 300}], logits, shape);
        });
    }

    it("large top-p results come from weighted selection (unsorted) and small ones stay sorted", () => {
        const [, flat] = SHAPES[1];
        const c = new Candidates(VOCAB);
        c.load(flat);
        new TopPSampler(0.9).apply(c);
        assert.ok(c.size > 1000, `kept ${c.size}`);
        assert.equal(c.sorted, false);
        const [, peaked] = SHAPES[0];
        c.load(peaked);
        new TopPSampler(0.9).apply(c);
        assert.ok(c.size < 64);
        assert.equal(c.sorted, true);
        assert.equal(c.checkSorted(), true);
    });

    it("an additive shift of the logits changes nothing", () => {
        // The quantised shape (multiples of 1/8) so that the shift is exact in float32.
        const [, logits] = SHAPES[3];
        const shifted = logits.map((x) => x - 32);
        for (const spec of ["top-p=0.9", "top-k=500", "min-p=0.01"]) assert.deepEqual(keepOf(spec, shifted).ids, keepOf(spec, logits).ids, spec);
    });

    it("top-k result is sorted and the tail ties go to the lowest ids", () => {
        const [, ties] = SHAPES[2];
        const c = new Candidates(VOCAB);
        c.load(ties);
        new TopKSampler(1000).apply(c);
        assert.equal(c.sorted, true);
        assert.equal(c.checkSorted(), true);
        const tail = [...c.ids.subarray(0, c.size)].filter((id) => ties[id] === -3);
        const lowest = [];
        for (let id = 0; lowest.length < tail.length; id++) if (ties[id] === -3) lowest.push(id);
        assert.deepEqual(tail, lowest);
    });
});
