/**
 * `llmgen explore [prompt] [-s <strategy>]...`: step through generation on a terminal. The text so
 * far, the tree of branches, and the next-token distribution with every strategy's kept set (as
 * `llmgen explain` shows it); keys choose tokens, let a strategy pick, step back, branch, save the
 * tree (JSON and HTML) and quit. The state lives in src/generate/explore.ts; the screen is drawn
 * with ink (src/cli/explore/view.ts), imported only when this command runs.
 */
import path from "node:path";
import {Command} from "commander";
import {UsageError} from "../errors.js";
import {ExploreSession} from "../generate/explore.js";
import {engineVocabulary} from "../generate/vocabulary.js";
import {exploreDocument, exploreJson, renderExploreHtml} from "../report/explore.js";
import {checkStrategyForModel, createRng, deriveSeed, parseStrategy, randomSeed, SamplerChain, type SampleStrategy} from "../sampling/index.js";
import {DEFAULT_EXPLAIN_STRATEGIES} from "./explain.js";
import {info, outputStyle} from "./io.js";
import {addChatOptions, addModelOptions, addOutputOptions, checkChatFlags, collect, engineSettings, intAtLeast, parseNumber, type ChatFlags, type ModelFlags} from "./options.js";
import {checkOutputFile, writeOutputFile} from "./outputFile.js";
import {openEngine, preparePrompt, promptEvent, readPrompt} from "./session.js";

export const DEFAULT_EXPLORE_TOP = 10;
/** Sequences of the context: branches are spread over them (a branch that has one continues without re-evaluating). */
export const EXPLORE_SEQUENCES = 4;
/** At most this many strategies: keys 1 to 9. */
export const MAX_EXPLORE_STRATEGIES = 9;

export interface ExploreFlags extends ModelFlags, ChatFlags {
    strategy: string[];
    top: string;
    seed?: string;
    saveTo?: string;
}

export function exploreCommand(): Command {
    const cmd = new Command("explore")
        .description("step through generation on a terminal: choose each token or let a strategy pick it, step back, branch, and save the tree of branches")
        .argument("[prompt]", "the prompt (default: none, the model starts from its BOS token)")
        .option("-s, --strategy <chain>", `a sampler chain to show and pick with (keys 1 to ${MAX_EXPLORE_STRATEGIES}), repeatable (default: ${DEFAULT_EXPLAIN_STRATEGIES.join(" ")})`, collect, [])
        .option("--top <n>", "list the n most probable tokens", String(DEFAULT_EXPLORE_TOP))
        .option("--seed <n>", "seed of the strategies' streams, 0..4294967295 (default: random, shown)")
        .option("--save-to <base>", "where `s` saves the tree: <base>.json and <base>.html (default: llmgen-explore-<date>-<time> in the current folder)");
    addChatOptions(addModelOptions(cmd));
    addOutputOptions(cmd, undefined);
    cmd.action(async (prompt: string | undefined, flags: ExploreFlags) => {
        await exploreAction(prompt, flags);
    });
    return cmd;
}

/** The strategies of -s: no beam search (no kept set) and no sampler whose state depends on the path taken (mirostat). */
export function exploreStrategies(specs: readonly string[]): SampleStrategy[] {
    if (specs.length > MAX_EXPLORE_STRATEGIES)
        throw new UsageError(`explore takes at most ${MAX_EXPLORE_STRATEGIES} strategies (keys 1 to ${MAX_EXPLORE_STRATEGIES}), got ${specs.length}`);
    return specs.map((spec) => {
        const s = parseStrategy(spec);
        if (s.kind === "beam")
            throw new UsageError(`${s.spec} cannot be explored: beam search keeps hypotheses, not a set of tokens (compare it with \`llmgen compare -s ${s.spec}\`)`);
        const stateful = s.samplers.find((x) => x.accept !== undefined);
        if (stateful !== undefined)
            throw new UsageError(`${s.spec}: ${stateful.name} carries state from step to step, which stepping back and branching cannot replay; drop it here (try it with \`llmgen compare -s "${s.spec}"\`)`);
        return s;
    });
}

function defaultBase(now = new Date()): string {
    const p = (n: number): string => String(n).padStart(2, "0");
    return `llmgen-explore-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

export async function exploreAction(promptArg: string | undefined, flags: ExploreFlags): Promise<void> {
    const style = outputStyle({color: flags.color});
    const strategies = exploreStrategies(flags.strategy.length > 0 ? flags.strategy : [...DEFAULT_EXPLAIN_STRATEGIES]);
    const top = parseNumber("--top", flags.top, intAtLeast(1, 1000), "an integer from 1 to 1000")!;
    const seed = parseNumber("--seed", flags.seed, intAtLeast(0, 4294967295), "an integer from 0 to 4294967295") ?? randomSeed();
    const base = flags.saveTo ?? defaultBase();
    const jsonFile = checkOutputFile("--save-to", base + ".json");
    const htmlFile = checkOutputFile("--save-to", base + ".html");
    checkChatFlags(flags);
    const settings = engineSettings(flags);
    if (process.stdin.isTTY !== true || process.stdout.isTTY !== true)
        throw new UsageError("explore is interactive and needs a terminal (stdin and stdout); without one, see the distributions step by step with llmgen explain --steps N");
    const prompt = (await readPrompt(promptArg)) ?? "";
    // Room for the prompt (at most one token per byte) and 512 more tokens, unless --ctx-size says otherwise.
    settings.ctxSize ??= Math.min(4096, Math.max(256, Buffer.byteLength(prompt, "utf8") + 512));
    const engine = await openEngine(flags, settings, style, EXPLORE_SEQUENCES);
    try {
        const promptTokens = (await preparePrompt(engine, prompt, flags)).tokens;
        if (promptTokens.length === 0)
            throw new UsageError("the model has no BOS token, so an empty prompt gives it nothing to start from; give a prompt");
        engine.checkPromptFits(promptTokens);
        const vocabulary = engineVocabulary(engine);
        for (const s of strategies) checkStrategyForModel(s, {trueLogits: engine.route.trueLogits, vocabSize: engine.vocabSize, vocabulary});
        const session = await ExploreSession.open({
            promptTokens,
            sequences: engine.sequences,
            strategies: strategies.map((s, k) => ({spec: s.spec, chain: new SamplerChain(s.samplers, engine.vocabSize), rng: createRng(deriveSeed(seed, k))})),
            top,
            textOf: (id, before) => engine.tokenText(id, before),
            isEnd: (id) => engine.isEndOfGeneration(id),
            contextSize: engine.info.contextSize,
            trueLogits: engine.route.trueLogits,
            vocabulary
        });
        const fed = promptEvent(engine, promptTokens);
        const promptShown = flags.chat === true ? fed.text : prompt;
        const save = (): string => {
            const doc = exploreDocument(session.tree, {
                prompt: promptShown, promptText: fed.text, promptTokens: fed.tokens, model: engine.info.modelPath, vocabSize: engine.vocabSize,
                seed, top, strategies: strategies.map((s, k) => ({key: String(k + 1), spec: s.spec}))
            }, (tokens) => engine.detokenize(tokens, promptTokens));
            writeOutputFile("--save-to", jsonFile, exploreJson(doc));
            writeOutputFile("--save-to", htmlFile, renderExploreHtml(doc));
            return `saved ${path.relative(process.cwd(), jsonFile) || jsonFile} and ${path.relative(process.cwd(), htmlFile) || htmlFile}`;
        };
        // ink shows only the last frame when it believes it runs in CI (env CI, CONTINUOUS_INTEGRATION);
        // explore has checked that it runs on a terminal, so it always draws live.
        delete process.env.CI;
        delete process.env.CONTINUOUS_INTEGRATION;
        const {runExploreView} = await import("./explore/view.js");
        const saved = await runExploreView({
            session, save, chalk: style.out, plain: style.out.level === 0, promptText: promptShown,
            title: `llmgen explore · ${path.basename(engine.info.modelPath)} · seed ${seed}`
        });
        if (saved !== undefined) info(`llmgen: ${saved}`);
    } finally {
        await engine.dispose();
    }
}
