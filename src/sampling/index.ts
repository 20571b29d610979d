/** The sampling core's public API (engine-free). */
export type {Rng, Sampler, StepContext} from "./types.js";
export {Candidates, MAX_VOCAB, HEAP_SELECT_MAX} from "./candidates.js";
export {SamplerChain, type KeptToken} from "./chain.js";
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
} from "./strategy.js";
export {SAMPLER_REGISTRY, BEAM_DEF, findSamplerDef, type SamplerDef, type ParamDef} from "./registry.js";
export {formatNumber, formatSpec} from "./spec.js";
export {expNonPos} from "./exp.js";
export {TemperatureSampler} from "./samplers/temperature.js";
export {GreedySampler} from "./samplers/greedy.js";
export {TopKSampler} from "./samplers/top-k.js";
export {TopPSampler, TOP_P_RELATIVE_EPSILON} from "./samplers/top-p.js";
export {MinPSampler} from "./samplers/min-p.js";
