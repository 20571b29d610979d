/**
 * Strategies: the parsed, validated and normalised form of a strategy string, and the chains built
 * from it.
 *
 * Parameters with a default may be left out (positional: from the end). logit-bias has its own
 * entries: logit-bias(29=-5;"the"=-inf) — a token id or a JSON string (a bare word is taken as
 * text), "=", a number or -inf. `beam=K` must stand alone. `random` adds no sampler (the empty
 * chain is pure sampling), so "random" alone normalises to "random" and "random,temp=0.7" to
 * "temperature=0.7". The normalised spec uses canonical names, minimal numbers and the positional
 * form with every parameter (defaults filled in; DRY's breakers only when not the default;
 * logit-bias in its named form): " Temp = 0.70 , TOPP=.9" → "temperature=0.7,top-p=0.9",
 * "mirostat=2" → "mirostat=2:5:0.1".
 */
import {UsageError} from "../../errors.js";
import {SamplerChain} from "../chain.js";
import {BEAM_DEF, findSamplerDef, type SamplerDef} from "../registry.js";
import {formatSpec} from "../spec.js";
import type {Sampler} from "../types.js";
import {closestName, knownNames} from "./help.js";
import {EXAMPLES, parseItems} from "./syntax.js";
import {bindItem} from "./values.js";

export interface SampleStrategy {
    kind: "sample";
    /** In the order written. */
    samplers: Sampler[];
    spec: string;
}

export interface BeamStrategy {
    kind: "beam";
    width: number;
    spec: string;
}

export type Strategy = SampleStrategy | BeamStrategy;

/** Nucleus sampling with p = 0.9 at temperature 1 (Holtzman et al. 2019, "The Curious Case of Neural Text Degeneration"). */
export const DEFAULT_STRATEGY_SPEC = "top-p=0.9";

export function defaultStrategy(): Strategy {
    return parseStrategy(DEFAULT_STRATEGY_SPEC);
}

/** A sampling strategy of these samplers, in this order (none: pure sampling, "random"). */
export function sampleStrategy(samplers: Sampler[]): SampleStrategy {
    return {kind: "sample", samplers, spec: samplers.length === 0 ? "random" : samplers.map((s) => s.spec).join(",")};
}

/** The sampler of an entry from validated values; null when the entry adds none ("random"). */
export function buildSampler(def: SamplerDef, values: readonly number[], list?: readonly string[]): Sampler | null {
    return def.create(values, list);
}

function isBeam(name: string): boolean {
    return name === BEAM_DEF.name || BEAM_DEF.aliases.includes(name);
}

/** Parse, validate and normalise a strategy string. Invalid input is a UsageError naming the culprit. */
export function parseStrategy(text: string): Strategy {
    const trimmed = text.trim();
    if (trimmed === "") throw new UsageError(`empty strategy: use e.g. ${EXAMPLES}`);
    const items = parseItems(trimmed);

    const beams = items.filter((item) => isBeam(item.name));
    if (beams.length > 0) {
        if (beams.length > 1) throw new UsageError(`beam is given ${beams.length} times in "${trimmed}": give one beam=K`);
        if (items.length > 1) {
            throw new UsageError(
                `beam search stands alone, but "${trimmed}" combines it with samplers: use either beam=K or a sampler chain`,
            );
        }
        const [width] = bindItem(BEAM_DEF, beams[0]).values;
        return {kind: "beam", width, spec: formatSpec(BEAM_DEF.name, [width])};
    }

    const samplers: Sampler[] = [];
    for (const item of items) {
        const def = findSamplerDef(item.name);
        if (!def) {
            const suggestion = closestName(item.name);
            throw new UsageError(
                `unknown sampler "${item.name}" in strategy "${trimmed}": did you mean "${suggestion}"? (known: ${knownNames()})`,
            );
        }
        if (def.parseEntries) {
            if (item.named === undefined) {
                throw new UsageError(`${def.name} takes named entries, got "${item.raw}": write e.g. logit-bias(29=-5;"the"=-inf)`);
            }
            samplers.push(def.parseEntries(item.named, item.raw));
            continue;
        }
        const bound = bindItem(def, item);
        const sampler = buildSampler(def, bound.values, bound.list);
        if (sampler !== null) samplers.push(sampler);
    }
    return sampleStrategy(samplers);
}

/**
 * A chain with fresh sampler instances for a sample strategy (stateful samplers must not be shared
 * between samples generated concurrently). `first`: stages before the strategy's samplers (a grammar
 * constraint).
 */
export function createChain(strategy: SampleStrategy, vocabSize: number, first: readonly Sampler[] = []): SamplerChain {
    const fresh = parseStrategy(strategy.spec);
    if (fresh.kind !== "sample") throw new Error(`not a sampling strategy: ${strategy.spec}`);
    return new SamplerChain([...first, ...fresh.samplers], vocabSize);
}
