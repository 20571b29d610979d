/** The sampling core's public API (engine-free). */
export type {Rng, Sampler, StepContext, Vocabulary} from "./types.js";
export {Candidates} from "./candidates/set.js";
export {HEAP_SELECT_MAX, MAX_VOCAB} from "./candidates/select.js";
export {SamplerChain, type KeptToken} from "./chain.js";
export {ConstraintStage, constrainedChains, type TokenConstraint, type ConstraintStageOptions} from "./constraint.js";
export {createRng, deriveSeed, randomSeed, isValidSeed, MAX_SEED, type SeededRng} from "./rng.js";
export {
    parseStrategy,
    strategyFromFlags,
    defaultStrategy,
    createChain,
    strategyHelp,
    closestName,
    DEFAULT_STRATEGY_SPEC,
    type Strategy,
    type SampleStrategy,
    type BeamStrategy,
    type StrategyFlags,
    givenSamplerFlags,
    pickStrategyFlags,
    sampleStrategy,
    SAMPLER_FLAGS,
    flagKey,
    type SamplerFlag,
    parseLogitBiasFlag,
    processEscapes,
    usageOf,
} from "./strategy.js";
export {ORDER_PRESETS, ORDER_PRESET_NAMES, DEFAULT_ORDER, FLAG_SLOTS, orderPreset, parseSamplerOrder, type OrderPreset} from "./order.js";
export {checkStrategyForModel, needsTrueLogits, type ModelEnvironment} from "./model-check.js";
export {SAMPLER_REGISTRY, BEAM_DEF, findSamplerDef, type SamplerDef, type ParamDef, type ListParamDef, type RouteExactness} from "./registry.js";
export {formatNumber, formatSpec, parseDecimal, DECIMAL} from "./spec.js";
export {expNonPos} from "./exp.js";
export {TemperatureSampler} from "./samplers/temperature.js";
export {GreedySampler} from "./samplers/greedy.js";
export {TopKSampler} from "./samplers/top-k.js";
export {TopPSampler, TOP_P_RELATIVE_EPSILON} from "./samplers/top-p.js";
export {MinPSampler} from "./samplers/min-p.js";
export {TypicalSampler} from "./samplers/typical.js";
export {EpsilonSampler, EtaSampler} from "./samplers/epsilon.js";
export {TopNSigmaSampler} from "./samplers/top-n-sigma.js";
export {MirostatSampler, MIROSTAT_M} from "./samplers/mirostat.js";
export {XtcSampler} from "./samplers/xtc.js";
export {DrySampler, DEFAULT_DRY_BREAKERS, processSequenceBreakers, type ProcessedBreakers} from "./samplers/dry.js";
export {DynaTempSampler} from "./samplers/dynatemp.js";
export {
    RepeatPenaltySampler, PresencePenaltySampler, FrequencyPenaltySampler, DEFAULT_REPEAT_LAST_N, TRUE_LOGITS_REQUIRED,
} from "./samplers/penalties.js";
export {NoRepeatNgramSampler} from "./samplers/no-repeat-ngram.js";
export {LogitBiasSampler, type LogitBiasEntry, type ResolvedBias} from "./samplers/logit-bias.js";
export {warmUpSampling} from "./warmup.js";
