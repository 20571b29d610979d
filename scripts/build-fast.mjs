#!/usr/bin/env node
// Build (or restore from cache) llmgen's fast logits route: node-llama-cpp's native addon
// (llama-addon.node) compiled with patches/node-llama-cpp+<version>.patch applied and linked against
// node-llama-cpp's own prebuilt llama.cpp libraries. Only the addon is compiled (≈20–60 s on 2 cores);
// llama.cpp's kernels are the prebuilt's, with its per-CPU variants chosen at run time, so the build
// runs wherever the prebuilt runs and computes what the prebuilt computes. Before it is installed
// or cached, the new binary is smoke-tested in child processes on F32, F16, Q8_0 and Q4_0 models; a
// binary that fails is not installed and llmgen stays on the prebuilt binary (public route).
//
//   npm run build:fast                       build, check, install and cache (CPU, Linux)
//   npm run build:fast -- --status [--json]  what is built, cached, checked and in use
//   node scripts/build-fast.mjs --restore-only   (postinstall) restore from cache, never compile
//   options: --force (rebuild even when cached), --quiet
//
// Needs: a C++17 compiler (CXX, else c++), git, node's C headers (<node prefix>/include/node), and
// `npm run build` done (the smoke test is compiled TypeScript).
// Env: LLMGEN_CACHE_DIR (cache root, default $XDG_CACHE_HOME/llmgen or ~/.cache/llmgen),
//      LLMGEN_SKIP_FAST_BUILD=1 (build-fast does nothing).
import {spawn, spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {pathToFileURL} from "node:url";
import {
    buildKey, cacheEntry, cacheRoot, fastBuildStatus, isPatchApplied, LOCAL_BUILDS, localBuildFolderName, MANIFEST,
    NLC_DIR, patchFile, prebuiltDir, readJson, ROOT, sha256, SMOKE_RECORD
} from "./fast-build-lib.mjs";

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
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
const known = ["--status", "--json", "--restore-only", "--force", "--quiet", "--help", "-h"];
const unknown = args.find((a) => !known.includes(a));
if (unknown !== undefined) fail(`unknown option ${unknown} (see --help)`, 2);
if (process.env.LLMGEN_SKIP_FAST_BUILD === "1") {
    say("LLMGEN_SKIP_FAST_BUILD=1: skipping");
    process.exit(0);
}
if (!fs.existsSync(NLC_DIR)) {
    if (flag("--restore-only")) process.exit(0);
    fail("node_modules/node-llama-cpp is missing: run npm ci first");
}

if (flag("--status")) {
    const status = fastBuildStatus();
    if (flag("--json")) process.stdout.write(JSON.stringify(status, null, 2) + "\n");
    else {
        process.stdout.write(`node-llama-cpp ${status.nodeLlamaCpp}; patch ${status.patchFile} ${status.patchFileExists ? "" : "(missing) "}${status.patchApplied ? "applied" : "NOT applied"}\n`);
        process.stdout.write(`cache key ${status.key} (${status.cached ? "cached" : "not cached"}) in ${status.cacheRoot}\n`);
        for (const b of status.localBuilds)
            process.stdout.write(`local build ${b.folder}: ${b.fast ? "fast route" : "stock (no fast route)"}${b.upToDate ? ", up to date" : b.key ? `, other key ${b.key}` : ""}` +
                `${b.smoke ? `, smoke test ${b.smoke.ok ? "passed" : "FAILED"}` : ", not smoke-tested"}\n`);
        if (status.localBuilds.length === 0) process.stdout.write("no local build in node_modules: node-llama-cpp uses its prebuilt binary (public route only)\n");
    }
    process.exit(0);
}

const platformSupported = process.platform === "linux";
const prebuilt = prebuiltDir();
const {key, parts} = buildKey("false");
const entry = cacheEntry(key);
const folderName = localBuildFolderName();
const target = path.join(LOCAL_BUILDS, folderName);

/** The cached addon for this key, when it passed the smoke test. */
function cached() {
    const manifest = readJson(path.join(entry, MANIFEST));
    const record = readJson(path.join(entry, SMOKE_RECORD));
    const addon = path.join(entry, "llama-addon.node");
    if (manifest?.key !== key || record?.ok !== true || !fs.existsSync(addon) || record.addonSha256 !== sha256(addon)) return undefined;
    return {manifest, record, addon};
}

/** Is the build in node_modules this key's, checked and complete? */
function installedUpToDate() {
    const manifest = readJson(path.join(target, MANIFEST));
    const record = readJson(path.join(target, SMOKE_RECORD));
    const addon = path.join(target, "Release", "llama-addon.node");
    return manifest?.key === key && record?.ok === true && fs.existsSync(path.join(target, "buildDone.status")) && record.addonSha256 === sha256(addon);
}

/** A build folder: the prebuilt's libraries and CPU variants with the patched addon beside them. */
function assemble(folder, addon, manifest, record) {
    fs.rmSync(folder, {recursive: true, force: true});
    fs.mkdirSync(path.join(folder, "Release"), {recursive: true});
    for (const name of fs.readdirSync(prebuilt))
        if (name !== "llama-addon.node") fs.copyFileSync(path.join(prebuilt, name), path.join(folder, "Release", name));
    fs.copyFileSync(addon, path.join(folder, "Release", "llama-addon.node"));
    fs.writeFileSync(path.join(folder, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    if (record !== undefined) fs.writeFileSync(path.join(folder, SMOKE_RECORD), JSON.stringify(record, null, 2) + "\n");
    fs.writeFileSync(path.join(folder, "buildDone.status"), "");
}

/** Replace node_modules' build folder with `staged` (renames on one file system). */
function install(staged) {
    const old = `${target}.llmgen-old-${process.pid}`;
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(staged, target);
    fs.rmSync(old, {recursive: true, force: true});
}

// Restore from the cache (postinstall and every later run).
const hit = flag("--force") ? undefined : cached();
if (hit !== undefined && prebuilt !== undefined) {
    if (installedUpToDate()) {
        say(`fast route already installed (${folderName}, key ${key})`);
        process.exit(0);
    }
    fs.mkdirSync(LOCAL_BUILDS, {recursive: true});
    const staged = `${target}.llmgen-staging-${process.pid}`;
    assemble(staged, hit.addon, hit.manifest, hit.record);
    install(staged);
    say(`restored the fast route from the cache (key ${key}, smoke test passed ${hit.record.checkedAt})`);
    process.exit(0);
}
if (flag("--restore-only")) {
    if (platformSupported && prebuilt !== undefined)
        say("the fast logits route is not built here; llmgen uses the slower public route. `npm run build:fast` builds it (compiles the addon only, under a minute).");
    process.exit(0);
}

// Build.
if (!platformSupported) fail(`the fast route is built on Linux only (this is ${process.platform}); llmgen uses the public route here`);
if (prebuilt === undefined) fail(`node-llama-cpp's prebuilt binary for ${folderName} is not installed (node_modules/@node-llama-cpp/${folderName}); run npm ci`);
if (!isPatchApplied()) {
    if (!fs.existsSync(patchFile())) fail(`${path.relative(ROOT, patchFile())} is missing: the installed node-llama-cpp is not the version llmgen patches (3.21.1)`);
    say("applying the node-llama-cpp patch (patch-package)");
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "patch-package", "index.js")], {cwd: ROOT, stdio: quiet ? "ignore" : "inherit"});
    if (r.status !== 0 || !isPatchApplied()) fail("could not apply the patch; run `npx patch-package` and read its message");
}
const smokeModule = path.join(ROOT, "dist", "src", "engine", "smoke.js");
if (!fs.existsSync(smokeModule)) fail("dist/ is missing: run `npm run build` first (the smoke test is compiled TypeScript)");
const cxx = process.env.CXX || "c++";
if (spawnSync(cxx, ["--version"], {stdio: "ignore"}).status !== 0) fail(`no C++ compiler (${cxx}); install one (Debian: apt-get install g++) or set CXX`);
if (spawnSync("git", ["--version"], {stdio: "ignore"}).status !== 0) fail("git is needed to read llama.cpp's headers from node-llama-cpp's bundle; install git");
const nodeHeaders = [path.resolve(path.dirname(process.execPath), "..", "include", "node"), "/usr/include/node", "/usr/local/include/node"]
    .find((d) => fs.existsSync(path.join(d, "node_api.h")));
if (nodeHeaders === undefined) fail("node's C headers (include/node/node_api.h) were not found beside this node; install them (Debian: apt-get install libnode-dev) ");
const addonApi = path.join(ROOT, "node_modules", "node-addon-api");
const addonApiDir = fs.existsSync(path.join(addonApi, "napi.h")) ? addonApi : path.join(NLC_DIR, "node_modules", "node-addon-api");
if (!fs.existsSync(path.join(addonApiDir, "napi.h"))) fail("node-addon-api is missing from node_modules: run npm ci");

const started = Date.now();
fs.mkdirSync(cacheRoot(), {recursive: true});
const work = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-build-"));
const logFile = path.join(cacheRoot(), `build-${key}.log`);
const log = fs.openSync(logFile, "w");
const cleanup = () => fs.rmSync(work, {recursive: true, force: true});
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

function run(cmd, argv, opts = {}) {
    return new Promise((resolve) => {
        const child = spawn(cmd, argv, {stdio: ["ignore", "pipe", "pipe"], ...opts});
        let text = "";
        const onData = (c) => {
            fs.writeSync(log, c);
            text += c.toString("utf8");
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        child.on("error", (e) => resolve({code: 127, text: e.message}));
        child.on("close", (code, signal) => resolve({code: code ?? (signal ? 128 : 1), text}));
    });
}

// 1. llama.cpp's headers, from the source bundle node-llama-cpp ships (no network).
const src = path.join(work, "llama.cpp");
const bundle = path.join(NLC_DIR, "llama", "gitRelease.bundle");
say(`compiling llmgen's patched node-llama-cpp addon against the prebuilt llama.cpp (${path.relative(ROOT, prebuilt)}); log: ${logFile}`);
let r = await run("git", ["clone", "-q", "--no-checkout", bundle, src]);
if (r.code === 0) r = await run("git", ["-C", src, "checkout", "-q", "HEAD", "--", "include", "ggml/include", "common", "src", "vendor"]);
if (r.code !== 0) fail(`cannot read llama.cpp's source from ${path.relative(ROOT, bundle)} (see ${logFile})`);

// 2. Compile the addon's sources (patched by patch-package) in parallel.
const addonDir = path.join(NLC_DIR, "llama", "addon");
const sources = [...fs.readdirSync(addonDir).filter((n) => n.endsWith(".cpp")).map((n) => path.join(addonDir, n)),
    ...fs.readdirSync(path.join(addonDir, "globals")).filter((n) => n.endsWith(".cpp")).map((n) => path.join(addonDir, "globals", n))];
const flags = ["-std=c++17", "-O3", "-DNDEBUG", "-fPIC", "-fexceptions", "-DNAPI_VERSION=7", "-DLLAMA_SHARED", "-DGGML_SHARED", "-DGGML_BACKEND_SHARED",
    `-I${nodeHeaders}`, `-I${addonApiDir}`, `-I${src}`, `-I${path.join(src, "common")}`, `-I${path.join(src, "src")}`, `-I${path.join(src, "include")}`,
    `-I${path.join(src, "ggml", "include")}`, `-I${path.join(src, "vendor")}`];
const objects = sources.map((f) => path.join(work, path.relative(addonDir, f).replaceAll(path.sep, "_").replace(/\.cpp$/, ".o")));
const jobs = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
let next = 0;
let failed;
await Promise.all(Array.from({length: jobs}, async () => {
    while (next < sources.length && failed === undefined) {
        const i = next++;
        const res = await run(cxx, [...flags, "-c", sources[i], "-o", objects[i]]);
        if (res.code !== 0) failed = `${path.basename(sources[i])}: ${res.text.split("\n").find((l) => l.includes("error")) ?? `exit ${res.code}`}`;
        else say(`compiled ${path.basename(sources[i])} (${i + 1}/${sources.length})`);
    }
}));
if (failed !== undefined) fail(`compiling the addon failed: ${failed} (see ${logFile})`);

// 3. Link against the prebuilt libraries; $ORIGIN finds them beside the addon at run time.
const libs = fs.readdirSync(prebuilt);
const lib = (prefix) => libs.find((n) => n.startsWith(prefix) && n.endsWith(".so"));
const linkLibs = [lib("libllama-common"), lib("libllama."), lib("libggml."), lib("libggml-base")];
if (linkLibs.includes(undefined)) fail(`the prebuilt folder ${prebuilt} lacks libllama/libggml (found ${libs.join(", ")})`);
const addonOut = path.join(work, "llama-addon.node");
r = await run(cxx, ["-shared", "-o", addonOut, ...objects, `-L${prebuilt}`, ...linkLibs.map((l) => `-l:${l}`), "-Wl,-rpath,$ORIGIN"]);
if (r.code !== 0) fail(`linking the addon failed (see ${logFile})`);
fs.closeSync(log);

// 4. Stage beside the install target, smoke-test in child processes, then install and cache.
const manifest = {key, folder: folderName, ...parts, builtAt: new Date().toISOString(), buildSeconds: Math.round((Date.now() - started) / 1000),
    node: process.version, compiler: spawnSync(cxx, ["--version"], {encoding: "utf8"}).stdout.split("\n")[0]};
fs.mkdirSync(LOCAL_BUILDS, {recursive: true});
const staged = `${target}.llmgen-staging-${process.pid}`;
assemble(staged, addonOut, manifest, undefined);
say("smoke test: evaluating F32, F16, Q8_0 and Q4_0 models with the new binary (child processes)");
const {checkBuildFolder, describeFailure} = await import(pathToFileURL(smokeModule).href);
const record = await checkBuildFolder(staged);
if (!record.ok) {
    fs.rmSync(staged, {recursive: true, force: true});
    fail(`the new binary failed the smoke test and was not installed: ${describeFailure(record)}; llmgen keeps using node-llama-cpp's prebuilt binary (public logits route)`);
}
install(staged);
const tmpEntry = `${entry}.tmp-${process.pid}`;
fs.rmSync(tmpEntry, {recursive: true, force: true});
fs.mkdirSync(tmpEntry, {recursive: true});
fs.copyFileSync(addonOut, path.join(tmpEntry, "llama-addon.node"));
fs.writeFileSync(path.join(tmpEntry, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
fs.writeFileSync(path.join(tmpEntry, SMOKE_RECORD), JSON.stringify(record, null, 2) + "\n");
fs.rmSync(entry, {recursive: true, force: true});
fs.renameSync(tmpEntry, entry);
const seconds = Math.round((Date.now() - started) / 1000);
say(`built, smoke-tested (${record.results.map((x) => `${x.type} ok`).join(", ")}) and installed the fast route in ${seconds} s (${folderName}); cached as ${entry}`);
