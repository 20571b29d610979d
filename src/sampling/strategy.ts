/**
 * Decoding strategies: parsing, validation and normalisation of strategy strings and CLI flags.
 *
 * Grammar (whitespace allowed around every token; names are case-insensitive):
 *
 *   strategy := item ("," item)*            samplers are applied in the order written
 *   item     := name                         greedy | random   (no value)
 *             | name "=" value (":" value)*  top-p=0.9, temp=0.7, beam=4   (positional values)
 *             | name "(" [key "=" value (";" key "=" value)*] ")"   top-p(p=0.9)   (named values)
 *   value    := decimal number: 40, 0.9, .5, 1e-3 (no hex, NaN or Infinity)
 *
 * `beam=K` must stand alone. `random` adds no sampler (the empty chain is pure sampling), so
 * "random" alone normalises to "random" and "random,temp=0.7" to "temperature=0.7".
 * The normalised spec uses canonical names, minimal numbers and the positional form:
 * " Temp = 0.70 , TOPP=.9" → "temperature=0.7,top-p=0.9".
 */
import {UsageError} from "../errors.js";
import {SamplerChain} from "./chain.js";
import {BEAM_DEF, SAMPLER_REGISTRY, findSamplerDef, type ParamDef, type SamplerDef} from "./registry.js";
import {formatNumber, formatSpec} from "./spec.js";
import type {Sampler} from "./types.js";

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

const EXAMPLES = `"top-p=0.9", "temp=0.7,top-p=0.9", "top-k=40", "min-p=0.05", "greedy", "random" or "beam=4"`;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const ITEM = /^([a-z][a-z0-9_-]*)\s*(?:=(.*)|\((.*)\))?$/is;

/** What parameters a named entry has (a SamplerDef or the beam pseudo-entry). */
interface Parametrised {
    readonly name: string;
    readonly flag?: string;
    readonly params: readonly ParamDef[];
}

/** How the user wrote the value: in a strategy string or as a CLI flag (changes the suggested fix). */
type Style = "string" | "flag";

interface ParsedItem {
    readonly raw: string;
    readonly name: string;
    readonly positional?: readonly string[];
    readonly named?: readonly (readonly [string, string])[];
}

function culprit(def: Parametrised, param: ParamDef): string {
    return def.params.length > 1 ? `${def.name} ${param.key}` : def.name;
}

function exampleOf(def: Parametrised, style: Style): string {
    const values = def.params.map((p) => p.example);
    if (style === "flag" && def.flag) return `${def.flag} ${values.map(formatNumber).join(" ")}`;
    return formatSpec(def.name, values);
}

/** Validate one raw value against its parameter; UsageError with name, range, value and fix. */
function parseValue(def: Parametrised, param: ParamDef, raw: string | number | undefined, style: Style): number {
    const name = culprit(def, param);
    const example = exampleOf(def, style);
    if (raw === undefined || (typeof raw === "string" && raw.trim() === "")) {
        if (param.default !== undefined) return param.default;
        throw new UsageError(`${name} needs a value ${param.range} (e.g. ${example})`);
    }
    let value: number;
    if (typeof raw === "number") {
        value = raw;
    } else {
        const text = raw.trim();
        value = NUMBER.test(text) ? Number(text) : Number.NaN;
    }
    const shown = typeof raw === "string" ? raw.trim() : String(raw);
    const result = param.schema.safeParse(value);
    if (!result.success) throw new UsageError(`${name} must be ${param.range}, got ${shown} (e.g. ${example})`);
    return Object.is(result.data, -0) ? 0 : result.data;
}

/** Map an item's positional or named values onto the entry's parameters, validated. */
function bindValues(def: Parametrised, item: ParsedItem, style: Style): number[] {
    const params = def.params;
    const given: (string | undefined)[] = new Array(params.length).fill(undefined);
    if (item.positional) {
        if (params.length === 0) throw new UsageError(`${def.name} takes no value, got "${item.raw}" (write just ${def.name})`);
        if (item.positional.length > params.length) {
            const n = params.length;
            throw new UsageError(
                `${def.name} takes ${n} value${n === 1 ? "" : "s"}, got ${item.positional.length} in "${item.raw}" (e.g. ${exampleOf(def, style)})`,
            );
        }
        item.positional.forEach((v, i) => (given[i] = v));
    } else if (item.named) {
        for (const [key, value] of item.named) {
            const index = params.findIndex((p) => p.key === key.toLowerCase());
            if (index < 0) {
                const keys = params.map((p) => p.key).join(", ") || "none";
                throw new UsageError(`${def.name} has no parameter "${key}" in "${item.raw}" (its parameters: ${keys})`);
            }
            if (given[index] !== undefined) throw new UsageError(`${def.name} ${key} is given twice in "${item.raw}"`);
            given[index] = value;
        }
    }
    return params.map((param, i) => parseValue(def, param, given[i], style));
}

function splitTopLevel(text: string): string[] {
    const parts: string[] = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (ch === "(") depth++;
        else if (ch === ")") depth--;
        else if (ch === "," && depth === 0) {
            parts.push(text.slice(start, i));
            start = i + 1;
        }
        if (depth < 0) break;
    }
    if (depth !== 0) throw new UsageError(`unbalanced parentheses in strategy "${text}"`);
    parts.push(text.slice(start));
    return parts;
}

function parseItem(raw: string, text: string): ParsedItem {
    const item = raw.trim();
    if (item === "") {
        throw new UsageError(`empty item in strategy "${text}": items are separated by single commas (e.g. "temp=0.7,top-p=0.9")`);
    }
    const m = ITEM.exec(item);
    if (!m) throw new UsageError(`cannot read "${item}" in strategy "${text}": write name=value, e.g. ${EXAMPLES}`);
    const name = m[1].toLowerCase();
    if (m[2] !== undefined) return {raw: item, name, positional: m[2].split(":").map((v) => v.trim())};
    if (m[3] !== undefined) {
        const body = m[3].trim();
        const named = body === "" ? [] : body.split(";").map((pair) => {
            const eq = pair.indexOf("=");
            const key = eq < 0 ? "" : pair.slice(0, eq).trim();
            if (!/^[a-z][a-z0-9_]*$/i.test(key)) throw new UsageError(`cannot read "${pair.trim()}" in "${item}": write key=value, e.g. top-p(p=0.9)`);
            return [key, pair.slice(eq + 1).trim()] as const;
        });
        return {raw: item, name, named};
    }
    return {raw: item, name};
}

/** Every accepted spelling with the canonical name it stands for. */
function spellings(): [string, string][] {
    const out: [string, string][] = [];
    for (const def of [...SAMPLER_REGISTRY, BEAM_DEF]) {
        out.push([def.name, def.name]);
        for (const alias of def.aliases) out.push([alias, def.name]);
    }
    return out;
}

function editDistance(a: string, b: string): number {
    const prev = Array.from({length: b.length + 1}, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const up = prev[j];
            prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = up;
        }
    }
    return prev[b.length];
}

/** The canonical name closest to `name` (edit distance over names and aliases). */
export function closestName(name: string): string {
    let best = "";
    let bestDistance = Infinity;
    for (const [spelling, canonical] of spellings()) {
        const d = editDistance(name.toLowerCase(), spelling);
        if (d < bestDistance) {
            best = canonical;
            bestDistance = d;
        }
    }
    return best;
}

function knownNames(): string {
    return [...SAMPLER_REGISTRY, BEAM_DEF].map((d) => d.name).join(", ");
}

function isBeam(name: string): boolean {
    return name === BEAM_DEF.name || BEAM_DEF.aliases.includes(name);
}

/** Parse, validate and normalise a strategy string. Invalid input is a UsageError naming the culprit. */
export function parseStrategy(text: string): Strategy {
    const trimmed = text.trim();
    if (trimmed === "") throw new UsageError(`empty strategy: use e.g. ${EXAMPLES}`);
    const items = splitTopLevel(trimmed).map((raw) => parseItem(raw, trimmed));

    const beams = items.filter((item) => isBeam(item.name));
    if (beams.length > 0) {
        if (beams.length > 1) throw new UsageError(`beam is given ${beams.length} times in "${trimmed}": give one beam=K`);
        if (items.length > 1) {
            throw new UsageError(
                `beam search stands alone, but "${trimmed}" combines it with samplers: use either beam=K or a sampler chain`,
            );
        }
        const [width] = bindValues(BEAM_DEF, beams[0], "string");
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
        samplers.push(...build(def, bindValues(def, item, "string")));
    }
    return sampleStrategy(samplers);
}

function sampleStrategy(samplers: Sampler[]): SampleStrategy {
    return {kind: "sample", samplers, spec: samplers.length === 0 ? "random" : samplers.map((s) => s.spec).join(",")};
}

/** The sampling flags of the CLI. Values may be numbers or the raw option strings. */
export interface StrategyFlags {
    temp?: number | string;
    topK?: number | string;
    topP?: number | string;
    minP?: number | string;
    greedy?: boolean;
}

/**
 * Build a strategy from individual flags: exactly the samplers whose flags were given, in the fixed
 * order temperature → top-k → top-p → min-p (`--top-k 40` alone is top-k 40 at temperature 1).
 * `--greedy` alone is greedy; combined with the others it is a usage error. undefined when no flag
 * was given (the caller then uses its --strategy or the default).
 */
export function strategyFromFlags(flags: StrategyFlags): Strategy | undefined {
    const order: [keyof StrategyFlags, SamplerDef][] = [
        ["temp", findSamplerDefOrThrow("temperature")],
        ["topK", findSamplerDefOrThrow("top-k")],
        ["topP", findSamplerDefOrThrow("top-p")],
        ["minP", findSamplerDefOrThrow("min-p")],
    ];
    const given = order.filter(([key]) => flags[key] !== undefined);
    if (flags.greedy) {
        if (given.length > 0) {
            const names = given.map(([, def]) => def.flag ?? def.name).join(", ");
            throw new UsageError(`--greedy cannot be combined with ${names}: greedy always takes the most likely token`);
        }
        return sampleStrategy(build(findSamplerDefOrThrow("greedy"), []));
    }
    if (given.length === 0) return undefined;
    const samplers: Sampler[] = [];
    for (const [key, def] of given) {
        samplers.push(...build(def, [parseValue(def, def.params[0], flags[key] as number | string, "flag")]));
    }
    return sampleStrategy(samplers);
}

function build(def: SamplerDef, values: readonly number[]): Sampler[] {
    const sampler = def.create(values);
    return sampler ? [sampler] : [];
}

function findSamplerDefOrThrow(name: string): SamplerDef {
    const def = findSamplerDef(name);
    if (!def) throw new Error(`sampler "${name}" missing from the registry`);
    return def;
}

/**
 * A chain with fresh sampler instances for a sample strategy (stateful samplers must not be shared
 * between samples generated concurrently).
 */
export function createChain(strategy: SampleStrategy, vocabSize: number): SamplerChain {
    const fresh = parseStrategy(strategy.spec);
    if (fresh.kind !== "sample") throw new Error(`not a sampling strategy: ${strategy.spec}`);
    return new SamplerChain(fresh.samplers, vocabSize);
}

/** Help lines: one per registry entry, e.g. `top-p=P     keep the smallest … (P in (0, 1]; aliases: topp, …)`. */
export function strategyHelp(): string[] {
    const rows = [...SAMPLER_REGISTRY, BEAM_DEF].map((def) => {
        const usage = formatSpec(def.name, []) + (def.params.length ? "=" + def.params.map((p) => p.key.toUpperCase()).join(":") : "");
        const ranges = def.params.map((p) => `${p.key.toUpperCase()} ${p.range}`);
        const aliases = def.aliases.length ? [`aliases: ${def.aliases.join(", ")}`] : [];
        const extra = [...ranges, ...aliases];
        return [usage, def.description + (extra.length ? ` (${extra.join("; ")})` : "")] as const;
    });
    const width = Math.max(...rows.map(([usage]) => usage.length));
    return rows.map(([usage, text]) => `${usage.padEnd(width)}  ${text}`);
}
