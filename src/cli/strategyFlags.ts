/**
 * Turn the sampling flags of a command into one strategy: -s/--strategy, --beams, --greedy, or the
 * per-sampler flags (exactly the samplers given, in the default order — hf: penalties, temperature,
 * then top-k → top-p → min-p → … — or the order of --order / --samplers), else the default chain.
 */
import {UsageError} from "../errors.js";
import {DEFAULT_STRATEGY_SPEC, givenSamplerFlags, parseStrategy, pickStrategyFlags, strategyFromFlags, type Strategy} from "../sampling/index.js";
import {intAtLeast, parseNumber, type SamplingFlags} from "./options.js";

export interface ChosenStrategy {
    strategy: Strategy;
    /** True when nothing was given and the default chain applies. */
    isDefault: boolean;
}

export function chooseStrategy(flags: SamplingFlags): ChosenStrategy {
    const samplerFlags = pickStrategyFlags(flags);
    const given = givenSamplerFlags(samplerFlags);
    const ordering = [flags.samplers !== undefined && "--samplers", flags.order !== undefined && "--order"].filter((f): f is string => typeof f === "string");
    const beams = parseNumber("--beams", flags.beams, intAtLeast(1, 64), "an integer from 1 to 64");
    const whole = [flags.strategy !== undefined && "-s/--strategy", beams !== undefined && "--beams"].filter((f): f is string => typeof f === "string");
    const all = [...whole, given.length > 0 && given.join(" ")].filter((f): f is string => typeof f === "string");
    if (all.length > 1)
        throw new UsageError(`${all.join(" and ")} cannot be combined; give the whole chain with -s, e.g. -s "temp=0.7,top-p=0.9"`);
    if (whole.length > 0 && ordering.length > 0)
        throw new UsageError(`${ordering.join(" and ")} orders the sampler flags, but ${whole[0]} gives the whole strategy (with -s the chain runs in the order written)`);
    if (flags.strategy !== undefined) return {strategy: parseStrategy(flags.strategy), isDefault: false};
    if (beams !== undefined) return {strategy: parseStrategy(`beam=${beams}`), isDefault: false};
    if (flags.greedy && given.length > 1)
        throw new UsageError("--greedy cannot be combined with other sampler flags; drop --greedy or the others");
    const fromFlags = strategyFromFlags(samplerFlags);
    if (fromFlags !== undefined) return {strategy: fromFlags, isDefault: false};
    return {strategy: parseStrategy(DEFAULT_STRATEGY_SPEC), isDefault: true};
}
