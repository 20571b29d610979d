// Shared by scripts/build-fast.mjs and `llmgen doctor`: where llmgen's patched node-llama-cpp build
// lives, its cache key, and its state. Plain ESM JavaScript so that it runs at install time, before
// TypeScript is compiled.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {createRequire} from "node:module";
import {fileURLToPath} from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** node-llama-cpp's package folder, wherever npm put it (nested under llmgen, or hoisted). */
export const NLC_DIR = (() => {
    try {
        // its "exports" has no ./package.json: resolve the entry (dist/index.js) and go up two levels
        return path.resolve(path.dirname(createRequire(path.join(ROOT, "package.json")).resolve("node-llama-cpp")), "..");
    } catch {
        return path.join(ROOT, "node_modules", "node-llama-cpp");
    }
})();
export const LOCAL_BUILDS = path.join(NLC_DIR, "llama", "localBuilds");
export const ADDON_SOURCE = path.join(NLC_DIR, "llama", "addon", "AddonContext.cpp");
export const PATCHES_DIR = path.join(ROOT, "patches");
/** Text that the patched source and the patched binary both contain. */
export const MARKER = "llmgenCopyLogits";
/** Bump when the cache layout or the build procedure changes. */
export const BUILD_SCRIPT_VERSION = 2;
export const MANIFEST = "llmgen-fast-route.json";

export const GPU_CHOICES = ["false"];
/** The smoke-test record a checked build carries (src/engine/smoke.ts writes it). */
export const SMOKE_RECORD = "llmgen-smoke.json";

/** node-llama-cpp's name for this platform ("linux", "mac", "win"). */
export function platformName() {
    return process.platform === "win32" ? "win" : process.platform === "darwin" ? "mac" : process.platform;
}

/** The local build folder name node-llama-cpp looks for with default (CPU, no custom CMake) options. */
export function localBuildFolderName() {
    return `${platformName()}-${process.arch}`;
}

/** node-llama-cpp's prebuilt CPU binaries for this platform (bins folder), if installed. */
export function prebuiltDir() {
    const name = localBuildFolderName();
    const candidates = [
        path.join(ROOT, "node_modules", "@node-llama-cpp", name, "bins", name),
        path.join(NLC_DIR, "node_modules", "@node-llama-cpp", name, "bins", name),
        path.join(NLC_DIR, "..", "@node-llama-cpp", name, "bins", name)
    ];
    return candidates.find((d) => fs.existsSync(path.join(d, "llama-addon.node")));
}

export function sha256(file) {
    try {
        return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
    } catch {
        return undefined;
    }
}

/** Cache root: LLMGEN_CACHE_DIR, else $XDG_CACHE_HOME/llmgen, else ~/.cache/llmgen. */
export function cacheRoot() {
    if (process.env.LLMGEN_CACHE_DIR) return path.resolve(process.env.LLMGEN_CACHE_DIR);
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(base, "llmgen");
}

export function nodeLlamaCppVersion() {
    try {
        return JSON.parse(fs.readFileSync(path.join(NLC_DIR, "package.json"), "utf8")).version;
    } catch {
        return undefined;
    }
}

/** The patch file for the installed node-llama-cpp (patch-package naming). */
export function patchFile(version = nodeLlamaCppVersion()) {
    return path.join(PATCHES_DIR, `node-llama-cpp+${version}.patch`);
}

export function isPatchApplied() {
    try {
        return fs.readFileSync(ADDON_SOURCE, "utf8").includes(MARKER);
    } catch {
        return false;
    }
}

/**
 * Cache key: node-llama-cpp version, the patch's content, the prebuilt libllama it links against,
 * platform, arch and this script's version. Reinstalling node_modules changes none of them, so the
 * build is reused. The binary is as portable as node-llama-cpp's prebuilt (no -march=native).
 */
export function buildKey(gpu) {
    const version = nodeLlamaCppVersion();
    const file = patchFile(version);
    const patch = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.from("");
    const patchSha = crypto.createHash("sha256").update(patch).digest("hex");
    const prebuilt = prebuiltDir();
    const prebuiltSha = prebuilt === undefined ? "none" : sha256(path.join(prebuilt, fs.readdirSync(prebuilt).find((n) => n.startsWith("libllama.")) ?? "llama-addon.node"));
    const parts = {nodeLlamaCpp: version, patchSha, gpu: String(gpu), platform: process.platform, arch: process.arch,
        prebuiltSha, script: BUILD_SCRIPT_VERSION};
    const hash = crypto.createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
    return {key: `${version}-${gpu === "false" ? "cpu" : gpu}-${hash}`, parts};
}

export function cacheEntry(key) {
    return path.join(cacheRoot(), "fast-route", key);
}

/** Does the binary in a build folder carry the fast route? */
export function binaryHasMarker(folder) {
    const file = path.join(folder, "Release", "llama-addon.node");
    try {
        return fs.readFileSync(file).includes(Buffer.from(MARKER));
    } catch {
        return false;
    }
}

export function readJson(file) {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
        return undefined;
    }
}

/** Every local build folder in node_modules with its manifest (when llmgen made it). */
export function localBuilds() {
    let names;
    try {
        names = fs.readdirSync(LOCAL_BUILDS);
    } catch {
        return [];
    }
    return names
        .map((name) => path.join(LOCAL_BUILDS, name))
        .filter((dir) => fs.existsSync(path.join(dir, "buildDone.status")))
        .map((dir) => ({folder: path.basename(dir), dir, fast: binaryHasMarker(dir), manifest: readJson(path.join(dir, MANIFEST)),
            smoke: readJson(path.join(dir, SMOKE_RECORD))}));
}

/** Cached builds (any key), newest first. */
export function cachedBuilds() {
    const dir = path.join(cacheRoot(), "fast-route");
    let names;
    try {
        names = fs.readdirSync(dir);
    } catch {
        return [];
    }
    return names
        .map((key) => ({key, dir: path.join(dir, key), manifest: readJson(path.join(dir, key, MANIFEST))}))
        .filter((e) => e.manifest !== undefined)
        .sort((a, b) => String(b.manifest.builtAt).localeCompare(String(a.manifest.builtAt)));
}

/** A summary for `llmgen doctor` and `build-fast --status`. */
export function fastBuildStatus(gpu = "false") {
    const {key, parts} = buildKey(gpu);
    const entry = cacheEntry(key);
    return {
        nodeLlamaCpp: parts.nodeLlamaCpp,
        patchFile: path.relative(ROOT, patchFile(parts.nodeLlamaCpp)),
        patchFileExists: fs.existsSync(patchFile(parts.nodeLlamaCpp)),
        patchApplied: isPatchApplied(),
        gpu,
        key,
        cacheRoot: cacheRoot(),
        cached: fs.existsSync(path.join(entry, MANIFEST)),
        cacheEntry: entry,
        localBuilds: localBuilds().map((b) => ({folder: b.folder, fast: b.fast, key: b.manifest?.key, upToDate: b.manifest?.key === key,
            smoke: b.smoke === undefined ? undefined : {ok: b.smoke.ok === true, checkedAt: b.smoke.checkedAt,
                results: (b.smoke.results ?? []).map((r) => ({type: r.type, ok: r.ok, signal: r.signal, error: r.error}))}}))
    };
}
