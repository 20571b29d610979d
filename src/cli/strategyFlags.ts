/**
 * Turn the sampling flags of a command into one strategy: -s/--strategy, --beams, --greedy, or the
 * per-sampler flags (applied temperature → top-k → top-p → min-p), else the default chain.
 */
import {UsageError} from "../errors.js";
import {DEFAULT_STRATEGY_SPEC, parseStrategy, strategyFromFlags, type Strategy} from "../sampling/index.js";
import {intAtLeast, parseNumber, type SamplingFlags} from "./options.js";

export interface ChosenStrategy {
    strategy: Strategy;
    /** True when nothing was given and the default chain applies. */
    isDefault: boolean;
}

export function chooseStrategy(flags: SamplingFlags): ChosenStrategy {
    const samplerFlags = [
        flags.temp !== undefined && "--temp",
        flags.topK !== undefined && "--top-k",
        flags.topP !== undefined && "--top-p",
        flags.minP !== undefined && "--min-p",
        flags.greedy === true && "--greedy"
    ].filter((f): f is string => typeof f === "string");
    const beams = parseNumber("--beams", flags.beams, intAtLeast(1, 64), "an integer from 1 to 64");
    const given = [flags.strategy !== undefined && "-s/--strategy", beams !== undefined && "--beams", samplerFlags.length > 0 && samplerFlags.join(" ")]
        .filter((f): f is string => typeof f === "string");
    if (given.length > 1)
        throw new UsageError(`${given.join(" and ")} cannot be combined; give the whole chain with -s, e.g. -s "temp=0.7,top-p=0.9"`);
    if (flags.strategy !== undefined) return {strategy: parseStrategy(flags.strategy), isDefault: false};
    if (beams !== undefined) return {strategy: parseStrategy(`beam=${beams}`), isDefault: false};
    if (flags.greedy && samplerFlags.length > 1)
        throw new UsageError("--greedy cannot be combined with other sampler flags; drop --greedy or the others");
    const fromFlags = strategyFromFlags({
        temp: flags.temp,
        topK: flags.topK,
        topP: flags.topP,
        minP: flags.minP,
        greedy: flags.greedy
    });
    if (fromFlags !== undefined) return {strategy: fromFlags, isDefault: false};
    return {strategy: parseStrategy(DEFAULT_STRATEGY_SPEC), isDefault: true};
}
