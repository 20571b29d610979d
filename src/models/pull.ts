/**
 * `llmgen pull`: fetch a model into the models folder with node-llama-cpp's downloader, so that
 * nothing half-written ever looks like a model:
 *
 *  1. a file already there (and still valid) is not fetched again;
 *  2. the models folder is checked to take new files, and the address (reachable? HTTP status?
 *     GGUF magic?), so errors come fast;
 *  3. the download goes to `<models>/.llmgen-partial/<file>.ipull` (resumable), then
 *     `<models>/.llmgen-partial/<file>`;
 *  4. it is verified there: size and sha256 when known (the sha256 is always computed and reported),
 *     and always as a complete GGUF file;
 *  5. only then is it renamed into `<models>/<file>`. A failed check deletes the download; an
 *     interrupted or stalled download keeps its `.ipull` partial so the next run resumes.
 *
 * A stall (no new byte for the stall limit) or a cancel ends the pull within about a second, even
 * while the downloader is still retrying a server that went away (see transfer()).
 */
import {createHash} from "node:crypto";
import {existsSync} from "node:fs";
import {mkdir, open, readdir, readFile, rename, rm, rmdir, stat, statfs, unlink, writeFile} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {findLocalFileForUri, prepareDownload, type DownloadProgress, type PreparedDownload} from "../engine/modelFiles.js";
import {RuntimeError, UsageError} from "../errors.js";
import {
    catalogueNames,
    defaultEntry,
    findCatalogueEntry,
    findCatalogueEntryByFileName,
    findCatalogueEntryByUri,
    type CatalogueEntry
} from "./catalogue.js";
import {CHOOSE_ANOTHER, checkModelsFolderWritable, describeFsError, displayPath, ensureModelsFolder, notWritableReason} from "./dir.js";
import {formatBytes, shortHash} from "./format.js";
import {describeNetworkError, errorCode, httpStatusMessage, probeUrl} from "./probe.js";
import {HF_URI_FORMATS, hfEndpoint, hfUriProblem, isHfUri, isHttpUrl, isModelUri, probeTarget} from "./uri.js";
import {inspectGgufFile, isSha256, sha256File} from "./verify.js";

/** Folder inside the models folder for downloads in progress. */
export const STAGING_DIR_NAME = ".llmgen-partial";
/** The partial-file suffix of node-llama-cpp's downloader (ipull). */
const PARTIAL_SUFFIX = ".ipull";

const DEFAULT_STALL_TIMEOUT_MS = 60_000;
/**
 * How long a stopped (stalled or cancelled) download gets to close before pull reports and
 * returns anyway. Closing is quick; what is not waited for is the downloader's own retry loop,
 * which notices the stop only after its current pause (up to 5 s).
 */
const CLOSE_GRACE_MS = 2000;
const DEFAULT_PROBE_TIMEOUT_MS = 20_000;
/** Speed is measured over this window. */
const SPEED_WINDOW_MS = 5000;
/** Free space kept in reserve beyond the download itself. */
const DISK_MARGIN_BYTES = 1_000_000;

export type PullEvent =
    | {type: "exists"; path: string; fileName: string; sizeBytes: number}
    | {type: "start"; fileName: string; url: string; totalBytes: number; resumedBytes: number}
    | {type: "progress"; downloadedBytes: number; totalBytes: number; bytesPerSecond: number; etaSeconds: number}
    | {type: "downloaded"; fileName: string}
    | {type: "verifying"; what: "sha256" | "gguf"; fileName: string}
    | {type: "note"; message: string};

export interface PullOptions {
    modelsDir: string;
    /** Fetch again even when the file is there; discard any partial download. */
    force?: boolean;
    /** Expected sha256 for a URI (catalogue entries carry their own). */
    sha256?: string;
    signal?: AbortSignal;
    onEvent?: (event: PullEvent) => void;
    /** Hugging Face endpoint (default: MODEL_ENDPOINT, HF_ENDPOINT, https://huggingface.co/). */
    hfEndpoint?: string;
    /** The environment for MODEL_ENDPOINT / HF_ENDPOINT (the CLI passes process.env; default: none). */
    env?: NodeJS.ProcessEnv;
    /** Give up when no data arrives for this long (default 60 s; the CLI reads LLMGEN_STALL_TIMEOUT). */
    stallTimeoutMs?: number;
    /** Time allowed for the first answer from the server (default 20 s). */
    probeTimeoutMs?: number;
    /** Free bytes on the folder's disk (replaceable in tests). */
    diskFree?: (dir: string) => Promise<number>;
}

export interface PullResult {
    path: string;
    /** Catalogue name, or the file name. */
    name: string;
    fileName: string;
    sizeBytes: number;
    /** sha256 of the file when it was computed (always after a download). */
    sha256: string | null;
    /** How the file was checked: against a known sha256, or as a complete GGUF file only. */
    verified: "sha256" | "gguf";
    alreadyPresent: boolean;
    entry?: CatalogueEntry;
}

export interface PullTarget {
    /** Catalogue name, or the URI as given. */
    name: string;
    uri: string;
    entry?: CatalogueEntry;
    /** File name in the models folder when known before asking the server. */
    fileName?: string;
    sha256: string | null;
    sizeBytes: number | null;
}

/** What pull takes, for the usage errors. */
const ACCEPTED = `https:// and http:// URLs, hf:<user>/<repo>[:<quant>], hf:<user>/<repo>/<file>.gguf or a catalogue name (see llmgen pull --help)`;

/**
 * What `llmgen pull [model]` means: default model, catalogue name, or URI. A malformed URI, an
 * unsupported scheme or a file name is a UsageError (exit 2) before anything is fetched. With
 * `where`, a file name is also looked up, to say whether it exists (and then to use it with -m)
 * or not (and then what pull takes).
 */
export function pullTarget(spec: string | undefined, sha256?: string, where?: {modelsDir: string}): PullTarget {
    if (sha256 != null && !isSha256(sha256)) throw new UsageError(`--sha256 needs 64 hex digits, got ${JSON.stringify(sha256)}`);
    const expected = sha256?.toLowerCase() ?? null;
    const fromEntry = (entry: CatalogueEntry): PullTarget => {
        if (expected != null && entry.sha256 != null && expected !== entry.sha256)
            throw new UsageError(`--sha256 does not match the catalogue's checksum for ${entry.name}`);
        return {
            name: entry.name,
            uri: entry.uri,
            entry,
            fileName: entry.fileName,
            sha256: entry.sha256 ?? expected,
            sizeBytes: entry.sizeBytes
        };
    };
    if (spec == null || spec.trim() === "") return fromEntry(defaultEntry());
    const trimmed = spec.trim();
    const byName = findCatalogueEntry(trimmed);
    if (byName != null) return fromEntry(byName);
    if (isModelUri(trimmed)) {
        const byUri = findCatalogueEntryByUri(trimmed);
        if (byUri != null) return fromEntry(byUri);
        const problem = hfUriProblem(trimmed) ?? httpUrlProblem(trimmed);
        if (problem != null) throw new UsageError(problem);
        return {name: trimmed, uri: trimmed, sha256: expected, sizeBytes: null};
    }
    const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(trimmed);
    if (scheme?.[1] != null) throw new UsageError(`unsupported URL scheme ${JSON.stringify(scheme[1].toLowerCase())} in ${trimmed} — pull accepts ${ACCEPTED}`);
    if (/[\\/]/.test(trimmed) || trimmed.toLowerCase().endsWith(".gguf")) {
        if (where == null)
            throw new UsageError(`pull fetches models by catalogue name, hf: URI or http(s) URL; to use the local file ${trimmed}, pass it with -m`);
        throw localFileError(trimmed, where.modelsDir);
    }
    throw new UsageError(
        `unknown model ${JSON.stringify(trimmed)}: not a catalogue name (${catalogueNames().join(", ")}), an hf: URI or an http(s) URL`
    );
}

function httpUrlProblem(spec: string): string | null {
    if (!isHttpUrl(spec)) return null;
    let host = "";
    try {
        host = new URL(spec).hostname;
    } catch {
        // no host, or not a URL at all
    }
    return host !== "" ? null : `malformed URL ${JSON.stringify(spec)}: no host — pull accepts ${ACCEPTED}`;
}

/** pull was given a file name or path: it only downloads, so say where the file is, or that it is nowhere. */
function localFileError(spec: string, modelsDir: string): UsageError {
    const bare = !/[\\/]/.test(spec) && !spec.startsWith("~");
    const asPath = path.resolve(spec === "~" || spec.startsWith("~/") ? path.join(os.homedir(), spec.slice(1)) : spec);
    if (bare && existsSync(path.join(modelsDir, spec)))
        return new UsageError(`${spec} is already in the models folder ${displayPath(modelsDir)}; pull only downloads — use it with -m ${spec}`);
    if (existsSync(asPath)) return new UsageError(`${spec} is a local file; pull only downloads — use it with -m ${spec}`);
    const entry = findCatalogueEntryByFileName(path.basename(spec));
    return new UsageError(
        `no such file: ${spec}${bare ? " (not here, not in the models folder)" : ""} — pull downloads a catalogue name${entry != null ? ` (did you mean ${entry.name}?)` : ""}, ${HF_URI_FORMATS.replace(" or ", ", ")} or an http(s) URL; see llmgen pull --help`
    );
}

async function defaultDiskFree(dir: string): Promise<number> {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
}

async function exists(p: string): Promise<boolean> {
    try {
        await stat(p);
        return true;
    } catch {
        return false;
    }
}

function fsErrorMessage(err: unknown, dir: string): string | null {
    const code = errorCode(err);
    if (code === "ENOSPC") return `disk full while writing to ${displayPath(dir)} (ENOSPC) — free some space and run the same command again`;
    if (code === "EDQUOT") return `disk quota exceeded in ${displayPath(dir)} (EDQUOT) — free some space and run the same command again`;
    if (code === "EACCES" || code === "EPERM" || code === "EROFS")
        return `cannot write to the models folder ${displayPath(dir)}: ${notWritableReason(err)} — ${CHOOSE_ANOTHER}`;
    if (code === "ENOTDIR" || code === "EEXIST") return `cannot write to the models folder ${displayPath(dir)}: a file is in the way (${code}) — ${CHOOSE_ANOTHER}`;
    return null;
}

/** Turn whatever the downloader threw into one clear line. */
function downloadErrorMessage(err: unknown, url: string, dir: string): string {
    if (err instanceof RuntimeError || err instanceof UsageError) return err.message;
    const status = (err as {statusCode?: unknown}).statusCode;
    if (typeof status === "number") return httpStatusMessage(status, typeof (err as {url?: unknown}).url === "string" ? (err as {url: string}).url : url);
    const fsMessage = fsErrorMessage(err, dir);
    if (fsMessage != null) return fsMessage;
    const network = describeNetworkError(err, url);
    if (network != null) return `${network} — check your network connection and run the same command again`;
    const message = err instanceof Error ? err.message : String(err);
    return `download failed: ${message.split("\n")[0]}`;
}

/**
 * The staging folder in the (existing) models folder, and a check that the models folder itself
 * takes new files, so that a download never starts only to fail when it is moved into place.
 * Not mkdir's recursive mode: it loops forever where mkdir answers ENOENT (/proc).
 */
async function ensureStagingDir(dir: string, staging: string): Promise<void> {
    try {
        await mkdir(staging);
    } catch (err) {
        if (errorCode(err) !== "EEXIST")
            throw new RuntimeError(`cannot write to the models folder ${displayPath(dir)}: ${notWritableReason(err)} — ${CHOOSE_ANOTHER}`);
        if (!(await stat(staging)).isDirectory())
            throw new RuntimeError(`cannot write to the models folder ${displayPath(dir)}: ${displayPath(staging)} is a file, not a folder — remove it`);
    }
    try {
        const ignore = path.join(staging, ".gitignore");
        if (!(await exists(ignore))) await writeFile(ignore, "# llmgen downloads in progress\n*\n");
    } catch (err) {
        throw new RuntimeError(`cannot write to the models folder ${displayPath(dir)}: ${notWritableReason(err)} — ${CHOOSE_ANOTHER}`);
    }
    await checkModelsFolderWritable(dir);
}

/** One pull of one URI at a time, across processes. */
async function acquireLock(staging: string, uri: string, dir: string): Promise<() => Promise<void>> {
    const lockPath = path.join(staging, `${createHash("sha1").update(uri).digest("hex").slice(0, 16)}.lock`);
    for (let attempt = 0; attempt < 2; attempt++) {
        try {
            const handle = await open(lockPath, "wx");
            await handle.writeFile(String(process.pid));
            await handle.close();
            return async () => {
                await unlink(lockPath).catch(() => undefined);
            };
        } catch (err) {
            if (errorCode(err) !== "EEXIST") throw new RuntimeError(fsErrorMessage(err, dir) ?? `cannot write to ${displayPath(staging)}: ${String(err)}`);
            const pid = Number((await readFile(lockPath, "utf8").catch(() => "")).trim());
            if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid))
                throw new RuntimeError(`another llmgen is already downloading ${uri} (pid ${pid}) — wait for it to finish`);
            await unlink(lockPath).catch(() => undefined);
        }
    }
    throw new RuntimeError(`cannot lock ${displayPath(lockPath)} — remove it if no other llmgen is running`);
}

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return errorCode(err) === "EPERM";
    }
}

/** Delete a staged download: the file(s) and their partials. */
async function discard(prepared: PreparedDownload): Promise<void> {
    for (const f of prepared.files) {
        await rm(f.filePath, {force: true});
        await rm(f.filePath + PARTIAL_SUFFIX, {force: true});
    }
}

/** Remove the staging folder when nothing but its .gitignore is left. */
async function tidyStaging(staging: string): Promise<void> {
    try {
        const left = (await readdir(staging)).filter((n) => n !== ".gitignore");
        if (left.length > 0) return;
        await rm(path.join(staging, ".gitignore"), {force: true});
        await rmdir(staging);
    } catch {
        // another pull may be using it
    }
}

async function fsyncFile(p: string): Promise<void> {
    const handle = await open(p, "r+");
    try {
        await handle.sync();
    } finally {
        await handle.close();
    }
}

/** Is an existing file the one we want? Emits notes on why not. */
async function existingIsGood(
    filePath: string,
    target: PullTarget,
    remoteSize: number | null,
    emit: (e: PullEvent) => void,
    signal?: AbortSignal
): Promise<{ok: boolean; sizeBytes: number; sha256: string | null}> {
    const inspection = await inspectGgufFile(filePath);
    if (!inspection.ok) {
        if (inspection.problem !== "missing") emit({type: "note", message: `${displayPath(filePath)} is not usable (${inspection.detail}); fetching it again`});
        return {ok: false, sizeBytes: inspection.fileSize ?? 0, sha256: null};
    }
    const size = inspection.fileSize;
    if ((target.sizeBytes != null && size !== target.sizeBytes) || (remoteSize != null && remoteSize > 0 && size !== remoteSize)) {
        emit({type: "note", message: `${displayPath(filePath)} has ${size} bytes, expected ${target.sizeBytes ?? remoteSize}; fetching it again`});
        return {ok: false, sizeBytes: size, sha256: null};
    }
    if (target.sha256 != null) {
        emit({type: "verifying", what: "sha256", fileName: path.basename(filePath)});
        const actual = await sha256File(filePath, signal);
        if (actual !== target.sha256) {
            emit({type: "note", message: `${displayPath(filePath)} has sha256 ${shortHash(actual)}, expected ${shortHash(target.sha256)}; fetching it again`});
            return {ok: false, sizeBytes: size, sha256: actual};
        }
        return {ok: true, sizeBytes: size, sha256: actual};
    }
    return {ok: true, sizeBytes: size, sha256: null};
}

function presentResult(filePath: string, target: PullTarget, check: {sizeBytes: number; sha256: string | null}): PullResult {
    const fileName = path.basename(filePath);
    return {
        path: filePath,
        name: target.entry?.name ?? fileName,
        fileName,
        sizeBytes: check.sizeBytes,
        sha256: check.sha256,
        verified: target.sha256 != null ? "sha256" : "gguf",
        alreadyPresent: true,
        entry: target.entry
    };
}

/** A download stopped by the user (Ctrl-C): exit code 130, like the rest of llmgen after Ctrl-C. */
export class DownloadCancelledError extends RuntimeError {
    override readonly exitCode: number = 130;
}

function cancelledError(signal: AbortSignal): unknown {
    const reason: unknown = signal.reason;
    if (reason instanceof RuntimeError || reason instanceof UsageError) return reason;
    return new DownloadCancelledError("download cancelled — run the same command again to resume");
}

/** Race a promise against a deadline and an abort signal. */
async function withDeadline<T>(
    promise: Promise<T>,
    ms: number,
    signal: AbortSignal | undefined,
    onTimeout: () => Error,
    onLate: (value: T) => void
): Promise<T> {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const guard = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
        if (signal != null) {
            onAbort = () => reject(cancelledError(signal));
            if (signal.aborted) onAbort();
            else signal.addEventListener("abort", onAbort, {once: true});
        }
    });
    promise.then(
        (value) => {
            if (settled) onLate(value);
        },
        () => undefined
    );
    try {
        return await Promise.race([promise, guard]);
    } finally {
        settled = true;
        clearTimeout(timer);
        if (onAbort != null) signal?.removeEventListener("abort", onAbort);
    }
}

/**
 * Run the transfer with a watchdog: no new byte for `stallMs` stops it (keeping the partial for a
 * resume), as does the caller's signal.
 */
async function transfer(
    prepared: PreparedDownload,
    opts: {signal?: AbortSignal; stallMs: number; emit: (e: PullEvent) => void; dir: string; url: string; diskFree: (dir: string) => Promise<number>}
): Promise<void> {
    const controller = new AbortController();
    const onUserAbort = () => controller.abort(cancelledError(opts.signal as AbortSignal));
    if (opts.signal?.aborted) throw cancelledError(opts.signal);
    opts.signal?.addEventListener("abort", onUserAbort, {once: true});
    let best = prepared.downloadedSize;
    let total = prepared.totalSize;
    let lastAdvance = Date.now();
    let stalled = false;
    const timer = setInterval(() => {
        if (Date.now() - lastAdvance >= opts.stallMs && !controller.signal.aborted) {
            stalled = true;
            controller.abort(new Error("stalled"));
        }
    }, Math.max(50, Math.min(1000, Math.floor(opts.stallMs / 5))));
    // Speed and ETA over the last few seconds (ipull's own figures average per connection).
    const samples: [number, number][] = [[Date.now(), best]];
    const onProgress = (p: DownloadProgress) => {
        const now = Date.now();
        if (p.totalSize > 0) total = p.totalSize;
        if (p.downloadedSize > best) {
            best = p.downloadedSize;
            lastAdvance = now;
        }
        samples.push([now, best]);
        while (samples.length > 2 && now - (samples[1]?.[0] ?? now) > SPEED_WINDOW_MS) samples.shift();
        const [t0, b0] = samples[0] ?? [now, best];
        const speed = now > t0 ? ((best - b0) * 1000) / (now - t0) : 0;
        opts.emit({
            type: "progress",
            downloadedBytes: best,
            totalBytes: total,
            bytesPerSecond: speed,
            etaSeconds: total > 0 && speed > 0 ? (total - best) / speed : Infinity
        });
    };
    // A stop (stall or Ctrl-C) ends the wait at once: the downloader may take long to notice.
    const downloading = prepared.download({signal: controller.signal, onProgress});
    downloading.catch(() => undefined);
    let onStop: (() => void) | undefined;
    const stopped = new Promise<void>((resolve) => {
        onStop = resolve;
        if (controller.signal.aborted) resolve();
        else controller.signal.addEventListener("abort", onStop, {once: true});
    });
    try {
        await Promise.race([downloading, stopped]);
    } catch (err) {
        if (!controller.signal.aborted) throw new RuntimeError(downloadErrorMessage(err, opts.url, opts.dir));
    } finally {
        clearInterval(timer);
        opts.signal?.removeEventListener("abort", onUserAbort);
        if (onStop != null) controller.signal.removeEventListener("abort", onStop);
    }
    if (!controller.signal.aborted) return;
    // Close it, keeping the partial; bounded, so that a stop is always answered promptly.
    await settleWithin(prepared.cancel(false), CLOSE_GRACE_MS);
    // ipull counts a file's last, shorter chunk as a whole one, so its figure can reach the total
    // with a middle chunk unfinished: say so rather than "12 MB of 12 MB".
    const at = total <= 0 ? `at ${formatBytes(best)}` : best < total ? `at ${formatBytes(best)} of ${formatBytes(total)}` : `with part of ${formatBytes(total)} still missing`;
    // ipull saves whole chunks (5 MiB) only: an early stop may leave nothing to resume from.
    const kept = (await Promise.all(prepared.files.map((f) => exists(f.filePath + PARTIAL_SUFFIX)))).some(Boolean);
    const next = kept ? "the partial download is kept; run the same command again to resume" : "run the same command again to retry";
    if (stalled) {
        const free = await opts.diskFree(opts.dir).catch(() => Infinity);
        if (free < DISK_MARGIN_BYTES)
            throw new RuntimeError(`disk full: the download stopped ${at} with ${formatBytes(free)} free in ${displayPath(opts.dir)} — free some space and run the same command again`);
        throw new RuntimeError(`download stalled: no data for ${Math.round(opts.stallMs / 1000)} s ${at} (connection lost?) — ${next}`);
    }
    throw new DownloadCancelledError(`download cancelled ${at} — ${kept ? "the partial download is kept; run the same command again to resume" : "nothing was kept"}`);
}

/** Wait for `promise` (ignoring its outcome) at most `ms`. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([promise.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
}

/** Fetch a model into the models folder; see the file comment for the guarantees. */
export async function pullModel(spec: string | undefined, opts: PullOptions): Promise<PullResult> {
    try {
        return await pullModelUnguarded(spec, opts);
    } catch (err) {
        // A cancel during a check (sha256, GGUF) surfaces as an AbortError: say what happened.
        if (opts.signal?.aborted && !(err instanceof RuntimeError) && !(err instanceof UsageError))
            throw new DownloadCancelledError("cancelled — run the same command again (a complete download is checked, not fetched again)");
        throw err;
    }
}

async function pullModelUnguarded(spec: string | undefined, opts: PullOptions): Promise<PullResult> {
    const dir = path.resolve(opts.modelsDir);
    const target = pullTarget(spec, opts.sha256, {modelsDir: dir});
    const emit = opts.onEvent ?? (() => undefined);
    const endpoint = hfEndpoint(opts.hfEndpoint, opts.env ?? {});
    const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    const probeMs = opts.probeTimeoutMs ?? Math.max(DEFAULT_PROBE_TIMEOUT_MS, stallMs);
    const diskFree = opts.diskFree ?? defaultDiskFree;
    const signal = opts.signal;
    if (signal?.aborted) throw cancelledError(signal);

    await ensureModelsFolder(dir);

    // 1. Already here? (no network needed)
    const checked = new Set<string>();
    if (!opts.force) {
        let local: string | null = null;
        if (target.fileName != null) local = path.join(dir, target.fileName);
        else if (isHfUri(target.uri) || isHttpUrl(target.uri)) local = await findLocalFileForUri(target.uri, dir);
        if (local != null && (await exists(local))) {
            checked.add(local);
            const check = await existingIsGood(local, target, null, emit, signal);
            if (check.ok) {
                emit({type: "exists", path: local, fileName: path.basename(local), sizeBytes: check.sizeBytes});
                return presentResult(local, target, check);
            }
        }
    }

    // 2. Stage and lock: a folder that cannot take the download is said before any network use.
    const staging = path.join(dir, STAGING_DIR_NAME);
    await ensureStagingDir(dir, staging);
    const release = await acquireLock(staging, target.uri, dir);
    try {
        // 3. Check the address before the downloader's long retries can start.
        const probe = probeTarget(target.uri, endpoint);
        const answer = await probeUrl(probe.url, {timeoutMs: probeMs, signal, expectFile: probe.isFile});
        if (probe.isFile && !answer.authRequired) {
            const head = answer.head ?? Buffer.alloc(0);
            if (head.length === 0) throw new RuntimeError(`${probe.url} sent an empty answer — not a GGUF file`);
            if (head.length >= 4 && head.toString("latin1", 0, 4) !== "GGUF") {
                const probeInspection = describeHead(head);
                throw new RuntimeError(`${probe.url} is not a GGUF file (${probeInspection}) — nothing was downloaded`);
            }
        }

        const prepare = () => {
            // Stops the preparation's requests once it is no longer waited for (deadline or Ctrl-C).
            const giveUp = new AbortController();
            return withDeadline(
                prepareDownload({
                    uri: target.uri,
                    dirPath: staging,
                    fileName: target.fileName,
                    hfEndpoint: endpoint,
                    signal: signal != null ? AbortSignal.any([signal, giveUp.signal]) : giveUp.signal
                }),
                probeMs,
                signal,
                () => {
                    giveUp.abort();
                    return new RuntimeError(`no answer from ${new URL(probe.url).host} within ${Math.round(probeMs / 1000)} s — check your network connection`);
                },
                (late) => void late.cancel(false).catch(() => undefined)
            ).catch((err: unknown) => {
                if (signal?.aborted) throw cancelledError(signal);
                throw new RuntimeError(downloadErrorMessage(err, probe.url, dir));
            });
        };
        let prepared = await prepare();
        if (opts.force) {
            const leftovers = await Promise.all(prepared.files.flatMap((f) => [exists(f.filePath), exists(f.filePath + PARTIAL_SUFFIX)]));
            if (leftovers.some(Boolean)) {
                emit({type: "note", message: "discarding the earlier partial download (--force)"});
                await prepared.cancel(true).catch(() => undefined);
                await discard(prepared);
                prepared = await prepare();
            }
        }

        const finalName = prepared.fileName.toLowerCase().endsWith(".gguf") ? prepared.fileName : `${prepared.fileName}.gguf`;
        const finalPath = path.join(dir, finalName);
        if (!opts.force && !checked.has(finalPath) && (await exists(finalPath))) {
            const check = await existingIsGood(finalPath, target, prepared.totalSize, emit, signal);
            if (check.ok) {
                await prepared.cancel(false).catch(() => undefined);
                emit({type: "exists", path: finalPath, fileName: finalName, sizeBytes: check.sizeBytes});
                return presentResult(finalPath, target, check);
            }
        }

        if (target.sizeBytes != null && prepared.totalSize > 0 && prepared.totalSize !== target.sizeBytes) {
            await prepared.cancel(true).catch(() => undefined);
            await discard(prepared);
            throw new RuntimeError(
                `the server offers ${prepared.totalSize} bytes for ${target.name}, but the catalogue expects ${target.sizeBytes} — not downloading a different file`
            );
        }
        const need = prepared.totalSize - prepared.downloadedSize;
        if (need > 0) {
            const free = await diskFree(staging).catch(() => Infinity);
            if (free < need + DISK_MARGIN_BYTES) {
                await prepared.cancel(false).catch(() => undefined);
                throw new RuntimeError(
                    `not enough disk space in ${displayPath(dir)}: ${target.name} needs ${formatBytes(need)}, ${formatBytes(free)} free — free some space or choose another folder with --models-dir`
                );
            }
        }

        // 4. Download.
        emit({type: "start", fileName: finalName, url: probe.url, totalBytes: prepared.totalSize, resumedBytes: prepared.downloadedSize});
        await transfer(prepared, {signal, stallMs, emit, dir, url: probe.url, diskFree});
        emit({type: "downloaded", fileName: finalName});

        // 5. Verify in the staging folder.
        const main = prepared.files.find((f) => f.fileName === prepared.fileName) ?? prepared.files[0];
        if (main == null) throw new RuntimeError("download produced no file");
        for (const f of prepared.files) {
            if (!(await exists(f.filePath))) {
                await discard(prepared);
                throw new RuntimeError(`download of ${f.fileName} did not complete — run the same command again`);
            }
        }
        const size = (await stat(main.filePath)).size;
        if (target.sizeBytes != null && size !== target.sizeBytes) {
            await discard(prepared);
            throw new RuntimeError(`size mismatch for ${finalName}: got ${size} bytes, expected ${target.sizeBytes} — the download was discarded; run the same command again`);
        }
        emit({type: "verifying", what: "sha256", fileName: finalName});
        const sha256 = await sha256File(main.filePath, signal);
        if (target.sha256 != null && sha256 !== target.sha256) {
            await discard(prepared);
            throw new RuntimeError(
                `checksum mismatch for ${finalName}: expected sha256 ${target.sha256}, got ${sha256} — the download was discarded; run the same command again, and report it if it persists`
            );
        }
        emit({type: "verifying", what: "gguf", fileName: finalName});
        for (const f of prepared.files) {
            const inspection = await inspectGgufFile(f.filePath);
            if (!inspection.ok) {
                await discard(prepared);
                throw new RuntimeError(`the downloaded ${f.fileName} is not a valid GGUF model (${inspection.detail}) — it was discarded; nothing was saved`);
            }
        }

        // 6. Move into place.
        let finalMain = finalPath;
        for (const f of prepared.files) {
            const destination = f === main ? finalPath : path.join(dir, f.fileName);
            try {
                await fsyncFile(f.filePath);
                await rename(f.filePath, destination);
            } catch (err) {
                // The checked file stays in the staging folder: the next run checks it again and moves it.
                throw new RuntimeError(
                    `cannot move ${f.fileName} into the models folder ${displayPath(dir)}: ${describeFsError(err)} — it is kept, checked, in ${displayPath(staging)}; run the same command again once the folder can be written`
                );
            }
            if (f === main) finalMain = destination;
        }
        return {
            path: finalMain,
            name: target.entry?.name ?? finalName,
            fileName: finalName,
            sizeBytes: size,
            sha256,
            verified: target.sha256 != null ? "sha256" : "gguf",
            alreadyPresent: false,
            entry: target.entry
        };
    } finally {
        await release();
        await tidyStaging(staging);
    }
}

function describeHead(head: Buffer): string {
    const text = head.toString("latin1").trimStart().toLowerCase();
    if (text.startsWith("<")) return "the server sent an HTML page";
    if (text.startsWith("version https://git-lfs")) return "the server sent a Git LFS pointer";
    if (text.startsWith("{") || text.startsWith("[")) return "the server sent JSON";
    return `it starts with bytes ${head.subarray(0, 4).toString("hex")}`;
}
