/**
 * `llmgen batch [file]`: JSONL requests in (a file, or stdin), NDJSON results out, many requests at
 * once in parallel sequences of one context (src/generate/batch.ts). Each line is a request
 * {id, prompt, strategy, seed, maxTokens, stop, samples, chat, system}; the command-line flags are
 * the defaults of every line. Results come in input order: one done event per sample (the fields of
 * `llmgen --json`'s done event, plus the id), or one error event for a line that cannot run.
 */
import fs from "node:fs";
import {Command} from "commander";
import ora, {type Ora} from "ora";
import {z} from "zod";
import type {Engine} from "../engine/engine.js";
import {RuntimeError, UsageError} from "../errors.js";
import {InOrder, runBatch, sequencesNeeded, type BatchJob} from "../generate/batch.js";
import {BEAM_GRAMMAR_REFUSAL, type DecodeResult} from "../generate/decode.js";
import {doneEvent, tokenEvent} from "../report/events.js";
import {parseStrategy, randomSeed, type Strategy, type TokenConstraint} from "../sampling/index.js";
import {FileSink, idKey, reorderOutput, resumeOutput, stdoutSink, type Sink} from "./batchOutput.js";
import {info, outputStyle} from "./io.js";
import {
    addChatOptions, addConstraintOptions, addModelOptions, addOutputOptions, addSamplingOptions, checkChatFlags, engineSettings, intAtLeast, parseNumber, parseSamples, runSettings,
    readConstraintFlags, samplesOption, type ChatFlags, type ConstraintFlags, type ModelFlags, type SamplingFlags
} from "./options.js";
import {checkOutputFile} from "./outputFile.js";
import {interruptHandling, loadConstraint, openEngine, preparePrompt} from "./session.js";
import {chooseStrategy} from "./strategyFlags.js";

export const DEFAULT_BATCH_PARALLEL = 8;
export const MAX_BATCH_PARALLEL = 256;

export interface BatchFlags extends ModelFlags, SamplingFlags, ChatFlags, ConstraintFlags {
    samples: string;
    parallel: string;
    stream?: boolean;
    output?: string;
    resume?: boolean;
}

/** The keys a request line may have. */
const LINE_KEYS = ["id", "prompt", "strategy", "seed", "maxTokens", "stop", "samples", "chat", "system"] as const;

const lineSchema = z.strictObject({
    id: z.union([z.string(), z.number().finite()]).optional(),
    prompt: z.string(),
    strategy: z.string().optional(),
    seed: z.number().int().min(0).max(4294967295).optional(),
    maxTokens: z.number().int().min(1).optional(),
    stop: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    samples: z.number().int().min(1).max(256).optional(),
    chat: z.boolean().optional(),
    system: z.string().optional()
});

type RequestLine = z.infer<typeof lineSchema>;

/** One line of input: a request ready to prepare, or why it cannot run. */
export type ParsedLine =
    | {ok: true; line: number; id: string | number; key: string; request: Request}
    | {ok: false; line: number; id: string | number; key: string; error: string};

interface Request {
    prompt: string;
    strategy: Strategy;
    samples: number;
    seed: number;
    maxTokens: number;
    stops: string[];
    chat: boolean;
    system?: string;
}

interface Defaults {
    strategy: Strategy;
    samples: number;
    seed: number | undefined;
    maxTokens: number;
    stops: string[];
    chat: boolean;
    system?: string;
    parallel: number;
    /** --json-schema or --grammar given: beam search is refused. */
    constrained: boolean;
}

export function batchCommand(setExit: (code: number) => void): Command {
    const cmd = new Command("batch")
        .description("run many requests from a JSONL file (or stdin) at once, in parallel sequences of one context; NDJSON results on stdout, in input order")
        .argument("[file]", "JSONL requests, one per line: {\"id\", \"prompt\", \"strategy\", \"seed\", \"maxTokens\", \"stop\", \"samples\", \"chat\", \"system\"} (only prompt is required); - or nothing: stdin")
        .option("--parallel <n>", `at most n sequences decoding at once (1 to ${MAX_BATCH_PARALLEL})`, String(DEFAULT_BATCH_PARALLEL))
        .option("--stream", "also write the token events, each with its request's id, as they are generated")
        .option("-o, --output <file>", "write the NDJSON results to this file (one finished request at a time) instead of stdout")
        .option("--resume", "with --output: keep the requests the file already has complete and run only the others")
        .addOption(samplesOption("independent samples per request (a line's \"samples\" overrides it)"));
    addChatOptions(addConstraintOptions(addSamplingOptions(addModelOptions(cmd))));
    addOutputOptions(cmd, undefined);
    cmd.action(async (file: string | undefined, flags: BatchFlags) => {
        setExit(await batchAction(file, flags));
    });
    return cmd;
}

/** The input text: the file, or stdin for "-" or no file. */
async function readInput(file: string | undefined): Promise<string> {
    if (file !== undefined && file !== "-") {
        try {
            return fs.readFileSync(file, "utf8");
        } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            throw new UsageError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "that is a folder" : code ?? String(err)}; give a JSONL file (one request per line) or - for stdin`);
        }
    }
    if (process.stdin.isTTY) throw new UsageError("no requests: give a JSONL file (llmgen batch requests.jsonl) or pipe the lines on stdin");
    const chunks: Buffer[] = [];
    try {
        for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    } catch (err) {
        throw new RuntimeError(`cannot read the requests from stdin: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    return Buffer.concat(chunks).toString("utf8");
}

/** zod's first complaint about a line, in one phrase. */
function lineProblem(error: z.ZodError): string {
    const issue = error.issues[0]!;
    if (issue.code === "unrecognized_keys")
        return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")} (a line may have ${LINE_KEYS.join(", ")})`;
    const where = issue.path.length > 0 ? `"${issue.path.join(".")}"` : "the line";
    if (issue.path[0] === "prompt" && issue.code === "invalid_type") return "\"prompt\" is required and must be a string";
    return `${where}: ${issue.message}`;
}

/** Every line of the input, parsed and checked against the defaults (no model needed). Blank lines are skipped. */
export function parseLines(text: string, defaults: Defaults, randomSeeds: () => number = randomSeed): ParsedLine[] {
    const out: ParsedLine[] = [];
    const seen = new Set<string>();
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
        const raw = lines[i]!;
        if (raw.trim() === "") continue;
        const lineNo = i + 1;
        let json: unknown;
        try {
            json = JSON.parse(raw);
        } catch (err) {
            out.push({ok: false, line: lineNo, id: lineNo, key: idKey(lineNo), error: `line ${lineNo}: not JSON (${(err as Error).message.split("\n")[0]})`});
            continue;
        }
        const rawId = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as {id?: unknown}).id : undefined;
        const id = typeof rawId === "string" || (typeof rawId === "number" && Number.isFinite(rawId)) ? rawId : lineNo;
        const key = idKey(id);
        const fail = (why: string): void => {
            out.push({ok: false, line: lineNo, id, key, error: `line ${lineNo}: ${why}`});
        };
        if (seen.has(key)) {
            fail(`duplicate id ${key} (ids must be unique: --resume finds requests by id)`);
            continue;
        }
        seen.add(key);
        if (typeof json !== "object" || json === null || Array.isArray(json)) {
            fail("a request is a JSON object, e.g. {\"prompt\": \"Once upon a time\"}");
            continue;
        }
        const parsed = lineSchema.safeParse(json);
        if (!parsed.success) {
            fail(lineProblem(parsed.error));
            continue;
        }
        try {
            out.push({ok: true, line: lineNo, id, key, request: resolveRequest(parsed.data, defaults, randomSeeds)});
        } catch (err) {
            fail((err as Error).message);
        }
    }
    return out;
}

/** A line's request: its own keys over the command line's defaults. */
function resolveRequest(line: RequestLine, d: Defaults, randomSeeds: () => number): Request {
    const strategy = line.strategy === undefined ? d.strategy : parseStrategy(line.strategy);
    let samples = line.samples ?? d.samples;
    if (strategy.kind === "beam") {
        if (d.constrained) throw new UsageError(BEAM_GRAMMAR_REFUSAL(strategy.spec));
        if (line.samples !== undefined && line.samples > 1) throw new UsageError("\"samples\" does not apply to beam search (it is deterministic); drop one of them");
        samples = 1;
        if (strategy.width > d.parallel) throw new UsageError(`${strategy.spec} needs ${strategy.width} sequences; raise --parallel to at least ${strategy.width}`);
    }
    const chat = line.chat ?? d.chat;
    const system = line.system ?? d.system;
    if (system !== undefined && !chat) throw new UsageError("\"system\" adds a system message to a chat prompt; add \"chat\": true (or --chat)");
    const stops = line.stop === undefined ? d.stops : typeof line.stop === "string" ? [line.stop] : line.stop;
    return {prompt: line.prompt, strategy, samples, seed: line.seed ?? d.seed ?? randomSeeds(), maxTokens: line.maxTokens ?? d.maxTokens, stops, chat, ...(system === undefined ? {} : {system})};
}

/**
 * Context size per sequence when --ctx-size is not given: room for the longest request (a token
 * covers at least one UTF-8 byte; a chat template adds its own tokens), at most what a single run
 * would get (the model's training context, at most 4096: set after loading).
 */
function contextForRequests(requests: readonly Request[]): number {
    let need = 64;
    for (const r of requests) {
        const bytes = Buffer.byteLength(r.prompt, "utf8") + (r.system === undefined ? 0 : Buffer.byteLength(r.system, "utf8"));
        need = Math.max(need, bytes + r.maxTokens + (r.chat ? 256 : 8) + 2);
    }
    return Math.min(4096, need);
}

export async function batchAction(file: string | undefined, flags: BatchFlags): Promise<number> {
    const style = outputStyle({color: flags.color});
    const {strategy} = chooseStrategy(flags);
    const run = runSettings(flags);
    const settings = engineSettings(flags);
    checkChatFlags(flags);
    const samples = parseSamples(flags.samples);
    const parallel = parseNumber("--parallel", flags.parallel, intAtLeast(1, MAX_BATCH_PARALLEL), `an integer from 1 to ${MAX_BATCH_PARALLEL}`)!;
    if (strategy.kind === "beam" && samples > 1)
        throw new UsageError("--samples does not apply to beam search (it is deterministic); drop --samples or the beams");
    if (strategy.kind === "beam" && strategy.width > parallel)
        throw new UsageError(`${strategy.spec} needs ${strategy.width} sequences; raise --parallel to at least ${strategy.width}`);
    if (flags.resume && flags.output === undefined) throw new UsageError("--resume continues an --output file; add --output <file>");
    const output = flags.output === undefined ? undefined : checkOutputFile("--output", flags.output);
    if (output !== undefined && !flags.resume && fs.existsSync(output))
        throw new UsageError(`--output ${flags.output} exists; add --resume to continue it, or remove it first`);

    const constraintSource = readConstraintFlags(flags);
    if (constraintSource !== undefined && strategy.kind === "beam") throw new UsageError(BEAM_GRAMMAR_REFUSAL(strategy.spec));
    const lines = parseLines(await readInput(file), {
        strategy, samples: strategy.kind === "beam" ? 1 : samples, seed: run.seed, maxTokens: run.maxTokens, stops: run.stops,
        chat: flags.chat === true, ...(flags.system === undefined ? {} : {system: flags.system}), parallel, constrained: constraintSource !== undefined
    });
    if (lines.length === 0) throw new UsageError(`no requests: ${file === undefined || file === "-" ? "stdin" : file} has no lines; one JSON object per line, e.g. {"prompt": "Once upon a time"}`);

    let skip = new Set<string>();
    if (output !== undefined && flags.resume)
        skip = resumeOutput(output, new Map(lines.map((l) => [l.key, l.ok ? l.request.samples : 0])));
    const todo = lines.filter((l) => !skip.has(l.key));

    const interrupt = interruptHandling();
    let sink: Sink = stdoutSink;
    let failed: number;
    try {
        const runnable = todo.filter((l): l is Extract<ParsedLine, {ok: true}> => l.ok);
        const needs = runnable.map((l) => sequencesNeeded(l.request, parallel));
        const sequences = Math.max(1, Math.min(parallel, needs.reduce((a, b) => a + b, 0)));
        const ctxSettings = settings.ctxSize === undefined && runnable.length > 0 ? {...settings, ctxSize: contextForRequests(runnable.map((l) => l.request))} : settings;
        const engine = runnable.length === 0 ? undefined : await openEngine(flags, ctxSettings, style, sequences, interrupt.signal);
        if (engine !== undefined && settings.ctxSize === undefined) {
            // What a single run gets: the model's training context, at most 4096 tokens.
            const single = Math.min(engine.info.trainContextSize, 4096);
            for (const s of engine.sequences) s.limit = Math.min(s.limit, single);
        }
        try {
            // One compiled grammar for the batch; every sample of every request works on its own clone.
            const constraint = engine === undefined ? undefined : await loadConstraint(engine, constraintSource);
            if (output !== undefined) sink = new FileSink("--output", output);
            failed = await runLines(engine, todo, {sink, stream: flags.stream === true, signal: interrupt.signal, parallel: sequences, progress: style.stderrTTY && !settings.verbose, lengthPenalty: run.lengthPenalty, ignoreEos: run.ignoreEos, constraint});
        } finally {
            sink.close();
            await engine?.dispose();
        }
        if (output !== undefined && skip.size > 0 && !interrupt.interrupted()) reorderOutput(output, lines.map((l) => l.key));
        if (settings.verbose) info(`batch: ${lines.length} requests, ${skip.size} already complete, ${failed} failed`);
    } finally {
        interrupt.dispose();
    }
    if (interrupt.interrupted()) return interrupt.exitCode();
    return failed > 0 ? 1 : 0;
}

interface RunLinesOptions {
    sink: Sink;
    stream: boolean;
    signal: AbortSignal;
    parallel: number;
    progress: boolean;
    lengthPenalty: number;
    ignoreEos: boolean;
    /** --json-schema / --grammar, compiled once. */
    constraint?: TokenConstraint;
}

/** Prepare the lines' prompts, run them, write their results in input order; returns the number of failed lines. */
async function runLines(engine: Engine | undefined, lines: readonly ParsedLine[], opts: RunLinesOptions): Promise<number> {
    let failed = 0;
    const ordered = new InOrder<string>(lines.length, (text) => opts.sink.write(text));
    const errorLine = (l: ParsedLine, message: string): string => {
        failed++;
        return JSON.stringify({type: "error", id: l.id, error: message}) + "\n";
    };
    const jobs: BatchJob[] = [];
    for (let index = 0; index < lines.length; index++) {
        const l = lines[index]!;
        if (!l.ok) {
            ordered.put(index, errorLine(l, l.error));
            continue;
        }
        try {
            const prepared = await preparePrompt(engine!, l.request.prompt, {chat: l.request.chat, ...(l.request.system === undefined ? {} : {system: l.request.system})});
            engine!.checkPromptFits(prepared.tokens);
            jobs.push({
                index, promptTokens: prepared.tokens, strategy: l.request.strategy, samples: l.request.samples, seed: l.request.seed,
                maxTokens: l.request.maxTokens, stops: [...l.request.stops, ...prepared.stops],
                options: {ignoreEos: opts.ignoreEos, lengthPenalty: opts.lengthPenalty, ...(opts.constraint === undefined ? {} : {constraint: opts.constraint})}
            });
        } catch (err) {
            ordered.put(index, errorLine(l, `line ${l.line}: ${(err as Error).message.split("\n")[0]}`));
        }
    }
    if (jobs.length === 0) return failed;
    const progress = opts.progress ? new Progress(jobs.length) : undefined;
    const idOf = (job: BatchJob): string | number => lines[job.index]!.id;
    try {
        await runBatch(engine!, jobs, {
            sequences: engine!.sequences.slice(0, opts.parallel),
            signal: opts.signal,
            // A token event's own "id" is the token's (as in `llmgen --json`): the request's id goes in "request".
            onToken: opts.stream ? (job, e) => opts.sink.write(JSON.stringify({type: "token", request: idOf(job), ...withoutType(tokenEvent(e))}) + "\n") : undefined,
            onStep: progress === undefined ? undefined : () => progress.token(),
            onJobDone: (job, outcome) => {
                progress?.jobDone();
                const id = idOf(job);
                if (!outcome.ok) {
                    ordered.put(job.index, errorLine(lines[job.index]!, `line ${lines[job.index]!.line}: ${(outcome.error as Error).message?.split("\n")[0] ?? String(outcome.error)}`));
                    return;
                }
                ordered.put(job.index, outcome.results.map((r: DecodeResult) =>
                    JSON.stringify({type: "done", id, ...withoutType(doneEvent(r, {seed: job.seed, lengthPenalty: opts.lengthPenalty}))}) + "\n").join(""));
            }
        });
    } finally {
        progress?.stop();
    }
    // Interrupted: requests never started have no result; write what there is, in order.
    ordered.flushAll();
    return failed;
}

function withoutType<T extends {type: string}>(event: T): Omit<T, "type"> {
    const {type: _type, ...rest} = event;
    return rest;
}

/** done/total, tok/s and ETA on stderr (a terminal only). */
class Progress {
    private readonly spinner: Ora;
    private readonly started = performance.now();
    private done = 0;
    private tokens = 0;
    private last = 0;

    constructor(private readonly total: number) {
        this.spinner = ora({text: this.text(), stream: process.stderr, isEnabled: true}).start();
    }

    token(): void {
        this.tokens++;
        this.update();
    }

    jobDone(): void {
        this.done++;
        this.update(true);
    }

    stop(): void {
        this.spinner.stop();
    }

    private update(force = false): void {
        const now = performance.now();
        if (!force && now - this.last < 200) return;
        this.last = now;
        this.spinner.text = this.text();
    }

    private text(): string {
        const seconds = (performance.now() - this.started) / 1000;
        const rate = seconds > 0 ? this.tokens / seconds : 0;
        const eta = this.done > 0 ? (seconds / this.done) * (this.total - this.done) : undefined;
        return `batch: ${this.done}/${this.total} done, ${rate.toFixed(0)} tok/s${eta === undefined ? "" : `, ETA ${formatDuration(eta)}`}`;
    }
}

function formatDuration(s: number): string {
    if (s < 60) return `${Math.ceil(s)}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, "0")}s`;
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
