/**
 * `llmgen build-fast [--status] [--json] [--force]`: build (or restore) the fast logits route, from
 * any install (a clone or `npm install -g`): runs the package's scripts/build-fast.mjs.
 */
import {spawn} from "node:child_process";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {Command} from "commander";

export function buildFastCommand(setExit: (code: number) => void): Command {
    return new Command("build-fast")
        .description("build the fast logits route: compile llmgen's patched node-llama-cpp addon against the prebuilt llama.cpp (under a minute; needs a C++ compiler, git and node's headers), smoke-test it and install it")
        .option("--status", "what is built, cached, installed and smoke-tested")
        .option("--json", "with --status: JSON")
        .option("--force", "rebuild even when a cached build exists")
        .option("--quiet", "only errors")
        .action(async (flags: {status?: boolean; json?: boolean; force?: boolean; quiet?: boolean}) => {
            const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "scripts", "build-fast.mjs");
            const args = [flags.status && "--status", flags.json && "--json", flags.force && "--force", flags.quiet && "--quiet"].filter((a): a is string => typeof a === "string");
            const code = await new Promise<number>((resolve) => {
                const child = spawn(process.execPath, [script, ...args], {stdio: "inherit"});
                child.on("error", () => resolve(1));
                child.on("close", (c, signal) => resolve(c ?? (signal === "SIGINT" ? 130 : 1)));
            });
            setExit(code);
        });
}
