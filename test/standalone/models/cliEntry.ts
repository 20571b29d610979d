/**
 * A stand-in CLI entry for the model commands' tests: `pull`, `models` (and a test-only `resolve`) under a `llmgen`
 * program, with the same error handling as the real main (one `llmgen: <message>` line on stderr,
 * exit code from the error, 2 for commander's own usage errors). Runs only when LLMGEN_ENTRY=1,
 * so the test runner, which executes every file under test/, leaves it alone.
 */
import {Command, CommanderError} from "commander";
import {modelsCommand} from "../../../src/cli/models.js";
import {pullCommand} from "../../../src/cli/pull.js";
import {resolveModel} from "../../../src/models/resolve.js";

/** Test-only: resolve a model as a generating command would and print the result as JSON. */
function resolveCommand(): Command {
    return new Command("resolve")
        .argument("[model]")
        .option("--models-dir <dir>")
        .option("--interactive", "behave as on a terminal")
        .action(async (model: string | undefined, opts: {modelsDir?: string; interactive?: boolean}) => {
            const r = await resolveModel(model, {modelsDir: opts.modelsDir, interactive: opts.interactive === true, env: process.env, envModel: process.env.LLMGEN_MODEL, onNotice: (line) => process.stderr.write(line + "\n")});
            process.stdout.write(JSON.stringify({path: r.path, name: r.name, architecture: r.architecture, pulled: r.pulled, ...(r.builtin ? {builtin: true} : {})}) + "\n");
        });
}

async function run(argv: string[]): Promise<number> {
    const program = new Command("llmgen");
    program.addCommand(pullCommand());
    program.addCommand(modelsCommand());
    program.addCommand(resolveCommand());
    for (const cmd of [program, ...program.commands]) cmd.exitOverride();
    try {
        await program.parseAsync(argv, {from: "user"});
        return 0;
    } catch (err) {
        if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
        const e = err as {message?: string; exitCode?: number};
        process.stderr.write(`llmgen: ${(e.message ?? String(err)).split("\n")[0]}\n`);
        return typeof e.exitCode === "number" ? e.exitCode : 1;
    }
}

if (process.env.LLMGEN_ENTRY === "1") process.exitCode = await run(process.argv.slice(2));
