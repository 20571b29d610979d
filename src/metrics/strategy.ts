/**
 * Every per-strategy number of `llmgen compare`, from the samples a strategy produced. Pure.
 *
 * - tokens, stop reasons: as generated.
 * - meanLogprob / perplexity: pooled over every generated token of every sample, under the model's
 *   unmodified distribution (what the model thinks of the text, whatever the strategy did).
 * - distinct-1 / distinct-2: over words of all samples pooled (see words.ts).
 * - repetition: share of samples whose model tokens end in a phrase of ≥ 2 tokens repeated ≥ 3 times.
 * - selfBleu4: over words, when there are ≥ 2 samples.
 * - meanEntropy: mean entropy (nats) of the model's next-token distribution over all steps.
 * - meanKept: mean kept-set size over all steps (null when the strategy has no kept set: beam search).
 * - tokensPerSecond: mean over samples.
 */
import {selfBleu} from "./bleu.js";
import {distinctN, repetitionRate} from "./diversity.js";
import {mean, meanLogprob, perplexity} from "./likelihood.js";
import {words} from "./words.js";

export interface TokenStat {
    id: number;
    logprob: number;
    entropy?: number;
    kept?: number;
}

export interface SampleStat {
    text: string;
    tokens: readonly TokenStat[];
    stopReason: string;
    tokensPerSecond: number;
}

export interface StrategyMetrics {
    samples: number;
    /** Mean generated tokens per sample. */
    tokens: number;
    /** How many samples stopped for each reason. */
    stopReasons: Record<string, number>;
    meanLogprob: number | null;
    perplexity: number | null;
    distinct1: number | null;
    distinct2: number | null;
    /** Share (0..1) of samples ending in a repetition loop. */
    repetition: number | null;
    selfBleu4: number | null;
    meanEntropy: number | null;
    meanKept: number | null;
    tokensPerSecond: number | null;
}

/**
 * `copies`: how many times each sample counts. A deterministic strategy (greedy, beam search) is run
 * once and counted as the --samples identical samples that running it again would give, so its
 * diversity numbers (distinct-n pooled over samples, self-BLEU) compare with the sampled strategies'.
 */
export function strategyMetrics(given: readonly SampleStat[], copies = 1): StrategyMetrics {
    const samples = copies > 1 ? Array.from({length: copies}, () => given).flat() : given;
    const allLogprobs: number[] = [];
    const entropies: number[] = [];
    const kept: number[] = [];
    const stopReasons: Record<string, number> = {};
    for (const s of samples) {
        stopReasons[s.stopReason] = (stopReasons[s.stopReason] ?? 0) + 1;
        for (const t of s.tokens) {
            allLogprobs.push(t.logprob);
            if (t.entropy !== undefined) entropies.push(t.entropy);
            if (t.kept !== undefined) kept.push(t.kept);
        }
    }
    const wordSeqs = samples.map((s) => words(s.text));
    const idSeqs = samples.map((s) => s.tokens.map((t) => t.id));
    const lp = meanLogprob(allLogprobs);
    return {
        samples: samples.length,
        tokens: mean(samples.map((s) => s.tokens.length)) ?? 0,
        stopReasons,
        meanLogprob: lp,
        perplexity: perplexity(lp),
        distinct1: distinctN(wordSeqs, 1),
        distinct2: distinctN(wordSeqs, 2),
        repetition: repetitionRate(idSeqs),
        selfBleu4: selfBleu(wordSeqs, 4),
        meanEntropy: mean(entropies),
        meanKept: mean(kept),
        tokensPerSecond: mean(samples.map((s) => s.tokensPerSecond))
    };
}
