/**
 * Help for strategies, from the registry: the usage pattern of every entry, one help line each, and
 * the known name closest to a misspelt one.
 */
import {BEAM_DEF, SAMPLER_REGISTRY} from "../registry.js";
import {formatNumber} from "../spec.js";
import type {Parametrised} from "./values.js";

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

export function knownNames(): string {
    return [...SAMPLER_REGISTRY, BEAM_DEF].map((d) => d.name).join(", ");
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

