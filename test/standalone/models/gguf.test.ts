import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {after, before, describe, it} from "node:test";
import {inspectGgufFile} from "../../../src/engine/modelFiles.js";
import {RuntimeError} from "../../../src/errors.js";
import {findCatalogueEntry} from "../../../src/models/catalogue.js";
import {validateModelFile} from "../../../src/models/verify.js";
import {STORIES, TINY_RANDOM, makeGguf, removeDir, tempDir} from "./helpers.js";

describe("GGUF inspection", () => {
    let dir = "";
    const write = (name: string, data: Buffer | string) => {
        const p = path.join(dir, name);
        fs.writeFileSync(p, data);
        return p;
    };
    before(() => (dir = tempDir()));
    after(() => removeDir(dir));

    it("reads stories260K's metadata", async () => {
        const r = await inspectGgufFile(STORIES());
        assert.ok(r.ok, JSON.stringify(r));
        assert.equal(r.fileSize, 1_185_376);
        assert.equal(r.summary.architecture, "llama");
        assert.equal(r.summary.vocabularySize, 512);
        assert.equal(r.summary.contextLength, 2048);
        assert.equal(r.summary.parameterCount, 292_800);
        assert.equal(r.summary.quantisation, "F32");
        assert.equal(r.summary.ggufVersion, 3);
        assert.equal(r.summary.tensorCount, 48);
        assert.equal(r.summary.expectedMinSize, 1_185_376, "the last tensor ends exactly at the end of the file");
    });

    it("reads llama-2-tiny-random's metadata", async () => {
        const r = await inspectGgufFile(TINY_RANDOM());
        assert.ok(r.ok, JSON.stringify(r));
        assert.equal(r.summary.architecture, "llama");
        assert.equal(r.summary.vocabularySize, 32000);
        assert.equal(r.summary.contextLength, 4096);
        assert.equal(r.summary.parameterCount, 513_048);
        assert.equal(r.summary.quantisation, "F16");
        assert.equal(r.summary.name, "LLaMA v2");
        assert.equal(r.summary.expectedMinSize, 1_750_560);
    });

    it("reports a truncated download (first 100 KB of stories260K) as truncated", async () => {
        const p = write("trunc100k.gguf", fs.readFileSync(STORIES()).subarray(0, 100 * 1024));
        const r = await inspectGgufFile(p);
        assert.equal(r.ok, false);
        assert.ok(!r.ok && r.problem === "truncated", JSON.stringify(r));
        assert.match(!r.ok ? r.detail : "", /102400 of at least 1185376 bytes/);
    });

    it("reports files cut inside the header or the metadata as truncated", async () => {
        const data = fs.readFileSync(TINY_RANDOM());
        for (const size of [16, 5000, 700_000, data.length - 1]) {
            const r = await inspectGgufFile(write(`cut-${size}.gguf`, data.subarray(0, size)));
            assert.ok(!r.ok && r.problem === "truncated", `${size} bytes: ${JSON.stringify(r)}`);
        }
    });

    it("names the problem with empty, HTML, LFS-pointer and garbage files", async () => {
        const cases: [string, Buffer | string, string, RegExp][] = [
            ["empty.gguf", "", "empty", /empty/],
            ["page.gguf", "<!DOCTYPE html><html><body>Not found</body></html>", "not-gguf", /HTML/],
            ["lfs.gguf", "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n", "not-gguf", /Git LFS pointer/],
            ["bin.gguf", Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]), "not-gguf", /bytes 00010203/],
            ["v1.gguf", Buffer.concat([Buffer.from("GGUF"), Buffer.from([1, 0, 0, 0]), Buffer.alloc(16)]), "unsupported-version", /version 1/],
            ["badcounts.gguf", Buffer.concat([Buffer.from("GGUF"), Buffer.from([3, 0, 0, 0]), Buffer.alloc(16, 0xff)]), "corrupt", /corrupt/]
        ];
        for (const [name, data, problem, detail] of cases) {
            const r = await inspectGgufFile(write(name, data));
            assert.ok(!r.ok, name);
            assert.equal(!r.ok && r.problem, problem, name);
            assert.match(!r.ok ? r.detail : "", detail, name);
        }
    });

    it("reports missing files and folders", async () => {
        const missing = await inspectGgufFile(path.join(dir, "nope.gguf"));
        assert.ok(!missing.ok && missing.problem === "missing");
        const folder = await inspectGgufFile(dir);
        assert.ok(!folder.ok && folder.problem === "not-a-file");
    });

    it("accepts a generated GGUF file and catches its truncation", async () => {
        const data = makeGguf(300_000);
        const good = await inspectGgufFile(write("gen.gguf", data));
        assert.ok(good.ok, JSON.stringify(good));
        assert.equal(good.summary.vocabularySize, 5);
        assert.equal(good.summary.contextLength, 128);
        const bad = await inspectGgufFile(write("gen-cut.gguf", data.subarray(0, data.length - 4)));
        assert.ok(!bad.ok && bad.problem === "truncated");
    });

    it("validateModelFile throws one line naming the file and the fix", async () => {
        const p = write("stories260K.gguf", fs.readFileSync(STORIES()).subarray(0, 100 * 1024));
        await assert.rejects(validateModelFile(p, findCatalogueEntry("stories260K")), (err: unknown) => {
            assert.ok(err instanceof RuntimeError);
            assert.equal(err.exitCode, 1);
            assert.doesNotMatch(err.message, /\n/);
            assert.match(err.message, /stories260K\.gguf: not a usable model: truncated/);
            assert.match(err.message, /llmgen pull stories260K --force/);
            return true;
        });
        await assert.rejects(validateModelFile(path.join(dir, "missing.gguf")), /missing\.gguf: no such model file/);
        const ok = await validateModelFile(STORIES(), findCatalogueEntry("stories260K"));
        assert.equal(ok.summary.vocabularySize, 512);
    });

    it("validateModelFile rejects a catalogue file of the wrong size", async () => {
        const p = write("other.gguf", fs.readFileSync(TINY_RANDOM()));
        await assert.rejects(validateModelFile(p, findCatalogueEntry("stories260K")), /1750560 bytes, but stories260K has 1185376/);
    });
});
