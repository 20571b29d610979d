/**
 * The data every renderer of `llmgen compare` works from: plain objects, JSON-safe, no engine.
 */
import type {StrategyMetrics} from "../metrics/strategy.js";

export interface AlternativeRecord {
    id: number;
    text: string;
    logprob: number;
}

export interface TokenRecord {
    id: number;
    /** The text this token completes ("" while a multi-byte character is incomplete). */
    text: string;
    /** log-probability under the model's unmodified distribution. */
    logprob: number;
    /** Entropy (nats) of the model's next-token distribution at this step. */
    entropy?: number;
    /** Size of the strategy's kept set at this step (absent for beam search). */
    kept?: number;
    /** The most probable tokens at this step (HTML report only). */
    top?: AlternativeRecord[];
}

export interface SampleRecord {
    sample: number;
    /** The seed of the sample's random stream (null for beam search). */
    seed: number | null;
    text: string;
    stopReason: string;
    tokensPerSecond: number;
    tokens: TokenRecord[];
}

export interface StrategyRecord {
    spec: string;
    kind: "sample" | "beam";
    /** The samples generated (a deterministic strategy runs once; its metrics count it --samples times). */
    samples: SampleRecord[];
    /** How many samples were generated (= samples.length). */
    runs: number;
    metrics: StrategyMetrics;
}

export interface CompareReport {
    prompt: string;
    /** What the model was fed: the token ids (BOS and chat template included) and their text, special tokens rendered. */
    promptFed?: {text: string; tokens: number[]};
    model: string;
    seed: number;
    maxTokens: number;
    /** --samples: samples per (non-deterministic) sampling strategy. */
    samplesPerStrategy: number;
    strategies: StrategyRecord[];
}
