#!/usr/bin/env node
// Build (or restore from cache) llmgen's fast logits route: node-llama-cpp's native addon with
// patches/node-llama-cpp+<version>.patch applied, compiled from the llama.cpp source bundled in the
// package (no network). The result is cached outside node_modules, keyed by node-llama-cpp version,
// patch content, GPU backend, platform and CPU, so reinstalling restores it in seconds.
//
//   npm run build:fast                       CPU build (≈10 min on 2 cores the first time)
//   npm run build:fast -- --gpu cuda         CUDA build (needs the CUDA toolkit; longer)
//   npm run build:fast -- --gpu vulkan       Vulkan build (needs the Vulkan SDK / glslc)
//   npm run build:fast -- --status [--json]  what is built, cached and in use
//   node scripts/build-fast.mjs --restore-only   (postinstall) restore from cache, never compile
//   node scripts/build-fast.mjs --adopt         record an existing patched local build (made by
//                                                `npx node-llama-cpp source download` after patch-package)
//                                                in the cache instead of compiling
//   options: --force (rebuild even when cached), --quiet
//
// Env: LLMGEN_CACHE_DIR (cache root, default $XDG_CACHE_HOME/llmgen or ~/.cache/llmgen),
//      LLMGEN_FAST_GPU (default for --gpu), LLMGEN_SKIP_FAST_BUILD=1 (build-fast does nothing).
import {spawn, spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
    buildKey, binaryHasMarker, cacheEntry, cacheRoot, fastBuildStatus, GPU_CHOICES, isPatchApplied, LOCAL_BUILDS, MANIFEST,
    NLC_DIR, patchFile, readJson, ROOT
} from "./fast-build-lib.mjs";

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name) => {
    const i = args.indexOf(name);
    if (i >= 0) return args[i + 1];
    const eq = args.find((a) => a.startsWith(name + "="));
    return eq?.slice(name.length + 1);
};
const quiet = flag("--quiet");
const say = (line) => {
    if (!quiet) process.stderr.write(`build-fast: ${line}\n`);
};
const fail = (line, code = 1) => {
    process.stderr.write(`build-fast: ${line}\n`);
    process.exit(code);
};

if (flag("--help") || flag("-h")) {
    process.stdout.write(fs.readFileSync(new URL(import.meta.url), "utf8").split("\n").filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n") + "\n");
    process.exit(0);
}
if (process.env.LLMGEN_SKIP_FAST_BUILD === "1") {
    say("LLMGEN_SKIP_FAST_BUILD=1: skipping");
    process.exit(0);
}

const gpu = String(value("--gpu") ?? process.env.LLMGEN_FAST_GPU ?? "false");
if (!GPU_CHOICES.includes(gpu)) fail(`--gpu must be one of ${GPU_CHOICES.join(", ")}, got "${gpu}"`, 2);
if (!fs.existsSync(NLC_DIR)) {
    if (flag("--restore-only")) process.exit(0);
    fail("node_modules/node-llama-cpp is missing: run npm ci first");
}

if (flag("--status")) {
    const status = fastBuildStatus(gpu);
    if (flag("--json")) process.stdout.write(JSON.stringify(status, null, 2) + "\n");
    else {
        process.stdout.write(`node-llama-cpp ${status.nodeLlamaCpp}; patch ${status.patchFile} ${status.patchFileExists ? "" : "(missing) "}${status.patchApplied ? "applied" : "NOT applied"}\n`);
        process.stdout.write(`cache key ${status.key} (${status.cached ? "cached" : "not cached"}) in ${status.cacheRoot}\n`);
        for (const b of status.localBuilds)
            process.stdout.write(`local build ${b.folder}: ${b.fast ? "fast route" : "stock (no fast route)"}${b.upToDate ? ", up to date" : b.key ? `, other key ${b.key}` : ""}\n`);
        if (status.localBuilds.length === 0) process.stdout.write("no local build in node_modules: node-llama-cpp uses its prebuilt binary (public route only)\n");
    }
    process.exit(0);
}

// 1. The patch: patch-package applies it at postinstall; apply it here if that did not happen.
if (!isPatchApplied()) {
    if (!fs.existsSync(patchFile())) fail(`${path.relative(ROOT, patchFile())} is missing: the installed node-llama-cpp is not the version llmgen patches (3.21.1)`);
    say("applying the node-llama-cpp patch (patch-package)");
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "patch-package", "index.js")], {cwd: ROOT, stdio: quiet ? "ignore" : "inherit"});
    if (r.status !== 0 || !isPatchApplied()) fail("could not apply the patch; run `npx patch-package` and read its message");
}

const {key, parts} = buildKey(gpu);
const entry = cacheEntry(key);

/** The build folder (in the cache entry or in node_modules) for this key, if complete. */
function cachedFolder() {
    const manifest = readJson(path.join(entry, MANIFEST));
    if (manifest === undefined) return undefined;
    const dir = path.join(entry, manifest.folder);
    return fs.existsSync(path.join(dir, "buildDone.status")) && binaryHasMarker(dir) ? {manifest, dir} : undefined;
}

function installedFolder(folder) {
    const dir = path.join(LOCAL_BUILDS, folder);
    const manifest = readJson(path.join(dir, MANIFEST));
    return manifest?.key === key && fs.existsSync(path.join(dir, "buildDone.status")) && binaryHasMarker(dir);
}

/** Copy a build folder without the compiler's intermediate files (only what getLlama loads). */
function copyBuild(from, to) {
    fs.rmSync(to, {recursive: true, force: true});
    fs.mkdirSync(to, {recursive: true});
    fs.cpSync(path.join(from, "Release"), path.join(to, "Release"), {recursive: true, dereference: false});
    for (const f of ["buildDone.status", MANIFEST])
        if (fs.existsSync(path.join(from, f))) fs.copyFileSync(path.join(from, f), path.join(to, f));
}

function restore(cached) {
    const target = path.join(LOCAL_BUILDS, cached.manifest.folder);
    if (installedFolder(cached.manifest.folder)) {
        say(`fast route already installed (${cached.manifest.folder}, key ${key})`);
        return;
    }
    const tmp = `${target}.llmgen-tmp-${process.pid}`;
    copyBuild(cached.dir, tmp);
    fs.rmSync(target, {recursive: true, force: true});
    fs.renameSync(tmp, target);
    say(`restored the fast route build from the cache (${cached.manifest.folder}, key ${key}, built ${cached.manifest.builtAt}${typeof cached.manifest.buildSeconds === "number" ? ` in ${formatDuration(cached.manifest.buildSeconds)}` : ""})`);
}

function formatDuration(seconds) {
    if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "?";
    const m = Math.floor(seconds / 60);
    const s = Math.round(seconds % 60);
    return m > 0 ? `${m}m${String(s).padStart(2, "0")}s` : `${s}s`;
}

/** Write the manifest into a finished build folder, cache it, and drop the compiler's intermediates. */
function recordAndCache(folder, seconds) {
    const manifest = {key, folder, ...parts, builtAt: new Date().toISOString(), buildSeconds: Number.isFinite(seconds) ? Math.round(seconds) : null, node: process.version};
    const dir = path.join(LOCAL_BUILDS, folder);
    fs.writeFileSync(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    const tmp = `${entry}.tmp-${process.pid}`;
    copyBuild(dir, path.join(tmp, folder));
    fs.writeFileSync(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    fs.rmSync(entry, {recursive: true, force: true});
    fs.mkdirSync(path.dirname(entry), {recursive: true});
    fs.renameSync(tmp, entry);
    if (Number.isFinite(seconds))
        fs.writeFileSync(path.join(cacheRoot(), "last-build.json"), JSON.stringify({key, buildSeconds: Math.round(seconds), builtAt: manifest.builtAt}) + "\n");
    // The intermediate compiler files are not needed at run time: keep only what getLlama loads.
    for (const extra of fs.readdirSync(dir))
        if (!["Release", "buildDone.status", MANIFEST].includes(extra)) fs.rmSync(path.join(dir, extra), {recursive: true, force: true});
    return manifest;
}

if (flag("--adopt")) {
    const want = gpu === "false" ? `${process.platform === "win32" ? "win" : process.platform === "darwin" ? "mac" : process.platform}-${process.arch}` : undefined;
    const candidates = fs.existsSync(LOCAL_BUILDS) ? fs.readdirSync(LOCAL_BUILDS).filter((n) =>
        fs.existsSync(path.join(LOCAL_BUILDS, n, "buildDone.status")) && binaryHasMarker(path.join(LOCAL_BUILDS, n)) &&
        (want === undefined ? n.includes(gpu === "auto" ? "" : gpu) : n === want)) : [];
    if (candidates.length !== 1) fail(`--adopt needs exactly one patched local build for gpu ${gpu}, found ${candidates.length ? candidates.join(", ") : "none"}`);
    fs.mkdirSync(cacheRoot(), {recursive: true});
    const m = recordAndCache(candidates[0], NaN);
    say(`adopted ${m.folder} as key ${key}; cached in ${entry}`);
    process.exit(0);
}

const cached = flag("--force") ? undefined : cachedFolder();
if (cached !== undefined) {
    restore(cached);
    process.exit(0);
}
if (flag("--restore-only")) {
    say(`the fast logits route is not built for this node-llama-cpp/patch/CPU (key ${key}); llmgen will use the slower public route.`);
    say(`build it once with \`npm run build:fast\` (compiles llama.cpp: ≈${estimateMinutes()} min on this machine; cached in ${cacheRoot()}).`);
    process.exit(0);
}

// 2. Compile: node-llama-cpp's own "source download" clones llama.cpp from the git bundle shipped in
// the package (offline) and compiles llama.cpp plus the (patched) addon into llama/localBuilds.
function estimateMinutes() {
    const last = readJson(path.join(cacheRoot(), "last-build.json"));
    if (typeof last?.buildSeconds === "number") return String(Math.max(1, Math.round(last.buildSeconds / 60)));
    // measured on 2 cores: ≈9 min idle, ≈23 min while other jobs used the cores
    return gpu === "false" ? "10–25" : "20–60";
}

fs.mkdirSync(cacheRoot(), {recursive: true});
const logFile = path.join(cacheRoot(), `build-${key}.log`);
const log = fs.openSync(logFile, "w");
const started = Date.now();
const before = new Set(fs.existsSync(LOCAL_BUILDS) ? fs.readdirSync(LOCAL_BUILDS) : []);
say(`compiling llama.cpp with llmgen's patch (gpu: ${gpu}); this takes ≈${estimateMinutes()} min on this machine (${process.env.CI ? "CI" : "one time"}; cached afterwards).`);
say(`log: ${logFile}`);

const spinner = await progress();
const cli = path.join(NLC_DIR, "dist", "cli", "cli.js");
const child = spawn(process.execPath, [cli, "source", "download", "--gpu", gpu, "--noUsageExample"], {
    cwd: ROOT,
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"]
});
let steps = "";
const onData = (chunk) => {
    fs.writeSync(log, chunk);
    const text = chunk.toString("utf8");
    const m = [...text.matchAll(/\[(\d+)\/(\d+)\]/g)].pop();
    if (m) steps = `[${m[1]}/${m[2]}] ${Math.round((100 * Number(m[1])) / Number(m[2]))}%`;
    else if (/Cloning/.test(text)) steps = "cloning the bundled llama.cpp source";
};
child.stdout.on("data", onData);
child.stderr.on("data", onData);
const timer = setInterval(() => spinner.update(`compiling llama.cpp ${steps} ${formatDuration((Date.now() - started) / 1000)} elapsed (≈${estimateMinutes()} min)`), 1000);
const code = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? 1)));
clearInterval(timer);
fs.closeSync(log);
const seconds = (Date.now() - started) / 1000;
if (code !== 0) {
    spinner.fail(`the build failed after ${formatDuration(seconds)} (exit ${code})`);
    const tail = fs.readFileSync(logFile, "utf8").split("\n").slice(-25).join("\n");
    process.stderr.write(tail + "\n");
    fail(`see ${logFile}. Build tools needed: cmake, a C++17 compiler, make or ninja${gpu === "cuda" ? ", the CUDA toolkit (nvcc)" : gpu === "vulkan" ? ", the Vulkan SDK (glslc)" : ""}.`);
}

// 3. Find the folder it produced, check it carries the fast route, record and cache it.
const after = fs.readdirSync(LOCAL_BUILDS).filter((n) => fs.existsSync(path.join(LOCAL_BUILDS, n, "buildDone.status")));
const folder = after.find((n) => !before.has(n) && binaryHasMarker(path.join(LOCAL_BUILDS, n))) ??
    after.filter((n) => binaryHasMarker(path.join(LOCAL_BUILDS, n)))
        .sort((a, b) => fs.statSync(path.join(LOCAL_BUILDS, b, "buildDone.status")).mtimeMs - fs.statSync(path.join(LOCAL_BUILDS, a, "buildDone.status")).mtimeMs)[0];
if (folder === undefined) {
    spinner.fail("the build finished but no local build carries the fast route (was the patch applied?)");
    process.exit(1);
}
recordAndCache(folder, seconds);
spinner.succeed(`built the fast route in ${formatDuration(seconds)} (${folder}); cached as ${entry}`);

/** ora spinner on a terminal; otherwise a progress line every 30 s (CI logs). */
async function progress() {
    if (process.stderr.isTTY && (process.stderr.columns ?? 0) > 0 && !quiet) {
        try {
            const {default: ora} = await import("ora");
            const s = ora({text: "compiling llama.cpp", stream: process.stderr}).start();
            return {update: (t) => (s.text = t), succeed: (t) => s.succeed(t), fail: (t) => s.fail(t)};
        } catch {
            // ora missing: plain lines
        }
    }
    let last = 0;
    return {
        update: (t) => {
            if (Date.now() - last < 30_000) return;
            last = Date.now();
            say(t);
        },
        succeed: (t) => say(t),
        fail: (t) => say(t)
    };
}
