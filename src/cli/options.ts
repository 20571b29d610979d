/**
 * Option groups shared by the commands (model/engine options, sampling options) and their
 * validation with zod: every bad value is a UsageError naming the flag, its range and the fix.
 */
import fs from "node:fs";
import os from "node:os";
import {Option, type Command} from "commander";
import {z} from "zod";
import type {ConstraintSource} from "../engine/grammar.js";
import type {LogitsRouteChoice} from "../engine/routeSelect.js";
import {UsageError} from "../errors.js";
import {parseDecimal} from "../sampling/spec.js";
import {SAMPLER_FLAGS, type StrategyFlags} from "../sampling/strategy.js";

export const DEFAULT_MAX_TOKENS = 256;

export interface ModelFlags {
    model?: string;
    modelsDir?: string;
    gpu: "auto" | "cuda" | "vulkan" | "cpu";
    threads?: string;
    ctxSize?: string;
    verbose?: boolean;
    debug?: boolean;
    color?: boolean;
    logitsRoute?: "auto" | "fast" | "public";
}

/**
 * The sampling options of a command. The sampler flags (--temp, --top-k, …) are generated from the
 * sampler registry, so they are keyed by name here (see SAMPLER_FLAGS in src/sampling).
 */
export interface SamplingFlags extends StrategyFlags {
    strategy?: string;
    beams?: string;
    lengthPenalty: string;
    seed?: string;
    maxTokens: string;
    stop: string[];
    ignoreEos?: boolean;
}

/**
 * The option groups every command shares, each declared once here. `--help` shows them in
 * sections (commander's optionsGroup): a command's own options, then model, sampling, chat and
 * output options.
 */
export const HELP_GROUPS = {model: "Model options:", sampling: "Sampling options:", structured: "Structured output options:", chat: "Chat options:", output: "Output options:"} as const;

/** --models-dir, the same everywhere (model commands, models, pull). */
export function modelsDirOption(): Option {
    return new Option("--models-dir <dir>", "models folder (env LLMGEN_MODELS_DIR; default: the project's models/ folder when writable, else the user cache)");
}

/**
 * Output options: --json (what it prints is the command's own business: `what`) and --no-color,
 * plus --verbose and --debug unless the command has them already (model commands do).
 */
export function addOutputOptions(cmd: Command, json: string | undefined, opts: {logs?: boolean} = {}): Command {
    cmd.optionsGroup(HELP_GROUPS.output);
    if (json !== undefined) cmd.option("--json", json);
    cmd.option("--no-color", "no colour (NO_COLOR is honoured too)");
    if (opts.logs === true) cmd.option("--verbose", "more detail on stderr").option("--debug", "like --verbose, plus stack traces on errors");
    return cmd;
}

/** --samples <n>: independent samples (what of, in the command's words). */
export function samplesOption(description: string): Option {
    return new Option("--samples <n>", `${description} (1 to 256)`).default("1");
}

/** The value of --samples. */
export function parseSamples(raw: string): number {
    return parseNumber("--samples", raw, intAtLeast(1, 256), "an integer from 1 to 256")!;
}

export function addModelOptions(cmd: Command): Command {
    cmd.optionsGroup(HELP_GROUPS.model);
    return cmd
        .option("-m, --model <model>", "model: a .gguf path, a file name in the models folder, a catalogue name or a URI (env LLMGEN_MODEL; default: the catalogue's default model or the first .gguf in the models folder, else the built-in demo model)")
        .addOption(modelsDirOption())
        .addOption(new Option("--gpu <backend>", "compute backend").choices(["auto", "cuda", "vulkan", "cpu"]).default("auto"))
        .option("--threads <n>", "CPU threads (default: 1 for models under 64 MiB, else the physical core count)")
        .option("--ctx-size <n>", "context size in tokens per sequence (default: the model's training context, at most 4096)")
        .option("--verbose", "llama.cpp logs and engine notices on stderr")
        .option("--debug", "like --verbose, plus llama.cpp debug logs and stack traces on errors")
        .addOption(new Option("--logits-route <route>", "how llmgen reads the logits: fast (patched native build, see `npm run build:fast`), public (node-llama-cpp's probability map, slow), auto = fast when built (env LLMGEN_LOGITS_ROUTE; default auto)").choices(["auto", "fast", "public"]));
}

/**
 * The sampler flags as commander options, one per SAMPLER_FLAGS entry (generated from the sampler
 * registry, which declares each sampler's flag, its parameters' flags, ranges, defaults and
 * descriptions once).
 */
export function samplerFlagOptions(): Option[] {
    return SAMPLER_FLAGS.map((f) => {
        if (f.kind === "switch") return new Option(f.flag, f.description);
        const option = new Option(`${f.flag} <${f.valueName}>`, f.description);
        if (f.flag.startsWith("--no-")) option.negate = false; // --no-repeat-ngram takes a value, it negates nothing
        return f.kind === "repeatable" ? option.argParser(collect).default([]) : option;
    });
}

export function addSamplingOptions(cmd: Command): Command {
    cmd.optionsGroup(HELP_GROUPS.sampling);
    for (const option of samplerFlagOptions()) cmd.addOption(option);
    return cmd
        .option("--samplers <list>", "order of the chain built from the sampler flags, like llama.cpp: e.g. \"penalties;dry;top_k;top_p;min_p;temperature\"")
        .addOption(new Option("--order <preset>", "order of the sampler flags: hf (temperature first, the default) or llama.cpp (temperature last)").choices(["hf", "llama.cpp"]))
        .option("-s, --strategy <chain>", "a sampler chain applied in the order written, e.g. \"temp=0.7,top-p=0.9\", or greedy | random | beam=K (once; `llmgen compare` takes several)", once("-s/--strategy", "to run several strategies side by side, use `llmgen compare -s … -s …`"))
        .option("--beams <k>", "beam search of width k (same as -s beam=k)", once("--beams"))
        .option("--length-penalty <a>", "beam score = sum of log-probs / length^a", "1.0")
        .option("--seed <n>", "random seed 0..4294967295 (default: random, reported)")
        .option("-n, --max-tokens <n>", "stop after n generated tokens", String(DEFAULT_MAX_TOKENS))
        .option("--stop <text>", "stop when this text is generated (not printed); repeatable", collect, [])
        .option("--ignore-eos", "do not stop at end-of-generation tokens");
}

export interface ConstraintFlags {
    jsonSchema?: string;
    grammar?: string;
}

/** --json-schema and --grammar: structured output, applied as the first stage of llmgen's chain. */
export function addConstraintOptions(cmd: Command): Command {
    cmd.optionsGroup(HELP_GROUPS.structured);
    return cmd
        .option("--json-schema <schema>", "constrain the output to JSON that fits this JSON schema (inline JSON or a file); the first stage of the chain, generation ends when the JSON is complete", once("--json-schema"))
        .option("--grammar <file>", "constrain the output to a GBNF grammar (llama.cpp's format, root rule \"root\"); the first stage of the chain", once("--grammar"));
}

/**
 * What --json-schema or --grammar asks for (undefined: neither), read and parsed; checked before the
 * model loads. llama.cpp's own parser checks the grammar when the model is loaded.
 */
export function readConstraintFlags(flags: ConstraintFlags): ConstraintSource | undefined {
    if (flags.jsonSchema !== undefined && flags.grammar !== undefined)
        throw new UsageError("--json-schema and --grammar both constrain the output; give one of them");
    if (flags.jsonSchema !== undefined) {
        const raw = flags.jsonSchema;
        const inline = /^\s*[{[]/.test(raw);
        let text = raw;
        let source = "--json-schema";
        if (!inline) {
            source = `--json-schema ${raw}`;
            text = readTextFile(raw, "--json-schema", "inline JSON (starting with {) or a JSON schema file");
        }
        let schema: unknown;
        try {
            schema = JSON.parse(text);
        } catch (e) {
            throw new UsageError(`${source}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
        }
        if (schema === null || typeof schema !== "object" || Array.isArray(schema))
            throw new UsageError(`${source}: a JSON schema must be a JSON object, e.g. {"type":"object","properties":{…}}`);
        try {
            z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
        } catch (e) {
            throw new UsageError(`${source}: invalid JSON schema (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`);
        }
        return {kind: "json-schema", schema, source};
    }
    if (flags.grammar !== undefined) {
        const text = readTextFile(flags.grammar, "--grammar", "a GBNF grammar file");
        if (text.trim().length === 0) throw new UsageError(`--grammar ${flags.grammar}: the file is empty (a GBNF grammar needs a root rule, e.g. root ::= "yes" | "no")`);
        return {kind: "grammar", text, source: `--grammar ${flags.grammar}`};
    }
    return undefined;
}

function readTextFile(file: string, flag: string, what: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder" : code ?? String(e);
        throw new UsageError(`${flag} ${JSON.stringify(file)}: ${why}; give ${what}`);
    }
}

export interface ChatFlags {
    chat?: boolean;
    system?: string;
}

/** --chat and --system: the prompt as a user message in the model's own chat template. */
export function addChatOptions(cmd: Command): Command {
    cmd.optionsGroup(HELP_GROUPS.chat);
    return cmd
        .option("--chat", "wrap the prompt as a user message in the model's chat template (GGUF tokenizer.chat_template); generation stops at the end of the turn")
        .option("--system <text>", "with --chat: a system message before the user message");
}

/** Checked before the model loads. */
export function checkChatFlags(flags: ChatFlags): void {
    if (flags.system !== undefined && flags.chat !== true) throw new UsageError("--system adds a system message to a --chat prompt; add --chat");
}


/** An option that may be given once: a second value is a usage error, not a silent override. */
function once(flag: string, hint?: string): (value: string, previous: string | undefined) => string {
    return (value, previous) => {
        if (previous !== undefined)
            throw new UsageError(`${flag} was given twice ("${previous}" and "${value}"); give it once${hint === undefined ? "" : ` (${hint})`}`);
        return value;
    };
}

/** For repeatable options: every value, in order. */
export function collect(value: string, previous: string[]): string[] {
    return [...previous, value];
}

/** Parse a numeric flag with a zod schema; a failure is a UsageError naming the flag and range. */
export function parseNumber<T extends z.ZodType<number>>(flag: string, raw: string | undefined, schema: T, range: string): z.infer<T> | undefined {
    if (raw === undefined) return undefined;
    // One number syntax everywhere (decimal; no hex, no "Infinity"): the strategy grammar's.
    const value = parseDecimal(raw);
    const result = schema.safeParse(value);
    if (!result.success) throw new UsageError(`${flag} must be ${range}, got "${raw}"`);
    return result.data;
}

export const intAtLeast = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
export const finiteNumber = () => z.number().finite();

/** The largest --ctx-size accepted (2^24 tokens; the model's own limit is checked when it loads). */
export const MAX_CTX_SIZE = 1 << 24;

/** CPU threads this process may use. */
export function cpuThreads(): number {
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

export interface EngineSettings {
    gpu: "auto" | "cuda" | "vulkan" | "cpu";
    threads?: number;
    ctxSize?: number;
    verbose: boolean;
    debug: boolean;
    logitsRoute: LogitsRouteChoice;
    forkMinGain: number;
}

export const LOGITS_ROUTE_CHOICES: readonly LogitsRouteChoice[] = ["auto", "fast", "public"];

/** The requested route: the option, else env LLMGEN_LOGITS_ROUTE, else auto. */
export function requestedRoute(option?: string): LogitsRouteChoice {
    const raw = option ?? process.env.LLMGEN_LOGITS_ROUTE;
    if (raw === undefined || raw === "") return "auto";
    const value = raw.trim().toLowerCase();
    if ((LOGITS_ROUTE_CHOICES as readonly string[]).includes(value)) return value as LogitsRouteChoice;
    const from = option !== undefined ? "--logits-route" : "LLMGEN_LOGITS_ROUTE";
    throw new UsageError(`${from} must be one of ${LOGITS_ROUTE_CHOICES.join(", ")}, got "${raw}"`);
}

/** Minimum prefix gain (tokens) for a KV fork: env LLMGEN_FORK_MIN_GAIN (0 or "off" disables forking), default 1. */
export function forkMinGain(): number {
    const raw = process.env.LLMGEN_FORK_MIN_GAIN;
    if (raw === undefined || raw === "") return 1;
    if (raw === "off" || raw === "0") return Infinity;
    const n = parseDecimal(raw);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`LLMGEN_FORK_MIN_GAIN must be an integer ≥ 1 or "off", got "${raw}"`);
    return n;
}

export function engineSettings(flags: ModelFlags): EngineSettings {
    return {
        gpu: flags.gpu,
        // More threads than the machine has CPUs only adds spinning threads (64 on 2 cores: 76 s for 3 tokens).
        threads: parseNumber("--threads", flags.threads, intAtLeast(1, cpuThreads()), `an integer from 1 to ${cpuThreads()} (this machine's CPU threads)`),
        ctxSize: parseNumber("--ctx-size", flags.ctxSize, intAtLeast(16, MAX_CTX_SIZE), `an integer from 16 to ${MAX_CTX_SIZE}`),
        verbose: flags.verbose === true || flags.debug === true,
        debug: flags.debug === true,
        logitsRoute: requestedRoute(flags.logitsRoute),
        forkMinGain: forkMinGain()
    };
}

export interface RunSettings {
    seed: number | undefined;
    maxTokens: number;
    lengthPenalty: number;
    stops: string[];
    ignoreEos: boolean;
}

export function runSettings(flags: SamplingFlags): RunSettings {
    return {
        seed: parseNumber("--seed", flags.seed, intAtLeast(0, 4294967295), "an integer from 0 to 4294967295"),
        maxTokens: parseNumber("--max-tokens", flags.maxTokens, intAtLeast(1), "an integer ≥ 1")!,
        lengthPenalty: parseNumber("--length-penalty", flags.lengthPenalty, finiteNumber(), "a finite number (1.0 = mean log-prob)")!,
        stops: validateStops(flags.stop),
        ignoreEos: flags.ignoreEos === true
    };
}

function validateStops(stops: string[]): string[] {
    for (const s of stops) if (s.length === 0) throw new UsageError("--stop needs a non-empty text, got \"\"");
    return stops;
}

/** LLMGEN_STALL_TIMEOUT: seconds without data after which a download gives up (unset or invalid: the default). */
export function stallTimeoutFromEnv(): number | undefined {
    const raw = process.env.LLMGEN_STALL_TIMEOUT;
    if (raw == null || raw.trim() === "") return undefined;
    const seconds = parseDecimal(raw);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}
