/**
 * The llmgen program: the default command generates; subcommands for models and analysis.
 * Errors become one line on stderr (a stack trace only with --debug) and an exit code:
 * 2 for usage errors, 1 for runtime errors, 130 after Ctrl-C.
 */
import {Command, CommanderError} from "commander";
import {RuntimeError, UsageError, type Fix} from "../errors.js";
import {withFix} from "./fixes.js";
import {DEFAULT_STRATEGY_SPEC} from "../sampling/index.js";
import {batchCommand} from "./batch.js";
import {benchCommand} from "./bench.js";
import {buildFastCommand} from "./buildFast.js";
import {chatCommand} from "./chat.js";
import {compareCommand} from "./compare.js";
import {doctorCommand} from "./doctor.js";
import {explainCommand} from "./explain.js";
import {exploreCommand} from "./explore.js";
import {configureGenerate, generateAction, type GenerateFlags} from "./generate.js";
import {modelsCommand} from "./models.js";
import {pullCommand} from "./pull.js";
import {samplersCommand} from "./samplers.js";
import {scoreCommand} from "./score.js";
import {drainStdout} from "./stdout.js";

const VERSION = "0.1.0";

export function buildProgram(setExit: (code: number) => void, withSubcommands = true): Command {
    const program = new Command("llmgen");
    program
        .description(`Generate text with a local GGUF model, choosing every token with llmgen's own sampler chain.\n` +
            `Default chain when no sampling flag or -s is given: ${DEFAULT_STRATEGY_SPEC} (nucleus sampling at temperature 1).`)
        .version(VERSION)
        .argument("[prompt]", "the prompt (default: read from stdin when it is piped)")
        .showSuggestionAfterError(true)
        // Options after a subcommand name belong to the subcommand (compare/explain have their own -s, -n, -m...).
        .enablePositionalOptions();
    configureGenerate(program);
    program.action(async (prompt: string | undefined, flags: GenerateFlags, cmd: Command) => {
        setExit(await generateAction(prompt, flags, cmd));
    });
    if (!withSubcommands) return program;
    program.addCommand(pullCommand());
    program.addCommand(modelsCommand());
    program.addCommand(chatCommand(setExit));
    program.addCommand(batchCommand(setExit));
    program.addCommand(compareCommand());
    program.addCommand(explainCommand());
    program.addCommand(exploreCommand());
    program.addCommand(scoreCommand());
    program.addCommand(benchCommand());
    program.addCommand(doctorCommand());
    program.addCommand(samplersCommand());
    program.addCommand(buildFastCommand(setExit));
    return program;
}

export async function main(argv: string[]): Promise<number> {
    let exitCode = 0;
    const setExit = (code: number): void => {
        exitCode = code;
    };
    const debug = argv.includes("--debug");
    let program = buildProgram(setExit);
    try {
        const plan = planArguments(argv, program);
        argv = plan.argv;
        // After "--" the first word is the prompt even when it is a command name (llmgen -- models).
        if (plan.promptOnly) program = buildProgram(setExit, false);
    } catch (err) {
        return reportError(err, debug);
    }
    program.exitOverride();
    for (const cmd of [program, ...program.commands]) {
        cmd.exitOverride();
        cmd.configureOutput({
            writeErr: (s) => process.stderr.write(s),
            outputError: (s, write) => write(oneLine(s))
        });
    }
    try {
        await program.parseAsync(argv, {from: "user"});
    } catch (err) {
        exitCode = reportError(err, debug);
    }
    await drainStdout();
    return exitCode;
}

/** Does this option (as written, e.g. "-n" or "--max-tokens") take a value? undefined: unknown option. */
function takesValue(command: Command, word: string): boolean | undefined {
    const option = command.options.find((o) => o.long === word || o.short === word);
    return option === undefined ? undefined : option.required || option.optional;
}

/** Index of the first positional word at or after `from`, skipping options and their values. */
function nextPositional(command: Command, argv: readonly string[], from: number): {index: number; escaped: boolean} {
    for (let i = from; i < argv.length; i++) {
        const word = argv[i]!;
        if (word === "--") return {index: i + 1 < argv.length ? i + 1 : -1, escaped: true};
        if (word.startsWith("-") && word !== "-") {
            if (word.startsWith("--") && word.includes("=")) continue;
            if (/^-[^-]./.test(word)) continue; // -n5: the value is attached
            const value = takesValue(command, word);
            // An unknown option: commander reports it (with a suggestion); leave the words alone.
            if (value === undefined) return {index: -1, escaped: false};
            if (value) i++;
            continue;
        }
        return {index: i, escaped: false};
    }
    return {index: -1, escaped: false};
}

function editDistance(a: string, b: string): number {
    const d = Array.from({length: a.length + 1}, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++)
            d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
}

/**
 * Before commander sees the words: options written before a command name belong to that command
 * (`llmgen -m S compare x` = `llmgen compare -m S x`; an option the command does not have is a
 * usage error, never silently dropped); after "--" the first word is a prompt even if it is a
 * command name; two positional words where the first looks like a mistyped command name are a
 * usage error that suggests it.
 */
export function planArguments(argv: readonly string[], program: Command): {argv: string[]; promptOnly: boolean} {
    const first = nextPositional(program, argv, 0);
    if (first.escaped) return {argv: [...argv], promptOnly: true};
    if (first.index < 0) return {argv: [...argv], promptOnly: false};
    const word = argv[first.index]!;
    const command = program.commands.find((c) => c.name() === word || c.aliases().includes(word));
    const before = argv.slice(0, first.index);
    if (command !== undefined) {
        if (before.length === 0 || before.some((w) => ["-h", "--help", "-V", "--version"].includes(w))) return {argv: [...argv], promptOnly: false};
        for (const w of before) {
            if (!w.startsWith("-") || w === "-") continue;
            const name = w.startsWith("--") ? w.split("=")[0]! : w.slice(0, 2);
            if (takesValue(command, name) === undefined)
                throw new UsageError(`${name} (given before "${word}") is not an option of llmgen ${word}; see llmgen ${word} --help`);
        }
        return {argv: [word, ...before, ...argv.slice(first.index + 1)], promptOnly: false};
    }
    const second = nextPositional(program, argv, first.index + 1);
    if (second.index >= 0) {
        const near = program.commands.map((c) => c.name()).filter((n) => editDistance(n, word) <= 2 || (word.length >= 3 && n.startsWith(word)));
        if (near.length > 0 && !word.includes(" "))
            throw new UsageError(`unknown command "${word}" (did you mean ${near.join(" or ")}?); to generate from that text, quote the whole prompt`);
        throw new UsageError(`too many arguments: the prompt is one argument; quote it, e.g. llmgen "${argv.slice(first.index).filter((w) => !w.startsWith("-")).slice(0, 4).join(" ")}"`);
    }
    return {argv: [...argv], promptOnly: false};
}

/** Commander's messages as one line: "llmgen: unknown option '--top-z' (did you mean --top-k?)". */
function oneLine(message: string): string {
    return message.replace(/^error: /, "llmgen: ").replace(/\s*\n\(Did you mean/, " (did you mean").replace(/\s+$/, "") + "\n";
}

function reportError(err: unknown, debug: boolean): number {
    if (err instanceof CommanderError) {
        if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0) return 0;
        if (err.code === "commander.help") return 0;
        return 2; // commander already printed its one-line message
    }
    const e = err as {message?: string; exitCode?: number; stack?: string};
    const code = typeof e.exitCode === "number" ? e.exitCode : 1;
    const message = withFix((e.message ?? String(err)).split("\n")[0]!, (err as {fix?: Fix}).fix);
    process.stderr.write(`llmgen: ${message}\n`);
    if (debug && e.stack) process.stderr.write(e.stack + "\n");
    else if (!(err instanceof UsageError || err instanceof RuntimeError)) process.stderr.write("llmgen: (an unexpected error; run with --debug for a stack trace)\n");
    return code;
}
