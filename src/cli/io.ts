/**
 * Terminal conventions shared by every command: stdout carries the product, everything else goes
 * to stderr and only decorates a TTY. NO_COLOR and --no-color turn colour off.
 */
import {Chalk, type ChalkInstance} from "chalk";

export interface OutputStyle {
    /** stdout is a terminal (stream decoration allowed on stdout). */
    readonly stdoutTTY: boolean;
    /** stderr is a terminal with a known width (spinners, progress bars allowed). */
    readonly stderrTTY: boolean;
    /** Colour for stdout text (prompt dimming, token tints). */
    readonly out: ChalkInstance;
    /** Colour for stderr text (summaries, legends). */
    readonly err: ChalkInstance;
}

export function colorAllowed(noColorFlag: boolean | undefined): boolean {
    if (noColorFlag) return false;
    const noColor = process.env.NO_COLOR;
    return noColor === undefined || noColor === "";
}

export function outputStyle(opts: {color?: boolean} = {}): OutputStyle {
    const allowed = colorAllowed(opts.color === false);
    const stdoutTTY = process.stdout.isTTY === true;
    // A terminal that reports no width (e.g. `script` without a real tty on its input) cannot take
    // cursor-moving decorations: ora divides by the width and its line clearing never ends.
    const stderrTTY = process.stderr.isTTY === true && (process.stderr.columns ?? 0) > 0;
    return {
        stdoutTTY,
        stderrTTY,
        out: new Chalk({level: allowed && stdoutTTY ? 2 : 0}),
        err: new Chalk({level: allowed && stderrTTY ? 2 : 0})
    };
}

/** Write one line to stderr. */
export function info(line: string): void {
    process.stderr.write(line + "\n");
}

/** The width to lay out for: COLUMNS when set, else the terminal's; piped output is not reflowed. */
export function outputWidth(stdoutTTY: boolean): number {
    const env = Number(process.env.COLUMNS);
    if (Number.isInteger(env) && env > 0) return env;
    if (stdoutTTY) return process.stdout.columns && process.stdout.columns > 0 ? process.stdout.columns : 80;
    return Infinity;
}
