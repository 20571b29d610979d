/**
 * Typical, epsilon, eta, top-n-σ, mirostat, XTC and DRY at a 128k vocabulary: kept sets and q against the naive references (full sorts) on
 * realistic shapes, with thousands of exact ties; and a generous time bound per step, which a
 * full sort of the vocabulary per step would not meet comfortably.
 */
import assert from "node:assert/strict";
import {describe, it} from "node:test";
import {realisticLogits} from "./helpers.js";
import {
    assertSameKept, chainOf, ctxWith, keptMap, refDry, refEpsilon, refEta, refKept, refMirostatV1, refMirostatV2, refStart,
    refTopNSigma, refTypical, refXtcActing, type Ref,
} from "./reference-samplers.js";

const VOCAB = 128_256;
const SHAPES: [string, Float32Array][] = [
    ["peaked", realisticLogits(VOCAB, 11, {peak: 20})],
    ["flat tail", realisticLogits(VOCAB, 12, {peak: 11})],
    ["quantised tail (many ties)", realisticLogits(VOCAB, 13, {peak: 10, quantise: 8})],
];

function check(spec: string, logits: Float32Array, ref: (r: Ref) => Ref, what: string): number {
    const L = Array.from(logits);
    const got = keptMap(spec, L, ctxWith({history: [5, 9, 5, 9, 5]}));
    assertSameKept(got, refKept(ref(refStart(L))), 1e-9, `${what} ${spec}`);
    return got.size;
}

describe("128k vocabulary vs the naive references", () => {
    for (const [shape, logits] of SHAPES) {
        it(`typical on ${shape}`, () => {
            const sizes = [0.2, 0.9, 0.95, 0.99].map((tau) => check(`typical=${tau}`, logits, (r) => refTypical(r, tau), shape));
            if (shape !== "peaked") assert.ok(sizes.some((n) => n > 1000), `some τ keeps > 1000 tokens (${sizes})`);
        });
        it(`epsilon, eta, top-n-σ on ${shape}`, () => {
            for (const e of [1e-5, 3e-4, 0.01]) check(`epsilon=${e}`, logits, (r) => refEpsilon(r, e), shape);
            for (const e of [1e-5, 4e-3, 0.1]) check(`eta=${e}`, logits, (r) => refEta(r, e), shape);
            for (const n of [0.5, 1, 3]) check(`top-n-sigma=${n}`, logits, (r) => refTopNSigma(r, n), shape);
        });
        it(`mirostat (first step), XTC and DRY on ${shape}`, () => {
            for (const tau of [1, 3, 5, 8]) check(`mirostat=2:${tau}`, logits, (r) => refMirostatV2(r, 2 * tau), shape);
            for (const tau of [1, 3, 5]) check(`mirostat=1:${tau}`, logits, (r) => refMirostatV1(r, 2 * tau, VOCAB), shape);
            check("xtc=1:0.01", logits, (r) => refXtcActing(r, 0.01), shape);
            check("dry=0.8:1.75:1:-1:[]", logits, (r) => refDry(r, [5, 9, 5, 9, 5], 0.8, 1.75, 1, -1), shape);
        });
    }
    it("each unit stays well under a full sort per step (generous bound: 40 ms per step)", (t) => {
        const logits = SHAPES[1][1];
        const ctx = ctxWith({history: Array.from({length: 4096}, (_, i) => (i * 7919) % 1000), vocabulary: undefined});
        for (const spec of ["typical=0.95", "epsilon=3e-4", "eta=4e-3", "top-n-sigma=1", "mirostat=1:5", "mirostat=2:8", "xtc=1:0.01",
            "dry=0.8:1.75:2:-1:[]", "repeat-penalty=1.1:-1,presence-penalty=0.5:-1,frequency-penalty=0.5:-1", "no-repeat-ngram=3",
            "dynatemp=1:0.5", "logit-bias(5=-inf;6=2)"]) {
            const chain = chainOf(spec, VOCAB);
            chain.apply(logits, ctx);
            const runs = 10;
            const started = performance.now();
            for (let i = 0; i < runs; i++) chain.apply(logits, ctx);
            const ms = (performance.now() - started) / runs;
            t.diagnostic(`${spec}: ${ms.toFixed(2)} ms per step at ${VOCAB} tokens`);
            assert.ok(ms < 40, `${spec}: ${ms.toFixed(1)} ms per step`);
        }
    });
});
