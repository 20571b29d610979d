/**
 * The windows of `llmgen score` for texts longer than the context (pure): every token from the
 * first scored one on is scored exactly once, with at least window − stride tokens before it in its
 * window; later windows start with BOS when asked.
 */
import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {scoreWindows} from "../../../src/generate/score.js";

describe("scoreWindows", () => {
    test("a text that fits is one window scoring everything from position 1 (or the first scored one)", () => {
        assert.deepEqual(scoreWindows(5, 1, 8, 4, true), [{positions: [0, 1, 2, 3, 4], firstScored: 1}]);
        assert.deepEqual(scoreWindows(5, 3, 8, 4, true), [{positions: [0, 1, 2, 3, 4], firstScored: 3}]);
        assert.deepEqual(scoreWindows(5, 0, 8, 4, false), [{positions: [0, 1, 2, 3, 4], firstScored: 1}], "position 0 has nothing before it");
    });

    test("n = 10, window 6, stride 2, BOS kept: hand-computed windows", () => {
        assert.deepEqual(scoreWindows(10, 1, 6, 2, true), [
            {positions: [0, 1, 2, 3, 4, 5], firstScored: 1},
            {positions: [0, 3, 4, 5, 6, 7], firstScored: 4},
            {positions: [0, 5, 6, 7, 8, 9], firstScored: 4}
        ]);
        assert.deepEqual(scoreWindows(10, 1, 6, 3, false), [
            {positions: [0, 1, 2, 3, 4, 5], firstScored: 1},
            {positions: [3, 4, 5, 6, 7, 8], firstScored: 3},
            {positions: [4, 5, 6, 7, 8, 9], firstScored: 5}
        ]);
    });

    test("every position scored once, with window − stride tokens of context (many sizes)", () => {
        for (const withStart of [true, false]) {
            for (const n of [2, 7, 50, 101]) {
                for (const window of [4, 9, 16]) {
                    const body = withStart ? window - 1 : window;
                    for (let stride = 1; stride < body; stride++) {
                        for (const from of [1, 3, 20]) {
                            const windows = scoreWindows(n, from, window, stride, withStart);
                            const scored: number[] = [];
                            for (const [k, w] of windows.entries()) {
                                assert.ok(w.positions.length <= window, "a window fits");
                                const scoredHere = w.positions.slice(w.firstScored);
                                scored.push(...scoredHere);
                                if (k > 0 && n > window) {
                                    if (withStart) assert.equal(w.positions[0], 0, "BOS first");
                                    // Contiguous body; the first scored token has window − stride − (BOS) tokens of text before it.
                                    const bodyStart = withStart ? 1 : 0;
                                    for (let i = bodyStart + 1; i < w.positions.length; i++) assert.equal(w.positions[i], w.positions[i - 1]! + 1);
                                    assert.ok(w.firstScored - bodyStart >= body - stride, `context of ${w.firstScored - bodyStart} < ${body - stride}`);
                                }
                            }
                            const expected = [];
                            for (let p = Math.max(1, from); p < n; p++) expected.push(p);
                            assert.deepEqual(scored, expected, `n ${n}, window ${window}, stride ${stride}, from ${from}, BOS ${withStart}`);
                        }
                    }
                }
            }
        }
    });

    test("bad sizes are refused", () => {
        assert.throws(() => scoreWindows(10, 1, 1, 1, false), RangeError);
        assert.throws(() => scoreWindows(10, 1, 6, 5, true), RangeError);
        assert.throws(() => scoreWindows(10, 1, 6, 0, false), RangeError);
    });
});
