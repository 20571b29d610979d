/**
 * What every model-running command does first: read the prompt, resolve the model, show a spinner
 * on a terminal while it loads, and hand back a loaded Engine. Also Ctrl-C and closed-pipe handling.
 */
import fs from "node:fs";
import ora from "ora";
import type {Engine} from "../engine/engine.js";
import {UsageError} from "../errors.js";
import {resolveModel} from "../models/resolve.js";
import {info, type OutputStyle} from "./io.js";
import type {EngineSettings, ModelFlags} from "./options.js";

/** The prompt from the argument, else from piped stdin (one trailing newline dropped); undefined when neither. */
export function readPrompt(arg: string | undefined): string | undefined {
    if (arg !== undefined) return arg;
    if (process.stdin.isTTY) return undefined;
    let text: string;
    try {
        text = fs.readFileSync(0, "utf8");
    } catch {
        return undefined;
    }
    return text.replace(/\r?\n$/, "");
}

/** Decorations (spinner, summary, dimmed prompt) only when both stdout and stderr are terminals. */
export function decorate(style: OutputStyle): boolean {
    return style.stdoutTTY && style.stderrTTY;
}

/**
 * Load the engine for a command. `kvUnified`: share one KV cache between the sequences (beam
 * search: cheap forks; see EngineOptions.kvUnified for the price).
 */
export async function openEngine(flags: ModelFlags, settings: EngineSettings, style: OutputStyle, sequences: number, signal?: AbortSignal, kvUnified = false): Promise<Engine> {
    const {path} = await resolveModel(flags.model, {modelsDir: flags.modelsDir, interactive: style.stderrTTY, signal});
    const spinner = decorate(style) && !settings.verbose
        ? ora({text: `loading ${path}`, stream: process.stderr, color: "cyan", isEnabled: true}).start()
        : undefined;
    try {
        // Loaded on demand: importing node-llama-cpp costs about a second, which --help and usage
        // errors should not pay.
        const {Engine} = await import("../engine/engine.js");
        const engine = await Engine.load({
            modelPath: path,
            gpu: settings.gpu,
            threads: settings.threads,
            ctxSize: settings.ctxSize,
            sequences,
            kvUnified,
            verbose: settings.verbose,
            debug: settings.debug,
            logitsRoute: settings.logitsRoute,
            onNotice: settings.verbose ? (line) => info(style.err.dim(line)) : undefined,
            onWarning: (line) => info(style.err.yellow(`llmgen: ${line}`))
        });
        spinner?.stop();
        return engine;
    } catch (err) {
        spinner?.stop();
        throw err;
    }
}

/**
 * Ctrl-C: the first one aborts generation (what was printed stays; the command exits 130), a second
 * one exits at once. Returns the signal and a function that removes the handler.
 */
export function interruptHandling(): {signal: AbortSignal; interrupted: () => boolean; dispose: () => void} {
    const controller = new AbortController();
    const onSigint = (): void => {
        if (controller.signal.aborted) process.exit(130);
        controller.abort();
    };
    process.on("SIGINT", onSigint);
    return {
        signal: controller.signal,
        interrupted: () => controller.signal.aborted,
        dispose: () => process.off("SIGINT", onSigint)
    };
}

export function requirePrompt(prompt: string | undefined, command: string): string {
    if (prompt === undefined)
        throw new UsageError(`no prompt: give one as an argument (llmgen ${command}"Once upon a time") or pipe it on stdin`);
    return prompt;
}
