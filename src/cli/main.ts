/**
 * The llmgen program: the default command generates; subcommands for models and analysis.
 * Errors become one line on stderr (a stack trace only with --debug) and an exit code:
 * 2 for usage errors, 1 for runtime errors, 130 after Ctrl-C.
 */
import {Command, CommanderError} from "commander";
import {RuntimeError, UsageError} from "../errors.js";
import {DEFAULT_STRATEGY_SPEC} from "../sampling/index.js";
import {benchCommand} from "./bench.js";
import {compareCommand} from "./compare.js";
import {doctorCommand} from "./doctor.js";
import {explainCommand} from "./explain.js";
import {configureGenerate, generateAction, type GenerateFlags} from "./generate.js";
import {modelsCommand} from "./models.js";
import {pullCommand} from "./pull.js";
import {samplersCommand} from "./samplers.js";
import {drainStdout} from "./stdout.js";

const VERSION = "0.1.0";

export function buildProgram(setExit: (code: number) => void): Command {
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
    program.addCommand(pullCommand());
    program.addCommand(modelsCommand());
    program.addCommand(compareCommand());
    program.addCommand(explainCommand());
    program.addCommand(benchCommand());
    program.addCommand(doctorCommand());
    program.addCommand(samplersCommand());
    return program;
}

export async function main(argv: string[]): Promise<number> {
    let exitCode = 0;
    const program = buildProgram((code) => (exitCode = code));
    const debug = argv.includes("--debug");
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
    const message = (e.message ?? String(err)).split("\n")[0];
    process.stderr.write(`llmgen: ${message}\n`);
    if (debug && e.stack) process.stderr.write(e.stack + "\n");
    else if (!(err instanceof UsageError || err instanceof RuntimeError)) process.stderr.write("llmgen: (an unexpected error; run with --debug for a stack trace)\n");
    return code;
}
