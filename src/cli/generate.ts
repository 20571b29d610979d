/**
 * `llmgen [prompt]`: generate text with a sampling chain (one or many samples) or beam search, and
 * stream it to stdout as plain text or NDJSON events.
 */
import {Option, type Command} from "commander";
import {BEAM_GRAMMAR_REFUSAL, decode} from "../generate/decode.js";
import type {TokenEvent} from "../generate/sample.js";
import {UsageError} from "../errors.js";
import {randomSeed} from "../sampling/index.js";
import {doneEvent, tokenEvent} from "../report/events.js";
import {ProbabilityTinter, probabilityLegend} from "../report/tint.js";
import {info, outputStyle} from "./io.js";
import {
    addChatOptions, addConstraintOptions, addModelOptions, addOutputOptions, addSamplingOptions, readConstraintFlags, type ConstraintFlags, parseSamples, samplesOption, checkChatFlags, engineSettings, type ChatFlags, intAtLeast, parseNumber, runSettings, type ModelFlags, type SamplingFlags
} from "./options.js";
import {decorate, interruptHandling, loadConstraint, openEngine, preparePrompt, promptEvent, readPrompt} from "./session.js";
import {chooseStrategy} from "./strategyFlags.js";
import {writeOut} from "./stdout.js";

export interface GenerateFlags extends ModelFlags, SamplingFlags, ChatFlags, ConstraintFlags {
    samples: string;
    json?: boolean;
    topLogprobs?: string;
    colorBy: "prob" | "none";
}

export function configureGenerate(cmd: Command): Command {
    cmd.addOption(samplesOption("generate n independent samples of the same prompt, in parallel sequences"));
    addChatOptions(addConstraintOptions(addSamplingOptions(addModelOptions(cmd))));
    addOutputOptions(cmd, "NDJSON events on stdout: the prompt, one per token, one \"done\" per sample")
        .option("--top-logprobs <n>", "with --json (required): the n most probable alternatives at every token, for every strategy")
        .addOption(new Option("--color-by <what>", "on a terminal, tint each token by its probability under the model (legend on stderr)").choices(["prob", "none"]).default("none"));
    return cmd;
}

export async function generateAction(promptArg: string | undefined, flags: GenerateFlags, cmd: Command): Promise<number> {
    const prompt = await readPrompt(promptArg);
    if (prompt === undefined) {
        cmd.outputHelp();
        return 0;
    }
    const style = outputStyle({color: flags.color});
    const {strategy, isDefault} = chooseStrategy(flags);
    const run = runSettings(flags);
    const settings = engineSettings(flags);
    checkChatFlags(flags);
    const samples = parseSamples(flags.samples);
    const topLogprobs = parseNumber("--top-logprobs", flags.topLogprobs, intAtLeast(0, 100), "an integer from 0 to 100");
    if (topLogprobs !== undefined && !flags.json)
        throw new UsageError("--top-logprobs adds alternatives to the --json token events; add --json");
    if (strategy.kind === "beam" && samples > 1)
        throw new UsageError("--samples does not apply to beam search (it is deterministic); drop --samples or the beams");
    const constraintSource = readConstraintFlags(flags);
    if (constraintSource !== undefined && strategy.kind === "beam") throw new UsageError(BEAM_GRAMMAR_REFUSAL(strategy.spec));
    const seed = run.seed ?? randomSeed();
    const interrupt = interruptHandling();
    const sequences = strategy.kind === "beam" ? strategy.width : samples;
    const engine = await openEngine(flags, settings, style, sequences, interrupt.signal, strategy.kind === "beam");
    try {
        const prepared = await preparePrompt(engine, prompt, flags);
        const promptTokens = prepared.tokens;
        const stops = [...run.stops, ...prepared.stops];
        engine.checkPromptFits(promptTokens);
        const constraint = await loadConstraint(engine, constraintSource);
        if (flags.json) writeOut(JSON.stringify(promptEvent(engine, promptTokens)) + "\n");
        const fancy = decorate(style) && !flags.json;
        const tintByProb = fancy && flags.colorBy === "prob" && strategy.kind === "sample" && style.out.level > 0;
        if (tintByProb) info(probabilityLegend(style.err));
        if (fancy && samples === 1 && flags.chat !== true) writeOut(style.out.dim(prompt));
        const started = performance.now();
        const buffered: string[] = Array.from({length: samples}, () => "");
        const tinter = tintByProb ? new ProbabilityTinter(style.out) : undefined;
        // Several samples in plain text: each starts with a header line "-- sample i of N --" on
        // stdout (sample 1 streams, the others follow when done), as in `llmgen compare`.
        const header = (i: number): string => {
            const line = `-- sample ${i + 1} of ${samples} --`;
            return (fancy ? style.out.dim(line) : line) + "\n";
        };
        if (!flags.json && samples > 1) writeOut(header(0));
        const onText = flags.json ? undefined : (sample: number, text: string): void => {
            if (sample === 0) writeOut(tinter ? tinter.text(text) : text);
            else buffered[sample] += text;
        };
        const onToken = flags.json ? (e: TokenEvent): void => {
            writeOut(JSON.stringify(tokenEvent(e)) + "\n");
        } : tinter ? (e: TokenEvent): void => {
            if (e.sample === 0) tinter.token(e.text, e.logprob);
        } : undefined;
        const results = await decode(engine, {
            promptTokens, strategy, samples, seed, maxTokens: run.maxTokens, stops, ignoreEos: run.ignoreEos,
            lengthPenalty: run.lengthPenalty, topLogprobs: flags.json ? topLogprobs : undefined, signal: interrupt.signal, constraint,
            onText, onToken,
            onDone: (r) => {
                if (!flags.json) return;
                writeOut(JSON.stringify(doneEvent(r, {seed, lengthPenalty: run.lengthPenalty})) + "\n");
            }
        });
        if (!flags.json) {
            writeOut("\n");
            for (let i = 1; i < samples; i++) writeOut(header(i) + buffered[i] + "\n");
        }
        const seconds = (performance.now() - started) / 1000;
        const total = results.reduce((n, r) => n + r.tokens, 0);
        if (fancy || settings.verbose) {
            const reasons = [...new Set(results.map((r) => r.stopReason))].join(", ");
            info(style.err.dim(`${total} tokens, ${(total / seconds).toFixed(1)} tok/s, stop: ${reasons}, seed ${seed}, strategy ${strategy.spec}${isDefault ? " (default)" : ""}`));
        }
        return interrupt.exitCode();
    } finally {
        interrupt.dispose();
        await engine.dispose();
    }
}
