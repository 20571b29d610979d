/** `llmgen models`: the listing and its JSON, including files that are not valid GGUF. */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {after, before, describe, it} from "node:test";
import {listModels} from "../../../src/models/list.js";
import {STORIES, TINY_RANDOM, removeDir, runEntry, tempDir} from "./helpers.js";

interface JsonModel {
    file: string;
    catalogueName: string | null;
    valid: boolean;
    error: string | null;
    architecture: string | null;
    vocabularySize: number | null;
    contextLength: number | null;
    parameterCount: number | null;
    quantisation: string | null;
    sizeBytes: number;
}

describe("models listing", () => {
    let root = "";
    let dir = "";
    before(() => {
        root = tempDir();
        dir = path.join(root, "models");
        fs.mkdirSync(dir);
        fs.copyFileSync(STORIES(), path.join(dir, "stories260K.gguf"));
        fs.copyFileSync(TINY_RANDOM(), path.join(dir, "llama-2-tiny-random.gguf"));
        fs.writeFileSync(path.join(dir, "broken.gguf"), "<html>oops</html>");
        fs.writeFileSync(path.join(dir, "cut.gguf"), fs.readFileSync(STORIES()).subarray(0, 100 * 1024));
        fs.writeFileSync(path.join(dir, "notes.txt"), "not a model");
    });
    after(() => removeDir(root));

    it("lists every .gguf with its metadata, and invalid files as invalid", async () => {
        const listing = await listModels(dir);
        assert.deepEqual(listing.models.map((m) => m.file), ["broken.gguf", "cut.gguf", "llama-2-tiny-random.gguf", "stories260K.gguf"]);
        const stories = listing.models.find((m) => m.file === "stories260K.gguf");
        assert.equal(stories?.catalogueName, "stories260K");
        assert.equal(stories?.vocabularySize, 512);
        const broken = listing.models.find((m) => m.file === "broken.gguf");
        assert.equal(broken?.valid, false);
        assert.match(broken?.error ?? "", /not a GGUF file/);
        assert.equal(listing.catalogue.find((c) => c.name === "stories260K")?.pulled, true);
        assert.equal(listing.catalogue.find((c) => c.name === "stories15M")?.pulled, false);
    });

    it("models --json reports the fixtures' metadata", async () => {
        const out = await runEntry(["models", "--json", "--models-dir", dir]);
        assert.equal(out.code, 0, out.stderr);
        const json = JSON.parse(out.stdout) as {dir: string; models: JsonModel[]; dirSource: string};
        assert.equal(json.dir, dir);
        assert.equal(json.dirSource, "option");
        const byFile = new Map(json.models.map((m) => [m.file, m]));
        const stories = byFile.get("stories260K.gguf");
        const tiny = byFile.get("llama-2-tiny-random.gguf");
        assert.deepEqual(
            {arch: stories?.architecture, vocab: stories?.vocabularySize, ctx: stories?.contextLength, params: stories?.parameterCount, quant: stories?.quantisation, size: stories?.sizeBytes, valid: stories?.valid},
            {arch: "llama", vocab: 512, ctx: 2048, params: 292_800, quant: "F32", size: 1_185_376, valid: true}
        );
        assert.deepEqual(
            {arch: tiny?.architecture, vocab: tiny?.vocabularySize, ctx: tiny?.contextLength, params: tiny?.parameterCount, quant: tiny?.quantisation, valid: tiny?.valid},
            {arch: "llama", vocab: 32000, ctx: 4096, params: 513_048, quant: "F16", valid: true}
        );
        assert.equal(byFile.get("broken.gguf")?.valid, false);
        assert.equal(byFile.get("cut.gguf")?.valid, false);
        assert.match(byFile.get("cut.gguf")?.error ?? "", /truncated/);
        assert.equal(byFile.has("notes.txt"), false);
    });

    it("models prints a table on stdout and hints on stderr", async () => {
        const out = await runEntry(["models", "--models-dir", dir, "--no-color"]);
        assert.equal(out.code, 0, out.stderr);
        const lines = out.stdout.trimEnd().split("\n");
        assert.equal(lines[0], `models folder: ${dir}`);
        assert.match(lines[1] ?? "", /^MODEL\s+FILE\s+SIZE\s+ARCH\s+PARAMS\s+QUANT\s+VOCAB\s+CONTEXT$/);
        assert.ok(lines.some((l) => /^stories260K\s+stories260K\.gguf\s+1\.2 MB\s+llama\s+293K\s+F32\s+512\s+2048$/.test(l)), out.stdout);
        assert.ok(lines.some((l) => /^-\s+llama-2-tiny-random\.gguf\s+1\.8 MB\s+llama\s+513K\s+F16\s+32000\s+4096$/.test(l)), out.stdout);
        assert.ok(lines.some((l) => /^broken\.gguf .*not a usable GGUF model: not a GGUF file/.test(l)), out.stdout);
        assert.match(out.stderr, /not downloaded: .*stories15M \(default\) 19\.1 MB/);
    });

    it("an empty or missing folder is not an error", async () => {
        const out = await runEntry(["models", "--json", "--models-dir", path.join(root, "none")]);
        assert.equal(out.code, 0, out.stderr);
        const json = JSON.parse(out.stdout) as {exists: boolean; models: unknown[]};
        assert.equal(json.exists, false);
        assert.deepEqual(json.models, []);
    });
});
