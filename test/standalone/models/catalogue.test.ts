import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {describe, it} from "node:test";
import {
    CATALOGUE,
    DEFAULT_MODEL_NAME,
    defaultEntry,
    findCatalogueEntry,
    findCatalogueEntryByFileName,
    findCatalogueEntryByUri
} from "../../../src/models/catalogue.js";
import {pullTarget} from "../../../src/models/pull.js";
import {isModelUri, probeTarget} from "../../../src/models/uri.js";
import {UsageError} from "../../../src/errors.js";
import {STORIES, sha256} from "./helpers.js";

describe("catalogue", () => {
    it("has well-formed entries with unique names and files", () => {
        const names = new Set<string>();
        const files = new Set<string>();
        for (const e of CATALOGUE) {
            for (const n of [e.name, ...e.aliases]) {
                assert.ok(!names.has(n.toLowerCase()), `duplicate name ${n}`);
                names.add(n.toLowerCase());
            }
            assert.ok(!files.has(e.fileName), `duplicate file ${e.fileName}`);
            files.add(e.fileName);
            assert.match(e.fileName, /\.gguf$/);
            assert.ok(e.uri.startsWith("hf:"), `${e.name}: pinned hf: file URI`);
            assert.ok(e.uri.endsWith("/" + e.fileName), `${e.name}: the file name is the source file's`);
            assert.ok(e.sha256 === null || /^[0-9a-f]{64}$/.test(e.sha256), `${e.name}: sha256 is 64 lower-case hex or null`);
            assert.ok(e.sizeBytes === null || (Number.isInteger(e.sizeBytes) && e.sizeBytes > 0));
            assert.ok(e.approxBytes > 0);
            assert.ok(e.vocabularySize > 0);
            assert.ok(e.licence.length > 0 && e.provenance.length > 0);
            assert.ok(isModelUri(e.uri));
        }
    });

    it("has a default entry with a pinned size and checksum", () => {
        const d = defaultEntry();
        assert.equal(d.name, DEFAULT_MODEL_NAME);
        assert.ok(d.sha256 != null && d.sizeBytes != null, "the default model is verified by sha256");
    });

    it("pins stories260K to the fixture's exact size and sha256", () => {
        const e = findCatalogueEntry("stories260K");
        assert.ok(e);
        const file = STORIES();
        assert.equal(fs.statSync(file).size, e.sizeBytes);
        assert.equal(sha256(file), e.sha256);
        assert.equal(path.basename(file), e.fileName);
    });

    it("finds entries by name (any case), alias, URI and file name", () => {
        assert.equal(findCatalogueEntry("STORIES15M")?.name, "stories15M");
        assert.equal(findCatalogueEntry("tinyllama-1.1b-chat")?.name, "tinyllama");
        assert.equal(findCatalogueEntryByUri("hf:ggml-org/models-moved/tinyllamas/stories260K.gguf#main")?.name, "stories260K");
        assert.equal(findCatalogueEntryByFileName("stories260K.gguf")?.name, "stories260K");
        assert.equal(findCatalogueEntry("nope"), undefined);
    });
});

describe("pull targets", () => {
    it("defaults to the default model", () => {
        assert.equal(pullTarget(undefined).name, DEFAULT_MODEL_NAME);
    });

    it("accepts catalogue names, hf: URIs and URLs; rejects the rest", () => {
        assert.equal(pullTarget("stories260k").entry?.name, "stories260K");
        assert.equal(pullTarget("hf:user/repo:Q4_K_M").uri, "hf:user/repo:Q4_K_M");
        assert.equal(pullTarget("https://example.com/m.gguf").entry, undefined);
        assert.throws(() => pullTarget("no-such-model"), (e: unknown) => e instanceof UsageError && /not a catalogue name/.test(e.message));
        assert.throws(() => pullTarget("./local.gguf"), (e: unknown) => e instanceof UsageError && /-m/.test(e.message));
        assert.throws(() => pullTarget("https://example.com/m.gguf", "abc"), UsageError);
    });

    it("knows which address to check before downloading", () => {
        const ep = "https://huggingface.co/";
        assert.deepEqual(probeTarget("hf:ggml-org/models-moved/tinyllamas/stories260K.gguf", ep), {
            url: "https://huggingface.co/ggml-org/models-moved/resolve/main/tinyllamas/stories260K.gguf?download=true",
            isFile: true
        });
        assert.deepEqual(probeTarget("hf:user/repo:Q4_K_M", ep), {url: ep, isFile: false});
        assert.equal(probeTarget("hf:user/repo/f.gguf#dev", ep).url, "https://huggingface.co/user/repo/resolve/dev/f.gguf?download=true");
        assert.equal(probeTarget("https://huggingface.co/u/r/blob/main/f.gguf", ep).url, "https://huggingface.co/u/r/resolve/main/f.gguf");
    });
});
