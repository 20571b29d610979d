/**
 * The sampler registry: the single place that knows which samplers exist, how they are spelled,
 * what their parameters are and how to build them. parseStrategy, strategyFromFlags and the help
 * text are all driven by it.
 *
 * Adding a sampler = one entry here (plus its class). Multi-parameter samplers are planned for:
 * the grammar already accepts positional values `name=v1:v2` and named values `name(key=v;key=v)`,
 * mapped onto `params` in order; a param with a `default` may be omitted. For example a future
 *
 *   {name: "mirostat", aliases: ["mirostat-v2"], params: [
 *       {key: "tau", schema: z.number().gt(0), range: "> 0", example: 5},
 *       {key: "eta", schema: z.number().gt(0).lte(1), range: "in (0, 1]", example: 0.1, default: 0.1}],
 *    create: ([tau, eta]) => new MirostatSampler(tau, eta), ...}
 *
 * accepts "mirostat=5", "mirostat=5:0.2" and "mirostat(tau=5;eta=0.2)", normalised to "mirostat=5:0.2".
 */
import {z} from "zod";
import type {Sampler} from "./types.js";
import {GreedySampler} from "./samplers/greedy.js";
import {MinPSampler} from "./samplers/min-p.js";
import {TemperatureSampler} from "./samplers/temperature.js";
import {TopKSampler} from "./samplers/top-k.js";
import {TopPSampler} from "./samplers/top-p.js";

/** One numeric parameter of a sampler (or of beam search). */
export interface ParamDef {
    /** Name inside the named form `sampler(key=value)`, e.g. "p". */
    readonly key: string;
    /** The validation rule. zod v4 numbers already reject NaN and ±∞. */
    readonly schema: z.ZodType<number>;
    /** Human text completing "<name> must be …", e.g. "in (0, 1]". */
    readonly range: string;
    /** A sensible value, shown in error messages and help. */
    readonly example: number;
    /** Value used when the parameter is omitted; without one the parameter is required. */
    readonly default?: number;
}

/** One registry entry. */
export interface SamplerDef {
    /** Canonical name, used in normalised specs. */
    readonly name: string;
    /** Other accepted spellings (matched case-insensitively, like the name). */
    readonly aliases: readonly string[];
    /** One-line description for help output. */
    readonly description: string;
    /** The CLI flag that sets this sampler alone, if any (strategyFromFlags / error messages). */
    readonly flag?: string;
    readonly params: readonly ParamDef[];
    /** Build from validated values (in `params` order). null: the entry adds no sampler ("random"). */
    create(values: readonly number[]): Sampler | null;
}

const temperature: SamplerDef = {
    name: TemperatureSampler.NAME,
    aliases: ["temp", "t"],
    description: "divide the logits by T: T < 1 sharpens, T > 1 flattens, T = 0 is greedy",
    flag: "--temp",
    params: [{key: "t", schema: z.number().gte(0), range: "a finite number >= 0", example: 0.7}],
    create: ([t]) => new TemperatureSampler(t),
};

const topK: SamplerDef = {
    name: TopKSampler.NAME,
    aliases: ["topk", "top_k"],
    description: "keep the K most likely tokens; ties go to the lower id",
    flag: "--top-k",
    params: [{key: "k", schema: z.int().gte(1), range: "an integer >= 1", example: 40}],
    create: ([k]) => new TopKSampler(k),
};

const topP: SamplerDef = {
    name: TopPSampler.NAME,
    aliases: ["topp", "top_p", "nucleus"],
    description: "nucleus: keep the fewest most likely tokens whose probability sums to >= P",
    flag: "--top-p",
    params: [{key: "p", schema: z.number().gt(0).lte(1), range: "in (0, 1]", example: 0.9}],
    create: ([p]) => new TopPSampler(p),
};

const minP: SamplerDef = {
    name: MinPSampler.NAME,
    aliases: ["minp", "min_p"],
    description: "keep the tokens at least P times as likely as the most likely one",
    flag: "--min-p",
    params: [{key: "p", schema: z.number().gte(0).lte(1), range: "in [0, 1]", example: 0.05}],
    create: ([p]) => new MinPSampler(p),
};

const greedy: SamplerDef = {
    name: GreedySampler.NAME,
    aliases: [],
    description: "always take the most likely token; ties go to the lower id",
    flag: "--greedy",
    params: [],
    create: () => new GreedySampler(),
};

const random: SamplerDef = {
    name: "random",
    aliases: ["pure", "sample"],
    description: "pure sampling from the full distribution, no truncation",
    params: [],
    create: () => null,
};

/** Every sampler, in help order. Add new samplers here. */
export const SAMPLER_REGISTRY: readonly SamplerDef[] = [temperature, topK, topP, minP, greedy, random];

/** Beam search is a strategy of its own (not a sampler), but it is spelled and validated the same way. */
export const BEAM_DEF = {
    name: "beam",
    aliases: ["beam-search"] as readonly string[],
    description: "beam search keeping the K best partial sequences; deterministic",
    flag: "--beam",
    params: [{key: "k", schema: z.int().gte(1), range: "an integer >= 1", example: 4}] as readonly ParamDef[],
} as const;

/** The registry entry for a name or alias (case-insensitive), if any. */
export function findSamplerDef(name: string): SamplerDef | undefined {
    const wanted = name.toLowerCase();
    return SAMPLER_REGISTRY.find((d) => d.name === wanted || d.aliases.includes(wanted));
}
