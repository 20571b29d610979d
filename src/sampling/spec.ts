/** Spec-string formatting shared by the samplers and the strategy parser. */

/** A number printed minimally: 0.9 (not 0.90), 40, 1e-7; −0 prints as 0. */
export function formatNumber(value: number): string {
    return Object.is(value, -0) ? "0" : String(value);
}

/** "name" for parameterless samplers, "name=v" or "name=v1:v2" otherwise. */
export function formatSpec(name: string, values: readonly number[]): string {
    return values.length === 0 ? name : `${name}=${values.map(formatNumber).join(":")}`;
}

/**
 * The one number syntax of every flag, strategy string and environment variable: decimal, with an
 * optional sign, fraction and exponent ("0.9", "-5", "1e-3", ".5"). Hex, octal, binary, "Infinity",
 * thousands separators and empty text are not numbers here. Returns NaN for anything else.
 */
export const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

export function parseDecimal(text: string): number {
    const trimmed = text.trim();
    return DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
}
