import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {afterEach, beforeEach, describe, it} from "node:test";
import {RuntimeError} from "../../../src/errors.js";
import {resolveModel} from "../../../src/models/resolve.js";
import {ROOT, STORIES, TINY_RANDOM, closedPort, makeGguf, removeDir, runEntry, serveFile, tempDir} from "./helpers.js";

const ENV_KEYS = ["LLMGEN_MODEL", "LLMGEN_MODELS_DIR", "HF_ENDPOINT", "MODEL_ENDPOINT"] as const;

function oneLine(pattern: RegExp) {
    return (err: unknown) => {
        assert.ok(err instanceof RuntimeError, `expected a RuntimeError, got ${String(err)}`);
        assert.doesNotMatch(err.message, /\n/);
        assert.match(err.message, pattern);
        return true;
    };
}

describe("resolveModel", () => {
    let root = "";
    let dir = "";
    const saved: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};
    const copy = (from: string, name: string) => fs.copyFileSync(from, path.join(dir, name));

    beforeEach(() => {
        root = tempDir();
        dir = path.join(root, "models");
        fs.mkdirSync(dir);
        for (const k of ENV_KEYS) {
            saved[k] = process.env[k];
            delete process.env[k];
        }
    });
    afterEach(() => {
        for (const k of ENV_KEYS) {
            if (saved[k] === undefined) delete process.env[k];
            else process.env[k] = saved[k];
        }
        removeDir(root);
    });

    it("takes a path", async () => {
        const r = await resolveModel(STORIES(), {modelsDir: dir, interactive: false});
        assert.equal(r.path, STORIES());
        assert.equal(r.name, "stories260K.gguf");
        assert.equal(r.architecture, "llama");
        assert.equal(r.info.vocabularySize, 512);
        assert.equal(r.pulled, false);
    });

    it("accepts other architectures and reports which", async () => {
        fs.writeFileSync(path.join(dir, "qwen.gguf"), makeGguf(4096, 1, "qwen2"));
        const r = await resolveModel("qwen.gguf", {modelsDir: dir, interactive: false});
        assert.equal(r.architecture, "qwen2");
        assert.equal(r.info.contextLength, 128);
    });

    it("takes a file name in the models folder, with or without .gguf", async () => {
        copy(TINY_RANDOM(), "tiny.gguf");
        assert.equal((await resolveModel("tiny.gguf", {modelsDir: dir, interactive: false})).path, path.join(dir, "tiny.gguf"));
        assert.equal((await resolveModel("tiny", {modelsDir: dir, interactive: false})).path, path.join(dir, "tiny.gguf"));
    });

    it("takes a catalogue name whose file is in the models folder", async () => {
        copy(STORIES(), "stories260K.gguf");
        const r = await resolveModel("stories260k", {modelsDir: dir, interactive: false});
        assert.equal(r.path, path.join(dir, "stories260K.gguf"));
        assert.equal(r.name, "stories260K");
    });

    it("takes a catalogue URI whose file is in the models folder", async () => {
        copy(STORIES(), "stories260K.gguf");
        const r = await resolveModel("hf:ggml-org/models-moved/tinyllamas/stories260K.gguf", {modelsDir: dir, interactive: false});
        assert.equal(r.name, "stories260K");
    });

    it("takes any hf: URI already downloaded under node-llama-cpp's file name, without network", async () => {
        copy(TINY_RANDOM(), "hf_someone_repo_tiny.gguf");
        const r = await resolveModel("hf:someone/repo/tiny.gguf", {modelsDir: dir, interactive: false});
        assert.equal(r.path, path.join(dir, "hf_someone_repo_tiny.gguf"));
    });

    it("says which command fetches a URI that is not there (not on a terminal)", async () => {
        await assert.rejects(
            resolveModel("hf:someone/repo/other.gguf", {modelsDir: dir, interactive: false}),
            oneLine(/^model hf:someone\/repo\/other\.gguf is not in .* yet — fetch it with: llmgen pull hf:someone\/repo\/other\.gguf --models-dir/)
        );
    });

    it("without -m uses LLMGEN_MODEL", async () => {
        copy(STORIES(), "stories260K.gguf");
        assert.equal((await resolveModel(undefined, {modelsDir: dir, interactive: false, envModel: TINY_RANDOM()})).path, TINY_RANDOM());
    });

    it("without -m uses the default model when present, else the first .gguf", async () => {
        copy(TINY_RANDOM(), "b-tiny.gguf");
        copy(STORIES(), "a-stories.gguf");
        const first = await resolveModel(undefined, {modelsDir: dir, interactive: false});
        assert.equal(first.path, path.join(dir, "a-stories.gguf"));
        // A file named like the default model wins, whatever its place in the listing.
        fs.writeFileSync(path.join(dir, "stories15M-q4_0.gguf"), "not really");
        await assert.rejects(resolveModel(undefined, {modelsDir: dir, interactive: false}), oneLine(/stories15M-q4_0\.gguf: not a usable model: not a GGUF file.*llmgen pull stories15M --force/));
    });

    it("uses LLMGEN_MODELS_DIR when no folder is given", async () => {
        copy(STORIES(), "only.gguf");
        process.env.LLMGEN_MODELS_DIR = dir;
        assert.equal((await resolveModel(undefined, {interactive: false, env: process.env})).path, path.join(dir, "only.gguf"));
    });

    it("without any model uses the built-in demo model, on a terminal or not", async () => {
        for (const interactive of [false, true]) {
            const r = await resolveModel(undefined, {modelsDir: dir, interactive});
            assert.equal(r.path, path.join(ROOT, "assets", "stories260K.gguf"));
            assert.equal(r.builtin, true);
            assert.equal(r.name, "stories260K");
        }
        process.env.LLMGEN_MODELS_DIR = path.join(root, "empty");
        assert.equal((await resolveModel(undefined, {interactive: false, env: process.env})).builtin, true);
    });

    it("a catalogue model that is not downloaded: names the pull command", async () => {
        await assert.rejects(resolveModel("stories15M", {modelsDir: dir, interactive: false}), oneLine(/^model stories15M is not in .* yet — fetch it with: llmgen pull stories15M/));
    });

    it("rejects missing, empty, non-GGUF and truncated files with one clear line", async () => {
        await assert.rejects(resolveModel(path.join(root, "nope.gguf"), {modelsDir: dir, interactive: false}), oneLine(/nope\.gguf: no such model file/));
        fs.writeFileSync(path.join(root, "empty.gguf"), "");
        await assert.rejects(resolveModel(path.join(root, "empty.gguf"), {modelsDir: dir, interactive: false}), oneLine(/empty\.gguf: not a usable model: the file is empty/));
        fs.writeFileSync(path.join(root, "text.gguf"), "hello world, not a model");
        await assert.rejects(resolveModel(path.join(root, "text.gguf"), {modelsDir: dir, interactive: false}), oneLine(/text\.gguf: not a usable model: not a GGUF file: it starts with "hell"/));
        fs.writeFileSync(path.join(root, "trunc.gguf"), fs.readFileSync(STORIES()).subarray(0, 100 * 1024));
        await assert.rejects(
            resolveModel(path.join(root, "trunc.gguf"), {modelsDir: dir, interactive: false}),
            oneLine(/trunc\.gguf: not a usable model: truncated: 102400 of at least 1185376 bytes \(an interrupted download\?\) — delete it and download it again/)
        );
        await assert.rejects(resolveModel(root, {modelsDir: dir, interactive: false}), oneLine(/not a regular file/));
    });

    it("rejects an unknown name, listing the catalogue", async () => {
        await assert.rejects(resolveModel("mystery", {modelsDir: dir, interactive: false}), oneLine(/^model "mystery" not found: .*not a catalogue name \(stories260K, stories15M/));
    });

    it("on a terminal pulls the missing model (announcing it) and uses it; stdout stays clean", async () => {
        const server = await serveFile(STORIES());
        try {
            const out = await runEntry(["resolve", "stories260K", "--models-dir", dir, "--interactive"], {HF_ENDPOINT: server.url("/")});
            assert.equal(out.code, 0, out.stderr);
            const json = JSON.parse(out.stdout) as {path: string; pulled: boolean; name: string};
            assert.deepEqual(json, {path: path.join(dir, "stories260K.gguf"), name: "stories260K", architecture: "llama", pulled: true});
            assert.match(out.stderr, /stories260K is not downloaded yet — fetching it now \(1\.2 MB, MIT\)/);
            assert.match(out.stderr, /^saved .*stories260K\.gguf$/m);
        } finally {
            await server.close();
        }
    });

    it("on a terminal with no model, nothing is downloaded: the built-in model runs", async () => {
        const server = await serveFile(STORIES(), {status: 404});
        try {
            const out = await runEntry(["resolve", "--models-dir", dir, "--interactive"], {HF_ENDPOINT: server.url("/")});
            assert.equal(out.code, 0, out.stderr);
            assert.deepEqual(JSON.parse(out.stdout), {path: path.join(ROOT, "assets", "stories260K.gguf"), name: "stories260K", architecture: "llama", pulled: false, builtin: true});
            assert.equal(out.stderr, "");
            assert.deepEqual(server.requests, [], "no request reached the hub");
            assert.deepEqual(fs.readdirSync(dir), []);
        } finally {
            await server.close();
        }
    });

    it("offline (nothing listening), on a terminal: one line naming the pull command", async () => {
        const port = await closedPort();
        const out = await runEntry(["resolve", "tinyllama", "--models-dir", dir, "--interactive"], {HF_ENDPOINT: `http://127.0.0.1:${port}/`});
        assert.equal(out.code, 1);
        assert.match(out.stderr, /^llmgen: cannot download tinyllama: cannot reach 127\.0\.0\.1:\d+: connection refused .* — fetch it later with: llmgen pull tinyllama --models-dir/m);
    });
});
