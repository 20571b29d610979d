/**
 * Which model file a command uses. `-m` (or LLMGEN_MODEL) may be a path, a file name in the models
 * folder, a catalogue name or a URI; without it: the catalogue's default model if present, else the
 * first `.gguf` in the models folder, else the built-in demo model (stories260K, shipped in the
 * package's assets/). Nothing is downloaded unless a model is named: a catalogue name or a URI given
 * with -m is fetched on a terminal (with progress), otherwise a one-line error names the command.
 * Every file is checked to be a complete GGUF model before it is handed to the engine.
 * No output here: notices and download progress go to the caller's callbacks.
 */
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {stat} from "node:fs/promises";
import {findLocalFileForUri} from "../engine/modelFiles.js";
import {RuntimeError, UsageError} from "../errors.js";
import {catalogueNames, defaultEntry, findCatalogueEntry, findCatalogueEntryByFileName, findCatalogueEntryByUri, type CatalogueEntry} from "./catalogue.js";
import {displayPath, modelsDirChoice} from "./dir.js";
import {formatBytes} from "./format.js";
import {ggufFilesIn} from "./list.js";
import {DownloadCancelledError, pullModel, type PullEvent} from "./pull.js";
import {isModelUri} from "./uri.js";
import {validateModelFile, type GgufSummary} from "./verify.js";

export interface ResolveOptions {
    /** --models-dir; LLMGEN_MODELS_DIR (from `env`) and the default folder apply when unset. */
    modelsDir?: string;
    /** May pull a missing model that was named (stderr is a terminal). */
    interactive: boolean;
    /** Cancels a download. */
    signal?: AbortSignal;
    /** One-line notices (a download announced and saved, a non-LLaMA architecture). */
    onNotice?: (line: string) => void;
    /** Download progress events (the caller draws them). */
    onPullEvent?: (event: PullEvent) => void;
    /** The environment (LLMGEN_MODELS_DIR, HF_ENDPOINT…): the CLI passes process.env; default: none. */
    env?: NodeJS.ProcessEnv;
    /** The model to use when `spec` is undefined (the CLI passes LLMGEN_MODEL). */
    envModel?: string;
    /** A download gives up when no data arrives for this long (see PullOptions). */
    stallTimeoutMs?: number;
}

/** The built-in demo model, shipped with llmgen (assets/stories260K.gguf). */
export const BUILTIN_MODEL = {
    name: "stories260K",
    path: path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "assets", "stories260K.gguf"),
    description: "the built-in 260K-parameter TinyStories demo model"
} as const;

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
    /** True for the built-in demo model (no model was given and the models folder has none). */
    builtin?: boolean;
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

/** Say so when the model is not LLaMA-architecture (llama.cpp runs many others). */
function noteArchitecture(model: ResolvedModel, opts: ResolveOptions): ResolvedModel {
    if (opts.interactive && model.architecture !== "llama")
        opts.onNotice?.(`${model.name} is a ${model.architecture} model (not LLaMA); llama.cpp runs it if it supports that architecture`);
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

/** Pull a named model (on a terminal): announced, progress through onPullEvent, cancelled by opts.signal. */
async function pullNow(what: string, announce: string, dir: string, opts: ResolveOptions): Promise<ResolvedModel> {
    opts.onNotice?.(announce);
    try {
        const result = await pullModel(what, {modelsDir: dir, signal: opts.signal, onEvent: opts.onPullEvent, stallTimeoutMs: opts.stallTimeoutMs, env: opts.env});
        opts.onNotice?.(`saved ${displayPath(result.path)}`);
        return await useFile(result.path, result.name, result.entry, true);
    } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (opts.signal?.aborted) throw err instanceof RuntimeError ? err : new DownloadCancelledError(message);
        throw new RuntimeError(`cannot download ${what}: ${message} — fetch it later with: ${pullCommandFor(what, opts.modelsDir)}`);
    }
}

async function useCatalogueEntry(entry: CatalogueEntry, dir: string, opts: ResolveOptions): Promise<ResolvedModel> {
    const filePath = path.join(dir, entry.fileName);
    if (await isFile(filePath)) return useFile(filePath, entry.name, entry);
    if (!opts.interactive)
        throw new RuntimeError(`model ${entry.name} is not in ${displayPath(dir)} yet — fetch it with: ${pullCommandFor(entry.name, opts.modelsDir)}`);
    return pullNow(entry.name, `${entry.name} is not downloaded yet — fetching it now (${sizeText(entry)}, ${entry.licence})`, dir, opts);
}

/**
 * Find the model file for `spec` (undefined: opts.envModel, else the default/first model in the
 * models folder, else pull the default when interactive). Throws RuntimeError with one line that
 * names the file or the command that fixes it.
 */
export async function resolveModel(spec: string | undefined, opts: ResolveOptions): Promise<ResolvedModel> {
    return noteArchitecture(await resolveModelQuietly(spec, opts), opts);
}

async function resolveModelQuietly(spec: string | undefined, opts: ResolveOptions): Promise<ResolvedModel> {
    const dir = modelsDirChoice(opts.modelsDir, opts.env ?? {}).dir;
    const fromEnv = opts.envModel?.trim();
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
        // Nothing given and nothing here: the built-in demo model. Never a download nobody asked for.
        return {...(await useFile(BUILTIN_MODEL.path, BUILTIN_MODEL.name)), builtin: true};
    }

    if (isModelUri(wanted)) {
        const entry = findCatalogueEntryByUri(wanted);
        if (entry != null) return useCatalogueEntry(entry, dir, opts);
        const local = await findLocalFileForUri(wanted, dir);
        if (local != null) return useFile(local, path.basename(local));
        if (!opts.interactive)
            throw new RuntimeError(`model ${wanted} is not in ${displayPath(dir)} yet — fetch it with: ${pullCommandFor(wanted, opts.modelsDir)}`);
        return pullNow(wanted, `fetching ${wanted}`, dir, opts);
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
