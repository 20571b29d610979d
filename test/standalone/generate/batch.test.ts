/** The batch scheduler's engine-free parts: results put back in input order, sequences a job needs. */
import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {InOrder, sequencesNeeded} from "../../../src/generate/batch.js";
import {parseStrategy} from "../../../src/sampling/index.js";

describe("InOrder", () => {
    test("hands items out in index order whatever order they are put in; skipped indexes do not hold the rest back", () => {
        const out: Array<[string, number]> = [];
        const order = new InOrder<string>(6, (item, index) => out.push([item, index]));
        order.put(2, "c");
        order.put(1, "b");
        assert.deepEqual(out, []);
        order.put(0, "a");
        assert.deepEqual(out, [["a", 0], ["b", 1], ["c", 2]]);
        order.put(5, "f");
        order.skip(3);
        assert.deepEqual(out.length, 3);
        order.put(4, "e");
        assert.deepEqual(out, [["a", 0], ["b", 1], ["c", 2], ["e", 4], ["f", 5]]);
    });

    test("flushAll (an interrupted batch) hands out what is ready, in order, across gaps", () => {
        const out: number[] = [];
        const order = new InOrder<string>(5, (_item, index) => out.push(index));
        order.put(4, "e");
        order.put(2, "c");
        order.flushAll();
        assert.deepEqual(out, [2, 4]);
    });
});

describe("sequencesNeeded", () => {
    test("beam search holds its width; a sampling chain one sequence per sample, at most what is shared", () => {
        assert.equal(sequencesNeeded({strategy: parseStrategy("beam=4"), samples: 1}, 16), 4);
        assert.equal(sequencesNeeded({strategy: parseStrategy("top-p=0.9"), samples: 3}, 16), 3);
        assert.equal(sequencesNeeded({strategy: parseStrategy("top-p=0.9"), samples: 40}, 16), 16);
        assert.equal(sequencesNeeded({strategy: parseStrategy("greedy"), samples: 1}, 16), 1);
    });
});
