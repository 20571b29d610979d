/**
 * The sampler flags (--temp, --top-k, --mirostat-lr, --dry-sequence-breaker, …) and their binding to
 * a chain, both generated from the registry: each entry's own flag enables it and sets the parameter
 * that has no flag of its own; its other parameters (and its list) have their own flags. Nothing
 * here names a sampler: adding one to the registry adds its flags, their help, their validation and
 * their binding.
 */
import {UsageError} from "../../errors.js";
import {DEFAULT_ORDER, orderPreset, parseSamplerOrder} from "../order.js";
import {SAMPLER_REGISTRY, type ListParamDef, type ParamDef, type SamplerDef} from "../registry.js";
import {formatNumber} from "../spec.js";
import type {Sampler} from "../types.js";
import {buildSampler, sampleStrategy, type Strategy} from "./construct.js";
import {flagSource, parseValue} from "./values.js";

/** One CLI flag of the sampler chain. */
export interface SamplerFlag {
    /** "--top-k" */
    readonly flag: string;
    /** The option's key in a parsed-flags object: commander's camel case of the long name ("topK"). */
    readonly key: string;
    /** value: one number; switch: no value; repeatable: one text per use, collected into a list. */
    readonly kind: "value" | "switch" | "repeatable";
    /** The value's name in help ("k"). */
    readonly valueName?: string;
    /** One line of help: what it does, its range and default, which flag it needs. */
    readonly description: string;
}

/** "--top-n-sigma" → "topNSigma" (commander's attribute name). */
export function flagKey(flag: string): string {
    return flag.replace(/^--/, "").replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The parameter a sampler's own flag sets: the first without a flag of its own (dynatemp: RANGE, not T). */
function ownParam(def: SamplerDef): ParamDef | undefined {
    return def.params.find((p) => p.flag === undefined || p.flag === def.flag) ?? def.params[0];
}

/** The flag that sets parameter `param` of `def`. */
function paramFlag(def: SamplerDef, param: ParamDef): string {
    return param === ownParam(def) ? def.flag! : param.flag ?? def.flag!;
}

/** The flag samplers of the registry. */
function flagDefs(): SamplerDef[] {
    return SAMPLER_REGISTRY.filter((d) => d.flag !== undefined);
}

/** "a, b or c" */
function either(items: readonly string[]): string {
    return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** The samplers' own flags that a parameter (or list) flag configures: --repeat-last-n → the three penalties. */
function enablersOf(flag: string): string[] {
    return flagDefs()
        .filter((d) => d.flag !== flag && (d.params.some((p) => paramFlag(d, p) === flag) || d.list?.flag === flag))
        .map((d) => d.flag!);
}

function listDescription(def: SamplerDef, list: ListParamDef): string {
    return `${def.name}: ${list.description}; repeatable, replaces the default ${JSON.stringify(list.default)} ("none" for none; \\n etc. are processed)`;
}

/** Every sampler flag, each once, in registry order (a sampler's own flag, then its parameters' and its list's). */
export const SAMPLER_FLAGS: readonly SamplerFlag[] = (() => {
    const out: SamplerFlag[] = [];
    const seen = new Set<string>();
    const add = (f: Omit<SamplerFlag, "key">): void => {
        if (seen.has(f.flag)) return;
        seen.add(f.flag);
        out.push({...f, key: flagKey(f.flag)});
    };
    for (const def of flagDefs()) {
        const flag = def.flag!;
        const own = ownParam(def);
        if (def.fromFlagValues) {
            add({flag, kind: "repeatable", valueName: "token=bias",
                description: `${def.description}; repeatable: the=-5, 29=-inf (a ban), '" the"=2' (a JSON string keeps spaces)`});
        } else if (own === undefined) {
            add({flag, kind: "switch", description: def.description});
        } else {
            add({flag, kind: "value", valueName: own.key, description: `${def.description}; ${own.key.toUpperCase()} ${own.range}`});
        }
        for (const p of def.params) {
            if (p === own || p.flag === undefined || p.flag === flag) continue;
            const dflt = p.default !== undefined ? `, default ${formatNumber(p.default)}` : "";
            add({flag: p.flag, kind: "value", valueName: p.key, description: `${p.description ?? p.key}; ${p.range}${dflt} (with ${enablersOf(p.flag).join(" or ")})`});
        }
        if (def.list?.flag !== undefined) add({flag: def.list.flag, kind: "repeatable", valueName: "text", description: listDescription(def, def.list)});
    }
    return out;
})();

/**
 * Parsed sampler flags, keyed by SamplerFlag.key: numbers or the raw option texts, `true` for a
 * switch, lists for repeatable flags. `samplers` (an explicit order, like llama.cpp's --samplers
 * "penalties;top_k;top_p;temperature") and `order` (a preset: "hf", the default, or "llama.cpp")
 * order the chain the flags build.
 */
export interface StrategyFlags {
    readonly [key: string]: number | string | boolean | readonly string[] | undefined;
    readonly samplers?: string;
    readonly order?: string;
}

function isGiven(value: unknown): boolean {
    if (value === undefined || value === false) return false;
    if (Array.isArray(value)) return value.length > 0;
    return true;
}

/** The sampler flags given (CLI spellings, in SAMPLER_FLAGS order); --samplers and --order are not sampler flags. */
export function givenSamplerFlags(flags: StrategyFlags): string[] {
    return SAMPLER_FLAGS.filter((f) => isGiven(flags[f.key])).map((f) => f.flag);
}

/** Only the sampler flags (and --samplers/--order) of a command's parsed options. */
export function pickStrategyFlags(options: Readonly<Record<string, unknown>>): StrategyFlags {
    const out: Record<string, StrategyFlags[string]> = {};
    for (const key of [...SAMPLER_FLAGS.map((f) => f.key), "samplers", "order"]) {
        if (options[key] !== undefined) out[key] = options[key] as StrategyFlags[string];
    }
    return out;
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

/** The values of a list flag: "none" alone is the empty list; escapes are processed. */
function listFromFlag(flag: string, raw: readonly string[]): string[] {
    if (raw.length === 1 && raw[0]!.trim().toLowerCase() === "none") return [];
    if (raw.some((b) => b.trim().toLowerCase() === "none")) throw new UsageError(`${flag} none clears the list and cannot be combined with other values`);
    const values = raw.map(processEscapes);
    if (values.some((b) => b.length === 0)) throw new UsageError(`${flag} needs a non-empty text (or none)`);
    return values;
}

interface FlagUnit {
    sampler: Sampler;
    /** The flags that built it (error messages). */
    flags: string[];
}

/** Build one enabled sampler from its flags. */
function unitOf(def: SamplerDef, f: StrategyFlags): FlagUnit {
    const used = [def.flag!];
    if (def.fromFlagValues) return {sampler: def.fromFlagValues(f[flagKey(def.flag!)] as readonly string[]), flags: used};
    const values = def.params.map((p) => {
        const flag = paramFlag(def, p);
        const raw = f[flagKey(flag)] as number | string | undefined;
        // A flag that is another sampler's own (--temp for dynatemp's T) is named as that sampler's.
        const owner = flagDefs().find((d) => d !== def && d.flag === flag);
        const source = owner !== undefined ? flagSource(owner, ownParam(owner)!, flag) : flagSource(def, p, flag);
        if (!isGiven(raw)) return p.flagDefault ?? parseValue(p, undefined, source);
        if (flag !== def.flag) used.push(flag);
        return parseValue(p, raw, source);
    });
    let list: string[] | undefined;
    if (def.list?.flag !== undefined && isGiven(f[flagKey(def.list.flag)])) list = listFromFlag(def.list.flag, f[flagKey(def.list.flag)] as readonly string[]);
    const sampler = buildSampler(def, values, list);
    if (sampler === null) throw new Error(`${def.name} has a flag but builds no sampler`);
    return {sampler, flags: used};
}

/**
 * Build a strategy from individual flags: exactly the samplers whose flags were given (`--top-k 40`
 * alone is top-k 40 at temperature 1), in the order of `--samplers LIST`, else of `--order PRESET`,
 * else the default order (hf: temperature → top-k → top-p → min-p; see order.ts). A parameter flag
 * without its sampler's own flag (--mirostat-lr without --mirostat) is a usage error; a sampler that
 * stands alone (--greedy) cannot be combined with others. undefined when no flag was given (the
 * caller then uses its --strategy or the default).
 */
export function strategyFromFlags(flags: StrategyFlags): Strategy | undefined {
    const given = givenSamplerFlags(flags);
    const ordering = flags.samplers !== undefined ? "--samplers" : flags.order !== undefined ? "--order" : undefined;
    if (flags.samplers !== undefined && flags.order !== undefined) {
        throw new UsageError("--samplers and --order cannot be combined: --samplers gives the whole order, --order a preset");
    }
    for (const def of flagDefs()) {
        if (def.flagStandsAlone === undefined || !given.includes(def.flag!)) continue;
        const others = given.filter((f) => f !== def.flag);
        if (others.length > 0) throw new UsageError(`${def.flag} cannot be combined with ${others.join(", ")}: ${def.flagStandsAlone}`);
        if (ordering) throw new UsageError(`${ordering} orders sampler flags, but ${def.flag} is a single sampler: drop ${ordering}`);
        return sampleStrategy([unitOf(def, flags).sampler]);
    }
    if (given.length === 0) {
        if (ordering) throw new UsageError(`${ordering} orders the sampler flags, but none is given (e.g. --temp 0.7 --top-p 0.9 ${ordering === "--order" ? "--order llama.cpp" : "--samplers \"top_p;temperature\""})`);
        return undefined;
    }
    // Samplers whose own flag is given, except those whose flag configures another enabled sampler.
    const candidates = flagDefs().filter((d) => given.includes(d.flag!));
    const consumed = new Set(candidates.flatMap((d) => d.params.map((p) => paramFlag(d, p)).filter((f) => f !== d.flag)));
    const enabled = candidates.filter((d) => !consumed.has(d.flag!));
    const configured = new Set(enabled.flatMap((d) => [d.flag!, ...d.params.map((p) => paramFlag(d, p)), ...(d.list?.flag ? [d.list.flag] : [])]));
    for (const flag of given) {
        if (configured.has(flag)) continue;
        const enabler = either(enablersOf(flag));
        throw new UsageError(`${flag} needs ${enabler} (it configures that sampler; give ${enabler} too)`);
    }
    const units = new Map<string, FlagUnit>();
    for (const def of enabled) units.set(def.slot ?? def.name, unitOf(def, flags));
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
