/**
 * `pull` and `models` as a user runs them: a child process (through test/standalone/models/cliEntry.ts, which
 * mirrors the real entry's error handling), stdout for the product only, one `llmgen:` line and
 * exit code 1 on failure, plain progress lines when stderr is not a terminal.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {afterEach, beforeEach, describe, it} from "node:test";
import {spawn} from "node:child_process";
import {fileURLToPath} from "node:url";
import {runCli} from "../../support/cli.js";
import {STORIES, allFiles, closedPort, makeGguf, modelLookingFiles, removeDir, runEntry, serveBytes, serveFile, sha256, tempDir} from "./helpers.js";

describe("pull and models commands (child process)", () => {
    let root = "";
    let dir = "";
    beforeEach(() => {
        root = tempDir();
        dir = path.join(root, "models");
    });
    afterEach(() => removeDir(root));

    it("pull <url> prints the path on stdout only, progress and summary on stderr", async () => {
        const server = await serveFile(STORIES());
        try {
            const r = await runEntry(["pull", server.url("/x/stories260K.gguf"), "--models-dir", dir]);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stdout, path.join(dir, "stories260K.gguf") + "\n");
            assert.match(r.stderr, /^downloading stories260K\.gguf \(1\.2 MB\)$/m);
            assert.match(r.stderr, /^saved stories260K\.gguf → .*stories260K\.gguf \(1\.2 MB, no published checksum, checked as GGUF; sha256 270cba1b/m);
            assert.ok(!r.stderr.includes("\u001b["), "no escape codes when stderr is not a terminal");
            assert.equal(sha256(path.join(dir, "stories260K.gguf")), sha256(STORIES()));

            const again = await runEntry(["pull", server.url("/x/stories260K.gguf"), "--models-dir", dir]);
            assert.equal(again.code, 0, again.stderr);
            assert.match(again.stderr, /already in/);
        } finally {
            await server.close();
        }
    });

    it("pull by catalogue name (HF_ENDPOINT at a local server) verifies the sha256", async () => {
        const server = await serveFile(STORIES());
        try {
            const r = await runEntry(["pull", "stories260K", "--models-dir", dir], {HF_ENDPOINT: server.url("/")});
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stderr, /saved stories260K → .* \(1\.2 MB, sha256 verified\)/);
        } finally {
            await server.close();
        }
    });

    it("failures are one 'llmgen:' line and exit 1, with no model file left", async () => {
        const notFound = await serveFile(STORIES(), {status: 404});
        const html = await serveBytes(Buffer.from("<!DOCTYPE html><p>hi</p>"));
        const dropping = await serveFile(STORIES(), {dropAt: 500_000});
        const port = await closedPort();
        try {
            const cases: [string[], Record<string, string>, RegExp][] = [
                [["pull", notFound.url("/m.gguf")], {}, /^llmgen: not found \(HTTP 404\)/],
                [["pull", html.url("/m.gguf")], {}, /^llmgen: .* is not a GGUF file/],
                [["pull", `http://127.0.0.1:${port}/m.gguf`], {}, /^llmgen: cannot reach 127\.0\.0\.1:\d+: connection refused/],
                [["pull", dropping.url("/m.gguf")], {LLMGEN_STALL_TIMEOUT: "1"}, /^llmgen: download stalled: no data for 1 s at 500 kB of 1\.2 MB/],
                [["pull", notFound.url("/m.gguf"), "--sha256", "f".repeat(64)], {}, /^llmgen: not found/],
                [["pull", "stories260K"], {HF_ENDPOINT: notFound.url("/")}, /^llmgen: not found \(HTTP 404\)/]
            ];
            for (const [args, env, pattern] of cases) {
                const r = await runEntry([...args, "--models-dir", dir], env);
                assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
                assert.equal(r.stdout, "", args.join(" "));
                const errorLines = r.stderr.split("\n").filter((l) => l.startsWith("llmgen:"));
                assert.equal(errorLines.length, 1, r.stderr);
                assert.match(errorLines[0] ?? "", pattern);
                assert.deepEqual(modelLookingFiles(dir), [], args.join(" "));
            }
        } finally {
            await notFound.close();
            await html.close();
            await dropping.close();
        }
    });

    it("Ctrl-C cancels cleanly: exit 130, one line, no model file", async () => {
        const server = await serveBytes(makeGguf(15_000_000, 5), {slowMs: 30});
        try {
            const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), "cliEntry.js");
            const child = spawn(process.execPath, [entry, "pull", server.url("/slow.gguf"), "--models-dir", dir], {
                env: {...process.env, LLMGEN_ENTRY: "1", NO_COLOR: "1"},
                stdio: ["ignore", "pipe", "pipe"]
            });
            let stderr = "";
            let stdout = "";
            child.stderr.setEncoding("utf8").on("data", (d: string) => {
                stderr += d;
                if (/downloading slow\.gguf/.test(stderr)) setTimeout(() => child.kill("SIGINT"), 700);
            });
            child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
            const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
            assert.equal(signal, null, "not killed by the signal: it handled it");
            assert.equal(code, 130, stderr);
            assert.equal(stdout, "");
            assert.match(stderr, /^llmgen: download cancelled at .* of 15 MB — /m);
            assert.deepEqual(modelLookingFiles(dir), []);
            assert.ok(!allFiles(dir).some((f) => f.endsWith(".lock")), "lock released");
        } finally {
            await server.close();
        }
    });

    it("the real llmgen binary: pull, models --json, and a 404", async () => {
        const server = await serveFile(STORIES());
        const missing = await serveFile(STORIES(), {status: 404});
        try {
            const pulled = await runCli(["pull", server.url("/m/stories260K.gguf"), "--models-dir", dir]);
            assert.equal(pulled.code, 0, pulled.stderr);
            assert.equal(pulled.stdout, path.join(dir, "stories260K.gguf") + "\n");
            const listed = await runCli(["models", "--json", "--models-dir", dir]);
            assert.equal(listed.code, 0, listed.stderr);
            const json = JSON.parse(listed.stdout) as {models: {file: string; architecture: string; vocabularySize: number}[]};
            assert.deepEqual(json.models.map((m) => [m.file, m.architecture, m.vocabularySize]), [["stories260K.gguf", "llama", 512]]);
            const notFound = await runCli(["pull", missing.url("/x.gguf"), "--models-dir", path.join(root, "other")]);
            assert.equal(notFound.code, 1);
            assert.equal(notFound.stdout, "");
            assert.match(notFound.stderr, /^llmgen: not found \(HTTP 404\)/m);
            assert.deepEqual(modelLookingFiles(path.join(root, "other")), []);
        } finally {
            await server.close();
            await missing.close();
        }
    });

    it("usage errors exit 2", async () => {
        const r = await runEntry(["pull", "no-such-model", "--models-dir", dir]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /^llmgen: unknown model "no-such-model": not a catalogue name \(stories260K, stories15M/m);
        const bad = await runEntry(["pull", "https://example.invalid/m.gguf", "--sha256", "xyz", "--models-dir", dir]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--sha256 needs 64 hex digits/);
    });

    it("models --json on the pulled folder reports the metadata", async () => {
        fs.mkdirSync(dir, {recursive: true});
        fs.copyFileSync(STORIES(), path.join(dir, "stories260K.gguf"));
        const r = await runEntry(["models", "--json", "--models-dir", dir]);
        assert.equal(r.code, 0, r.stderr);
        const json = JSON.parse(r.stdout) as {models: {file: string; architecture: string; vocabularySize: number}[]};
        assert.deepEqual(json.models.map((m) => [m.file, m.architecture, m.vocabularySize]), [["stories260K.gguf", "llama", 512]]);
        assert.deepEqual(allFiles(dir), ["stories260K.gguf"], "listing writes nothing");
    });
});
