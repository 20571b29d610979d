/**
 * The binary smoke test and the gate in front of local builds: tiny generated models of every
 * matrix type load and run; a binary that dies by a signal is reported (type by type) and never
 * loaded in the user's process — llmgen takes the prebuilt binary instead and says why in one line.
 *
 * The crashing binary is a real shared object whose constructor raises SIGILL, as ggml's AMX
 * kernels do on a CPU that reports AMX but cannot run it; it needs a C compiler (CI has one,
 * `npm run build:fast` needs one too). Elsewhere those cases are skipped with the reason.
 */
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {after, before, describe, test} from "node:test";
import {inspectGgufFile} from "../../../src/engine/modelFiles.js";
import {describeFailure, readSmokeRecord, smokeTestBinary} from "../../../src/engine/smoke.js";
import {TINY_GGUF_TYPES, tinyGguf, toHalf, writeTinyGguf} from "../../../src/engine/tinyGguf.js";
import {localBuildsDir} from "../../../src/engine/binary.js";
import {runCli} from "../../support/cli.js";
import {STORIES} from "../../support/paths.js";

const cc = process.env.CC || "cc";
const haveCc = spawnSync(cc, ["--version"], {stdio: "ignore"}).status === 0;
const REQUIRED = process.env.CI === "true";

/** A .node file that raises SIGILL as soon as it is loaded. */
function sigillAddon(dir: string): string {
    const c = path.join(dir, "boom.c");
    fs.writeFileSync(c, "#include <signal.h>\n__attribute__((constructor)) static void boom(void) { raise(SIGILL); }\n");
    const out = path.join(dir, "llama-addon.node");
    const r = spawnSync(cc, ["-shared", "-fPIC", "-o", out, c], {encoding: "utf8"});
    assert.equal(r.status, 0, `cc failed: ${r.stderr}`);
    return out;
}

describe("tiny GGUF models", () => {
    test("half floats are exact where they can be", () => {
        assert.equal(toHalf(1), 0x3c00);
        assert.equal(toHalf(-2), 0xc000);
        assert.equal(toHalf(0.5), 0x3800);
        assert.equal(toHalf(65504), 0x7bff);
        assert.equal(toHalf(1e6), 0x7bff, "saturates instead of becoming infinity");
        assert.equal(toHalf(1e-9), 0, "flushes tiny values to zero");
        assert.equal(toHalf(1 + 2 ** -10), 0x3c01);
    });

    test("every type writes a complete GGUF of that type, deterministically", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-tiny-"));
        try {
            const expected: Record<string, string> = {F32: "F32", F16: "F16", Q8_0: "Q8_0", Q4_0: "Q4_0"};
            for (const type of TINY_GGUF_TYPES) {
                const file = path.join(dir, `${type}.gguf`);
                writeTinyGguf(file, type);
                const inspection = await inspectGgufFile(file);
                assert.ok(inspection.ok, `${type}: ${inspection.ok ? "" : inspection.detail}`);
                if (!inspection.ok) continue;
                assert.equal(inspection.summary.quantisation, expected[type]);
                assert.equal(inspection.summary.architecture, "llama");
                assert.equal(inspection.summary.vocabularySize, 320);
                assert.equal(inspection.fileSize, inspection.summary.expectedMinSize! + (inspection.fileSize - inspection.summary.expectedMinSize!),
                    "tensors lie inside the file");
                assert.ok(tinyGguf(type).equals(fs.readFileSync(file)), "same bytes for the same seed");
            }
            assert.equal(fs.readdirSync(dir).filter((n) => n.includes(".tmp-")).length, 0, "no temporary file left");
        } finally {
            fs.rmSync(dir, {recursive: true, force: true});
        }
    });
});

describe("smoke test of a llama.cpp binary", () => {
    test("the binary llmgen uses runs F32, F16, Q8_0 and Q4_0 models", async () => {
        const report = await smokeTestBinary("in-use");
        assert.equal(report.ok, true, describeFailure(report));
        assert.deepEqual(report.results.map((r) => r.type), ["F32", "F16", "Q8_0", "Q4_0"]);
        for (const r of report.results) assert.equal(r.ok, true, `${r.type}: ${r.error ?? r.signal}`);
    });

    test("a binary that dies by SIGILL is reported per type, in one line", {skip: !haveCc && !REQUIRED ? `no C compiler (${cc})` : false}, async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-sigill-"));
        try {
            const report = await smokeTestBinary(sigillAddon(dir), {types: ["Q8_0", "Q4_0"]});
            assert.equal(report.ok, false);
            assert.deepEqual(report.results.map((r) => [r.type, r.ok, r.signal]), [["Q8_0", false, "SIGILL"], ["Q4_0", false, "SIGILL"]]);
            assert.equal(describeFailure(report), "Q8_0, Q4_0 models crash it (SIGILL, an instruction this CPU cannot execute)");
        } finally {
            fs.rmSync(dir, {recursive: true, force: true});
        }
    });

    test("a binding that is not a binary fails with its error, not a signal", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-notbin-"));
        try {
            const fake = path.join(dir, "llama-addon.node");
            fs.writeFileSync(fake, "not an ELF file");
            const report = await smokeTestBinary(fake, {types: ["F32"]});
            assert.equal(report.ok, false);
            assert.equal(report.results[0].signal, undefined);
            assert.equal(report.results[0].exitCode, 1);
            assert.match(report.results[0].error ?? "", /invalid ELF header|not a dynamic|file too short/i);
        } finally {
            fs.rmSync(dir, {recursive: true, force: true});
        }
    });
});

/**
 * The real scenario: node_modules holds a local build that crashes on quantized models. The
 * installed build is moved aside for the duration and put back afterwards.
 */
describe("a crashing local build is never loaded", {skip: !haveCc && !REQUIRED ? `no C compiler (${cc})` : false}, () => {
    const target = path.join(localBuildsDir(), `${process.platform === "darwin" ? "mac" : process.platform}-${process.arch}`);
    const aside = `${target}.llmgen-test-aside-${process.pid}`;
    let moved = false;
    before(() => {
        if (fs.existsSync(target)) {
            fs.renameSync(target, aside);
            moved = true;
        }
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-badbuild-"));
        fs.mkdirSync(path.join(target, "Release"), {recursive: true});
        fs.copyFileSync(sigillAddon(tmp), path.join(target, "Release", "llama-addon.node"));
        fs.writeFileSync(path.join(target, "Release", "_nlcBuildMetadata.json"), JSON.stringify({buildOptions: {customCmakeOptions: {}, gpu: false,
            platform: "linux", arch: process.arch, llamaCpp: {repo: "ggml-org/llama.cpp", release: "v0.4.0"}}}));
        fs.writeFileSync(path.join(target, "buildDone.status"), "");
        fs.rmSync(tmp, {recursive: true, force: true});
    });
    after(() => {
        fs.rmSync(target, {recursive: true, force: true});
        if (moved) fs.renameSync(aside, target);
    });

    test("generation runs on the prebuilt binary, says why in one stderr line, and exits 0", async () => {
        const r = await runCli(["-m", STORIES(), "-n", "12", "-s", "greedy", "--verbose", "Once upon a time"]);
        assert.equal(r.signal, null, "llmgen itself was not killed");
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.startsWith(", there was a little girl named Lily."), r.stdout);
        const lines = r.stderr.split("\n").filter((l) => l.includes("failed llmgen's check"));
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0], /SIGILL, an instruction this CPU cannot execute/);
        assert.match(lines[0], /prebuilt binary/);
        assert.match(r.stderr, /build: prebuilt/, "the engine says which binary it loaded");
        const record = readSmokeRecord(target);
        assert.equal(record?.ok, false, "the failure is recorded beside the build");
    });

    test("the recorded failure is reused: the next run does not test again and still refuses the build", async () => {
        const before = fs.statSync(path.join(target, "llmgen-smoke.json")).mtimeMs;
        const r = await runCli(["-m", STORIES(), "-n", "4", "-s", "greedy", "Once"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /failed llmgen's check/);
        assert.equal(fs.statSync(path.join(target, "llmgen-smoke.json")).mtimeMs, before);
    });

    test("doctor reports the refused build and that the binary in use runs every type", async () => {
        const r = await runCli(["doctor", "--json", "-m", STORIES()]);
        const report = JSON.parse(r.stdout) as {localBuildRefused?: string; binaryCheck?: {ok: boolean; results: {type: string; ok: boolean; buildType?: string}[]}};
        assert.match(report.localBuildRefused ?? "", /SIGILL/);
        assert.equal(report.binaryCheck?.ok, true);
        assert.deepEqual(report.binaryCheck?.results.map((x) => [x.type, x.ok, x.buildType]),
            [["F32", true, "prebuilt"], ["F16", true, "prebuilt"], ["Q8_0", true, "prebuilt"], ["Q4_0", true, "prebuilt"]]);
    });
});
