/** `llmgen pull [model]`: download a model into the models folder. stdout gets the file's path. */
import {Command} from "commander";
import {CATALOGUE, DEFAULT_MODEL_NAME} from "../models/catalogue.js";
import {displayPath, modelsDirChoice} from "../models/dir.js";
import {formatBytes} from "../models/format.js";
import {createPullReporter} from "../models/progress.js";
import {DownloadCancelledError, pullModel} from "../models/pull.js";
import {info, outputStyle} from "./io.js";
import {addOutputOptions, modelsDirOption, stallTimeoutFromEnv} from "./options.js";

interface PullCliOptions {
    modelsDir?: string;
    sha256?: string;
    force?: boolean;
    verbose?: boolean;
    debug?: boolean;
    color?: boolean;
}

function catalogueHelp(): string {
    const rows = CATALOGUE.map((e) => {
        const size = e.sizeBytes != null ? formatBytes(e.sizeBytes) : `~${formatBytes(e.approxBytes)}`;
        const mark = e.name === DEFAULT_MODEL_NAME ? " (default)" : "";
        return `  ${(e.name + mark).padEnd(24)} ${size.padStart(9)}  ${e.parameters.padEnd(5)} ${e.quantisation.padEnd(7)} ${e.licence}`;
    });
    return `\nCatalogue (llmgen pull <name>):\n${rows.join("\n")}\n\nAlso: hf:user/repo:Q4_K_M, hf:user/repo/path/file.gguf, or an http(s) URL.\n`;
}

/** How long a failed pull may linger after its error is reported. */
const EXIT_GRACE_MS = 500;

/**
 * After a stopped download (stall, Ctrl-C), node-llama-cpp's downloader can still sit in a retry
 * pause of up to 5 s before it sees the stop, and that timer alone would keep the process alive:
 * once the error has been reported (main does that right after this action throws), do not make
 * the user wait for it. The timer is unref'd, so a process that is done anyway exits at once.
 */
function exitSoonAfterFailure(err: unknown): void {
    const code = (err as {exitCode?: unknown} | null)?.exitCode;
    const fallback = typeof code === "number" ? code : 1;
    setTimeout(() => process.exit(typeof process.exitCode === "number" && process.exitCode !== 0 ? process.exitCode : fallback), EXIT_GRACE_MS).unref();
}

export function pullCommand(): Command {
    const cmd = new Command("pull")
        .description(`download a model into the models folder (default model: ${DEFAULT_MODEL_NAME})`)
        .argument("[model]", "catalogue name, hf: URI or http(s) URL")
        .addOption(modelsDirOption())
        .option("--sha256 <hex>", "expected sha256 of the file (catalogue models carry their own)")
        .option("--force", "download again even if the file is there, discarding any partial download");
    return addOutputOptions(cmd, undefined, {logs: true})
        .addHelpText("after", catalogueHelp())
        .action(async (model: string | undefined, _options: PullCliOptions, command: Command) => {
            // Also honour options given before the subcommand (llmgen --models-dir d pull).
            const options = command.optsWithGlobals<PullCliOptions>();
            const style = outputStyle({color: options.color});
            const choice = modelsDirChoice(options.modelsDir, process.env);
            if (choice.fallbackFrom != null) info(style.err.yellow(`models folder: ${choice.dir} (${choice.fallbackFrom})`));
            else if (options.verbose || options.debug) info(style.err.dim(`models folder: ${choice.dir}`));

            const reporter = createPullReporter({tty: style.stderrTTY, chalk: style.err, verbose: options.verbose || options.debug});
            const controller = new AbortController();
            // process.on, not once: signal-exit (used by dependencies) re-raises SIGINT when it sees
            // no other listener, which would kill the process before the cancel is tidied up.
            const onSigint = () => {
                if (controller.signal.aborted) process.exit(130);
                controller.abort(new DownloadCancelledError("download cancelled (Ctrl-C) — run the same command again to resume"));
            };
            process.on("SIGINT", onSigint);
            try {
                const result = await pullModel(model, {
                    modelsDir: choice.dir,
                    force: options.force,
                    sha256: options.sha256,
                    signal: controller.signal,
                    onEvent: reporter.onEvent,
                    stallTimeoutMs: stallTimeoutFromEnv(),
                    env: process.env
                });
                reporter.clear();
                const size = formatBytes(result.sizeBytes);
                const check = result.verified === "sha256"
                    ? "sha256 verified"
                    : result.sha256 != null
                        ? `no published checksum, checked as GGUF; sha256 ${result.sha256}`
                        : "checked as GGUF";
                if (result.alreadyPresent) info(`${result.name} is already in ${displayPath(choice.dir)} (${size}, ${check})`);
                else info(style.err.green(`saved ${result.name} → ${displayPath(result.path)} (${size}, ${check})`));
                process.stdout.write(result.path + "\n");
            } catch (err) {
                reporter.clear();
                exitSoonAfterFailure(err);
                throw err;
            } finally {
                process.off("SIGINT", onSigint);
            }
        });
}
