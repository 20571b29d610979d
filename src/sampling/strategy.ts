/**
 * Decoding strategies: parsing, validation and normalisation of strategy strings and CLI flags.
 *
 * Grammar (whitespace allowed around every token; names are case-insensitive):
 *
 *   strategy := item ("," item)*            samplers are applied in the order written
 *   item     := name                         greedy | random   (no value)
 *             | name "=" value (":" value)*  top-p=0.9, temp=0.7, beam=4, mirostat=2:5:0.1   (positional values)
 *             | name "(" [key "=" value (";" key "=" value)*] ")"   top-p(p=0.9), mirostat(version=2;eta=0.2)   (named values)
 *   value    := decimal number: 40, 0.9, .5, 1e-3, -1 (no hex, NaN or Infinity)
 *             | list: a JSON list of strings, only as a sampler's list parameter: dry=0.8:1.75:2:-1:["\n",":"]
 *
 * Parameters with a default may be left out (positional: from the end). Commas, colons, semicolons
 * and parentheses inside JSON strings and lists do not split. logit-bias has its own entries:
 * logit-bias(29=-5;"the"=-inf) — a token id or a JSON string (a bare word is taken as text), "=",
 * a number or -inf.
 *
 * `beam=K` must stand alone. `random` adds no sampler (the empty chain is pure sampling), so
 * "random" alone normalises to "random" and "random,temp=0.7" to "temperature=0.7".
 * The normalised spec uses canonical names, minimal numbers and the positional form with every
 * parameter (defaults filled in; DRY's breakers only when not the default; logit-bias in its named
 * form): " Temp = 0.70 , TOPP=.9" → "temperature=0.7,top-p=0.9", "mirostat=2" → "mirostat=2:5:0.1".
 */
import {UsageError} from "../errors.js";
import {SamplerChain} from "./chain.js";
import {DEFAULT_ORDER, orderPreset, parseSamplerOrder} from "./order.js";
import {BEAM_DEF, SAMPLER_REGISTRY, findSamplerDef, parseLogitBiasEntry, type ListParamDef, type ParamDef, type SamplerDef} from "./registry.js";
import {LogitBiasSampler, type LogitBiasEntry} from "./samplers/logit-bias.js";
import {DECIMAL, formatNumber, formatSpec} from "./spec.js";
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
const NUMBER = DECIMAL;
const ITEM = /^([a-z][a-z0-9_-]*)\s*(?:=(.*)|\((.*)\))?$/is;

/** What parameters a named entry has (a SamplerDef or the beam pseudo-entry). */
interface Parametrised {
    readonly name: string;
    readonly flag?: string;
    readonly params: readonly ParamDef[];
    readonly list?: ListParamDef;
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

/** The numbers of an item, and its list parameter when the entry has one. */
interface BoundValues {
    values: number[];
    list?: string[];
}

/** Parse a list parameter: a JSON list of strings. */
function parseList(def: Parametrised, list: ListParamDef, raw: string, item: string): string[] {
    const text = raw.trim();
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) {
        throw new UsageError(`${def.name} ${list.key} must be a JSON list of strings like ["\\n",":"], got ${text === "" ? "nothing" : text} in "${item}"`);
    }
    return parsed as string[];
}

/** Map an item's positional or named values onto the entry's parameters, validated. */
function bindValues(def: Parametrised, item: ParsedItem, style: Style): number[] {
    return bindAll(def, item, style).values;
}

function bindAll(def: Parametrised, item: ParsedItem, style: Style): BoundValues {
    const params = def.params;
    const given: (string | undefined)[] = new Array(params.length).fill(undefined);
    let listRaw: string | undefined;
    if (item.positional) {
        if (params.length === 0) throw new UsageError(`${def.name} takes no value, got "${item.raw}" (write just ${def.name})`);
        const n = params.length + (def.list ? 1 : 0);
        if (item.positional.length > n) {
            const upTo = def.list || params.some((p) => p.default !== undefined) ? "up to " : "";
            throw new UsageError(
                `${def.name} takes ${upTo}${n} value${n === 1 ? "" : "s"}, got ${item.positional.length} in "${item.raw}" (e.g. ${exampleOf(def, style)})`,
            );
        }
        item.positional.forEach((v, i) => {
            if (i < params.length) given[i] = v;
            else listRaw = v;
        });
    } else if (item.named) {
        for (const [key, value] of item.named) {
            const wanted = key.toLowerCase();
            if (def.list && wanted === def.list.key) {
                if (listRaw !== undefined) throw new UsageError(`${def.name} ${key} is given twice in "${item.raw}"`);
                listRaw = value;
                continue;
            }
            const index = params.findIndex((p) => p.key === wanted);
            if (index < 0) {
                const keys = [...params.map((p) => p.key), ...(def.list ? [def.list.key] : [])].join(", ") || "none";
                throw new UsageError(`${def.name} has no parameter "${key}" in "${item.raw}" (its parameters: ${keys})`);
            }
            if (given[index] !== undefined) throw new UsageError(`${def.name} ${key} is given twice in "${item.raw}"`);
            given[index] = value;
        }
    }
    const values = params.map((param, i) => parseValue(def, param, given[i], style));
    const list = def.list && listRaw !== undefined ? parseList(def, def.list, listRaw, item.raw) : undefined;
    return list === undefined ? {values} : {values, list};
}

/**
 * Split `text` at the separator characters that are outside parentheses, brackets and JSON strings
 * ("…" with backslash escapes). Unbalanced parentheses/brackets and unterminated strings are UsageErrors.
 */
function splitOutside(text: string, separator: string, context: string): string[] {
    const parts: string[] = [];
    let paren = 0;
    let bracket = 0;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (ch === "\"") {
            let j = i + 1;
            while (j < text.length && text[j] !== "\"") j += text[j] === "\\" ? 2 : 1;
            if (j >= text.length) throw new UsageError(`unterminated string (a " without its closing ") in ${context}`);
            i = j;
            continue;
        }
        if (ch === "(") paren++;
        else if (ch === ")") paren--;
        else if (ch === "[") bracket++;
        else if (ch === "]") bracket--;
        else if (ch === separator && paren === 0 && bracket === 0) {
            parts.push(text.slice(start, i));
            start = i + 1;
        }
        if (paren < 0 || bracket < 0) break;
    }
    if (paren !== 0) throw new UsageError(`unbalanced parentheses in ${context}`);
    if (bracket !== 0) throw new UsageError(`unbalanced brackets in ${context}`);
    parts.push(text.slice(start));
    return parts;
}

function splitTopLevel(text: string): string[] {
    return splitOutside(text, ",", `strategy "${text}"`);
}

/** The index of the first "=" outside JSON strings, or −1. */
function equalsOutside(text: string): number {
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (ch === "\"") {
            let j = i + 1;
            while (j < text.length && text[j] !== "\"") j += text[j] === "\\" ? 2 : 1;
            i = j;
        } else if (ch === "=") {
            return i;
        }
    }
    return -1;
}

function parseItem(raw: string, text: string): ParsedItem {
    const item = raw.trim();
    if (item === "") {
        throw new UsageError(`empty item in strategy "${text}": items are separated by single commas (e.g. "temp=0.7,top-p=0.9")`);
    }
    const m = ITEM.exec(item);
    if (!m) throw new UsageError(`cannot read "${item}" in strategy "${text}": write name=value, e.g. ${EXAMPLES}`);
    const name = m[1].toLowerCase();
    if (m[2] !== undefined) return {raw: item, name, positional: splitOutside(m[2], ":", `"${item}"`).map((v) => v.trim())};
    if (m[3] !== undefined) {
        const body = m[3].trim();
        const named = body === "" ? [] : splitOutside(body, ";", `"${item}"`).map((pair) => {
            const eq = equalsOutside(pair);
            const key = eq < 0 ? "" : pair.slice(0, eq).trim();
            if (!/^(?:[a-z][a-z0-9_]*|\d+|".*"|[^=]+)$/is.test(key) || key === "") {
                throw new UsageError(`cannot read "${pair.trim()}" in "${item}": write key=value, e.g. top-p(p=0.9)`);
            }
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
        if (def.parseEntries) {
            if (item.named === undefined) {
                throw new UsageError(`${def.name} takes named entries, got "${item.raw}": write e.g. logit-bias(29=-5;"the"=-inf)`);
            }
            samplers.push(def.parseEntries(item.named, item.raw));
            continue;
        }
        const bound = bindAll(def, item, "string");
        samplers.push(...build(def, bound.values, bound.list));
    }
    return sampleStrategy(samplers);
}

function sampleStrategy(samplers: Sampler[]): SampleStrategy {
    return {kind: "sample", samplers, spec: samplers.length === 0 ? "random" : samplers.map((s) => s.spec).join(",")};
}

/**
 * The sampling flags of the CLI. Values may be numbers or the raw option strings. Every sampler
 * of the registry has a flag (multi-parameter samplers one per parameter).
 */
export interface StrategyFlags {
    temp?: number | string;
    topK?: number | string;
    topP?: number | string;
    minP?: number | string;
    greedy?: boolean;
    typicalP?: number | string;
    epsilonCutoff?: number | string;
    etaCutoff?: number | string;
    topNSigma?: number | string;
    mirostat?: number | string;
    mirostatEnt?: number | string;
    mirostatLr?: number | string;
    xtcProbability?: number | string;
    xtcThreshold?: number | string;
    dryMultiplier?: number | string;
    dryBase?: number | string;
    dryAllowedLength?: number | string;
    dryPenaltyLastN?: number | string;
    /** Repeatable; "none" alone clears the default breakers. Backslash escapes (\n, \t, \", \\) are processed. */
    drySequenceBreaker?: readonly string[];
    dynatempRange?: number | string;
    dynatempExp?: number | string;
    repeatPenalty?: number | string;
    presencePenalty?: number | string;
    frequencyPenalty?: number | string;
    repeatLastN?: number | string;
    noRepeatNgram?: number | string;
    /** Repeatable: "ID=BIAS", "TEXT=BIAS", "\"TEXT\"=BIAS" or llama.cpp's "ID+BIAS" / "ID-BIAS"; BIAS may be -inf. */
    logitBias?: readonly string[];
    /** The flag chain's order: a list like llama.cpp's --samplers ("penalties;top_k;top_p;temperature"). */
    samplers?: string;
    /** The flag chain's order: a preset, "hf" (default) or "llama.cpp". */
    order?: string;
}

/** Every flag of StrategyFlags that selects or configures a sampler, with its CLI spelling. */
const SAMPLER_FLAG_NAMES: readonly (readonly [keyof StrategyFlags, string])[] = [
    ["temp", "--temp"], ["topK", "--top-k"], ["topP", "--top-p"], ["minP", "--min-p"], ["greedy", "--greedy"],
    ["typicalP", "--typical-p"], ["epsilonCutoff", "--epsilon-cutoff"], ["etaCutoff", "--eta-cutoff"], ["topNSigma", "--top-n-sigma"],
    ["mirostat", "--mirostat"], ["mirostatEnt", "--mirostat-ent"], ["mirostatLr", "--mirostat-lr"],
    ["xtcProbability", "--xtc-probability"], ["xtcThreshold", "--xtc-threshold"],
    ["dryMultiplier", "--dry-multiplier"], ["dryBase", "--dry-base"], ["dryAllowedLength", "--dry-allowed-length"],
    ["dryPenaltyLastN", "--dry-penalty-last-n"], ["drySequenceBreaker", "--dry-sequence-breaker"],
    ["dynatempRange", "--dynatemp-range"], ["dynatempExp", "--dynatemp-exp"],
    ["repeatPenalty", "--repeat-penalty"], ["presencePenalty", "--presence-penalty"], ["frequencyPenalty", "--frequency-penalty"],
    ["repeatLastN", "--repeat-last-n"], ["noRepeatNgram", "--no-repeat-ngram"], ["logitBias", "--logit-bias"],
];

function isGiven(value: unknown): boolean {
    if (value === undefined || value === false) return false;
    if (Array.isArray(value)) return value.length > 0;
    return true;
}

/** The sampler flags given (CLI spellings, in a fixed order); --samplers and --order are not sampler flags. */
export function givenSamplerFlags(flags: StrategyFlags): string[] {
    return SAMPLER_FLAG_NAMES.filter(([key]) => isGiven(flags[key])).map(([, flag]) => flag);
}

/** Validate a flag value for parameter `index` of `def`: "<sampler> <param> (--flag) must be …". */
function flagParam(def: SamplerDef, index: number, raw: number | string | undefined): number {
    const param = def.params[index];
    const flag = param.flag ?? def.flag ?? def.name;
    if (def.params.length === 1 && param.flag === undefined) return parseValue(def, param, raw, "flag");
    const what = `${def.name} ${param.key} (${flag})`;
    if (raw === undefined || (typeof raw === "string" && raw.trim() === "")) {
        if (param.default !== undefined) return param.default;
        throw new UsageError(`${what} needs a value ${param.range} (e.g. ${flag} ${formatNumber(param.example)})`);
    }
    const text = typeof raw === "number" ? String(raw) : raw.trim();
    const value = typeof raw === "number" ? raw : NUMBER.test(text) ? Number(text) : Number.NaN;
    const result = param.schema.safeParse(value);
    if (!result.success) throw new UsageError(`${what} must be ${param.range}, got ${text} (e.g. ${flag} ${formatNumber(param.example)})`);
    return Object.is(result.data, -0) ? 0 : result.data;
}

/** Backslash escapes of a --dry-sequence-breaker value, as llama.cpp's string_process_escapes. */
export function processEscapes(text: string): string {
    return text.replace(/\\(x[0-9a-fA-F]{2}|.)/gs, (_, e: string) => {
        if (e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
        switch (e) {
            case "n": return "\n";
            case "t": return "\t";
            case "r": return "\r";
            case "0": return "\0";
            case "\\": return "\\";
            case "\"": return "\"";
            case "'": return "'";
            default: return "\\" + e;
        }
    });
}

/** One --logit-bias value: "ID=BIAS", "TEXT=BIAS" (split at the last "="), or llama.cpp's "ID+BIAS" / "ID-BIAS". */
export function parseLogitBiasFlag(value: string): LogitBiasEntry {
    const where = `--logit-bias "${value}"`;
    const example = `--logit-bias "the=-5" or --logit-bias 29=-inf`;
    const eq = value.lastIndexOf("=");
    if (eq < 0) {
        const m = /^\s*(\d+)\s*([+-].*)$/.exec(value);
        if (m) return parseLogitBiasEntry(m[1], m[2], where, example);
        throw new UsageError(`cannot read ${where}: write TOKEN=BIAS with a token id or a text (e.g. ${example})`);
    }
    return parseLogitBiasEntry(value.slice(0, eq), value.slice(eq + 1), where, example);
}

/**
 * Build a strategy from individual flags: exactly the samplers whose flags were given (`--top-k 40`
 * alone is top-k 40 at temperature 1), in the order of `--samplers LIST`, else of `--order PRESET`,
 * else the default order (hf: temperature → top-k → top-p → min-p, as always; see order.ts).
 * Multi-parameter samplers are enabled by their main flag (--mirostat, --xtc-probability,
 * --dry-multiplier, --dynatemp-range, or one of the three penalties for --repeat-last-n); their
 * other flags alone are usage errors. `--greedy` alone is greedy; combined with the others it is a
 * usage error. undefined when no flag was given (the caller then uses its --strategy or the default).
 */
export function strategyFromFlags(flags: StrategyFlags): Strategy | undefined {
    const given = givenSamplerFlags(flags);
    const ordering = flags.samplers !== undefined ? "--samplers" : flags.order !== undefined ? "--order" : undefined;
    if (flags.samplers !== undefined && flags.order !== undefined) {
        throw new UsageError("--samplers and --order cannot be combined: --samplers gives the whole order, --order a preset");
    }
    if (flags.greedy) {
        const others = given.filter((f) => f !== "--greedy");
        if (others.length > 0) throw new UsageError(`--greedy cannot be combined with ${others.join(", ")}: greedy always takes the most likely token`);
        if (ordering) throw new UsageError(`${ordering} orders sampler flags, but --greedy is a single sampler: drop ${ordering}`);
        return sampleStrategy(build(findSamplerDefOrThrow("greedy"), []));
    }
    if (given.length === 0) {
        if (ordering) throw new UsageError(`${ordering} orders the sampler flags, but none is given (e.g. --temp 0.7 --top-p 0.9 ${ordering === "--order" ? "--order llama.cpp" : "--samplers \"top_p;temperature\""})`);
        return undefined;
    }
    const units = flagUnits(flags);
    const order = flags.samplers !== undefined ? parseSamplerOrder(flags.samplers) : orderPreset(flags.order ?? DEFAULT_ORDER);
    for (const [slot, unit] of units) {
        if (!order.includes(slot)) {
            throw new UsageError(`--samplers has no place for ${slot} (set by ${unit.flags.join(", ")}): add it to the list, e.g. --samplers "${[...order, slot].join(";")}"`);
        }
    }
    const samplers: Sampler[] = [];
    for (const slot of order) {
        const unit = units.get(slot);
        if (unit !== undefined) samplers.push(unit.sampler);
    }
    return sampleStrategy(samplers);
}

interface FlagUnit {
    sampler: Sampler;
    /** The flags that built it (error messages). */
    flags: string[];
}

/** The units the flags build, by slot (canonical sampler name; "temperature" also holds dynatemp). */
function flagUnits(f: StrategyFlags): Map<string, FlagUnit> {
    const units = new Map<string, FlagUnit>();
    const add = (slot: string, sampler: Sampler | null, flags: string[]): void => {
        if (sampler !== null) units.set(slot, {sampler, flags});
    };
    const needs = (key: keyof StrategyFlags, flag: string, enabler: string): void => {
        if (isGiven(f[key])) throw new UsageError(`${flag} needs ${enabler} (it configures that sampler; give ${enabler} too)`);
    };
    const single = (key: keyof StrategyFlags, name: string): void => {
        if (!isGiven(f[key])) return;
        const def = findSamplerDefOrThrow(name);
        add(name, def.create([flagParam(def, 0, f[key] as number | string)]), [def.flag ?? name]);
    };

    // logit bias
    if (isGiven(f.logitBias)) {
        const entries = f.logitBias!.map(parseLogitBiasFlag);
        add("logit-bias", new LogitBiasSampler(entries), ["--logit-bias"]);
    }
    // penalties share --repeat-last-n
    const penalties: [keyof StrategyFlags, string][] = [["repeatPenalty", "repeat-penalty"], ["presencePenalty", "presence-penalty"], ["frequencyPenalty", "frequency-penalty"]];
    if (penalties.every(([key]) => !isGiven(f[key]))) needs("repeatLastN", "--repeat-last-n", "--repeat-penalty, --presence-penalty or --frequency-penalty");
    for (const [key, name] of penalties) {
        if (!isGiven(f[key])) continue;
        const def = findSamplerDefOrThrow(name);
        add(name, def.create([flagParam(def, 0, f[key] as number | string), flagParam(def, 1, f.repeatLastN as number | string | undefined)]),
            [def.flag!, ...(isGiven(f.repeatLastN) ? ["--repeat-last-n"] : [])]);
    }
    single("noRepeatNgram", "no-repeat-ngram");
    // DRY
    if (isGiven(f.dryMultiplier)) {
        const def = findSamplerDefOrThrow("dry");
        const values = [0, 1, 2, 3].map((i) => flagParam(def, i, [f.dryMultiplier, f.dryBase, f.dryAllowedLength, f.dryPenaltyLastN][i] as number | string | undefined));
        let breakers: readonly string[] | undefined;
        if (isGiven(f.drySequenceBreaker)) {
            const raw = f.drySequenceBreaker!;
            if (raw.length === 1 && raw[0].trim().toLowerCase() === "none") breakers = [];
            else {
                if (raw.some((b) => b.trim().toLowerCase() === "none")) throw new UsageError(`--dry-sequence-breaker none clears the breakers and cannot be combined with others`);
                breakers = raw.map(processEscapes);
                if (breakers.some((b) => b.length === 0)) throw new UsageError(`--dry-sequence-breaker needs a non-empty text (or none)`);
            }
        }
        add("dry", def.create(values, breakers), ["--dry-multiplier"]);
    } else {
        for (const [key, flag] of [["dryBase", "--dry-base"], ["dryAllowedLength", "--dry-allowed-length"], ["dryPenaltyLastN", "--dry-penalty-last-n"], ["drySequenceBreaker", "--dry-sequence-breaker"]] as const) {
            needs(key, flag, "--dry-multiplier");
        }
    }
    // temperature / dynamic temperature
    if (isGiven(f.dynatempRange)) {
        const def = findSamplerDefOrThrow("dynatemp");
        const t = isGiven(f.temp) ? flagParam(findSamplerDefOrThrow("temperature"), 0, f.temp as number | string) : 1;
        add("temperature", def.create([t, flagParam(def, 1, f.dynatempRange as number | string), flagParam(def, 2, f.dynatempExp as number | string | undefined)]),
            ["--dynatemp-range", ...(isGiven(f.temp) ? ["--temp"] : [])]);
    } else {
        needs("dynatempExp", "--dynatemp-exp", "--dynatemp-range");
        single("temp", "temperature");
    }
    single("topK", "top-k");
    single("topP", "top-p");
    single("minP", "min-p");
    single("typicalP", "typical");
    single("epsilonCutoff", "epsilon");
    single("etaCutoff", "eta");
    single("topNSigma", "top-n-sigma");
    // XTC
    if (isGiven(f.xtcProbability)) {
        const def = findSamplerDefOrThrow("xtc");
        add("xtc", def.create([flagParam(def, 0, f.xtcProbability as number | string), flagParam(def, 1, f.xtcThreshold as number | string | undefined)]), ["--xtc-probability"]);
    } else {
        needs("xtcThreshold", "--xtc-threshold", "--xtc-probability");
    }
    // mirostat
    if (isGiven(f.mirostat)) {
        const def = findSamplerDefOrThrow("mirostat");
        add("mirostat", def.create([flagParam(def, 0, f.mirostat as number | string), flagParam(def, 1, f.mirostatEnt as number | string | undefined),
            flagParam(def, 2, f.mirostatLr as number | string | undefined)]), ["--mirostat"]);
    } else {
        needs("mirostatEnt", "--mirostat-ent", "--mirostat");
        needs("mirostatLr", "--mirostat-lr", "--mirostat");
    }
    return units;
}

function build(def: SamplerDef, values: readonly number[], list?: readonly string[]): Sampler[] {
    const sampler = def.create(values, list);
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
export function createChain(strategy: SampleStrategy, vocabSize: number, first: readonly Sampler[] = []): SamplerChain {
    const fresh = parseStrategy(strategy.spec);
    if (fresh.kind !== "sample") throw new Error(`not a sampling strategy: ${strategy.spec}`);
    return new SamplerChain([...first, ...fresh.samplers], vocabSize);
}

/** The usage pattern of an entry: top-p=P, mirostat=VERSION[:TAU[:ETA]], logit-bias(TOKEN=BIAS;…). */
export function usageOf(def: Parametrised & {parseEntries?: unknown}): string {
    if (def.parseEntries) return `${def.name}(TOKEN=BIAS;…)`;
    if (def.params.length === 0) return def.name;
    let out = "";
    let optional = 0;
    def.params.forEach((p, i) => {
        const piece = (i === 0 ? "" : ":") + p.key.toUpperCase();
        if (p.default !== undefined) {
            out += "[" + piece;
            optional++;
        } else {
            out += piece;
        }
    });
    if (def.list) {
        out += `[:${def.list.key.toUpperCase()}`;
        optional++;
    }
    return `${def.name}=${out}${"]".repeat(optional)}`;
}

/** Help lines: one per registry entry, e.g. `top-p=P     keep the smallest … (P in (0, 1]; aliases: topp, …)`. */
export function strategyHelp(): string[] {
    const rows = [...SAMPLER_REGISTRY, BEAM_DEF].map((def) => {
        const usage = usageOf(def);
        const ranges = def.params.map((p) => `${p.key.toUpperCase()} ${p.range}${p.default !== undefined ? `, default ${formatNumber(p.default)}` : ""}`);
        const aliases = def.aliases.length ? [`aliases: ${def.aliases.join(", ")}`] : [];
        const extra = [...ranges, ...aliases];
        return [usage, def.description + (extra.length ? ` (${extra.join("; ")})` : "")] as const;
    });
    const width = Math.max(...rows.map(([usage]) => usage.length));
    return rows.map(([usage, text]) => `${usage.padEnd(width)}  ${text}`);
}

