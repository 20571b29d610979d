/**
 * The grammar of strategy strings — syntax only, no knowledge of which samplers exist:
 *
 *   strategy := item ("," item)*            samplers are applied in the order written
 *   item     := name                         greedy | random   (no value)
 *             | name "=" value (":" value)*  top-p=0.9, temp=0.7, beam=4, mirostat=2:5:0.1   (positional values)
 *             | name "(" [key "=" value (";" key "=" value)*] ")"   top-p(p=0.9), mirostat(version=2;eta=0.2)   (named values)
 *   value    := decimal number: 40, 0.9, .5, 1e-3, -1 (no hex, NaN or Infinity)
 *             | list: a JSON list of strings, only as a sampler's list parameter: dry=0.8:1.75:2:-1:["\n",":"]
 *
 * Whitespace is allowed around every token; names are case-insensitive. Commas, colons, semicolons
 * and parentheses inside JSON strings and lists do not split.
 */
import {UsageError} from "../../errors.js";

export const EXAMPLES = `"top-p=0.9", "temp=0.7,top-p=0.9", "top-k=40", "min-p=0.05", "greedy", "random" or "beam=4"`;
const ITEM = /^([a-z][a-z0-9_-]*)\s*(?:=(.*)|\((.*)\))?$/is;

/** One item as written: its name (lower case) and its positional or named values (raw texts). */
export interface ParsedItem {
    readonly raw: string;
    readonly name: string;
    readonly positional?: readonly string[];
    readonly named?: readonly (readonly [string, string])[];
}

/** The items of a (trimmed, non-empty) strategy string. */
export function parseItems(text: string): ParsedItem[] {
    return splitOutside(text, ",", `strategy "${text}"`).map((raw) => parseItem(raw, text));
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

export function parseItem(raw: string, text: string): ParsedItem {
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

