/** Number formats shared by the renderers. */

export const MISSING = "—";

export function fixed(x: number | null | undefined, digits: number, missing = MISSING): string {
    if (x === null || x === undefined || !Number.isFinite(x)) return x === -Infinity ? "-inf" : missing;
    return x.toFixed(digits);
}

export function percent(x: number | null | undefined, digits = 0, missing = MISSING): string {
    if (x === null || x === undefined || !Number.isFinite(x)) return missing;
    return `${(x * 100).toFixed(digits)}%`;
}

/** 3 → "3", 3.25 → "3.3". */
export function compactNumber(x: number | null | undefined, missing = MISSING): string {
    if (x === null || x === undefined || !Number.isFinite(x)) return missing;
    return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

/** Probability for people: 41.2%, 0.31%, <0.01%. */
export function probability(p: number): string {
    if (p >= 0.1) return `${(p * 100).toFixed(1)}%`;
    if (p >= 0.0001) return `${(p * 100).toFixed(2)}%`;
    if (p > 0) return "<0.01%";
    return "0%";
}

const SHORT_REASON: Record<string, string> = {"max-tokens": "max", "context-full": "ctx", "interrupted": "int"};

/** {"eos": 12, "max-tokens": 8} → "12 eos, 8 max"; a single sample → its reason in full. */
export function stopReasons(reasons: Record<string, number>): string {
    const entries = Object.entries(reasons).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const total = entries.reduce((n, [, c]) => n + c, 0);
    if (entries.length === 1 && total === 1) return entries[0]![0];
    if (entries.length === 1) return `${total} ${entries[0]![0]}`;
    return entries.map(([r, c]) => `${c} ${SHORT_REASON[r] ?? r}`).join(", ");
}
