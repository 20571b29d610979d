/**
 * `llmgen compare [prompt] [-s <strategy>]...`: run several strategies on one prompt with one model
 * load and one seed, side by side in parallel sequences of one context, and measure them (see
 * src/metrics). Output: columns + metrics table on a terminal, plain sections + table when piped,
 * one JSON document with --json, a self-contained HTML page with --html.
 */
import {Command, Option} from "commander";
import ora, {type Ora} from "ora";
import type {Engine} from "../engine/engine.js";
import {UsageError} from "../errors.js";
import {BEAM_GRAMMAR_REFUSAL, decode} from "../generate/decode.js";
import type {TokenEvent} from "../generate/sample.js";
import {strategyMetrics} from "../metrics/strategy.js";
import {compareJson, renderComparePlain, renderCompareTerminal} from "../report/compare.js";
import {renderHtml} from "../report/html.js";
import {wrap} from "../report/text.js";
import {probabilityLegend} from "../report/tint.js";
import type {CompareReport, SampleRecord, StrategyRecord, TokenRecord} from "../report/types.js";
import type {TokenConstraint} from "../sampling/constraint.js";
import {checkStrategyForModel, parseStrategy, randomSeed, type Strategy} from "../sampling/index.js";
import {engineVocabulary} from "../generate/vocabulary.js";
import {info, outputStyle, outputWidth} from "./io.js";
import {
    addChatOptions, addConstraintOptions, addModelOptions, readConstraintFlags, type ConstraintFlags, addOutputOptions, checkChatFlags, collect, parseSamples, samplesOption, engineSettings, intAtLeast, parseNumber, runSettings, type ChatFlags, type ModelFlags, type SamplingFlags
} from "./options.js";
import {decorate, InterruptedError, interruptHandling, loadConstraint, openEngine, preparePrompt, readPrompt, requirePrompt} from "./session.js";
import {checkOutputFile, writeOutputFile} from "./outputFile.js";
import {writeOut} from "./stdout.js";

export const DEFAULT_COMPARE_STRATEGIES = ["greedy", "beam=4", "random", "top-k=40", "top-p=0.9", "min-p=0.1"] as const;
export const DEFAULT_COMPARE_MAX_TOKENS = 64;
/** Default cap on the context's sequences (each holds its own KV cache of --ctx-size tokens). */
export const DEFAULT_PARALLEL = 64;
/** Alternatives per token kept for the HTML report's tooltips. */
export const HTML_TOP_ALTERNATIVES = 5;

export interface CompareFlags extends ModelFlags, ChatFlags, ConstraintFlags {
    strategy: string[];
    samples: string;
    maxTokens: string;
    seed?: string;
    stop: string[];
    ignoreEos?: boolean;
    lengthPenalty: string;
    json?: boolean;
    html?: string;
    colorBy: "prob" | "none";
    parallel?: string;
}

export function compareCommand(): Command {
    const cmd = new Command("compare")
        .description("run several strategies on one prompt (one model load, one seed, parallel sequences) and compare their outputs and measured statistics")
        .argument("[prompt]", "the prompt (default: read from stdin when it is piped)")
        .option("-s, --strategy <chain>", `a strategy to compare, repeatable: a sampler chain ("temp=0.7,top-p=0.9"), greedy, random or beam=K (default: ${DEFAULT_COMPARE_STRATEGIES.join(" ")})`, collect, [])
        .addOption(samplesOption("samples per sampling strategy (greedy and beam search are deterministic and run once)"))
        .option("-n, --max-tokens <n>", "stop each sample after n generated tokens", String(DEFAULT_COMPARE_MAX_TOKENS))
        .option("--seed <n>", "random seed 0..4294967295, the same for every strategy (default: random, reported)")
        .option("--stop <text>", "stop a sample when this text is generated (not printed); repeatable", collect, [])
        .option("--ignore-eos", "do not stop at end-of-generation tokens")
        .option("--length-penalty <a>", "beam score = sum of log-probs / length^a", "1.0")
        .option("--parallel <n>", `at most n sequences decoded side by side (default: every sample and beam at once, up to ${DEFAULT_PARALLEL})`);
    addChatOptions(addConstraintOptions(addModelOptions(cmd)));
    addOutputOptions(cmd, "one JSON document: per strategy the spec, every sample's text, tokens and stop reason, and the metrics")
        .option("--html <file>", "also write a self-contained HTML report (tokens coloured by probability, alternatives on hover, charts)")
        .addOption(new Option("--color-by <what>", "on a terminal, tint each token by its probability under the model").choices(["prob", "none"]).default("none"));
    cmd.action(async (prompt: string | undefined, flags: CompareFlags) => {
        await compareAction(prompt, flags);
    });
    return cmd;
}

/**
 * Share at most `cap` sequences among jobs that each need at least `need` (beam width, or 1) and
 * would use up to `want` (their samples). When the needs alone exceed the cap, they are granted.
 */
export function allocateSequences(jobs: ReadonlyArray<{need: number; want: number}>, cap: number): number[] {
    const alloc = jobs.map((j) => j.need);
    let total = alloc.reduce((a, b) => a + b, 0);
    let grew = true;
    while (total < cap && grew) {
        grew = false;
        for (let i = 0; i < jobs.length && total < cap; i++) {
            if (alloc[i]! < jobs[i]!.want) {
                alloc[i]!++;
                total++;
                grew = true;
            }
        }
    }
    return alloc;
}

/** Is the strategy deterministic, so that one sample says everything? */
export function isDeterministic(strategy: Strategy): boolean {
    return strategy.kind === "beam" || strategy.spec === "greedy";
}

/**
 * Default context size per sequence when --ctx-size is not given: room for the prompt (a token
 * covers at least one UTF-8 byte; plus BOS and a leading-space marker) and the generated tokens.
 */
export function contextFor(prompt: string, maxTokens: number): number {
    const need = Buffer.byteLength(prompt, "utf8") + 2 + maxTokens + 8;
    return Math.min(4096, Math.max(64, need));
}

export interface CompareRunOptions {
    prompt: string;
    model: string;
    promptTokens: readonly number[];
    strategies: readonly Strategy[];
    samples: number;
    seed: number;
    maxTokens: number;
    stops: readonly string[];
    ignoreEos: boolean;
    lengthPenalty: number;
    /** Alternatives per token to record (HTML tooltips); 0 for none. */
    topLogprobs: number;
    /** Sequences per strategy (from allocateSequences); their sum ≤ engine.sequences.length. */
    allocation: readonly number[];
    signal?: AbortSignal;
    /** Called as tokens are generated (progress). */
    onProgress?(event: {tokens: number; strategiesDone: number}): void;
    /** Structured output: the first stage of every strategy's chain (not with beam search). */
    constraint?: TokenConstraint;
}

function tokenRecord(e: TokenEvent): TokenRecord {
    const r: TokenRecord = {id: e.id, text: e.text, logprob: e.logprob};
    if (e.entropy !== undefined) r.entropy = e.entropy;
    if (e.kept !== undefined) r.kept = e.kept;
    if (e.top !== undefined) r.top = e.top.map((t) => ({id: t.id, text: t.text, logprob: t.logprob}));
    return r;
}

/** Run every strategy of `opts` on its share of the engine's sequences, all at once. */
export async function runCompare(engine: Engine, opts: CompareRunOptions): Promise<CompareReport> {
    let tokens = 0;
    let done = 0;
    const tick = (n = 1): void => {
        tokens += n;
        opts.onProgress?.({tokens, strategiesDone: done});
    };
    let offset = 0;
    const jobs = opts.strategies.map(async (strategy, index): Promise<StrategyRecord> => {
        const count = opts.allocation[index]!;
        const sequences = engine.sequences.slice(offset, offset + count);
        offset += count;
        // Greedy and other deterministic chains run once (counted as --samples identical samples).
        const results = await decode(engine, {
            promptTokens: opts.promptTokens, strategy, samples: isDeterministic(strategy) ? 1 : opts.samples, seed: opts.seed,
            maxTokens: opts.maxTokens, stops: opts.stops, ignoreEos: opts.ignoreEos, lengthPenalty: opts.lengthPenalty,
            topLogprobs: opts.topLogprobs > 0 ? opts.topLogprobs : undefined, stats: true, keepEvents: true,
            signal: opts.signal, sequences, constraint: opts.constraint, onStep: () => tick()
        });
        const samples: SampleRecord[] = results.map((r) => ({
            sample: r.sample, seed: r.seed, text: r.text, stopReason: r.stopReason,
            tokensPerSecond: r.tokensPerSecond, tokens: (r.events ?? []).map(tokenRecord)
        }));
        done++;
        tick(0);
        return {
            spec: strategy.spec,
            kind: strategy.kind,
            samples,
            runs: samples.length,
            metrics: strategyMetrics(
                samples.map((s) => ({text: s.text, tokens: s.tokens, stopReason: s.stopReason, tokensPerSecond: s.tokensPerSecond})),
                isDeterministic(strategy) && samples.length === 1 ? opts.samples : 1
            )
        };
    });
    const strategies = await Promise.all(jobs);
    return {
        prompt: opts.prompt,
        model: opts.model,
        seed: opts.seed,
        maxTokens: opts.maxTokens,
        samplesPerStrategy: opts.samples,
        strategies
    };
}

function progressSpinner(enabled: boolean, strategies: number, expected: number): {update: (e: {tokens: number; strategiesDone: number}) => void; stop: () => void; spinner?: Ora} {
    if (!enabled) return {update: () => undefined, stop: () => undefined};
    const spinner = ora({text: `generating with ${strategies} strategies…`, stream: process.stderr, isEnabled: true}).start();
    let last = 0;
    return {
        spinner,
        update: ({tokens, strategiesDone}) => {
            const now = performance.now();
            if (now - last < 80 && strategiesDone < strategies) return;
            last = now;
            spinner.text = `generating: ${tokens}/~${expected} tokens · ${strategiesDone}/${strategies} strategies done`;
        },
        stop: () => spinner.stop()
    };
}

export async function compareAction(promptArg: string | undefined, flags: CompareFlags): Promise<void> {
    const prompt = requirePrompt(await readPrompt(promptArg), "compare ");
    const style = outputStyle({color: flags.color});
    const constraintSource = readConstraintFlags(flags);
    // Beam search does not follow a grammar: the default list leaves it out, an explicit beam is refused.
    const specs = flags.strategy.length > 0 ? flags.strategy
        : DEFAULT_COMPARE_STRATEGIES.filter((s) => constraintSource === undefined || !s.startsWith("beam"));
    const strategies = specs.map((s) => parseStrategy(s));
    const beam = strategies.find((s) => s.kind === "beam");
    if (constraintSource !== undefined && beam !== undefined) throw new UsageError(BEAM_GRAMMAR_REFUSAL(beam.spec));
    const run = runSettings({
        seed: flags.seed, maxTokens: flags.maxTokens, lengthPenalty: flags.lengthPenalty, stop: flags.stop, ignoreEos: flags.ignoreEos
    } as SamplingFlags);
    const samples = parseSamples(flags.samples);
    const parallel = parseNumber("--parallel", flags.parallel, intAtLeast(1, 256), "an integer from 1 to 256") ?? DEFAULT_PARALLEL;
    for (const s of strategies) {
        if (s.kind === "beam" && s.width > 64) throw new UsageError(`${s.spec}: beam width must be at most 64`);
    }
    // Checked before the model loads: a bad path fails now, not after the whole run.
    const htmlPath = flags.html === undefined ? undefined : checkOutputFile("--html", flags.html);
    const seed = run.seed ?? randomSeed();
    const settings = engineSettings(flags);
    checkChatFlags(flags);
    if (settings.ctxSize === undefined) settings.ctxSize = contextFor(prompt, run.maxTokens);
    const demands = strategies.map((s) => (s.kind === "beam"
        ? {need: s.width, want: s.width}
        : {need: 1, want: isDeterministic(s) ? 1 : samples}));
    const allocation = allocateSequences(demands, parallel);
    const totalSequences = allocation.reduce((a, b) => a + b, 0);
    const interrupt = interruptHandling();
    const engine = await openEngine(flags, settings, style, totalSequences, interrupt.signal);
    try {
        const prepared = await preparePrompt(engine, prompt, flags);
        const promptTokens = prepared.tokens;
        engine.checkPromptFits(promptTokens);
        const constraint = await loadConstraint(engine, constraintSource);
        const vocabulary = engineVocabulary(engine);
        for (const s of strategies) checkStrategyForModel(s, {trueLogits: engine.route.trueLogits, vocabSize: engine.vocabSize, vocabulary});
        const expected = strategies.reduce((n, s) => n + run.maxTokens * (s.kind === "beam" || isDeterministic(s) ? 1 : samples), 0);
        const progress = progressSpinner(style.stderrTTY && !settings.verbose, strategies.length, expected);
        const started = performance.now();
        let report: CompareReport;
        try {
            report = await runCompare(engine, {
                prompt, model: engine.info.modelPath, promptTokens, strategies, samples, seed,
                maxTokens: run.maxTokens, stops: [...run.stops, ...prepared.stops], ignoreEos: run.ignoreEos, lengthPenalty: run.lengthPenalty,
                topLogprobs: htmlPath !== undefined ? HTML_TOP_ALTERNATIVES : 0,
                allocation, signal: interrupt.signal, onProgress: progress.update, constraint
            });
        } finally {
            progress.stop();
        }
        report.promptFed = {text: engine.renderTokens(promptTokens), tokens: [...promptTokens]};
        const seconds = (performance.now() - started) / 1000;
        if (htmlPath !== undefined) writeOutputFile("--html", htmlPath, renderHtml(report, {vocabSize: engine.vocabSize}));
        if (flags.json) {
            writeOut(compareJson(report));
        } else if (style.stdoutTTY) {
            const colorByProb = flags.colorBy === "prob" && style.out.level > 0;
            if (colorByProb && style.err.level > 0) info(probabilityLegend(style.err));
            writeOut(renderCompareTerminal(report, {width: outputWidth(true), chalk: style.out, colorByProb}));
        } else {
            writeOut(renderComparePlain(report, outputWidth(false)));
        }
        if (decorate(style) || settings.verbose) {
            const summary = `seed ${seed} · ${strategies.length} strategies · ${samples} sample${samples === 1 ? "" : "s"} per sampling strategy · ` +
                `${totalSequences} sequences · ${seconds.toFixed(1)} s`;
            for (const line of wrap(summary, outputWidth(style.stderrTTY))) info(style.err.dim(line));
        }
        if (htmlPath !== undefined && style.stderrTTY) info(style.err.dim(`wrote ${htmlPath}`));
        if (interrupt.interrupted()) throw new InterruptedError(interrupt.exitCode());
    } finally {
        interrupt.dispose();
        await engine.dispose();
    }
}
