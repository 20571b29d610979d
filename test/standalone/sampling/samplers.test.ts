/**
 * Every sampler's exact kept set and renormalised probabilities on hand-computed vectors.
 *
 * Vector A = [1, 3, 3, 2, −∞, 0.5]. Relative to the max 3 the weights are
 *   id: 0      1  2  3      4  5
 *   w:  e^-2   1  1  e^-1   0  e^-2.5,   Z = 2 + e^-1 + e^-2 + e^-2.5 ≈ 2.5853
 * so p = [0.05235, 0.38680, 0.38680, 0.14230, 0, 0.03175], and in (prob desc, id asc) order
 * 1, 2, 3, 0, 5, 4 with cumulative 0.38680, 0.77361, 0.91590, 0.96825, 1, 1.
 */
import assert from "node:assert/strict";
import {describe, it} from "node:test";
import {
    Candidates,
    GreedySampler,
    MinPSampler,
    TemperatureSampler,
    TopKSampler,
    TopPSampler,
    type Sampler,
} from "../../../src/sampling/index.js";
import {assertClose, ctxFor, keepOf} from "./helpers.js";

const A = [1, 3, 3, 2, -Infinity, 0.5];
const e1 = Math.exp(-1);
const e2 = Math.exp(-2);
const e25 = Math.exp(-2.5);
const ZA = 2 + e1 + e2 + e25;

function expect(spec: string, logits: readonly number[], ids: number[], q: number[], tol = 1e-6): void {
    const got = keepOf(spec, logits);
    assert.deepEqual(got.ids, ids, `${spec}: kept ids`);
    assertClose(got.q, q, tol, `${spec}: q`);
}

describe("random (the empty chain)", () => {
    it("keeps everything with softmax probabilities; −∞ has probability 0", () => {
        expect("random", A, [1, 2, 3, 0, 5, 4], [1 / ZA, 1 / ZA, e1 / ZA, e2 / ZA, e25 / ZA, 0]);
    });
    it("is invariant to an additive shift of the logits", () => {
        expect("random", A.map((x) => x + 1000), [1, 2, 3, 0, 5, 4], [1 / ZA, 1 / ZA, e1 / ZA, e2 / ZA, e25 / ZA, 0], 1e-4);
    });
    it("an all −∞ vector is the limit case: uniform", () => {
        expect("random", [-Infinity, -Infinity, -Infinity], [0, 1, 2], [1 / 3, 1 / 3, 1 / 3]);
    });
});

describe("greedy", () => {
    it("keeps only the argmax, ties → lower id", () => {
        expect("greedy", A, [1], [1]);
        expect("greedy", [5, 7, 7, 1], [1], [1]);
        expect("greedy", [-Infinity, -Infinity, 2], [2], [1]);
        expect("greedy", [-Infinity, -Infinity], [0], [1]);
    });
});

describe("top-k", () => {
    it("keeps the k highest logits", () => {
        expect("top-k=1", A, [1], [1]);
        expect("top-k=2", A, [1, 2], [0.5, 0.5]);
        const z3 = 2 + e1;
        expect("top-k=3", A, [1, 2, 3], [1 / z3, 1 / z3, e1 / z3]);
        const z5 = ZA;
        expect("top-k=5", A, [1, 2, 3, 0, 5], [1 / z5, 1 / z5, e1 / z5, e2 / z5, e25 / z5]);
    });
    it("ties at the boundary: the lower id wins", () => {
        // logits 2 at ids 2, 4, 5 compete for the third place.
        const z = 2 + Math.exp(-3);
        expect("top-k=3", [0, 5, 2, 5, 2, 2], [1, 3, 2], [1 / z, 1 / z, Math.exp(-3) / z]);
        expect("top-k=1", [0, 5, 2, 5, 2, 2], [1], [1]);
        expect("top-k=4", [7, 7, 7, 7, 7, 7], [0, 1, 2, 3], [0.25, 0.25, 0.25, 0.25]);
    });
    it("k ≥ vocabulary keeps all (−∞ included, with q = 0)", () => {
        expect("top-k=6", A, [1, 2, 3, 0, 5, 4], [1 / ZA, 1 / ZA, e1 / ZA, e2 / ZA, e25 / ZA, 0]);
        expect("top-k=1000", A, [1, 2, 3, 0, 5, 4], [1 / ZA, 1 / ZA, e1 / ZA, e2 / ZA, e25 / ZA, 0]);
    });
    it("leaves the kept set sorted", () => {
        const c = new Candidates(6);
        c.load(A);
        new TopKSampler(4).apply(c);
        assert.equal(c.sorted, true);
        assert.deepEqual([...c.ids.subarray(0, c.size)], [1, 2, 3, 0]);
    });
});

describe("top-p", () => {
    it("keeps the smallest prefix with cumulative probability ≥ p", () => {
        expect("top-p=0.3", A, [1], [1]);
        expect("top-p=0.5", A, [1, 2], [0.5, 0.5]);
        expect("top-p=0.77", A, [1, 2], [0.5, 0.5]); // 0.7736 ≥ 0.77
        expect("top-p=0.78", A, [1, 2, 3], [1 / (2 + e1), 1 / (2 + e1), e1 / (2 + e1)]);
        expect("top-p=0.9", A, [1, 2, 3], [1 / (2 + e1), 1 / (2 + e1), e1 / (2 + e1)]);
        const z4 = 2 + e1 + e2;
        expect("top-p=0.95", A, [1, 2, 3, 0], [1 / z4, 1 / z4, e1 / z4, e2 / z4]);
        expect("top-p=0.99", A, [1, 2, 3, 0, 5], [1 / ZA, 1 / ZA, e1 / ZA, e2 / ZA, e25 / ZA]);
    });
    it("p = 1 keeps all, −∞ included", () => {
        expect("top-p=1", A, [1, 2, 3, 0, 5, 4], [1 / ZA, 1 / ZA, e1 / ZA, e2 / ZA, e25 / ZA, 0]);
    });
    it("a tiny p keeps exactly one token (the lower id of a tie)", () => {
        expect("top-p=1e-9", A, [1], [1]);
        expect("top-p=1e-300", [4, 4, 4], [0], [1]);
    });
    it("a cumulative probability that hits p exactly stops there", () => {
        expect("top-p=0.25", [0, 0, 0, 0], [0], [1]);
        expect("top-p=0.5", [0, 0, 0, 0], [0, 1], [0.5, 0.5]);
        expect("top-p=0.75", [0, 0, 0, 0], [0, 1, 2], [1 / 3, 1 / 3, 1 / 3]);
        expect("top-p=0.7", [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [0, 1, 2, 3, 4, 5, 6], Array(7).fill(1 / 7));
        expect("top-p=0.5", [0, -Infinity, 0, 0, 0], [0, 2], [0.5, 0.5]);
        // Just above the boundary: one more token.
        expect("top-p=0.5000001", [0, 0, 0, 0], [0, 1, 2], [1 / 3, 1 / 3, 1 / 3]);
    });
    it("a boundary computed with another summation order is not missed by rounding", () => {
        const logits = [2, 1, 0.5, 0, -1, -0.25, 0.75];
        // p = mass of the best four, summed in reverse order with Math.exp (not the implementation's exp).
        const w = logits.map((x) => Math.exp(x - 2));
        let z = 0;
        for (let i = w.length - 1; i >= 0; i--) z += w[i];
        const p = (w[2] + w[6] + w[1] + w[0]) / z; // ids 0, 1, 6, 2 in order
        const got = keepOf(`top-p=${p}`, logits);
        assert.deepEqual(got.ids, [0, 1, 6, 2]);
        assert.deepEqual(keepOf(`top-p=${p * (1 + 1e-6)}`, logits).ids, [0, 1, 6, 2, 3]);
    });
    it("small results stay sorted", () => {
        const c = new Candidates(6);
        c.load(A);
        new TopPSampler(0.95).apply(c);
        assert.equal(c.sorted, true);
        assert.deepEqual([...c.ids.subarray(0, c.size)], [1, 2, 3, 0]);
    });
});

describe("min-p", () => {
    it("keeps tokens with p ≥ α · p_max", () => {
        expect("min-p=0.5", A, [1, 2], [0.5, 0.5]);
        expect("min-p=0.3", A, [1, 2, 3], [1 / (2 + e1), 1 / (2 + e1), e1 / (2 + e1)]); // e^-1 ≈ 0.368 ≥ 0.3
        const z4 = 2 + e1 + e2;
        expect("min-p=0.1", A, [1, 2, 3, 0], [1 / z4, 1 / z4, e1 / z4, e2 / z4]); // e^-2 ≈ 0.135, e^-2.5 ≈ 0.082
        expect("min-p=0.08", A, [1, 2, 3, 0, 5], [1 / ZA, 1 / ZA, e1 / ZA, e2 / ZA, e25 / ZA]);
    });
    it("α = 0 keeps all, −∞ included; α = 1 keeps the ties with the max", () => {
        expect("min-p=0", A, [1, 2, 3, 0, 5, 4], [1 / ZA, 1 / ZA, e1 / ZA, e2 / ZA, e25 / ZA, 0]);
        expect("min-p=1", A, [1, 2], [0.5, 0.5]);
        expect("min-p=1", [0, 4, 1], [1], [1]);
    });
    it("the boundary p = α · p_max is kept (ln-space comparison)", () => {
        // logit 1 vs max 3: ratio e^-2; with α = e^-2 exactly (as a double) it stays.
        const alpha = Math.exp(-2);
        assert.equal(Math.log(alpha), -2, "precondition: ln(exp(-2)) round-trips");
        expect(`min-p=${alpha}`, A, [1, 2, 3, 0], [1 / (2 + e1 + e2), 1 / (2 + e1 + e2), e1 / (2 + e1 + e2), e2 / (2 + e1 + e2)]);
    });
    it("preserves the order (and the sorted flag)", () => {
        const c = new Candidates(6);
        c.load(A);
        new TopKSampler(5).apply(c);
        new MinPSampler(0.1).apply(c);
        assert.equal(c.sorted, true);
        assert.deepEqual([...c.ids.subarray(0, c.size)], [1, 2, 3, 0]);
    });
});

describe("temperature", () => {
    it("divides the logits by T", () => {
        // T = 0.5: logits [2, 6, 6, 4, −∞, 1] → weights 1, 1, e^-2, e^-4, e^-5 relative to 6.
        const z = 2 + e2 + Math.exp(-4) + Math.exp(-5);
        expect("temp=0.5", A, [1, 2, 3, 0, 5, 4], [1 / z, 1 / z, e2 / z, Math.exp(-4) / z, Math.exp(-5) / z, 0]);
        // T = 2: logits [0.5, 1.5, 1.5, 1, −∞, 0.25] → weights 1, 1, e^-0.5, e^-1, e^-1.25.
        const z2 = 2 + Math.exp(-0.5) + e1 + Math.exp(-1.25);
        expect("temp=2", A, [1, 2, 3, 0, 5, 4], [1 / z2, 1 / z2, Math.exp(-0.5) / z2, e1 / z2, Math.exp(-1.25) / z2, 0]);
        expect("temp=1", A, [1, 2, 3, 0, 5, 4], [1 / ZA, 1 / ZA, e1 / ZA, e2 / ZA, e25 / ZA, 0]);
    });
    it("T = 0 is greedy", () => {
        expect("temp=0", A, [1], [1]);
        expect("temp=0", [5, 7, 7, 1], [1], [1]);
    });
    it("T → 0 tends to greedy without NaN (ties share the mass)", () => {
        for (const t of [1e-3, 1e-30, 1e-40, Number.MIN_VALUE]) {
            const got = keepOf(`temp=${t}`, A);
            assert.deepEqual(got.ids, [1, 2, 0, 3, 4, 5], `T=${t}`);
            assertClose(got.q, [0.5, 0.5, 0, 0, 0, 0], 1e-12, `T=${t}`);
            assert.ok(got.q.every((x) => !Number.isNaN(x)));
        }
        const big = [3e38, -3e38, 1e38, 3e38];
        const got = keepOf("temp=1e-10", big);
        assert.deepEqual(got.ids, [0, 3, 1, 2]);
        assertClose(got.q, [0.5, 0.5, 0, 0], 1e-12);
    });
    it("a huge T flattens to uniform over the finite logits", () => {
        expect("temp=1e30", A, [0, 1, 2, 3, 5, 4], [0.2, 0.2, 0.2, 0.2, 0.2, 0]);
    });
    it("keeps the sorted flag honest when division creates ties", () => {
        const logits = [1, 1 + 2 ** -23, 0, -1];
        const c = new Candidates(4);
        c.load(logits);
        c.selectTop(4);
        assert.deepEqual([...c.ids], [1, 0, 2, 3]);
        // Divided by 1e46 every logit rounds to (±)0 in float32: all tie, and ids 1, 0 are out of id order.
        new TemperatureSampler(1e46).apply(c);
        assert.equal(c.logits[0], c.logits[1]);
        assert.equal(c.sorted, false);
        assert.deepEqual(keepOf("top-k=3,temp=1e46,top-k=1", logits).ids, [0], "the tie is broken by the lower id");
    });
});

describe("sampler objects", () => {
    it("have canonical names and normalised specs", () => {
        assert.equal(new TemperatureSampler(0.7).spec, "temperature=0.7");
        assert.equal(new TopKSampler(40).spec, "top-k=40");
        assert.equal(new TopPSampler(0.9).spec, "top-p=0.9");
        assert.equal(new MinPSampler(0.05).spec, "min-p=0.05");
        assert.equal(new GreedySampler().spec, "greedy");
        assert.equal(new TopPSampler(0.9).name, "top-p");
    });
    it("reject invalid parameters", () => {
        assert.throws(() => new TemperatureSampler(-1), RangeError);
        assert.throws(() => new TemperatureSampler(Infinity), RangeError);
        assert.throws(() => new TopKSampler(0), RangeError);
        assert.throws(() => new TopKSampler(2.5), RangeError);
        assert.throws(() => new TopPSampler(0), RangeError);
        assert.throws(() => new TopPSampler(1.01), RangeError);
        assert.throws(() => new MinPSampler(-0.1), RangeError);
        assert.throws(() => new MinPSampler(Number.NaN), RangeError);
    });
    it("always leave at least one candidate", () => {
        const vectors = [A, [-Infinity], [-Infinity, -Infinity], [0], [1, 2]];
        const samplers: Sampler[] = [new GreedySampler(), new TopKSampler(1), new TopPSampler(1e-12), new MinPSampler(1), new TemperatureSampler(0)];
        for (const v of vectors) {
            for (const s of samplers) {
                const c = new Candidates(v.length);
                c.load(v);
                s.apply(c, ctxFor());
                assert.ok(c.size >= 1, `${s.spec} on ${v}`);
            }
        }
    });
});
