/**
 * Decoding strategies, from strategy strings and from CLI flags. The work is split by job:
 *
 *   strategy/syntax.ts     the grammar of strategy strings (items, positional and named values)
 *   strategy/values.ts     binding values to a registry entry's parameters, and their validation
 *   strategy/construct.ts  Strategy, parseStrategy (string → samplers), createChain
 *   strategy/flags.ts      the sampler flags and their binding, generated from the registry
 *   strategy/help.ts       usage patterns, help lines, closest-name suggestions
 */
export {
    parseStrategy, defaultStrategy, createChain, sampleStrategy, DEFAULT_STRATEGY_SPEC,
    type Strategy, type SampleStrategy, type BeamStrategy,
} from "./strategy/construct.js";
export {
    strategyFromFlags, givenSamplerFlags, pickStrategyFlags, processEscapes, flagKey, SAMPLER_FLAGS,
    type StrategyFlags, type SamplerFlag,
} from "./strategy/flags.js";
export {closestName, strategyHelp, usageOf} from "./strategy/help.js";
export {parseLogitBiasFlag} from "./registry.js";
