/** A hand-made CompareReport for the renderer tests (no model needed). */
import {strategyMetrics} from "../../src/metrics/strategy.js";
import type {CompareReport, SampleRecord, StrategyRecord} from "../../src/report/types.js";

export function sample(index: number, pieces: Array<[string, number]>, stopReason = "max-tokens"): SampleRecord {
    return {
        sample: index,
        seed: 42,
        text: pieces.map(([t]) => t).join(""),
        stopReason,
        tokensPerSecond: 100,
        tokens: pieces.map(([text, p], i) => ({
            id: 100 + i, text, logprob: Math.log(p), entropy: 1 + i / 10, kept: i + 1,
            top: [{id: 100 + i, text, logprob: Math.log(p)}, {id: 7, text: " else", logprob: Math.log((1 - p) / 2)}]
        }))
    };
}

export function strategy(spec: string, samples: SampleRecord[], kind: "sample" | "beam" = "sample", copies = 1): StrategyRecord {
    return {
        spec, kind, samples, runs: samples.length,
        metrics: strategyMetrics(samples.map((s) => ({text: s.text, tokens: s.tokens, stopReason: s.stopReason, tokensPerSecond: s.tokensPerSecond})), copies)
    };
}

const story: Array<[string, number]> = [
    [",", 0.9], [" there", 0.8], [" was", 0.95], [" a", 0.7], [" little", 0.6], [" girl", 0.4], [" named", 0.5], [" Lily", 0.3], [".", 0.9],
    [" She", 0.5], [" loved", 0.2], [" to", 0.9], [" play", 0.4], [" outside", 0.1], [".", 0.8]
];
const wide: Array<[string, number]> = [[" 日本語の", 0.3], ["テキスト", 0.2], ["と", 0.05], [" cafe\u0301", 0.01], [" 😀😀", 0.5], [" naïve", 0.04], [" 漢字漢字漢字漢字", 0.2]];

export function report(): CompareReport {
    return {
        prompt: "Once upon a time",
        model: "/models/stories260K.gguf",
        seed: 42,
        maxTokens: 15,
        samplesPerStrategy: 2,
        strategies: [
            strategy("greedy", [sample(0, story)], "sample", 2),
            strategy("beam=4", [{...sample(0, story), seed: null, tokens: sample(0, story).tokens.map(({kept: _k, ...t}) => t)}], "beam", 2),
            strategy("random", [sample(0, wide), sample(1, story.slice(0, 6), "eos")]),
            strategy("top-k=40", [sample(0, story.slice(3)), sample(1, story)]),
            strategy("top-p=0.9", [sample(0, story.slice(0, 9)), sample(1, wide)]),
            strategy("min-p=0.1", [sample(0, story), sample(1, story)])
        ]
    };
}
