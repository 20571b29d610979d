/** Spec-string formatting shared by the samplers and the strategy parser. */

/** A number printed minimally: 0.9 (not 0.90), 40, 1e-7; −0 prints as 0. */
export function formatNumber(value: number): string {
    return Object.is(value, -0) ? "0" : String(value);
}

/** "name" for parameterless samplers, "name=v" or "name=v1:v2" otherwise. */
export function formatSpec(name: string, values: readonly number[]): string {
    return values.length === 0 ? name : `${name}=${values.map(formatNumber).join(":")}`;
}
