/**
 * Which llama.cpp binary llmgen runs, and what it is: build type, backend, fast route.
 *
 * node-llama-cpp loads a local build (node_modules/node-llama-cpp/llama/localBuilds/…) whenever one
 * exists. llmgen only trusts a local build that passed the smoke test (src/engine/smoke.ts: F32,
 * F16, Q8_0 and Q4_0 models evaluated in child processes). `npm run build:fast` records that test
 * beside the build; a local build without a current record (made by hand, or by an older llmgen)
 * is checked once here. A build that fails is never loaded: node-llama-cpp's prebuilt binary is
 * used instead, so a CPU that cannot run some kernel makes llmgen slower, never kills it.
 */
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {getLlama, LlamaLogLevel, type Llama} from "node-llama-cpp";
import {checkBuildFolder, describeFailure, readSmokeRecord, type SmokeRecord} from "./smoke.js";
import type {Notice} from "../errors.js";

export interface BinaryInfo {
    buildType: string;
    backend: string;
    fastRouteInBinary: boolean;
    cpuMathCores: number;
    maxThreads: number;
}

export function llamaBinaryInfo(llama: Llama): BinaryInfo {
    const bindings = (llama as unknown as {_bindings?: {AddonContext?: {prototype?: Record<string, unknown>}}})._bindings;
    return {
        buildType: llama.buildType,
        backend: llama.gpu === false ? "cpu" : String(llama.gpu),
        fastRouteInBinary: typeof bindings?.AddonContext?.prototype?.llmgenCopyLogits === "function",
        cpuMathCores: llama.cpuMathCores,
        maxThreads: llama.maxThreads
    };
}

/** node_modules/node-llama-cpp/llama/localBuilds. */
export function localBuildsDir(): string {
    const dist = path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp")));
    return path.join(dist, "..", "llama", "localBuilds");
}

/** Complete local build folders (a binary and node-llama-cpp's done marker). */
export function localBuildFolders(): string[] {
    const root = localBuildsDir();
    let names: string[];
    try {
        names = fs.readdirSync(root);
    } catch {
        return [];
    }
    return names
        .map((n) => path.join(root, n))
        .filter((d) => fs.existsSync(path.join(d, "buildDone.status")) && fs.existsSync(path.join(d, "Release", "llama-addon.node")));
}

export interface LocalBuildVerdict {
    /** true: load node-llama-cpp's prebuilt binary, not the local build. */
    usePrebuilt: boolean;
    /** Each local build with its smoke record. */
    builds: {folder: string; record: SmokeRecord; checkedNow: boolean}[];
    /** One line, when a local build is refused. */
    reason?: string;
}

let verdict: Promise<LocalBuildVerdict> | undefined;

/** The smoke records of the local builds (checking, once, those without a current record). */
export function localBuildVerdict(): Promise<LocalBuildVerdict> {
    verdict ??= (async () => {
        const builds: LocalBuildVerdict["builds"] = [];
        for (const folder of localBuildFolders()) {
            const known = readSmokeRecord(folder);
            builds.push(known !== undefined ? {folder, record: known, checkedNow: false} : {folder, record: await checkBuildFolder(folder), checkedNow: true});
        }
        const bad = builds.find((b) => !b.record.ok);
        if (bad === undefined) return {usePrebuilt: false, builds};
        return {
            usePrebuilt: true,
            builds,
            reason: `the local llama.cpp build ${path.basename(bad.folder)} failed llmgen's check (${describeFailure(bad.record)}); ` +
                "using node-llama-cpp's prebuilt binary (public logits route)"
        };
    })();
    return verdict;
}

export interface LoadLlamaOptions {
    gpu: "auto" | "cuda" | "vulkan" | false;
    logLevel: LlamaLogLevel;
    logger: (level: string, message: string) => void;
    maxThreads?: number;
    /** Told once per process when a local build is refused. */
    onWarning?: (notice: Notice) => void;
}

let warned = false;

/**
 * getLlama, never building, on a binary that passed the smoke test: a local build when it did,
 * else the prebuilt (a custom CMake option that no local build carries makes node-llama-cpp skip
 * local builds and take its prebuilt binary).
 */
export async function loadLlama(opts: LoadLlamaOptions): Promise<Llama> {
    const v = await localBuildVerdict();
    if (v.usePrebuilt && v.reason !== undefined && !warned) {
        warned = true;
        opts.onWarning?.({kind: "local-build-refused", message: v.reason, fix: "build-fast-route"});
    }
    return getLlama({
        build: "never",
        gpu: opts.gpu,
        logLevel: opts.logLevel,
        logger: opts.logger,
        ...(opts.maxThreads === undefined ? {} : {maxThreads: opts.maxThreads}),
        progressLogs: false,
        ...(v.usePrebuilt ? {cmakeOptions: {LLMGEN_PREBUILT: "ON"}} : {})
    });
}

/** Start llama.cpp without a model (never building anything), report its binary, and stop it. */
export async function probeLlamaBinary(gpu: "auto" | "cuda" | "vulkan" | "cpu"): Promise<BinaryInfo> {
    const llama = await loadLlama({gpu: gpu === "cpu" ? false : gpu, logLevel: LlamaLogLevel.disabled, logger: () => undefined});
    try {
        return llamaBinaryInfo(llama);
    } finally {
        await llama.dispose().catch(() => undefined);
    }
}
