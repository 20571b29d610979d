/**
 * What every model-running command does first: read the prompt, resolve the model, show a spinner
 * on a terminal while it loads, and hand back a loaded Engine. Also Ctrl-C and closed-pipe handling.
 */
import ora from "ora";
import type {Engine} from "../engine/engine.js";
import type {ConstraintSource} from "../engine/grammar.js";
import type {TokenConstraint} from "../sampling/constraint.js";
import {RuntimeError, UsageError} from "../errors.js";
import {noticeText} from "./fixes.js";
import {createPullReporter} from "../models/progress.js";
import {BUILTIN_MODEL, resolveModel} from "../models/resolve.js";
import {warmUpSampling} from "../sampling/warmup.js";
import {info, type OutputStyle} from "./io.js";
import {stallTimeoutFromEnv, type ChatFlags, type EngineSettings, type ModelFlags} from "./options.js";

/**
 * The prompt from the argument, else from piped stdin (one trailing newline dropped); undefined
 * when neither. An empty stdin is not a prompt (`llmgen < /dev/null` is a usage error), while an
 * empty argument (`llmgen ""`) is: generation from BOS alone.
 */
export async function readPrompt(arg: string | undefined): Promise<string | undefined> {
    if (arg !== undefined) return arg;
    if (process.stdin.isTTY) return undefined;
    // Read as a stream: a synchronous read of a pipe fails with EAGAIN when the writer is slower.
    const chunks: Buffer[] = [];
    try {
        for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    } catch (err) {
        throw new RuntimeError(`cannot read the prompt from stdin: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    const prompt = text.replace(/\r?\n$/, "");
    if (prompt.length === 0)
        throw new UsageError("no prompt: stdin was empty; give the prompt as an argument (llmgen \"Once upon a time\") or pipe some text (llmgen --help for more)");
    return prompt;
}

/** Decorations (spinner, summary, dimmed prompt) only when both stdout and stderr are terminals. */
export function decorate(style: OutputStyle): boolean {
    return style.stdoutTTY && style.stderrTTY;
}

/** llama.cpp's log lines (--verbose, --debug), on stderr. */
export function llamaLog(level: string, line: string): void {
    process.stderr.write(`[llama.cpp ${level}] ${line}\n`);
}

/**
 * Load the engine for a command. `kvUnified`: share one KV cache between the sequences (beam
 * search: cheap forks; see EngineOptions.kvUnified for the price).
 */
export async function openEngine(flags: ModelFlags, settings: EngineSettings, style: OutputStyle, sequences: number, signal?: AbortSignal, kvUnified = false): Promise<Engine> {
    const reporter = createPullReporter({tty: style.stderrTTY, chalk: style.err, verbose: settings.verbose});
    const resolved = await resolveModel(flags.model, {
        modelsDir: flags.modelsDir, interactive: style.stderrTTY, signal, envModel: process.env.LLMGEN_MODEL, stallTimeoutMs: stallTimeoutFromEnv(), env: process.env,
        onNotice: (line) => {
            reporter.clear();
            info(`llmgen: ${line}`);
        },
        onPullEvent: reporter.onEvent
    }).finally(() => reporter.clear());
    const path = resolved.path;
    // The built-in demo model, on a terminal: say what it is and how to get a real one (piped: nothing).
    if (resolved.builtin && style.stderrTTY)
        info(style.err.dim(`llmgen: using ${BUILTIN_MODEL.description} (no -m and no model in the models folder); for a real model: llmgen pull llama3.2-1b, then -m llama3.2-1b`));
    const spinner = decorate(style) && !settings.verbose
        ? ora({text: `loading ${path}`, stream: process.stderr, color: "cyan", isEnabled: true}).start()
        : undefined;
    try {
        // Loaded on demand: importing node-llama-cpp costs about a second, which --help and usage
        // errors should not pay.
        const {Engine} = await import("../engine/engine.js");
        const loading = Engine.load({
            modelPath: path,
            gpu: settings.gpu,
            threads: settings.threads,
            ctxSize: settings.ctxSize,
            sequences,
            kvUnified,
            verbose: settings.verbose,
            debug: settings.debug,
            logitsRoute: settings.logitsRoute,
            forkMinGain: settings.forkMinGain,
            onNotice: settings.verbose ? (notice) => info(style.err.dim(noticeText(notice))) : undefined,
            onWarning: (notice) => info(style.err.yellow(`llmgen: ${noticeText(notice)}`)),
            onLog: llamaLog
        });
        // While llama.cpp reads the model on its own threads, give V8 the sampling loops' type
        // feedback (warmUpSampling: a few ms, once per process), so that the first tokens do not
        // pay for it. Errors belong to the load: they surface from `await loading` below.
        loading.catch(() => undefined);
        await new Promise((resolve) => setImmediate(resolve));
        warmUpSampling();
        const engine = await loading;
        spinner?.stop();
        return engine;
    } catch (err) {
        spinner?.stop();
        // The flag that asked for the fast route is the culprit the user needs to see.
        const {reason} = err as {reason?: unknown};
        if (err instanceof RuntimeError && typeof reason === "string") throw new RuntimeError(`--logits-route fast: ${reason}`, {fix: err.fix});
        throw err;
    }
}

/** Exit code of a run stopped by a signal: 128 + its number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP). */
const SIGNAL_EXIT: Record<string, number> = {SIGINT: 130, SIGTERM: 143, SIGHUP: 129};

export interface Interrupt {
    signal: AbortSignal;
    interrupted: () => boolean;
    /** 0, or 128 + the number of the signal that stopped the run. */
    exitCode: () => number;
    dispose: () => void;
}

/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP: the first one aborts generation (what was printed stays,
 * NDJSON ends with done events whose stopReason is "interrupted"; the command exits 128 + the
 * signal's number: 130, 143, 129), a second one exits at once with that code.
 */
export function interruptHandling(): Interrupt {
    const controller = new AbortController();
    let code = 0;
    const handlers = Object.keys(SIGNAL_EXIT).map((name) => {
        const handler = (): void => {
            if (controller.signal.aborted) process.exit(code);
            code = SIGNAL_EXIT[name]!;
            controller.abort();
        };
        process.on(name as NodeJS.Signals, handler);
        return [name, handler] as const;
    });
    return {
        signal: controller.signal,
        interrupted: () => controller.signal.aborted,
        exitCode: () => code,
        dispose: () => {
            for (const [name, handler] of handlers) process.off(name as NodeJS.Signals, handler);
        }
    };
}

export function requirePrompt(prompt: string | undefined, command: string): string {
    if (prompt === undefined)
        throw new UsageError(`no prompt: give one as an argument (llmgen ${command}"Once upon a time") or pipe it on stdin`);
    return prompt;
}

/**
 * The tokens the model is fed for a prompt: the prompt itself (BOS first when the model wants it),
 * or with --chat one user turn in the model's chat template (plus the template's stop texts).
 */
export async function preparePrompt(engine: Engine, prompt: string, flags: ChatFlags): Promise<{tokens: number[]; stops: string[]}> {
    if (flags.chat !== true) return {tokens: engine.tokenize(prompt), stops: []};
    const {tokens, stops} = await engine.chatPrompt([...(flags.system === undefined ? [] : [{role: "system" as const, text: flags.system}]), {role: "user", text: prompt}]);
    return {tokens, stops};
}

/** The first --json line of a run: exactly what the model was fed, special tokens rendered. */
export function promptEvent(engine: Engine, tokens: readonly number[]): {type: "prompt"; text: string; tokens: number[]} {
    return {type: "prompt", text: engine.renderTokens(tokens), tokens: [...tokens]};
}

/** An interrupted run (Ctrl-C, SIGTERM…): what was generated is printed, then the command exits 128 + the signal. */
export class InterruptedError extends RuntimeError {
    constructor(exitCode = 130) {
        super("interrupted (the output above is partial)");
        (this as {exitCode: number}).exitCode = exitCode;
    }
}

/**
 * The engine-side constraint of --json-schema/--grammar (undefined: none), compiled by llama.cpp for
 * the loaded model. The grammar module is imported on demand, like the engine.
 */
export async function loadConstraint(engine: Engine, source: ConstraintSource | undefined): Promise<TokenConstraint | undefined> {
    if (source === undefined) return undefined;
    const {compileConstraint} = await import("../engine/grammar.js");
    return compileConstraint(engine.llama, engine.model, engine.vocabSize, source);
}
