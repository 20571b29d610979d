/**
 * The node-llama-cpp side of model files: reading GGUF metadata (`readGgufFileInfo`), finding a
 * model URI's file in a folder without network (`resolveModelFile` with `download: false`) and
 * downloading (`createModelDownloader`). Everything here is mechanism; policy (catalogue, staging,
 * checksums, messages) lives in src/models/.
 *
 * This is the only place besides the rest of src/engine/ that imports node-llama-cpp.
 */
import {AsyncLocalStorage} from "node:async_hooks";
import {open, rename, stat} from "node:fs/promises";
import path from "node:path";
import type {GgufFileInfo} from "node-llama-cpp";

/** node-llama-cpp takes ≈1.5 s to import: load it only when a model file is actually touched. */
let nlc: Promise<typeof import("node-llama-cpp")> | undefined;
function nodeLlamaCpp(): Promise<typeof import("node-llama-cpp")> {
    nlc ??= import("node-llama-cpp");
    return nlc;
}

/** Why a file is not a usable GGUF model. */
export type GgufProblem =
    | "missing"
    | "not-a-file"
    | "unreadable"
    | "empty"
    | "not-gguf"
    | "unsupported-version"
    | "truncated"
    | "corrupt"
    | "no-tensors";

/** What a GGUF file says about itself. Fields are null when the file does not say. */
export interface GgufSummary {
    ggufVersion: number;
    architecture: string;
    /** general.name */
    name: string | null;
    /** Sum of the elements of every tensor in this file. */
    parameterCount: number;
    /** general.file_type as a name (e.g. "Q4_K_M"), or the dominant tensor type when unset. */
    quantisation: string | null;
    vocabularySize: number | null;
    contextLength: number | null;
    tensorCount: number;
    /** The smallest size the file must have to hold every tensor, when every tensor type is known. */
    expectedMinSize: number | null;
    /** For a file split with gguf-split: [part, of]. */
    split: [number, number] | null;
}

export type GgufInspection =
    | {ok: true; path: string; fileSize: number; summary: GgufSummary}
    | {ok: false; path: string; fileSize: number | null; problem: GgufProblem; detail: string};

/** GGUF header: magic (4) + version (u32) + tensor count (u64) + metadata count (u64). */
const HEADER_SIZE = 24;
/** Sanity bounds on the header counts, far above any real model. */
const MAX_COUNT = 10_000_000n;

/**
 * ggml type → [block size, bytes per block], as reported by the native bindings of
 * node-llama-cpp 3.21.1 (`getBlockSizeForGgmlType` / `getTypeSizeForGgmlType`). Types the
 * bindings report as 0 (removed types) are left out; a tensor of a type not listed here disables
 * the exact size check instead of failing it.
 */
const GGML_TYPE_SIZES: ReadonlyMap<number, readonly [number, number]> = new Map([
    [0, [1, 4]], [1, [1, 2]], [2, [32, 18]], [3, [32, 20]], [6, [32, 22]], [7, [32, 24]],
    [8, [32, 34]], [9, [32, 36]], [10, [256, 84]], [11, [256, 110]], [12, [256, 144]],
    [13, [256, 176]], [14, [256, 210]], [15, [256, 292]], [16, [256, 66]], [17, [256, 74]],
    [18, [256, 98]], [19, [256, 50]], [20, [32, 18]], [21, [256, 110]], [22, [256, 82]],
    [23, [256, 136]], [24, [1, 1]], [25, [1, 2]], [26, [1, 4]], [27, [1, 8]], [28, [1, 8]],
    [29, [256, 56]], [30, [1, 2]], [34, [256, 54]], [35, [256, 66]], [39, [32, 17]],
    [40, [64, 36]], [41, [128, 18]], [42, [64, 18]]
] as const);

function describeStart(bytes: Buffer): string {
    const text = bytes.toString("latin1");
    if (text.startsWith("version https://git-lfs")) return "it is a Git LFS pointer, not the model itself";
    const lower = text.trimStart().toLowerCase();
    if (lower.startsWith("<!doctype") || lower.startsWith("<html") || lower.startsWith("<?xml") || lower.startsWith("<"))
        return "it starts like an HTML/XML page";
    if (lower.startsWith("{") || lower.startsWith("[")) return "it starts like JSON text";
    const shown = bytes.subarray(0, 4);
    const printable = [...shown].every((b) => b >= 0x20 && b < 0x7f);
    return printable
        ? `it starts with ${JSON.stringify(shown.toString("latin1"))}, not "GGUF"`
        : `it starts with bytes ${shown.toString("hex")}, not "GGUF"`;
}

function num(value: unknown): number | null {
    if (typeof value === "number" && Number.isFinite(value)) return value;
    if (typeof value === "bigint") return Number(value);
    return null;
}

function tensorBytes(dimensions: readonly (number | bigint)[], ggmlType: number): number | null {
    const sizes = GGML_TYPE_SIZES.get(ggmlType);
    if (sizes == null) return null;
    const [blockSize, typeSize] = sizes;
    let elements = 1;
    for (const d of dimensions) elements *= Number(d);
    const first = Number(dimensions[0] ?? 1);
    if (first % blockSize !== 0) return null;
    return (elements / blockSize) * typeSize;
}

function quantisationName(
    fileType: number | null,
    dominant: number | null,
    GgufFileType: object,
    GgmlType: object
): string | null {
    if (fileType != null) {
        const name = (GgufFileType as unknown as Record<number, string | undefined>)[fileType];
        if (name != null) return name.replace(/^MOSTLY_/, "").replace(/^ALL_/, "");
        return `file_type ${fileType}`;
    }
    if (dominant != null) return (GgmlType as unknown as Record<number, string | undefined>)[dominant] ?? null;
    return null;
}

/**
 * Check that a file is a complete GGUF model file and summarise its metadata. Never throws for a
 * bad file: the problem is returned. Reads the header itself (readGgufFileInfo happily reads past
 * the end of a truncated file, returning zeros) and checks that every tensor lies inside the file.
 */
export async function inspectGgufFile(filePath: string): Promise<GgufInspection> {
    const fail = (problem: GgufProblem, detail: string, fileSize: number | null = null): GgufInspection =>
        ({ok: false, path: filePath, fileSize, problem, detail});

    let fileSize: number;
    try {
        const st = await stat(filePath);
        if (!st.isFile()) return fail("not-a-file", "it is not a regular file (a folder?)");
        fileSize = st.size;
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return fail("missing", "no such file");
        return fail("unreadable", `cannot read it (${code ?? String(err)})`);
    }
    if (fileSize === 0) return fail("empty", "the file is empty (0 bytes)", 0);

    const header = Buffer.alloc(Math.min(fileSize, 64));
    try {
        const handle = await open(filePath, "r");
        try {
            await handle.read(header, 0, header.length, 0);
        } finally {
            await handle.close();
        }
    } catch (err) {
        return fail("unreadable", `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, fileSize);
    }
    if (header.length < 4 || header.toString("latin1", 0, 4) !== "GGUF")
        return fail("not-gguf", `not a GGUF file: ${describeStart(header)}`, fileSize);
    if (fileSize < HEADER_SIZE)
        return fail("truncated", `truncated: only ${fileSize} bytes, shorter than a GGUF header`, fileSize);

    const version = header.readUInt32LE(4);
    if (version !== 2 && version !== 3) {
        if (header.readUInt32BE(4) === 2 || header.readUInt32BE(4) === 3)
            return fail("unsupported-version", "a big-endian GGUF file, which this machine cannot run", fileSize);
        if (version === 1) return fail("unsupported-version", "GGUF version 1, too old for llama.cpp (it needs version 2 or 3)", fileSize);
        return fail("corrupt", `corrupt GGUF header: version ${version} (expected 2 or 3)`, fileSize);
    }
    const tensorCountHeader = header.readBigUInt64LE(8);
    const kvCountHeader = header.readBigUInt64LE(16);
    if (tensorCountHeader > MAX_COUNT || kvCountHeader > MAX_COUNT)
        return fail("corrupt", `corrupt GGUF header: ${tensorCountHeader} tensors, ${kvCountHeader} metadata entries`, fileSize);

    const {readGgufFileInfo, GgufFileType, GgmlType} = await nodeLlamaCpp();
    let info: GgufFileInfo;
    try {
        info = await readGgufFileInfo(filePath, {
            readTensorInfo: true,
            sourceType: "filesystem",
            spliceSplitFiles: false,
            logWarnings: false,
            ignoreKeys: ["tokenizer.ggml.merges", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"]
        });
    } catch (err) {
        return fail("corrupt", `corrupt GGUF metadata (${(err as Error).message ?? String(err)})`, fileSize);
    }

    const infoEnd = num(info.infoEndOffset);
    if (infoEnd != null && infoEnd > fileSize)
        return fail("truncated", `truncated: ${fileSize} bytes, but its header alone needs ${infoEnd}`, fileSize);

    const tensors = info.tensorInfo ?? [];
    let expectedMinSize: number | null = infoEnd ?? HEADER_SIZE;
    let parameterCount = 0;
    const bytesByType = new Map<number, number>();
    for (const t of tensors) {
        let elements = 1;
        for (const d of t.dimensions) elements *= Number(d);
        parameterCount += elements;
        const bytes = tensorBytes(t.dimensions, t.ggmlType);
        if (bytes == null) {
            expectedMinSize = null;
            continue;
        }
        bytesByType.set(t.ggmlType, (bytesByType.get(t.ggmlType) ?? 0) + bytes);
        if (expectedMinSize != null) expectedMinSize = Math.max(expectedMinSize, Number(t.fileOffset) + bytes);
    }
    if (expectedMinSize != null && fileSize < expectedMinSize)
        return fail("truncated", `truncated: ${fileSize} of at least ${expectedMinSize} bytes (an interrupted download?)`, fileSize);
    if (expectedMinSize == null && tensors.length > 0) {
        // Unknown tensor type: at least every tensor must start inside the file.
        const lastStart = Math.max(...tensors.map((t) => Number(t.fileOffset)));
        if (lastStart >= fileSize)
            return fail("truncated", `truncated: ${fileSize} bytes, but a tensor starts at byte ${lastStart}`, fileSize);
    }

    const metadata = info.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
    const general = metadata.general ?? {};
    const splitMeta = (metadata.split ?? {}) as Record<string, unknown>;
    const splitCount = num(splitMeta.count);
    const splitNo = num(splitMeta.no);
    const split: [number, number] | null = splitCount != null && splitCount > 1 ? [(splitNo ?? 0) + 1, splitCount] : null;

    const architecture = typeof general.architecture === "string" ? general.architecture : null;
    if (architecture == null && (split == null || split[0] === 1))
        return fail("corrupt", "corrupt GGUF metadata: no general.architecture", fileSize);
    const tensorCount = Number(info.tensorCount);
    if (tensorCount === 0 && split == null)
        return fail("no-tensors", "it has no weights (a vocabulary-only GGUF file?)", fileSize);

    const tokenizer = (metadata.tokenizer ?? {}) as Record<string, unknown>;
    const ggml = (tokenizer.ggml ?? {}) as Record<string, unknown>;
    const archMeta = (architecture != null ? metadata[architecture] : undefined) ?? {};
    const vocabularySize = Array.isArray(ggml.tokens) ? ggml.tokens.length : num(archMeta.vocab_size);

    let dominant: number | null = null;
    let dominantBytes = -1;
    for (const [type, bytes] of bytesByType) {
        if (bytes > dominantBytes) {
            dominant = type;
            dominantBytes = bytes;
        }
    }

    return {
        ok: true,
        path: filePath,
        fileSize,
        summary: {
            ggufVersion: version,
            architecture: architecture ?? "(split part)",
            name: typeof general.name === "string" ? general.name : null,
            parameterCount,
            quantisation: quantisationName(num(general.file_type), dominant, GgufFileType, GgmlType),
            vocabularySize,
            contextLength: num(archMeta.context_length),
            tensorCount,
            expectedMinSize,
            split
        }
    };
}

/**
 * The local file node-llama-cpp would use for a model URI (hf:…, or a Hugging Face URL) in
 * `directory`, without any network access; null when it is not there (or for a plain URL, whose
 * file name is only known once the server has answered).
 */
export async function findLocalFileForUri(uri: string, directory: string): Promise<string | null> {
    const {resolveModelFile} = await nodeLlamaCpp();
    try {
        return await resolveModelFile(uri, {directory, download: false, cli: false});
    } catch {
        return null;
    }
}

export interface DownloadProgress {
    totalSize: number;
    downloadedSize: number;
    /** Seconds; Infinity when unknown. */
    estimatedTimeLeft: number;
    /** Bytes per second. */
    averageSpeed: number;
}

/** One prepared download (node-llama-cpp's ModelDownloader, reduced to what llmgen needs). */
export interface PreparedDownload {
    /** The main file's name, e.g. "stories260K.gguf". */
    readonly fileName: string;
    /** Every file the download writes into its folder (several for split models). */
    readonly files: readonly {fileName: string; filePath: string}[];
    readonly totalSize: number;
    /** Bytes already there from an earlier, interrupted run (resumed). */
    readonly downloadedSize: number;
    /**
     * Download. When `signal` aborts, the download is closed (its partial kept) and every request
     * it still makes fails at once; the promise then settles within ipull's current retry pause
     * (at most 5 s), so callers that must answer sooner should not wait for it.
     */
    download(opts: {signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void}): Promise<void>;
    /** Stop; keep (false) or delete (true) the partial `.ipull` file. */
    cancel(deleteTempFile: boolean): Promise<void>;
}

/** ipull's partial-file suffix. */
const PARTIAL_SUFFIX = ".ipull";

/*
 * Stopping ipull. Its chunk loop retries a failed request up to 150 times with pauses of up to
 * 5 s and never looks at its own "aborted" flag between tries, and a request still waiting for
 * the server's headers is not tied to the abort: a download from a server that went away
 * (connection refused or closed) or stopped answering (accepts, never replies) does not end when
 * aborted - measured: still pending minutes later. Its requests go through the global fetch, so a
 * download runs in an async context holding its AbortSignal, and fetch is wrapped while any
 * download is active. In a stopped download's context a request in flight is aborted and a new
 * one fails at once with an AbortError, on which ipull's chunk loop ends quietly. Preparing a
 * download (learning the file's size) retries AbortErrors too, so there a new request gets an
 * HTTP 499 answer instead, an HTTP error that ipull does not retry (in the chunk loop that would
 * be an unhandled rejection inside ipull). Fetches outside these contexts pass through untouched.
 */
interface StopScope {
    signal: AbortSignal;
    /** How a request made after the stop fails; see above. */
    after: "abort-error" | "http-499";
}
const downloadStop = new AsyncLocalStorage<StopScope>();
let fetchBeforeWrap: typeof fetch | null = null;
let activeDownloads = 0;

const stoppableFetch: typeof fetch = (input, init) => {
    const original = fetchBeforeWrap ?? fetch;
    const scope = downloadStop.getStore();
    if (scope == null) return original(input, init);
    const stop = scope.signal;
    if (stop.aborted) {
        return scope.after === "http-499"
            ? Promise.resolve(new Response(null, {status: 499, statusText: "download stopped by llmgen"}))
            : Promise.reject(new DOMException("download stopped by llmgen", "AbortError"));
    }
    return original(input, {...init, signal: init?.signal != null ? AbortSignal.any([init.signal, stop]) : stop});
};

/** Run `fn` (which starts ipull requests) so that they stop with `signal`; see above. */
function runStoppable<T>(scope: StopScope, fn: () => Promise<T>): Promise<T> {
    if (activeDownloads++ === 0) {
        fetchBeforeWrap = globalThis.fetch;
        globalThis.fetch = stoppableFetch;
    }
    const done = () => {
        if (--activeDownloads === 0) {
            if (globalThis.fetch === stoppableFetch && fetchBeforeWrap != null) globalThis.fetch = fetchBeforeWrap;
            fetchBeforeWrap = null;
        }
    };
    let promise: Promise<T>;
    try {
        promise = downloadStop.run(scope, fn);
    } catch (err) {
        done();
        throw err;
    }
    // Unwrap only once ipull's own loops have ended, which may be after the caller stopped waiting.
    promise.then(done, done);
    return promise;
}

async function sizeOf(p: string): Promise<number | null> {
    try {
        const st = await stat(p);
        return st.isFile() ? st.size : null;
    } catch {
        return null;
    }
}

/**
 * Prepare a download of `uri` into `dirPath` with node-llama-cpp's downloader (ipull): the data
 * goes to `<file>.ipull` and is renamed to `<file>` only once complete; an existing partial file
 * is resumed. This contacts the server (to learn the size and name) but does not start the
 * transfer. Note: ipull retries network errors for a long time, so callers should check
 * reachability first and watch for stalls. `signal` stops the preparation's own requests (for a
 * caller that gave up waiting).
 */
export async function prepareDownload(opts: {
    uri: string;
    dirPath: string;
    fileName?: string;
    hfEndpoint?: string;
    signal?: AbortSignal;
}): Promise<PreparedDownload> {
    const {createModelDownloader} = await nodeLlamaCpp();
    let onProgress: ((p: DownloadProgress) => void) | undefined;
    const create = () =>
        createModelDownloader({
            modelUri: opts.uri,
            dirPath: opts.dirPath,
            fileName: opts.fileName,
            showCliProgress: false,
            skipExisting: true,
            deleteTempFileOnCancel: false,
            parallelDownloads: 4,
            endpoints: opts.hfEndpoint != null ? {huggingFace: opts.hfEndpoint} : undefined,
            onProgress: (status) => onProgress?.(status)
        });
    const downloader = await (opts.signal != null ? runStoppable({signal: opts.signal, after: "http-499"}, create) : create());
    const info = downloader.filesInfo;
    const files = info.map((f) => ({fileName: f.fileName, filePath: f.filePath}));
    if (files.length === 0)
        files.push({fileName: downloader.entrypointFilename, filePath: downloader.entrypointFilePath});
    const expectedSizes = new Map(info.map((f) => [f.filePath, f.totalSize]));

    /**
     * ipull renames the partial to the final name when it closes a download it believes complete,
     * and it counts the last (shorter) chunk as a whole one: a download stopped while a middle
     * chunk is unfinished can look complete and be renamed, holes and progress record included.
     * Such a file is not complete (it is longer than the file, by the record ipull appends) and is
     * renamed back, so that the next run resumes it.
     */
    const keepPartials = async () => {
        for (const f of files) {
            const expected = expectedSizes.get(f.filePath) ?? 0;
            if (expected <= 0 || (await sizeOf(f.filePath + PARTIAL_SUFFIX)) != null) continue;
            const size = await sizeOf(f.filePath);
            if (size != null && size !== expected) await rename(f.filePath, f.filePath + PARTIAL_SUFFIX);
        }
    };
    let closing: Promise<void> | undefined;
    const close = (deleteTempFile: boolean): Promise<void> =>
        (closing ??= (async () => {
            await downloader.cancel({deleteTempFile});
            if (!deleteTempFile) await keepPartials();
        })());

    return {
        fileName: path.basename(downloader.entrypointFilePath),
        files,
        totalSize: downloader.totalSize,
        downloadedSize: downloader.downloadedSize,
        async download({signal, onProgress: handler}) {
            if (signal?.aborted) throw signal.reason;
            onProgress = handler;
            // The signal is not handed to node-llama-cpp: it would close the download without
            // waiting, racing keepPartials. Closing here is awaited by cancel() (and only done once).
            const onAbort = () => void close(false).catch(() => undefined);
            signal?.addEventListener("abort", onAbort, {once: true});
            try {
                await (signal != null ? runStoppable({signal, after: "abort-error"}, () => downloader.download()) : downloader.download());
            } finally {
                onProgress = undefined;
                signal?.removeEventListener("abort", onAbort);
            }
        },
        async cancel(deleteTempFile) {
            await close(deleteTempFile);
        }
    };
}
