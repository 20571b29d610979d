/**
 * Which model file a command uses. `-m` (or LLMGEN_MODEL) may be a path, a file name in the models
 * folder, a catalogue name or a URI; without it: the default model if present, else the first
 * `.gguf` in the models folder, else the default model is pulled (on a terminal) or a one-line
 * error says which command fetches it. Every file is checked to be a complete GGUF model before it
 * is handed to the engine.
 */
import os from "node:os";
import path from "node:path";
import {stat} from "node:fs/promises";
import {Chalk} from "chalk";
import {colorAllowed} from "../cli/io.js";
import {findLocalFileForUri} from "../engine/modelFiles.js";
import {RuntimeError, UsageError} from "../errors.js";
import {catalogueNames, defaultEntry, findCatalogueEntry, findCatalogueEntryByFileName, findCatalogueEntryByUri, type CatalogueEntry} from "./catalogue.js";
import {displayPath, modelsDirChoice} from "./dir.js";
import {formatBytes} from "./format.js";
import {ggufFilesIn} from "./list.js";
import {createPullReporter} from "./progress.js";
import {DownloadCancelledError, pullModel} from "./pull.js";
import {isModelUri} from "./uri.js";
import {validateModelFile, type GgufSummary} from "./verify.js";

export interface ResolveOptions {
    /** --models-dir; LLMGEN_MODELS_DIR and the default folder apply when unset. */
    modelsDir?: string;
    /** May pull a missing model (stderr is a terminal). */
    interactive: boolean;
    signal?: AbortSignal;
}

export interface ResolvedModel {
    path: string;
    /** Catalogue name, or the file name. */
    name: string;
    /** general.architecture ("llama", "qwen2", …). */
    architecture: string;
    /** What the GGUF file says about itself. */
    info: GgufSummary;
    /** True when this call downloaded it. */
    pulled: boolean;
}

function expandHome(p: string): string {
    return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

function looksLikePath(spec: string): boolean {
    return path.isAbsolute(spec) || /[\\/]/.test(spec) || spec.startsWith("~") || spec === "." || spec === "..";
}

async function isFile(p: string): Promise<boolean> {
    try {
        return (await stat(p)).isFile();
    } catch {
        return false;
    }
}

async function useFile(filePath: string, name: string, entry?: CatalogueEntry, pulled = false): Promise<ResolvedModel> {
    const {summary} = await validateModelFile(filePath, entry);
    return {path: filePath, name, architecture: summary.architecture, info: summary, pulled};
}

/** Say so on a terminal when the model is not LLaMA-architecture (llama.cpp runs many others). */
function noteArchitecture(model: ResolvedModel, interactive: boolean): ResolvedModel {
    if (interactive && model.architecture !== "llama")
        process.stderr.write(`llmgen: ${model.name} is a ${model.architecture} model (not LLaMA); llama.cpp runs it if it supports that architecture\n`);
    return model;
}

function sizeText(entry: CatalogueEntry): string {
    return entry.sizeBytes != null ? formatBytes(entry.sizeBytes) : `about ${formatBytes(entry.approxBytes)}`;
}

/** The exact command that fetches `what` into this folder. */
function pullCommandFor(what: string | undefined, modelsDirOption: string | undefined): string {
    const quoted = (v: string) => (/^[\w@%+=:,./~-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`);
    const dirPart = modelsDirOption != null ? ` --models-dir ${quoted(modelsDirOption)}` : "";
    return `llmgen pull${what != null ? ` ${quoted(what)}` : ""}${dirPart}`;
}

/** Pull on a terminal, with a progress bar on stderr; Ctrl-C cancels. */
async function pullNow(what: string | undefined, announce: string, dir: string, opts: ResolveOptions): Promise<ResolvedModel> {
    const chalk = new Chalk({level: colorAllowed(undefined) && process.stderr.isTTY ? 2 : 0});
    process.stderr.write(`${announce}\n`);
    const reporter = createPullReporter({tty: process.stderr.isTTY === true, chalk});
    // The caller's signal is its Ctrl-C; without one, Ctrl-C cancels the download here.
    const controller = new AbortController();
    const onSigint = () => {
        if (controller.signal.aborted) process.exit(130);
        controller.abort(new DownloadCancelledError("download cancelled (Ctrl-C) — run the same command again to resume"));
    };
    const signal = opts.signal != null ? AbortSignal.any([opts.signal, controller.signal]) : controller.signal;
    if (opts.signal == null) process.on("SIGINT", onSigint);
    try {
        const result = await pullModel(what, {modelsDir: dir, signal, onEvent: reporter.onEvent});
        reporter.clear();
        process.stderr.write(`saved ${displayPath(result.path)}\n`);
        return await useFile(result.path, result.name, result.entry, true);
    } catch (err) {
        reporter.clear();
        const message = err instanceof Error ? err.message : String(err);
        if (signal.aborted) throw err instanceof RuntimeError ? err : new DownloadCancelledError(message);
        throw new RuntimeError(`cannot download ${what ?? defaultEntry().name}: ${message} — fetch it later with: ${pullCommandFor(what, opts.modelsDir)}`);
    } finally {
        process.off("SIGINT", onSigint);
    }
}

async function useCatalogueEntry(entry: CatalogueEntry, dir: string, opts: ResolveOptions): Promise<ResolvedModel> {
    const filePath = path.join(dir, entry.fileName);
    if (await isFile(filePath)) return useFile(filePath, entry.name, entry);
    if (!opts.interactive)
        throw new RuntimeError(`model ${entry.name} is not in ${displayPath(dir)} yet — fetch it with: ${pullCommandFor(entry.name, opts.modelsDir)}`);
    return pullNow(entry.name, `llmgen: ${entry.name} is not downloaded yet — fetching it now (${sizeText(entry)}, ${entry.licence})`, dir, opts);
}

/**
 * Find the model file for `spec` (undefined: LLMGEN_MODEL, else the default/first model in the
 * models folder, else pull the default when interactive). Throws RuntimeError with one line that
 * names the file or the command that fixes it.
 */
export async function resolveModel(spec: string | undefined, opts: ResolveOptions): Promise<ResolvedModel> {
    return noteArchitecture(await resolveModelQuietly(spec, opts), opts.interactive);
}

async function resolveModelQuietly(spec: string | undefined, opts: ResolveOptions): Promise<ResolvedModel> {
    const dir = modelsDirChoice(opts.modelsDir).dir;
    const fromEnv = process.env.LLMGEN_MODEL?.trim();
    const wanted = spec?.trim() || fromEnv || undefined;
    if (spec != null && spec.trim() === "") throw new UsageError("-m needs a model: a path, a file in the models folder, a catalogue name or a URI");

    if (wanted == null) {
        const entry = defaultEntry();
        const defaultPath = path.join(dir, entry.fileName);
        if (await isFile(defaultPath)) return useFile(defaultPath, entry.name, entry);
        const files = await ggufFilesIn(dir);
        const first = files[0];
        if (first != null) {
            const fileEntry = findCatalogueEntryByFileName(first);
            return useFile(path.join(dir, first), fileEntry?.name ?? first, fileEntry);
        }
        if (!opts.interactive)
            throw new RuntimeError(
                `no model found in ${displayPath(dir)}; fetch one with: ${pullCommandFor(undefined, opts.modelsDir)} (the default model, ${entry.name}, ${sizeText(entry)})`
            );
        return pullNow(
            undefined,
            `llmgen: no model in ${displayPath(dir)} yet — downloading the default model ${entry.name} (${sizeText(entry)}, ${entry.licence}); this happens once`,
            dir,
            opts
        );
    }

    if (isModelUri(wanted)) {
        const entry = findCatalogueEntryByUri(wanted);
        if (entry != null) return useCatalogueEntry(entry, dir, opts);
        const local = await findLocalFileForUri(wanted, dir);
        if (local != null) return useFile(local, path.basename(local));
        if (!opts.interactive)
            throw new RuntimeError(`model ${wanted} is not in ${displayPath(dir)} yet — fetch it with: ${pullCommandFor(wanted, opts.modelsDir)}`);
        return pullNow(wanted, `llmgen: fetching ${wanted}`, dir, opts);
    }

    if (looksLikePath(wanted)) {
        const filePath = path.resolve(expandHome(wanted));
        return useFile(filePath, path.basename(filePath));
    }

    const here = path.resolve(wanted);
    if (await isFile(here)) return useFile(here, path.basename(here));
    for (const candidate of [wanted, `${wanted}.gguf`]) {
        const inDir = path.join(dir, candidate);
        if (await isFile(inDir)) {
            const entry = findCatalogueEntryByFileName(candidate);
            return useFile(inDir, entry?.name ?? candidate, entry);
        }
    }
    const entry = findCatalogueEntry(wanted);
    if (entry != null) return useCatalogueEntry(entry, dir, opts);
    throw new RuntimeError(
        `model ${JSON.stringify(wanted)} not found: no such file here or in ${displayPath(dir)}, and not a catalogue name (${catalogueNames().join(", ")}) — see: llmgen models`
    );
}
