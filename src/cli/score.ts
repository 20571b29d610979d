/**
 * `llmgen score [file]`: how surprised the model is by an existing text — every token's
 * log-probability given everything before it, the mean, the perplexity, the most surprising tokens.
 * The text comes from the file, or stdin ("-" or piped). --prompt scores it as a continuation of an
 * unscored prompt, --chat as the assistant's reply under the model's chat template. Texts longer
 * than the window are scored in overlapping windows (--ctx-size, --stride).
 */
import fs from "node:fs";
import {Command} from "commander";
import {RuntimeError, UsageError} from "../errors.js";
import {scoreText, type ScoreResult} from "../generate/score.js";
import {engineVocabulary} from "../generate/vocabulary.js";
import {renderScore, renderScoreHtml, scoreDoneJson, scoreTokenJson, type ScoreReport} from "../report/score.js";
import {outputStyle, outputWidth} from "./io.js";
import {addChatOptions, addModelOptions, addOutputOptions, checkChatFlags, engineSettings, intAtLeast, parseNumber, type ChatFlags, type ModelFlags} from "./options.js";
import {checkOutputFile, writeOutputFile} from "./outputFile.js";
import {InterruptedError, interruptHandling, openEngine} from "./session.js";
import {writeOut} from "./stdout.js";

export interface ScoreFlags extends ModelFlags, ChatFlags {
    prompt?: string;
    stride?: string;
    topLogprobs?: string;
    html?: string;
    json?: boolean;
}

export function scoreCommand(): Command {
    const cmd = new Command("score")
        .description("score an existing text: every token's log-probability under the model given everything before it, the mean, the perplexity and the most surprising tokens")
        .argument("[file]", "the text to score; \"-\" or nothing with piped input: stdin")
        .option("--prompt <text>", "score the text as a continuation of this prompt (the prompt itself is not scored; with --chat: the user message)")
        .option("--stride <n>", "texts longer than the window (--ctx-size): new tokens scored per window after the first; each window gives them the window − stride tokens before as context (default: half the window)")
        .option("--top-logprobs <n>", "the n most probable tokens at every position (in --json and the --html tooltips; 0 to 100)")
        .option("--html <file>", "also write a self-contained HTML page: the text coloured by probability, log-probabilities on hover, the summary");
    addChatOptions(addModelOptions(cmd));
    addOutputOptions(cmd, "NDJSON: one {\"type\":\"token\",\"index\",\"id\",\"text\",\"logprob\"} per scored token, then {\"type\":\"done\",\"tokens\",\"logprob\",\"perplexity\"}");
    cmd.action(async (file: string | undefined, flags: ScoreFlags) => {
        await scoreAction(file, flags);
    });
    return cmd;
}

/** The text to score: the file, or stdin ("-" or piped). Kept exactly as written (no newline dropped). */
async function readText(file: string | undefined): Promise<string> {
    if (file === undefined || file === "-") {
        if (file === undefined && process.stdin.isTTY)
            throw new UsageError("no text to score: give a file (llmgen score story.txt) or pipe the text (cat story.txt | llmgen score)");
        const chunks: Buffer[] = [];
        try {
            for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
        } catch (err) {
            throw new RuntimeError(`cannot read the text from stdin: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
        return Buffer.concat(chunks).toString("utf8");
    }
    try {
        return fs.readFileSync(file, "utf8");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new UsageError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : code ?? String(err)}; give the path of a text file, or - for stdin`);
    }
}

export async function scoreAction(file: string | undefined, flags: ScoreFlags): Promise<void> {
    const style = outputStyle({color: flags.color});
    checkChatFlags(flags);
    const settings = engineSettings(flags);
    const stride = parseNumber("--stride", flags.stride, intAtLeast(1), "an integer ≥ 1");
    const topLogprobs = parseNumber("--top-logprobs", flags.topLogprobs, intAtLeast(0, 100), "an integer from 0 to 100");
    if (topLogprobs !== undefined && flags.json !== true && flags.html === undefined)
        throw new UsageError("--top-logprobs adds the most probable tokens to --json and to the --html page; add one of them");
    const htmlPath = flags.html === undefined ? undefined : checkOutputFile("--html", flags.html);
    const text = await readText(file);
    if (text.length === 0) throw new UsageError(`nothing to score: ${file === undefined || file === "-" ? "stdin" : file} is empty`);
    // The window is --ctx-size; node-llama-cpp needs one cell more than the tokens it holds.
    const window = settings.ctxSize;
    if (window !== undefined) settings.ctxSize = window + 1;
    const interrupt = interruptHandling();
    const engine = await openEngine(flags, settings, style, 1, interrupt.signal);
    try {
        const sequence = engine.sequences[0]!;
        const windowSize = window ?? Math.min(engine.info.contextSize, sequence.raw.contextSize - 1);
        let tokens: number[];
        let scoreFrom: number;
        let template: string | undefined;
        if (flags.chat === true) {
            const chat = await engine.chatPrompt([
                ...(flags.system === undefined ? [] : [{role: "system" as const, text: flags.system}]),
                {role: "user" as const, text: flags.prompt ?? ""}
            ]);
            template = chat.template;
            // The reply as the model would write it after the template's assistant header.
            const reply = engineVocabulary(engine).tokenize(text);
            tokens = chat.tokens.concat(reply);
            scoreFrom = chat.tokens.length;
        } else if (flags.prompt !== undefined) {
            // Tokenized together, as the model would read them; a token spanning the boundary is scored.
            tokens = engine.tokenize(flags.prompt + text);
            const prompt = engine.tokenize(flags.prompt);
            scoreFrom = 0;
            while (scoreFrom < prompt.length && scoreFrom < tokens.length && prompt[scoreFrom] === tokens[scoreFrom]) scoreFrom++;
        } else {
            tokens = engine.tokenize(text);
            scoreFrom = 1;
        }
        scoreFrom = Math.max(1, scoreFrom);
        if (scoreFrom >= tokens.length) throw new UsageError("nothing to score: the text adds no token after the prompt");
        const body = engine.bos !== null && tokens[0] === engine.bos ? windowSize - 1 : windowSize;
        if (stride !== undefined && stride >= body)
            throw new UsageError(`--stride must be smaller than ${body} (the window of ${windowSize} tokens${body < windowSize ? " after BOS" : ""}), got ${stride}`);
        const effectiveStride = stride ?? Math.max(1, Math.floor(body / 2));
        const result: ScoreResult = await scoreText(engine, {
            tokens, scoreFrom, window: windowSize, stride: effectiveStride, topLogprobs: topLogprobs === 0 ? undefined : topLogprobs,
            windowStart: engine.bos, signal: interrupt.signal,
            onToken: flags.json ? (t) => writeOut(scoreTokenJson(t)) : undefined
        });
        const report: ScoreReport = {
            model: engine.info.modelPath,
            prompt: flags.chat === true ? undefined : flags.prompt === undefined ? undefined : engine.detokenize(tokens.slice(0, scoreFrom)),
            template,
            tokens: result.tokens,
            logprob: result.logprob,
            perplexity: result.perplexity,
            windows: result.windows,
            window: windowSize,
            stride: effectiveStride
        };
        if (flags.json) writeOut(scoreDoneJson(result));
        else writeOut(renderScore(report, {width: outputWidth(style.stdoutTTY), chalk: style.out}));
        if (htmlPath !== undefined) writeOutputFile("--html", htmlPath, renderScoreHtml(report));
        if (result.interrupted) throw new InterruptedError(interrupt.exitCode());
    } finally {
        interrupt.dispose();
        await engine.dispose();
    }
}
