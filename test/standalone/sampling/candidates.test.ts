import assert from "node:assert/strict";
import {describe, it} from "node:test";
import {Candidates, createRng, expNonPos, HEAP_SELECT_MAX, MAX_VOCAB} from "../../../src/sampling/index.js";
import {MassSelector} from "../../../src/sampling/candidates/mass.js";
import {sortKeys} from "../../../src/sampling/candidates/select.js";
import {expShiftedInto} from "../../../src/sampling/exp.js";

/** Reference order: logit desc, id asc. */
function refOrder(logits: ArrayLike<number>): number[] {
    return Array.from({length: logits.length}, (_, i) => i).sort((a, b) => {
        const x = Math.fround(logits[a]);
        const y = Math.fround(logits[b]);
        return x !== y ? (x > y ? -1 : 1) : a - b;
    });
}

function randomLogits(n: number, seed: number, levels = 0): Float32Array {
    const rng = createRng(seed);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
        const x = rng.next() * 20 - 10;
        out[i] = levels ? Math.floor(x * levels) / levels : x;
        if (rng.next() < 0.02) out[i] = -Infinity;
    }
    return out;
}

describe("Candidates", () => {
    it("load gives identity ids and a copy", () => {
        const c = new Candidates(5);
        const logits = new Float32Array([3, 1, 2]);
        c.load(logits);
        assert.equal(c.size, 3);
        assert.equal(c.sorted, false);
        assert.deepEqual([...c.ids.subarray(0, 3)], [0, 1, 2]);
        c.logits[0] = 99;
        assert.equal(logits[0], 3, "the caller's logits are not modified");
        c.load([5, 6, 7, 8, 9]);
        assert.deepEqual([...c.ids], [0, 1, 2, 3, 4]);
        assert.throws(() => c.load([1, 2, 3, 4, 5, 6]), RangeError);
        assert.throws(() => c.load([]), RangeError);
        assert.throws(() => new Candidates(0), RangeError);
        assert.throws(() => new Candidates(MAX_VOCAB + 1), RangeError);
    });
    it("argmax breaks ties by the lower id, in any buffer order", () => {
        const c = new Candidates(6);
        c.load([1, 5, 2, 5, 5, 0]);
        assert.equal(c.argmax(), 1);
        // Reverse the buffer order: the answer must not depend on positions.
        c.ids.reverse();
        c.logits.reverse();
        assert.equal(c.argmax(), 1);
        c.load([-Infinity, -Infinity]);
        assert.equal(c.argmax(), 0);
    });
    it("truncate keeps at least one", () => {
        const c = new Candidates(3);
        c.load([1, 2, 3]);
        assert.throws(() => c.truncate(0), RangeError);
        c.truncate(2);
        assert.equal(c.size, 2);
        c.truncate(10);
        assert.equal(c.size, 2);
    });
    it("softmax fills probs with max-subtracted float64 probabilities", () => {
        const c = new Candidates(4);
        c.load([1000, 1000 + Math.log(3), -Infinity, 1000]);
        c.softmax();
        const z = 5;
        const expected = [1 / z, 3 / z, 0, 1 / z];
        for (let i = 0; i < 4; i++) assert.ok(Math.abs(c.probs[i] - expected[i]) < 1e-4, `${i}: ${c.probs[i]}`);
    });
    it("selectTop puts the m best first, sorted, and keeps the multiset (heap and quickselect paths)", () => {
        for (const [n, levels] of [[50, 0], [3000, 0], [3000, 2], [20000, 1]] as const) {
            const logits = randomLogits(n, n + levels, levels);
            const order = refOrder(logits);
            for (const m of [1, 2, 7, HEAP_SELECT_MAX, HEAP_SELECT_MAX + 1, 1000, n - 1, n]) {
                if (m > n) continue;
                const c = new Candidates(n);
                c.load(logits);
                c.selectTop(m);
                assert.deepEqual([...c.ids.subarray(0, m)], order.slice(0, m), `n ${n}, levels ${levels}, m ${m}`);
                for (let i = 0; i < n; i++) assert.equal(c.logits[i], logits[c.ids[i]], "logits travel with their ids");
                assert.deepEqual([...c.ids].sort((a, b) => a - b), order.slice().sort((a, b) => a - b), "a permutation");
                assert.equal(c.sorted, m >= n);
            }
        }
    });
    it("selectTop can grow a sorted prefix", () => {
        const logits = randomLogits(5000, 9, 4);
        const order = refOrder(logits);
        const c = new Candidates(5000);
        c.load(logits);
        let m = 0;
        for (const next of [64, 128, 1000, 1300, 4000, 5000]) {
            c.selectTop(next, m);
            m = next;
            assert.deepEqual([...c.ids.subarray(0, m)], order.slice(0, m), `prefix ${m}`);
        }
        assert.equal(c.sorted, true);
    });
    it("selectMass finds the smallest best set reaching the target mass (quickselect and histogram paths)", () => {
        for (const [N, levels] of [[4000, 0], [4000, 1], [30000, 0], [30000, 1], [30000, 64]] as const) {
            const logits = randomLogits(N, N + 77 + levels, levels);
            const order = refOrder(logits);
            let max = -Infinity;
            for (const x of logits) if (x > max) max = x;
            const w = (id: number): number => Math.exp(logits[id] - max);
            let total = 0;
            for (const id of order) total += w(id);
            for (const share of [0.01, 0.3, 0.75, 0.999]) {
                const target = share * total;
                let cum = 0;
                let expected = order.length;
                for (let i = 0; i < order.length; i++) {
                    cum += w(order[i]);
                    if (cum >= target) {
                        expected = i + 1;
                        break;
                    }
                }
                const c = new Candidates(N);
                c.load(logits);
                const cut = new MassSelector().selectMass(c, 0, target, max);
                assert.equal(cut, expected, `N ${N}, share ${share}, levels ${levels}`);
                const d = new Candidates(N);
                d.load(logits);
                d.weights(max);
                assert.equal(new MassSelector().selectMass(d, 0, target, max, true), expected, "with precomputed weights");
                const kept = [...c.ids.subarray(0, cut)].sort((a, b) => a - b);
                assert.deepEqual(kept, order.slice(0, cut).sort((a, b) => a - b));
                for (let i = 0; i < N; i++) assert.equal(c.logits[i], logits[c.ids[i]]);
            }
        }
    });
    it("selectMass reaches into the far tail (below max − 64) and grows a prefix", () => {
        const n = 20000;
        const logits = new Float32Array(n).fill(-10);
        logits[123] = 100;
        for (let i = 0; i < n; i += 7) logits[i] = -20;
        const c = new Candidates(n);
        c.load(logits);
        c.selectTop(1);
        assert.equal(c.ids[0], 123);
        const tailWeight = Math.exp(-110);
        // Need the top token plus 100.5 tail tokens of weight e^-110: 101 of the −10s, lowest ids first.
        const mass = new MassSelector();
        const cut = mass.selectMass(c, 1, 100.5 * tailWeight, 100);
        assert.equal(cut, 102);
        const kept = [...c.ids.subarray(1, cut)].sort((a, b) => a - b);
        const expected: number[] = [];
        for (let id = 0; expected.length < 101; id++) if (logits[id] === -10) expected.push(id);
        assert.deepEqual(kept, expected);
        assert.equal(mass.selectMass(c, 1, 0, 100), 1, "a target of 0 keeps nothing more");
    });
});

describe("sortKeys", () => {
    it("sorts ranges by introsort, and by heapsort when forced", () => {
        const rng = createRng(5);
        for (const n of [0, 1, 2, 15, 16, 17, 100, 5000]) {
            for (const depth of [undefined, 0, 1]) {
                const a = Float64Array.from({length: n + 4}, () => Math.floor(rng.next() * 1e6));
                const expected = [...a.subarray(2, n + 2)].sort((x, y) => x - y);
                const before = [a[0], a[1], a[n + 2], a[n + 3]];
                sortKeys(a, 2, n + 2, depth);
                assert.deepEqual([...a.subarray(2, n + 2)], expected, `n ${n}, depth ${depth}`);
                assert.deepEqual([a[0], a[1], a[n + 2], a[n + 3]], before, "outside the range untouched");
            }
        }
    });
});

describe("expNonPos", () => {
    it("matches Math.exp to within a few ulp", () => {
        const rng = createRng(3);
        let worst = 0;
        for (let i = 0; i < 200_000; i++) {
            const x = -rng.next() * (i % 2 ? 700 : 40);
            const rel = Math.abs(expNonPos(x) - Math.exp(x)) / Math.exp(x);
            if (rel > worst) worst = rel;
        }
        assert.ok(worst < 2e-15, `worst relative error ${worst}`);
    });
    it("the inlined loop (expShiftedInto) gives the same values (flushing below e^-708) and their sum", () => {
        const xs = [0, -0, -1e-300, -0.5, -1, -30, -700, -707.9, -708, -708.5, -744, -745, -745.2, -800, -Infinity];
        const rng = createRng(4);
        for (let i = 0; i < 5000; i++) xs.push(-rng.next() * 750);
        for (const length of [xs.length, xs.length - 1]) {
            const max = 12.5;
            const logits = Float32Array.from(xs.slice(0, length), (x) => x + max);
            const out = new Float64Array(length);
            const sum = expShiftedInto(logits, max, out, 0, length);
            let expectedSum = 0;
            for (let i = 0; i < length; i++) {
                const x = logits[i] - max;
                const e = x > -708 ? expNonPos(x) : 0;
                if (out[i] !== e) assert.fail(`x = ${x}: ${out[i]} vs ${e}`);
                expectedSum += e;
            }
            assert.ok(Math.abs(sum - expectedSum) <= 1e-13 * expectedSum, `${sum} vs ${expectedSum}`);
        }
        // A max slightly below a logit (a caller's mistake) still gives the right, finite value.
        const above = new Float64Array(2);
        expShiftedInto(Float32Array.of(2, 2), 1, above, 0, 2);
        assert.ok(Math.abs(above[0] - Math.E) < 1e-15 * Math.E);
    });
    it("handles the edges", () => {
        assert.equal(expNonPos(0), 1);
        assert.equal(expNonPos(-0), 1);
        assert.equal(expNonPos(-Infinity), 0);
        assert.equal(expNonPos(Number.NaN), 0);
        assert.equal(expNonPos(-746), 0);
        assert.ok(expNonPos(-745) > 0);
        assert.equal(expNonPos(1), Math.exp(1));
        assert.equal(expNonPos(-1e-300), 1);
    });
});
