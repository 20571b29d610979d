/**
 * `llmgen explain [prompt] [-s <strategy>]... [--top N] [--steps K] [--json]`: the model's
 * next-token distribution after the prompt, and which tokens each strategy's sampler chain keeps
 * with what renormalised probability. With --steps K, K greedy steps, shown at each.
 */
import {Command} from "commander";
import {UsageError} from "../errors.js";
import {topIds} from "../generate/logprobs.js";
import {explainStep} from "../metrics/distribution.js";
import {explainJson, renderExplain, type ExplainReport, type ExplainReportStep} from "../report/explain.js";
import {constrainedChains} from "../sampling/constraint.js";
import {checkStrategyForModel, createRng, parseStrategy, SamplerChain, type SampleStrategy} from "../sampling/index.js";
import {engineVocabulary} from "../generate/vocabulary.js";
import {outputStyle, outputWidth} from "./io.js";
import {
    addChatOptions, addConstraintOptions, addModelOptions, addOutputOptions, checkChatFlags, collect, engineSettings, intAtLeast, parseNumber, readConstraintFlags,
    type ChatFlags, type ConstraintFlags, type ModelFlags
} from "./options.js";
import {InterruptedError, interruptHandling, loadConstraint, openEngine, preparePrompt, promptEvent, readPrompt, requirePrompt} from "./session.js";
import {writeOut} from "./stdout.js";

export const DEFAULT_EXPLAIN_STRATEGIES = ["greedy", "random", "top-k=40", "top-p=0.9", "min-p=0.1"] as const;
export const DEFAULT_TOP = 20;

export interface ExplainFlags extends ModelFlags, ChatFlags, ConstraintFlags {
    strategy: string[];
    top: string;
    steps: string;
    trace?: boolean;
    json?: boolean;
}

export function explainCommand(): Command {
    const cmd = new Command("explain")
        .description("show the model's next-token distribution after the prompt and which tokens each strategy keeps, with its renormalised probabilities")
        .argument("[prompt]", "the prompt (default: read from stdin when it is piped)")
        .option("-s, --strategy <chain>", `a sampler chain to explain, repeatable (default: ${DEFAULT_EXPLAIN_STRATEGIES.join(" ")}); beam search has no kept set`, collect, [])
        .option("--top <n>", "list the n most probable tokens", String(DEFAULT_TOP))
        .option("--steps <k>", "walk k greedy steps and show the distribution at each", "1")
        .option("--trace", "also show, for each strategy, the candidates after every stage of its chain: size, mass, and which stage removed which listed token");
    addChatOptions(addConstraintOptions(addModelOptions(cmd)));
    addOutputOptions(cmd, "one JSON document: per step the entropy, the top candidates and every strategy's complete kept set");
    cmd.action(async (prompt: string | undefined, flags: ExplainFlags) => {
        await explainAction(prompt, flags);
    });
    return cmd;
}

export async function explainAction(promptArg: string | undefined, flags: ExplainFlags): Promise<void> {
    const prompt = requirePrompt(await readPrompt(promptArg), "explain ");
    const style = outputStyle({color: flags.color});
    const specs = flags.strategy.length > 0 ? flags.strategy : [...DEFAULT_EXPLAIN_STRATEGIES];
    const strategies: SampleStrategy[] = specs.map((spec) => {
        const s = parseStrategy(spec);
        if (s.kind === "beam")
            throw new UsageError(`${s.spec} cannot be explained: beam search keeps hypotheses, not a set of tokens (compare it with \`llmgen compare -s ${s.spec}\`)`);
        return s;
    });
    const top = parseNumber("--top", flags.top, intAtLeast(1, 1 << 21), "an integer ≥ 1")!;
    const steps = parseNumber("--steps", flags.steps, intAtLeast(1, 4096), "an integer from 1 to 4096")!;
    const settings = engineSettings(flags);
    checkChatFlags(flags);
    const constraintSource = readConstraintFlags(flags);
    if (settings.ctxSize === undefined) settings.ctxSize = Math.min(4096, Math.max(64, Buffer.byteLength(prompt, "utf8") + steps + 16));
    const interrupt = interruptHandling();
    const engine = await openEngine(flags, settings, style, 1, interrupt.signal);
    try {
        const promptTokens = (await preparePrompt(engine, prompt, flags)).tokens;
        engine.checkPromptFits(promptTokens);
        const vocabulary = engineVocabulary(engine);
        for (const s of strategies) checkStrategyForModel(s, {trueLogits: engine.route.trueLogits, vocabSize: engine.vocabSize, vocabulary});
        const constraint = await loadConstraint(engine, constraintSource);
        // Under a grammar, its own column comes first (the tokens it accepts) and every chain starts with it.
        const constrained = constraint === undefined ? undefined
            : constrainedChains(constraint, strategies.map((s) => ({spec: s.spec, strategy: s})), engine.vocabSize, (id) => engine.isEndOfGeneration(id));
        const chains = constrained ?? strategies.map((s) => ({spec: s.spec, chain: new SamplerChain(s.samplers, engine.vocabSize)}));
        const history = [...promptTokens];
        const ctx = {history, promptLength: promptTokens.length, rng: createRng(0), trueLogits: engine.route.trueLogits, vocabulary};
        const sequence = engine.sequences[0]!;
        const fed = promptEvent(engine, promptTokens);
        const report: ExplainReport = {prompt, promptFed: {text: fed.text, tokens: fed.tokens}, model: engine.info.modelPath, vocabSize: engine.vocabSize, steps: [],
            ...(constraint === undefined ? {} : {constraint: constraint.kind})};
        for (let k = 0; k < steps; k++) {
            if (interrupt.interrupted() || history.length >= sequence.contextSize) break;
            const logits = await sequence.logitsFor(history);
            const before = history.slice();
            const step: ExplainReportStep = {
                ...explainStep(logits, chains, ctx, {position: k, top, trace: flags.trace === true, textOf: (id) => engine.tokenText(id, before)}),
                context: prompt + engine.detokenize(history.slice(promptTokens.length), promptTokens)
            };
            if (constrained !== undefined) {
                // The rows: the model's top tokens and the grammar's most probable accepted ones.
                const seen = new Set(step.candidates.map((c) => c.id));
                const accepted = step.strategies[0]!.kept.slice(0, top).filter((k) => !seen.has(k.id)).map(({id, text, p}) => ({id, text, p}));
                step.candidates = [...step.candidates, ...accepted].sort((a, b) => b.p - a.p || a.id - b.id);
            }
            report.steps.push(step);
            // Under a grammar: stop when it is complete; greedy takes its most probable accepted token.
            if (constrained?.[0]!.stage.complete === true) break;
            if (k === steps - 1) break;
            const next = constrained === undefined ? topIds(logits, 1)[0]! : step.strategies[0]!.kept[0]!.id;
            step.chosen = {id: next, text: engine.tokenText(next, before)};
            if (engine.isEndOfGeneration(next)) break;
            for (const c of chains) c.chain.accept(next);
            history.push(next);
        }
        if (flags.json) writeOut(explainJson(report));
        else writeOut(renderExplain(report, {width: outputWidth(style.stdoutTTY), chalk: style.out, plain: !style.stdoutTTY}));
        if (interrupt.interrupted()) {
            throw new InterruptedError(interrupt.exitCode());
        }
    } finally {
        interrupt.dispose();
        await engine.dispose();
    }
}
