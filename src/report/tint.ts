/**
 * `--color-by prob`: tint each token by its probability under the model, in five bands. With a
 * colour-less chalk (not a terminal, NO_COLOR, --no-color) every function returns the text as is.
 */
import type {ChalkInstance} from "chalk";

export interface ProbabilityBand {
    /** Lower bound (inclusive) of the band's probability. */
    min: number;
    color: string;
    label: string;
}

/** Bands from most to least probable. */
export const PROBABILITY_BANDS: readonly ProbabilityBand[] = [
    {min: 0.8, color: "#5fd75f", label: "≥80%"},
    {min: 0.5, color: "#afd75f", label: "50–80%"},
    {min: 0.2, color: "#ffd75f", label: "20–50%"},
    {min: 0.05, color: "#ff875f", label: "5–20%"},
    {min: 0, color: "#ff5f87", label: "<5%"}
];

export function probabilityBand(p: number): ProbabilityBand {
    for (const band of PROBABILITY_BANDS) if (p >= band.min) return band;
    return PROBABILITY_BANDS[PROBABILITY_BANDS.length - 1]!;
}

/** `text` in the colour of probability exp(logprob). */
export function tintByProbability(chalk: ChalkInstance, text: string, logprob: number): string {
    if (chalk.level === 0 || text.length === 0) return text;
    return chalk.hex(probabilityBand(Math.exp(logprob)).color)(text);
}

/** One line explaining the colours; "" when colour is off. */
export function probabilityLegend(chalk: ChalkInstance): string {
    if (chalk.level === 0) return "";
    return "token probability: " + PROBABILITY_BANDS.map((b) => chalk.hex(b.color)(`■ ${b.label}`)).join("  ");
}

/**
 * Tints streamed text whose boundaries are not the tokens' (stop strings hold text back, then
 * release it in other pieces). Feed every token with `token(text, logprob)` as it is generated, and
 * pass each piece of text that is about to be printed through `text(piece)`: the piece is matched,
 * character for character, against the tokens not yet printed and coloured by theirs. Text beyond
 * the known tokens (a decoder's final flush) is returned untinted.
 *
 * Hook in the generate command (`--color-by prob`), with `tinter = new ProbabilityTinter(style.out)`:
 *   onToken: (e) => { if (e.sample === 0) tinter.token(e.text, e.logprob); }
 *   onText:  (sample, text) => { if (sample === 0) writeOut(tinter.text(text)); }
 * and print `probabilityLegend(style.err)` once on stderr when it is non-empty.
 */
export class ProbabilityTinter {
    private readonly pending: Array<{text: string; logprob: number}> = [];

    constructor(private readonly chalk: ChalkInstance) {}

    get enabled(): boolean {
        return this.chalk.level > 0;
    }

    token(text: string, logprob: number): void {
        if (text.length > 0) this.pending.push({text, logprob});
    }

    text(piece: string): string {
        let out = "";
        let rest = piece;
        while (rest.length > 0 && this.pending.length > 0) {
            const head = this.pending[0]!;
            if (head.text.length <= rest.length) {
                out += tintByProbability(this.chalk, rest.slice(0, head.text.length), head.logprob);
                rest = rest.slice(head.text.length);
                this.pending.shift();
            } else {
                out += tintByProbability(this.chalk, rest, head.logprob);
                head.text = head.text.slice(rest.length);
                rest = "";
            }
        }
        return out + rest;
    }
}
