/** Pure measurements of generated text and of next-token distributions. */
export {bleu, selfBleu, SMOOTHING_EPSILON} from "./bleu.js";
export {distinctN, endsInRepetition, ngrams, repetitionRate, trailingRepetition} from "./diversity.js";
export {mean, meanLogprob, perplexity} from "./likelihood.js";
export {strategyMetrics, type SampleStat, type StrategyMetrics, type TokenStat} from "./strategy.js";
export {words} from "./words.js";
export {explainStep, type ExplainCandidate, type ExplainKept, type ExplainStage, type ExplainStep, type ExplainStrategy} from "./distribution.js";
