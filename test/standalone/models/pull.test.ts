/**
 * `llmgen pull` against a local HTTP server on 127.0.0.1 serving the fixture models: the file
 * lands with the right sha256, and every failure gives its one-line error and leaves no file that
 * looks like a model. Nothing here reaches the internet.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {afterEach, beforeEach, describe, it} from "node:test";
import {RuntimeError} from "../../../src/errors.js";
import {findCatalogueEntry} from "../../../src/models/catalogue.js";
import {DownloadCancelledError, pullModel, STAGING_DIR_NAME, type PullEvent} from "../../../src/models/pull.js";
import {
    STORIES,
    TINY_RANDOM,
    allFiles,
    closedPort,
    makeGguf,
    modelLookingFiles,
    removeDir,
    serveBytes,
    serveFile,
    sha256,
    tempDir,
    type FileServer
} from "./helpers.js";

const STORIES_SHA = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";

/** A one-line RuntimeError whose message matches. */
function runtimeError(pattern: RegExp) {
    return (err: unknown) => {
        assert.ok(err instanceof RuntimeError, `expected a RuntimeError, got ${String(err)}`);
        assert.doesNotMatch(err.message, /\n/, "one line");
        assert.match(err.message, pattern);
        return true;
    };
}

describe("pull by URL from a local server", () => {
    let dir = "";
    let server: FileServer | undefined;
    beforeEach(() => {
        dir = path.join(tempDir(), "models");
    });
    afterEach(async () => {
        await server?.close();
        server = undefined;
        removeDir(path.dirname(dir));
    });

    it("downloads stories260K with the right sha256 and leaves nothing else behind", async () => {
        server = await serveFile(STORIES());
        const events: PullEvent[] = [];
        const r = await pullModel(server.url("/models/stories260K.gguf"), {modelsDir: dir, onEvent: (e) => events.push(e)});
        assert.equal(r.path, path.join(dir, "stories260K.gguf"));
        assert.equal(r.sha256, STORIES_SHA);
        assert.equal(sha256(r.path), STORIES_SHA);
        assert.equal(r.sizeBytes, 1_185_376);
        assert.equal(r.alreadyPresent, false);
        assert.equal(r.verified, "gguf", "no checksum was given for a plain URL");
        assert.deepEqual(allFiles(dir), ["stories260K.gguf"], "no partial or staging files left");
        assert.ok(events.some((e) => e.type === "start" && e.totalBytes === 1_185_376));
        assert.ok(events.some((e) => e.type === "progress"));
        assert.ok(events.some((e) => e.type === "verifying" && e.what === "gguf"));
    });

    it("does not download again when the file is already there", async () => {
        server = await serveFile(STORIES());
        await pullModel(server.url("/stories260K.gguf"), {modelsDir: dir});
        const before = server.requests.length;
        const again = await pullModel(server.url("/stories260K.gguf"), {modelsDir: dir});
        assert.equal(again.alreadyPresent, true);
        assert.ok(server.requests.every((r, i) => i < before || !/bytes=\d+-\d{4,}/.test(r)), "no second transfer");
    });

    it("verifies a given sha256 and refuses a mismatch, keeping no file", async () => {
        server = await serveFile(STORIES());
        const ok = await pullModel(server.url("/stories260K.gguf"), {modelsDir: dir, sha256: STORIES_SHA.toUpperCase()});
        assert.equal(ok.verified, "sha256");
        removeDir(dir);
        const wrong = "0".repeat(64);
        await assert.rejects(
            pullModel(server.url("/stories260K.gguf"), {modelsDir: dir, sha256: wrong}),
            runtimeError(/^checksum mismatch for stories260K\.gguf: expected sha256 0{64}, got 270cba1b/)
        );
        assert.deepEqual(modelLookingFiles(dir), []);
        assert.deepEqual(allFiles(dir), [], "the download was discarded");
    });

    it("gives a clear error for HTTP 404 and leaves no file", async () => {
        server = await serveFile(STORIES(), {status: 404});
        await assert.rejects(pullModel(server.url("/missing.gguf"), {modelsDir: dir}), runtimeError(/^not found \(HTTP 404\): http:\/\/127\.0\.0\.1:\d+\/missing\.gguf/));
        assert.deepEqual(allFiles(dir), []);
    });

    it("gives a clear error for HTTP 401 and leaves no file", async () => {
        server = await serveFile(STORIES(), {status: 401});
        await assert.rejects(pullModel(server.url("/gated.gguf"), {modelsDir: dir}), runtimeError(/^access denied \(HTTP 401\).*HF_TOKEN/));
        assert.deepEqual(modelLookingFiles(dir), []);
    });

    it("gives a clear error for server errors without waiting for retries", async () => {
        server = await serveFile(STORIES(), {status: 503});
        const t0 = Date.now();
        await assert.rejects(pullModel(server.url("/m.gguf"), {modelsDir: dir}), runtimeError(/^server error \(HTTP 503\)/));
        assert.ok(Date.now() - t0 < 5000);
    });

    it("says 'cannot reach' quickly when nothing listens (no network)", async () => {
        const port = await closedPort();
        const t0 = Date.now();
        await assert.rejects(
            pullModel(`http://127.0.0.1:${port}/stories260K.gguf`, {modelsDir: dir}),
            runtimeError(/^cannot reach 127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\) — check your network connection/)
        );
        assert.ok(Date.now() - t0 < 5000, "no long retry loop");
        assert.deepEqual(modelLookingFiles(dir), []);
    });

    it("refuses a file that is not GGUF (an HTML page) before downloading it", async () => {
        server = await serveBytes(Buffer.from("<!DOCTYPE html><html><body>Sign in</body></html>"));
        await assert.rejects(pullModel(server.url("/model.gguf"), {modelsDir: dir}), runtimeError(/is not a GGUF file \(the server sent an HTML page\)/));
        assert.deepEqual(allFiles(dir), []);
    });

    it("discards a download that starts like GGUF but is not a valid model", async () => {
        const junk = Buffer.concat([Buffer.from("GGUF"), Buffer.from([3, 0, 0, 0]), Buffer.alloc(200_000, 0x5a)]);
        server = await serveBytes(junk);
        await assert.rejects(pullModel(server.url("/junk.gguf"), {modelsDir: dir}), runtimeError(/not a valid GGUF model \(corrupt GGUF header.*nothing was saved/));
        assert.deepEqual(allFiles(dir), []);
    });

    it("discards a download whose server sends only part of the model and says it is all", async () => {
        const part = fs.readFileSync(STORIES()).subarray(0, 100 * 1024);
        server = await serveBytes(part);
        await assert.rejects(pullModel(server.url("/stories260K.gguf"), {modelsDir: dir}), runtimeError(/not a valid GGUF model \(truncated: 102400 of at least 1185376 bytes/));
        assert.deepEqual(allFiles(dir), []);
    });

    it("stops with a clear error when the server drops the connection mid-file, leaving no model file", async () => {
        server = await serveFile(STORIES(), {dropAt: 600_000});
        const t0 = Date.now();
        await assert.rejects(
            pullModel(server.url("/stories260K.gguf"), {modelsDir: dir, stallTimeoutMs: 1500}),
            runtimeError(/^download stalled: no data for 2 s at 600 kB of 1\.2 MB \(connection lost\?\) — run the same command again to retry$/)
        );
        assert.ok(Date.now() - t0 < 15_000);
        assert.deepEqual(modelLookingFiles(dir), [], "nothing that looks like a model");
        assert.ok(!fs.existsSync(path.join(dir, "stories260K.gguf")));

        // Re-running against a working server completes with the right bytes.
        await server.close();
        server = await serveFile(STORIES());
        const r = await pullModel(server.url("/stories260K.gguf"), {modelsDir: dir});
        assert.equal(sha256(r.path), STORIES_SHA);
        assert.deepEqual(allFiles(dir), ["stories260K.gguf"]);
    });

    it("recovers when the connection drops once (the downloader retries the range)", async () => {
        server = await serveFile(TINY_RANDOM(), {dropAt: 900_000, dropOnce: true});
        const r = await pullModel(server.url("/llama-2-tiny-random.gguf"), {modelsDir: dir, stallTimeoutMs: 10_000});
        assert.equal(sha256(r.path), sha256(TINY_RANDOM()));
        assert.ok(server.requests.filter((q) => /bytes=/.test(q)).length >= 2, `retried: ${server.requests.join(" | ")}`);
    });

    it("cancels cleanly on abort (Ctrl-C), keeps the partial, and the next run resumes it", async () => {
        const data = makeGguf(12_000_000, 7);
        server = await serveBytes(data, {slowMs: 15});
        const controller = new AbortController();
        let seen = 0;
        const pending = pullModel(server.url("/big.gguf"), {
            modelsDir: dir,
            signal: controller.signal,
            onEvent: (e) => {
                if (e.type === "progress") {
                    seen = e.downloadedBytes;
                    // ipull saves its progress per 5 MiB chunk; by 10 MB the last (2 MB) chunk is saved.
                    if (seen > 10_000_000) controller.abort();
                }
            }
        });
        await assert.rejects(pending, (err: unknown) => {
            assert.ok(err instanceof DownloadCancelledError, String(err));
            assert.equal(err.exitCode, 130);
            assert.match(err.message, /^download cancelled at .* of 12 MB — the partial download is kept; run the same command again to resume$/);
            return true;
        });
        assert.deepEqual(modelLookingFiles(dir), []);
        const partials = allFiles(dir).filter((f) => f.endsWith(".ipull"));
        assert.deepEqual(partials, [`${STAGING_DIR_NAME}/big.gguf.ipull`], "partial kept for a resume");

        await server.close();
        server = await serveBytes(data);
        let resumedFrom = -1;
        const r = await pullModel(server.url("/big.gguf"), {
            modelsDir: dir,
            onEvent: (e) => {
                if (e.type === "start") resumedFrom = e.resumedBytes;
            }
        });
        assert.ok(resumedFrom > 0, `resumed (from ${resumedFrom})`);
        assert.ok(server.requests.some((q) => /bytes=[1-9]\d*-/.test(q)), `a range past the start was requested: ${server.requests.join(" | ")}`);
        assert.equal(sha256(r.path), sha256(data), "the resumed file is exactly the original");
        assert.deepEqual(allFiles(dir), ["big.gguf"]);
    });

    it("--force downloads again and discards a partial download", async () => {
        server = await serveFile(STORIES());
        await pullModel(server.url("/stories260K.gguf"), {modelsDir: dir});
        const r = await pullModel(server.url("/stories260K.gguf"), {modelsDir: dir, force: true});
        assert.equal(r.alreadyPresent, false);
        assert.equal(sha256(r.path), STORIES_SHA);
    });

    it("replaces an existing file that is corrupt", async () => {
        fs.mkdirSync(dir, {recursive: true});
        fs.writeFileSync(path.join(dir, "stories260K.gguf"), fs.readFileSync(STORIES()).subarray(0, 50_000));
        server = await serveFile(STORIES());
        const notes: string[] = [];
        const r = await pullModel(server.url("/stories260K.gguf"), {modelsDir: dir, onEvent: (e) => e.type === "note" && notes.push(e.message)});
        assert.equal(r.alreadyPresent, false);
        assert.equal(sha256(r.path), STORIES_SHA);
        assert.ok(notes.some((n) => /truncated/.test(n)), notes.join("; "));
    });

    it("refuses to start when the disk is too small", async () => {
        server = await serveFile(STORIES());
        await assert.rejects(
            pullModel(server.url("/stories260K.gguf"), {modelsDir: dir, diskFree: async () => 500_000}),
            runtimeError(/^not enough disk space in .*: .* needs 1\.2 MB, 500 kB free/)
        );
        assert.deepEqual(allFiles(dir), []);
    });

    it("says so when the models folder cannot be created", async () => {
        fs.mkdirSync(path.dirname(dir), {recursive: true});
        const blocker = path.join(path.dirname(dir), "a-file");
        fs.writeFileSync(blocker, "x");
        server = await serveFile(STORIES());
        await assert.rejects(
            pullModel(server.url("/stories260K.gguf"), {modelsDir: path.join(blocker, "models")}),
            runtimeError(/^cannot create the models folder .*a-file\/models: .*a-file is a file, not a folder — choose another with --models-dir or LLMGEN_MODELS_DIR$/)
        );
    });
});

describe("pull by catalogue name (Hugging Face endpoint pointed at a local server)", () => {
    let dir = "";
    let server: FileServer | undefined;
    beforeEach(() => {
        dir = path.join(tempDir(), "models");
    });
    afterEach(async () => {
        await server?.close();
        server = undefined;
        removeDir(path.dirname(dir));
    });

    it("fetches stories260K from its hf: URI, checks the pinned sha256 and names the file", async () => {
        server = await serveFile(STORIES());
        const r = await pullModel("stories260K", {modelsDir: dir, hfEndpoint: server.url("/")});
        assert.equal(r.name, "stories260K");
        assert.equal(r.verified, "sha256");
        assert.equal(r.path, path.join(dir, "stories260K.gguf"));
        assert.equal(sha256(r.path), findCatalogueEntry("stories260K")?.sha256);
        assert.ok(server.requests.some((q) => q.includes("/ggml-org/models-moved/resolve/main/tinyllamas/stories260K.gguf")), server.requests.join(" | "));
        const again = await pullModel("stories260K", {modelsDir: dir, hfEndpoint: server.url("/")});
        assert.equal(again.alreadyPresent, true);
        assert.equal(again.verified, "sha256");
    });

    it("rejects a same-size file with different bytes (checksum mismatch), keeping no file", async () => {
        const tampered = Buffer.from(fs.readFileSync(STORIES()));
        tampered[tampered.length - 10] ^= 0xff;
        server = await serveBytes(tampered);
        await assert.rejects(
            pullModel("stories260K", {modelsDir: dir, hfEndpoint: server.url("/")}),
            runtimeError(/^checksum mismatch for stories260K\.gguf: expected sha256 270cba1b[0-9a-f]+, got [0-9a-f]{64} — the download was discarded/)
        );
        assert.deepEqual(allFiles(dir), []);
    });

    it("refuses a file of another size than the catalogue's before downloading it", async () => {
        server = await serveFile(TINY_RANDOM());
        await assert.rejects(
            pullModel("stories260K", {modelsDir: dir, hfEndpoint: server.url("/")}),
            runtimeError(/offers 1750560 bytes for stories260K, but the catalogue expects 1185376/)
        );
        assert.deepEqual(allFiles(dir), []);
    });

    it("gives the 404 error for a catalogue file missing on the server", async () => {
        server = await serveFile(STORIES(), {status: 404});
        await assert.rejects(pullModel("stories15M", {modelsDir: dir, hfEndpoint: server.url("/")}), runtimeError(/^not found \(HTTP 404\).*stories15M-q4_0\.gguf/));
        assert.deepEqual(allFiles(dir), []);
    });
});
