/** `llmgen models`: the models folder's `.gguf` files with their GGUF metadata (`--json` for scripts). */
import {Command} from "commander";
import type {ChalkInstance} from "chalk";
import {displayPath, modelsDirChoice} from "../models/dir.js";
import {formatBytes, formatCount} from "../models/format.js";
import {listModels, type ModelsListing} from "../models/list.js";
import {info, outputStyle} from "./io.js";
import {addOutputOptions, modelsDirOption} from "./options.js";

interface ModelsCliOptions {
    modelsDir?: string;
    json?: boolean;
    color?: boolean;
}

function table(rows: string[][], align: ("l" | "r")[]): string[] {
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
    return rows.map((r) =>
        r.map((cell, i) => (i === r.length - 1 ? cell : align[i] === "r" ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join("  ").trimEnd()
    );
}

function render(listing: ModelsListing, out: ChalkInstance): string[] {
    const lines = [`models folder: ${listing.dir}`];
    const valid = listing.models.filter((m) => m.valid);
    const invalid = listing.models.filter((m) => !m.valid);
    if (valid.length === 0 && invalid.length === 0) {
        lines.push(listing.exists ? "(no .gguf files)" : "(the folder does not exist yet)");
        return lines;
    }
    if (valid.length > 0) {
        const header = ["MODEL", "FILE", "SIZE", "ARCH", "PARAMS", "QUANT", "VOCAB", "CONTEXT"];
        const rows = valid.map((m) => [
            (m.catalogueName ?? "-") + (m.isDefault ? " *" : ""),
            m.file,
            formatBytes(m.sizeBytes),
            m.architecture ?? "?",
            m.parameterCount != null ? formatCount(m.parameterCount) : "?",
            m.quantisation ?? "?",
            m.vocabularySize != null ? String(m.vocabularySize) : "?",
            m.contextLength != null ? String(m.contextLength) : "?"
        ]);
        const formatted = table([header, ...rows], ["l", "l", "r", "l", "r", "l", "r", "r"]);
        lines.push(out.dim(formatted[0] ?? ""), ...formatted.slice(1));
    }
    for (const m of invalid) lines.push(out.red(`${m.file}  ${formatBytes(m.sizeBytes)}  not a usable GGUF model: ${m.error ?? "unknown problem"}`));
    return lines;
}

export function modelsCommand(): Command {
    const cmd = new Command("models")
        .description("list the models in the models folder, with their GGUF metadata")
        .addOption(modelsDirOption());
    return addOutputOptions(cmd, "one JSON document")
        .action(async (_options: ModelsCliOptions, command: Command) => {
            // Also honour options given before the subcommand (llmgen --models-dir d models).
            const options = command.optsWithGlobals<ModelsCliOptions>();
            const style = outputStyle({color: options.color});
            const choice = modelsDirChoice(options.modelsDir, process.env);
            const listing = await listModels(choice.dir);
            if (options.json) {
                process.stdout.write(JSON.stringify({...listing, dirSource: choice.source}, null, 2) + "\n");
                return;
            }
            process.stdout.write(render(listing, style.out).join("\n") + "\n");
            if (choice.fallbackFrom != null) info(style.err.dim(`(using the user cache folder: ${choice.fallbackFrom})`));
            const notPulled = listing.catalogue.filter((e) => !e.pulled);
            if (listing.models.some((m) => m.isDefault)) info(style.err.dim("* default model"));
            if (notPulled.length > 0) {
                const names = notPulled.map((e) => `${e.name}${e.isDefault ? " (default)" : ""} ${e.sizeBytes != null ? formatBytes(e.sizeBytes) : `~${formatBytes(e.approxBytes)}`}`);
                info(style.err.dim(`not downloaded: ${names.join(", ")} — llmgen pull <name>`));
            }
            for (const partial of listing.partialDownloads)
                info(style.err.dim(`interrupted download: ${displayPath(choice.dir)}/.llmgen-partial/${partial} — the same llmgen pull resumes it`));
        });
}
