/**
 * The metrics on hand-made texts with known answers.
 */
import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {bleu, selfBleu, SMOOTHING_EPSILON} from "../../../src/metrics/bleu.js";
import {distinctN, endsInRepetition, ngrams, repetitionRate, trailingRepetition} from "../../../src/metrics/diversity.js";
import {mean, meanLogprob, perplexity} from "../../../src/metrics/likelihood.js";
import {strategyMetrics} from "../../../src/metrics/strategy.js";
import {words} from "../../../src/metrics/words.js";

const close = (actual: number | null, expected: number, eps = 1e-12): void => {
    assert.ok(actual !== null, `expected ${expected}, got null`);
    assert.ok(Math.abs(actual - expected) <= eps, `expected ${expected}, got ${actual}`);
};
const w = (s: string): string[] => s.split(" ");

describe("words", () => {
    test("splits words and punctuation, keeps apostrophes and case", () => {
        assert.deepEqual(words("Hello, world! It's 3 o'clock."), ["Hello", ",", "world", "!", "It's", "3", "o'clock", "."]);
        assert.deepEqual(words("  Lily   saw\na cat\t"), ["Lily", "saw", "a", "cat"]);
        assert.deepEqual(words("café naïve 日本"), ["café", "naïve", "日本"]);
        assert.deepEqual(words(""), []);
    });
});

describe("distinct-n", () => {
    test("unique n-grams over all n-grams", () => {
        close(distinctN([w("a b a b")], 1), 2 / 4);
        close(distinctN([w("a b a b")], 2), 2 / 3); // ab, ba, ab
        close(distinctN([w("a b c d")], 1), 1);
        close(distinctN([w("a a a a")], 1), 1 / 4);
        close(distinctN([w("a a a a")], 2), 1 / 3);
    });

    test("pools the samples: n-grams repeated across samples count once", () => {
        close(distinctN([w("a b"), w("a c")], 1), 3 / 4);
        close(distinctN([w("a b"), w("a b")], 2), 1 / 2);
        // No n-gram crosses a sample boundary: "b" + "a" is not a bigram here.
        close(distinctN([w("a b"), w("a b")], 1), 2 / 4);
    });

    test("undefined without n-grams", () => {
        assert.equal(distinctN([], 1), null);
        assert.equal(distinctN([["a"], ["b"]], 2), null);
        assert.throws(() => distinctN([["a"]], 0), RangeError);
    });

    test("ngrams are ordered and do not mix token boundaries", () => {
        assert.deepEqual(ngrams(["ab", "c"], 1), ["ab", "c"]);
        assert.notDeepEqual(ngrams(["ab", "c"], 2), ngrams(["a", "bc"], 2));
        assert.deepEqual(ngrams([1, 2, 3], 2).length, 2);
    });
});

describe("repetition (Holtzman et al. 2019: a phrase of ≥ 2 tokens repeated ≥ 3 times at the end)", () => {
    test("known answers", () => {
        assert.equal(trailingRepetition(w("x y a b a b a b")), 2);
        assert.equal(trailingRepetition(w("p q r p q r p q r")), 3);
        assert.equal(trailingRepetition(w("z p q r p q r p q r")), 3);
        assert.equal(trailingRepetition(w("a a a a a a")), 2); // "a a" × 3
        assert.equal(trailingRepetition(w("a a a a a")), 0); // too short for "a a" × 3
        assert.equal(trailingRepetition(w("a b a b")), 0); // only twice
        assert.equal(trailingRepetition(w("a b a b a b c")), 0); // the loop is not at the end
        assert.equal(trailingRepetition(w("a b c a b c a b")), 0);
        assert.equal(trailingRepetition([]), 0);
        assert.equal(endsInRepetition([7, 8, 9, 7, 8, 9, 7, 8, 9]), true);
    });

    test("the rate is the share of samples ending in a loop", () => {
        close(repetitionRate([w("a b a b a b"), w("a b c"), w("c d"), w("x y z")]), 0.25);
        close(repetitionRate([w("a b a b a b"), w("q r q r q r")]), 1);
        assert.equal(repetitionRate([]), null);
    });
});

describe("BLEU and self-BLEU", () => {
    test("identical samples: self-BLEU 1", () => {
        const s = w("the little dog ran to the park and played");
        close(bleu(s, [s]), 1, 1e-12);
        close(selfBleu([s, s, s]), 1, 1e-12);
    });

    test("disjoint samples (no shared word): self-BLEU 0", () => {
        close(selfBleu([w("a b c d e"), w("f g h i j"), w("k l m n o")]), 0);
    });

    test("a worked example with method-1 smoothing", () => {
        // p1 = 5/6, p2 = 3/5, p3 = 1/4, p4 = 0 → ε/3; equal lengths, so no brevity penalty.
        const expected = Math.exp((Math.log(5 / 6) + Math.log(3 / 5) + Math.log(1 / 4) + Math.log(SMOOTHING_EPSILON / 3)) / 4);
        close(bleu(w("the cat sat on the mat"), [w("the cat is on the mat")]), expected, 1e-12);
        close(expected, 0.2541, 1e-4);
    });

    test("clipped counts and the brevity penalty", () => {
        // "the the the the" against "the cat": unigram precision clipped to 1/4.
        const clipped = bleu(w("the the the the"), [w("the cat")], 1);
        close(clipped, 1 / 4);
        // A perfect but short hypothesis: BP = exp(1 − r/c) with r = 8, c = 4.
        close(bleu(w("a b c d"), [w("a b c d e f g h")]), Math.exp(1 - 8 / 4), 1e-12);
        // Closest reference length is used (4 beats 8).
        close(bleu(w("a b c d"), [w("a b c d e f g h"), w("a b c d")]), 1, 1e-12);
    });

    test("self-BLEU is the mean over samples against all the others", () => {
        const a = w("one two three four five");
        const b = w("one two three four five");
        const c = w("six seven eight nine ten");
        // a vs {b, c} = 1; b vs {a, c} = 1; c vs {a, b} = 0.
        close(selfBleu([a, b, c]), 2 / 3, 1e-12);
        assert.equal(selfBleu([a]), null);
    });
});

describe("likelihood", () => {
    test("perplexity from known log-probs", () => {
        const lp = meanLogprob([Math.log(0.5), Math.log(0.25)]);
        close(lp, Math.log(0.125) / 2);
        close(perplexity(lp), Math.sqrt(8), 1e-12);
        close(perplexity(meanLogprob([Math.log(0.25), Math.log(0.25), Math.log(0.25)])), 4, 1e-12);
        close(perplexity(0), 1);
        assert.equal(meanLogprob([]), null);
        assert.equal(perplexity(null), null);
        assert.equal(mean([]), null);
    });
});

describe("strategyMetrics", () => {
    test("combines the measures over samples", () => {
        const t = (id: number, p: number, entropy: number, kept: number) => ({id, logprob: Math.log(p), entropy, kept});
        const m = strategyMetrics([
            {text: "a b a b", tokens: [t(1, 0.5, 1, 2), t(2, 0.5, 1, 4), t(1, 0.5, 1, 2), t(2, 0.5, 1, 4), t(1, 0.5, 1, 2), t(2, 0.5, 1, 4)], stopReason: "max-tokens", tokensPerSecond: 10},
            {text: "c d", tokens: [t(3, 0.25, 3, 8), t(4, 0.25, 3, 8)], stopReason: "eos", tokensPerSecond: 20}
        ]);
        assert.equal(m.samples, 2);
        assert.equal(m.tokens, 4);
        assert.deepEqual(m.stopReasons, {"max-tokens": 1, eos: 1});
        close(m.meanLogprob, (6 * Math.log(0.5) + 2 * Math.log(0.25)) / 8);
        close(m.perplexity, Math.exp(-m.meanLogprob!));
        close(m.distinct1, 4 / 6); // words a b a b c d
        close(m.distinct2, 3 / 4); // ab ba ab | cd
        close(m.repetition, 0.5); // ids 1 2 1 2 1 2 loop; 3 4 does not
        assert.ok(m.selfBleu4 !== null && m.selfBleu4 === 0);
        close(m.meanEntropy, (6 * 1 + 2 * 3) / 8);
        close(m.meanKept, (3 * 2 + 3 * 4 + 2 * 8) / 8);
        close(m.tokensPerSecond, 15);
    });

    test("without kept sets (beam search) meanKept is null; one sample has no self-BLEU", () => {
        const m = strategyMetrics([{text: "x", tokens: [{id: 1, logprob: -1, entropy: 2}], stopReason: "eos", tokensPerSecond: 5}]);
        assert.equal(m.meanKept, null);
        assert.equal(m.selfBleu4, null);
        close(m.meanEntropy, 2);
    });
});
