/**
 * `llmgen chat`: a conversation in the model's chat template, every reply chosen by llmgen's own
 * sampler chain (every sampling flag applies). The KV cache is kept across turns: each turn only
 * evaluates what the template adds after the previous turn.
 *
 * On a terminal: a readline prompt with history; replies stream; Ctrl-C stops the current reply, a
 * second Ctrl-C (at the prompt) or Ctrl-D quits. Commands: /help, /reset, /system <text>,
 * /strategy <chain>, /seed <n>, /explain [message], /save <file>.
 * Without a terminal: each line of stdin is one user turn (or a command) and each reply is printed
 * (plain text, one reply per line block; NDJSON with --json), so scripts can drive it.
 * A full context drops the oldest turns (with a notice on stderr); a single message that does not
 * fit is refused with one line.
 */
import readline from "node:readline";
import {Command} from "commander";
import type {ChatMessage, Engine} from "../engine/engine.js";
import {UsageError} from "../errors.js";
import {BEAM_GRAMMAR_REFUSAL, decode} from "../generate/decode.js";
import type {StopReason, TokenEvent} from "../generate/sample.js";
import {engineVocabulary} from "../generate/vocabulary.js";
import {explainStep} from "../metrics/distribution.js";
import {renderExplain, type ExplainReport} from "../report/explain.js";
import {constrainedChains, type TokenConstraint} from "../sampling/constraint.js";
import {checkStrategyForModel, createChain, createRng, isValidSeed, parseDecimal, parseStrategy, randomSeed, type Strategy} from "../sampling/index.js";
import {info, outputStyle, type OutputStyle} from "./io.js";
import {
    addConstraintOptions, addModelOptions, addOutputOptions, addSamplingOptions, engineSettings, HELP_GROUPS, readConstraintFlags, runSettings,
    type ConstraintFlags, type ModelFlags, type SamplingFlags
} from "./options.js";
import {checkOutputFile, writeOutputFile} from "./outputFile.js";
import {interruptHandling, loadConstraint, openEngine} from "./session.js";
import {chooseStrategy} from "./strategyFlags.js";
import {writeOut} from "./stdout.js";

export interface ChatCommandFlags extends ModelFlags, SamplingFlags, ConstraintFlags {
    system?: string;
    json?: boolean;
}

/** Room kept free for a reply when old turns are dropped to make the prompt fit. */
const MIN_REPLY_ROOM = 32;

export const CHAT_HELP = [
    "/help               this list",
    "/reset              forget the conversation (the system message stays)",
    "/system <text>      set the system message (/system alone removes it); the conversation restarts",
    "/strategy <chain>   the sampler chain for the next replies, e.g. /strategy temp=0.7,top-p=0.9",
    "/seed <n>           seed for the next replies",
    "/explain [message]  the next-token distribution and each chain's kept set: at the start of the reply to [message], or after the last reply",
    "/save <file>        write the transcript as JSON",
    "Ctrl-C stops a reply; Ctrl-C at the prompt or Ctrl-D quits."
];

interface Turn {
    user: string;
    reply: string;
    stopReason: StopReason;
    tokens: number;
}

export function chatCommand(setExit: (code: number) => void): Command {
    const cmd = new Command("chat")
        .description("talk to a chat model in its own chat template, every reply chosen by llmgen's sampler chain (KV cache kept across turns); reads turns from stdin when it is not a terminal");
    addConstraintOptions(addSamplingOptions(addModelOptions(cmd)));
    cmd.optionsGroup(HELP_GROUPS.chat).option("--system <text>", "system message");
    addOutputOptions(cmd, "without a terminal: NDJSON events per turn (tokens, done)");
    return cmd.action(async (flags: ChatCommandFlags) => {
        setExit(await chatAction(flags));
    });
}

export class Conversation {
    turns: Turn[] = [];
    dropped = 0;
    /** The seed of the next reply (each reply takes the next number). */
    seed: number;
    private readonly firstSeed: number;
    /** Structured output: every reply follows it (--json-schema/--grammar). */
    constraint?: TokenConstraint;

    constructor(readonly engine: Engine, public system: string | undefined, public strategy: Strategy, seed: number,
        private readonly run: ReturnType<typeof runSettings>) {
        this.seed = seed;
        this.firstSeed = seed;
    }

    messages(next?: string): ChatMessage[] {
        const out: ChatMessage[] = this.system === undefined ? [] : [{role: "system", text: this.system}];
        for (const t of this.turns) out.push({role: "user", text: t.user}, {role: "assistant", text: t.reply});
        if (next !== undefined) out.push({role: "user", text: next});
        return out;
    }

    /** The prompt for the reply to `user`, dropping the oldest turns while it does not fit. */
    async promptFor(user: string, onDrop: (n: number) => void): Promise<{tokens: number[]; stops: string[]}> {
        const room = Math.min(MIN_REPLY_ROOM, this.run.maxTokens);
        const limit = this.engine.info.contextSize;
        let dropped = 0;
        for (;;) {
            const prompt = await this.engine.chatPrompt(this.messages(user));
            if (prompt.tokens.length + room <= limit) {
                if (dropped > 0) onDrop(dropped);
                return prompt;
            }
            if (this.turns.length === 0)
                throw new UsageError(`this message is ${prompt.tokens.length} tokens with the template; the context holds ${limit} (${room} kept for the reply): shorten it or raise --ctx-size`);
            this.turns.shift();
            this.dropped++;
            dropped++;
        }
    }


    async reply(user: string, hooks: {signal: AbortSignal; onText?: (t: string) => void; onToken?: (e: TokenEvent) => void; onDrop: (n: number) => void}):
        Promise<{turn: Turn; promptTokens: number[]; seed: number; evaluated: number}> {
        const prompt = await this.promptFor(user, hooks.onDrop);
        const seed = this.seed;
        this.seed = (this.seed + 1) >>> 0;
        const sequence = this.engine.sequences[0]!;
        const before = sequence.evaluatedTokens;
        const [result] = await decode(this.engine, {
            promptTokens: prompt.tokens, strategy: this.strategy, seed, maxTokens: this.run.maxTokens,
            stops: [...this.run.stops, ...prompt.stops], ignoreEos: this.run.ignoreEos, lengthPenalty: this.run.lengthPenalty,
            signal: hooks.signal, constraint: this.constraint, onText: (_s, t) => hooks.onText?.(t), onToken: hooks.onToken
        });
        const turn: Turn = {user, reply: result!.text, stopReason: result!.stopReason, tokens: result!.tokens};
        this.turns.push(turn);
        // Tokens evaluated for this turn: what the template added since the last turn, plus the reply.
        return {turn, promptTokens: prompt.tokens, seed, evaluated: sequence.evaluatedTokens - before};
    }

    /** The next-token distribution and kept set at the start of the reply to `user` (or after the last reply). */
    async explain(user: string | undefined, style: OutputStyle, width: number): Promise<string> {
        const messages = this.messages(user);
        let tokens: number[];
        if (user !== undefined || this.turns.length === 0) {
            tokens = (await this.engine.chatPrompt(user === undefined ? this.messages("") : messages)).tokens;
        } else {
            // after the last reply: the conversation so far, then the reply's own tokens
            const last = this.turns.at(-1)!;
            const before = (await this.engine.chatPrompt(this.messages().slice(0, -1))).tokens;
            tokens = [...before, ...this.engine.model.tokenize(last.reply, false)];
        }
        const logits = await this.engine.sequences[0]!.logitsFor(tokens);
        const vocabulary = engineVocabulary(this.engine);
        const strategy = this.strategy;
        const chains = strategy.kind !== "sample" ? []
            : this.constraint !== undefined
                ? constrainedChains(this.constraint, [{spec: strategy.spec, strategy}], this.engine.vocabSize, (id) => this.engine.isEndOfGeneration(id))
                : [{spec: strategy.spec, chain: createChain(strategy, this.engine.vocabSize)}];
        const ctx = {history: tokens, promptLength: tokens.length, rng: createRng(0), trueLogits: this.engine.route.trueLogits, vocabulary};
        const step = explainStep(logits, chains, ctx, {position: 0, top: 10, textOf: (id) => this.engine.tokenText(id, tokens)});
        const report: ExplainReport = {prompt: user ?? "(after the last reply)", model: this.engine.info.modelPath, vocabSize: this.engine.vocabSize,
            steps: [{...step, context: user ?? this.turns.at(-1)?.reply ?? ""}], ...(this.constraint === undefined ? {} : {constraint: this.constraint.kind})};
        return renderExplain(report, {width, chalk: style.err, plain: !style.stderrTTY});
    }

    transcript(): object {
        return {
            model: this.engine.info.modelPath,
            system: this.system ?? null,
            strategy: this.strategy.spec,
            seed: this.firstSeed,
            droppedTurns: this.dropped,
            messages: this.messages()
        };
    }
}

/** A command line ("/seed 5"): what it did, as text for stderr; undefined when it is not a command. */
async function command(conv: Conversation, line: string, style: OutputStyle): Promise<string | undefined> {
    const m = /^\/(\w+)(?:\s+([\s\S]*))?$/.exec(line.trim());
    if (m === null) return undefined;
    const [, name, rest] = m;
    const arg = rest?.trim() ?? "";
    switch (name) {
        case "help":
            return CHAT_HELP.join("\n");
        case "reset":
            conv.turns = [];
            return "conversation reset";
        case "system":
            conv.system = arg === "" ? undefined : arg;
            conv.turns = [];
            return arg === "" ? "system message removed; conversation reset" : "system message set; conversation reset";
        case "strategy": {
            const strategy = parseStrategy(arg);
            checkStrategyForModel(strategy, {trueLogits: conv.engine.route.trueLogits, vocabSize: conv.engine.vocabSize, vocabulary: engineVocabulary(conv.engine)});
            if (strategy.kind === "beam" && conv.constraint !== undefined) throw new UsageError(BEAM_GRAMMAR_REFUSAL(strategy.spec));
            if (strategy.kind === "beam" && strategy.width > conv.engine.sequences.length)
                throw new UsageError(`${strategy.spec} needs ${strategy.width} sequences; start chat with --beams ${strategy.width} to use beam search`);
            conv.strategy = strategy;
            return `strategy ${strategy.spec}`;
        }
        case "seed": {
            const n = parseDecimal(arg);
            if (!isValidSeed(n)) throw new UsageError(`/seed needs an integer from 0 to 4294967295, got "${arg}"`);
            conv.seed = n;
            return `seed ${n}`;
        }
        case "explain":
            return conv.explain(arg === "" ? undefined : arg, style, process.stderr.columns ?? 100);
        case "save": {
            if (arg === "") throw new UsageError("/save needs a file name, e.g. /save chat.json");
            const file = checkOutputFile("/save", arg);
            writeOutputFile("/save", file, JSON.stringify(conv.transcript(), null, 2) + "\n");
            return `saved ${file}`;
        }
        default:
            throw new UsageError(`unknown command /${name}; /help lists them`);
    }
}

async function chatAction(flags: ChatCommandFlags): Promise<number> {
    const style = outputStyle({color: flags.color});
    const {strategy} = chooseStrategy(flags);
    const run = runSettings(flags);
    const settings = engineSettings(flags);
    const constraintSource = readConstraintFlags(flags);
    if (constraintSource !== undefined && strategy.kind === "beam") throw new UsageError(BEAM_GRAMMAR_REFUSAL(strategy.spec));
    const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
    if (flags.json && interactive) throw new UsageError("--json is for scripts (stdin not a terminal); on a terminal chat prints the replies");
    const sequences = strategy.kind === "beam" ? strategy.width : 1;
    const interrupt = interactive ? undefined : interruptHandling();
    const engine = await openEngine(flags, settings, style, sequences, interrupt?.signal, strategy.kind === "beam");
    try {
        if (!engine.hasChatTemplate)
            throw new UsageError(`${engine.info.modelPath} has no chat template (GGUF tokenizer.chat_template): llmgen chat needs an instruct/chat model`);
        checkStrategyForModel(strategy, {trueLogits: engine.route.trueLogits, vocabSize: engine.vocabSize, vocabulary: engineVocabulary(engine)});
        const conv = new Conversation(engine, flags.system, strategy, run.seed ?? randomSeed(), run);
        conv.constraint = await loadConstraint(engine, constraintSource);
        return interactive ? await terminalChat(conv, style) : await scriptedChat(conv, flags, style, interrupt!);
    } finally {
        interrupt?.dispose();
        await engine.dispose();
    }
}

async function scriptedChat(conv: Conversation, flags: ChatCommandFlags, style: OutputStyle, interrupt: ReturnType<typeof interruptHandling>): Promise<number> {
    const rl = readline.createInterface({input: process.stdin, terminal: false});
    let failed = false;
    let index = 0;
    for await (const line of rl) {
        if (interrupt.interrupted()) break;
        if (line.trim() === "") continue;
        try {
            const said = await command(conv, line, style);
            if (said !== undefined) {
                info(said);
                continue;
            }
            const turn = index++;
            const {turn: t, promptTokens, seed, evaluated} = await conv.reply(line, {
                signal: interrupt.signal,
                onDrop: (n) => info(`llmgen: context full: dropped the ${n} oldest turn${n === 1 ? "" : "s"}`),
                onText: flags.json ? undefined : (text) => writeOut(text),
                onToken: flags.json ? (e) => writeOut(JSON.stringify({type: "token", turn, ...e}) + "\n") : undefined
            });
            if (flags.json) {
                writeOut(JSON.stringify({type: "done", turn, user: t.user, text: t.reply, tokens: t.tokens, stopReason: t.stopReason, seed,
                    strategy: conv.strategy.spec, promptTokens: promptTokens.length, evaluatedTokens: evaluated}) + "\n");
            } else writeOut("\n");
        } catch (err) {
            if (!(err instanceof UsageError)) throw err;
            failed = true;
            info(`llmgen: ${err.message}`);
        }
    }
    rl.close();
    if (interrupt.interrupted()) return interrupt.exitCode();
    return failed ? 1 : 0;
}

async function terminalChat(conv: Conversation, style: OutputStyle): Promise<number> {
    const rl = readline.createInterface({input: process.stdin, output: process.stderr, terminal: true, historySize: 1000, prompt: style.err.cyan("you> ")});
    info(style.err.dim(`chat with ${conv.engine.info.modelPath} · strategy ${conv.strategy.spec} · /help for commands, Ctrl-D to quit`));
    let replying: AbortController | undefined;
    let quit = false;
    const closed = new Promise<void>((resolve) => rl.on("close", () => {
        quit = true;
        replying?.abort();
        resolve();
    }));
    rl.on("SIGINT", () => {
        if (replying !== undefined && !replying.signal.aborted) {
            replying.abort();
            return;
        }
        rl.close();
    });
    const lines: string[] = [];
    let wake: (() => void) | undefined;
    rl.on("line", (line) => {
        lines.push(line);
        wake?.();
    });
    const nextLine = async (): Promise<string | undefined> => {
        while (lines.length === 0) {
            if (quit) return undefined;
            rl.prompt();
            await Promise.race([new Promise<void>((resolve) => (wake = resolve)), closed]);
        }
        return lines.shift();
    };
    for (;;) {
        const line = await nextLine();
        if (line === undefined) break;
        if (line.trim() === "") continue;
        try {
            const said = await command(conv, line, style);
            if (said !== undefined) {
                info(style.err.dim(said));
                continue;
            }
            // Input keeps flowing during a reply, so that Ctrl-C reaches us (lines typed meanwhile wait their turn).
            replying = new AbortController();
            const started = performance.now();
            const {turn} = await conv.reply(line, {
                signal: replying.signal,
                onDrop: (n) => info(style.err.yellow(`context full: dropped the ${n} oldest turn${n === 1 ? "" : "s"}`)),
                onText: (text) => writeOut(text)
            });
            writeOut("\n");
            const seconds = (performance.now() - started) / 1000;
            info(style.err.dim(`${turn.tokens} tokens, ${(turn.tokens / Math.max(seconds, 1e-9)).toFixed(1)} tok/s, stop: ${turn.stopReason}`));
        } catch (err) {
            if (!(err instanceof UsageError)) throw err;
            info(style.err.red(`llmgen: ${err.message}`));
        } finally {
            replying = undefined;
        }
    }
    return 0;
}
