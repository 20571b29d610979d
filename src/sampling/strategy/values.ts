/**
 * Binding and validation: the values of an item (or of CLI flags) mapped onto a registry entry's
 * parameters and checked against their schemas. One validator and one number syntax (decimal, see
 * spec.ts) for strategy strings and flags alike; only the culprit's name and the suggested fix
 * differ ("top-k must be …, got x (e.g. top-k=40)" vs "(e.g. --top-k 40)").
 */
import {UsageError} from "../../errors.js";
import type {ListParamDef, ParamDef} from "../registry.js";
import {formatNumber, formatSpec, parseDecimal} from "../spec.js";
import type {ParsedItem} from "./syntax.js";

/** What parameters a named entry has (a SamplerDef or the beam pseudo-entry). */
export interface Parametrised {
    readonly name: string;
    readonly flag?: string;
    readonly params: readonly ParamDef[];
    readonly list?: ListParamDef;
}

/** Where a value came from, for the error message: the culprit's name and an example of the fix. */
export interface ValueSource {
    readonly label: string;
    readonly example: string;
}

/** A value written in a strategy string: "mirostat tau must be …, got x (e.g. mirostat=2:5:0.1)". */
export function stringSource(def: Parametrised, param: ParamDef): ValueSource {
    return {
        label: def.params.length > 1 ? `${def.name} ${param.key}` : def.name,
        example: formatSpec(def.name, def.params.map((p) => p.example)),
    };
}

/** A value given by a flag: "top-k must be …, got x (e.g. --top-k 40)", "mirostat tau (--mirostat-ent) must be …". */
export function flagSource(def: Parametrised, param: ParamDef, flag: string): ValueSource {
    const own = def.params.length === 1 && param.flag === undefined;
    return {label: own ? def.name : `${def.name} ${param.key} (${flag})`, example: `${flag} ${formatNumber(param.example)}`};
}

/**
 * Validate one raw value against its parameter. Missing (undefined or blank): the parameter's
 * default, else a UsageError. −0 becomes 0.
 */
export function parseValue(param: ParamDef, raw: string | number | undefined, source: ValueSource): number {
    if (raw === undefined || (typeof raw === "string" && raw.trim() === "")) {
        if (param.default !== undefined) return param.default;
        throw new UsageError(`${source.label} needs a value ${param.range} (e.g. ${source.example})`);
    }
    const value = typeof raw === "number" ? raw : parseDecimal(raw);
    const shown = typeof raw === "string" ? raw.trim() : String(raw);
    const result = param.schema.safeParse(value);
    if (!result.success) throw new UsageError(`${source.label} must be ${param.range}, got ${shown} (e.g. ${source.example})`);
    return Object.is(result.data, -0) ? 0 : result.data;
}

/** A list parameter written in a strategy string: a JSON list of strings. */
export function parseList(def: Parametrised, list: ListParamDef, raw: string, item: string): string[] {
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

/** The numbers of an item, and its list parameter when the entry has one. */
export interface BoundValues {
    values: number[];
    list?: string[];
}

function exampleOf(def: Parametrised): string {
    return formatSpec(def.name, def.params.map((p) => p.example));
}

/** Map an item's positional or named values onto the entry's parameters, validated. */
export function bindItem(def: Parametrised, item: ParsedItem): BoundValues {
    const params = def.params;
    const given: (string | undefined)[] = new Array(params.length).fill(undefined);
    let listRaw: string | undefined;
    if (item.positional) {
        if (params.length === 0) throw new UsageError(`${def.name} takes no value, got "${item.raw}" (write just ${def.name})`);
        const n = params.length + (def.list ? 1 : 0);
        if (item.positional.length > n) {
            const upTo = def.list || params.some((p) => p.default !== undefined) ? "up to " : "";
            throw new UsageError(
                `${def.name} takes ${upTo}${n} value${n === 1 ? "" : "s"}, got ${item.positional.length} in "${item.raw}" (e.g. ${exampleOf(def)})`,
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
    const values = params.map((param, i) => parseValue(param, given[i], stringSource(def, param)));
    const list = def.list && listRaw !== undefined ? parseList(def, def.list, listRaw, item.raw) : undefined;
    return list === undefined ? {values} : {values, list};
}
