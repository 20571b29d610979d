/**
 * Fault injection for `llmgen pull` and `llmgen models`, run through the real binary
 * (bin/llmgen.js) because how the process ends is part of the contract: every failure is one
 * `llmgen:` line on stderr, the documented exit code (2 for a bad argument, 1 for a failure while
 * running, 130 after Ctrl-C), no stack trace, within a bounded time, and nothing half-written under
 * a model's final name; an interrupted download keeps its resumable partial.
 *
 * Servers are local (127.0.0.1). Folders that even root cannot write come from /proc and /sys;
 * cases that need an unprivileged user (chmod 555) are skipped when running as root.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {afterEach, beforeEach, describe, it} from "node:test";
import {STAGING_DIR_NAME} from "../../../src/models/pull.js";
import {
    STORIES,
    allFiles,
    assertOneErrorLine,
    closedPort,
    makeGguf,
    modelLookingFiles,
    removeDir,
    runLlmgen,
    serveBytes,
    serveFile,
    sha256,
    tempDir,
    type FileServer
} from "./helpers.js";

/** ~12 MB: three of ipull's 5 MiB chunks, so a download cut in the second one has a saved first chunk. */
const BIG = makeGguf(12_000_000, 11);
/** Inside the second chunk (5 242 880 – 10 485 759). */
const CUT_AT = 7_000_000;
const STALL_S = 2;
/** How long after the stall limit a stalled pull may take to end (check interval, cancel, exit). */
const STALL_SLACK_MS = 3000;
/** How long a pull may take to end after Ctrl-C. */
const SIGINT_LIMIT_MS = 2000;
const isRoot = process.getuid?.() === 0;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolve with the server's cut time, or fail after `ms` (the server was never cut: a test bug). */
function cutWithin(server: FileServer, ms: number): Promise<number> {
    return Promise.race([server.cut, delay(ms).then(() => Promise.reject(new Error(`the server was not cut within ${ms} ms`)))]);
}

/** The partial download and nothing else is left: no model file, no lock. */
function assertPartialKept(dir: string, fileName: string, what: string): void {
    assert.ok(!fs.existsSync(path.join(dir, fileName)), `${what}: nothing under the final name`);
    assert.deepEqual(modelLookingFiles(dir), [], `${what}: no .gguf anywhere`);
    assert.deepEqual(
        allFiles(dir).filter((f) => !f.endsWith(".gitignore")),
        [`${STAGING_DIR_NAME}/${fileName}.ipull`],
        `${what}: the resumable partial is kept (and the lock is released)`
    );
}

/** A later pull of the same URL resumes with Range requests past the start and ends with the exact bytes. */
async function assertResumes(server: FileServer, url: string, dir: string, data: Buffer, fileName: string, what: string): Promise<void> {
    await server.revive();
    const before = server.requests.length;
    const r = await runLlmgen(["pull", url, "--models-dir", dir], {timeoutMs: 60_000});
    assert.equal(r.code, 0, `${what}, resume: ${r.stderr}`);
    assert.equal(r.stdout, path.join(dir, fileName) + "\n");
    assert.match(r.stderr, new RegExp(`^downloading ${fileName.replace(".", "\\.")} \\(12 MB\\), resuming at [\\d.]+ MB$`, "m"), `${what}: says it resumes`);
    const ranges = server.requests
        .slice(before)
        .map((q) => /bytes=(\d+)-(\d*)/.exec(q))
        .filter((m): m is RegExpExecArray => m != null && !(m[1] === "0" && Number(m[2]) < 1024)); // not the 64-byte probe
    assert.ok(ranges.length > 0, `${what}: the resume used Range requests: ${server.requests.slice(before).join(" | ")}`);
    assert.ok(ranges.every((m) => Number(m[1]) > 0), `${what}: nothing fetched again from byte 0: ${server.requests.slice(before).join(" | ")}`);
    assert.equal(sha256(path.join(dir, fileName)), sha256(data), `${what}: the resumed file is exactly the original`);
    assert.deepEqual(allFiles(dir), [fileName], `${what}: no partial, staging or lock left`);
}

describe("pull from a server that dies mid-download", () => {
    let root = "";
    let dir = "";
    let server: FileServer | undefined;
    beforeEach(() => {
        root = tempDir();
        dir = path.join(root, "models");
    });
    afterEach(async () => {
        await server?.close();
        server = undefined;
        removeDir(root);
    });

    // 3 cases: the server stops sending but keeps the connection, closes it, or stops listening.
    for (const afterCut of ["hang", "close", "refuse"] as const) {
        it(`gives up at the stall limit when the server ${afterCut === "hang" ? "stops sending" : afterCut === "close" ? "closes the connection" : "goes away (connection refused)"}, keeps the partial, and the next pull resumes`, async () => {
            server = await serveBytes(BIG, {cutAt: CUT_AT, afterCut});
            const url = server.url("/big.gguf");
            const run = runLlmgen(["pull", url, "--models-dir", dir], {env: {LLMGEN_STALL_TIMEOUT: String(STALL_S)}, timeoutMs: 40_000});
            const cutAt = await cutWithin(server, 30_000);
            const r = await run;
            assert.equal(r.signal, null, `ended by itself, not killed by the test's timeout (${r.ms} ms): ${r.stderr}`);
            const after = r.exitedAt - cutAt;
            assert.ok(after <= STALL_S * 1000 + STALL_SLACK_MS, `ended ${after} ms after the server died (limit ${STALL_S} s + ${STALL_SLACK_MS} ms)`);
            assert.equal(r.code, 1, r.stderr);
            assert.equal(r.stdout, "");
            assertOneErrorLine(
                r,
                /^llmgen: download stalled: no data for 2 s (at [\d.]+ MB of 12 MB|with part of 12 MB still missing) \(connection lost\?\) — the partial download is kept; run the same command again to resume$/,
                afterCut
            );
            assertPartialKept(dir, "big.gguf", afterCut);
            await assertResumes(server, url, dir, BIG, "big.gguf", afterCut);
        });
    }

    // 4 cases: the first Ctrl-C stops the pull promptly while the downloader retries a dead server,
    // including late, when the downloader may sit in a retry pause of seconds (without the CLI's
    // exit guard the last case ended 0.4 to 4.9 s after Ctrl-C, depending on where the pause was).
    const sigintCases = [
        ["hang", 1500],
        ["close", 1500],
        ["refuse", 1500],
        ["close", 16_000]
    ] as const;
    for (const [afterCut, waitMs] of sigintCases) {
        const how = afterCut === "hang" ? "stopped sending" : afterCut === "close" ? "closed the connection" : "went away";
        it(`the first Ctrl-C stops it promptly (exit 130) ${waitMs / 1000} s after the server ${how}, keeping the partial for a resume`, async () => {
            server = await serveBytes(BIG, {cutAt: CUT_AT, afterCut});
            const url = server.url("/big.gguf");
            // A long stall limit: only the Ctrl-C can end this run in time.
            const sigint = cutWithin(server, 30_000).then(() => delay(waitMs));
            const r = await runLlmgen(["pull", url, "--models-dir", dir], {env: {LLMGEN_STALL_TIMEOUT: "60"}, timeoutMs: 45_000, sigint});
            assert.ok(r.sigintAt != null, `SIGINT was sent (the run ended after ${r.ms} ms with exit ${r.code}: ${r.stderr})`);
            assert.equal(r.signal, null, `handled the signal and exited by itself (${r.ms} ms): ${r.stderr}`);
            const after = r.exitedAt - (r.sigintAt ?? 0);
            assert.ok(after <= SIGINT_LIMIT_MS, `ended ${after} ms after Ctrl-C (limit ${SIGINT_LIMIT_MS} ms)`);
            assert.equal(r.code, 130, r.stderr);
            assert.equal(r.stdout, "");
            assertOneErrorLine(
                r,
                /^llmgen: download cancelled (at [\d.]+ MB of 12 MB|with part of 12 MB still missing) — the partial download is kept; run the same command again to resume$/,
                afterCut
            );
            assertPartialKept(dir, "big.gguf", afterCut);
            await assertResumes(server, url, dir, BIG, "big.gguf", afterCut);
        });
    }
});

describe("pull into a models folder that cannot be used", () => {
    let root = "";
    let server: FileServer | undefined;
    beforeEach(async () => {
        root = tempDir();
        server = await serveFile(STORIES());
    });
    afterEach(async () => {
        await server?.close();
        server = undefined;
        // chmod'ed folders must be writable again to be removed (when not root)
        for (const f of fs.readdirSync(root)) fs.chmodSync(path.join(root, f), 0o755);
        removeDir(root);
    });

    const FIX = " — choose another with --models-dir or LLMGEN_MODELS_DIR$";

    interface FolderCase {
        name: string;
        /** The --models-dir value (made in `root`). */
        dir: (root: string) => string;
        pattern: (root: string) => RegExp;
        /** Why it cannot run here, when it cannot. */
        skip?: string | false;
    }
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const cases: FolderCase[] = [
        {
            name: "a folder to create under /proc (mkdir fails, recursive mkdir loops forever)",
            dir: () => "/proc/llmgen-test-x",
            pattern: () => new RegExp(`^llmgen: cannot create the models folder /proc/llmgen-test-x: /proc does not accept new folders \\(ENOENT\\)${FIX}`)
        },
        {
            name: "several folders to create under /proc",
            dir: () => "/proc/llmgen-test-x/a/b",
            pattern: () => new RegExp(`^llmgen: cannot create the models folder /proc/llmgen-test-x/a/b: /proc does not accept new folders \\(ENOENT\\)${FIX}`)
        },
        {
            name: "an existing folder even root cannot write (/proc/self)",
            dir: () => "/proc/self",
            pattern: () => new RegExp(`^llmgen: cannot write to the models folder /proc/self: not writable \\(the file system refuses new files there, ENOENT\\)${FIX}`)
        },
        {
            name: "an existing folder of a file system that refuses writes (/sys)",
            dir: () => "/sys",
            pattern: () => new RegExp(`^llmgen: cannot write to the models folder /sys: not writable \\((operation not permitted, EPERM|read-only file system, EROFS)\\)${FIX}`)
        },
        {
            name: "a regular file",
            dir: (r) => {
                fs.writeFileSync(path.join(r, "a-file"), "x");
                return path.join(r, "a-file");
            },
            pattern: (r) => new RegExp(`^llmgen: the models folder ${esc(path.join(r, "a-file"))} is a file, not a folder${FIX}`)
        },
        {
            name: "a path under a regular file",
            dir: (r) => {
                fs.writeFileSync(path.join(r, "a-file"), "x");
                return path.join(r, "a-file", "models");
            },
            pattern: (r) =>
                new RegExp(`^llmgen: cannot create the models folder ${esc(path.join(r, "a-file", "models"))}: ${esc(path.join(r, "a-file"))} is a file, not a folder${FIX}`)
        },
        {
            name: "a read-only folder (chmod 555)",
            dir: (r) => {
                fs.mkdirSync(path.join(r, "ro"));
                fs.chmodSync(path.join(r, "ro"), 0o555);
                return path.join(r, "ro");
            },
            pattern: (r) => new RegExp(`^llmgen: cannot write to the models folder ${esc(path.join(r, "ro"))}: not writable \\(permission denied, EACCES\\)${FIX}`),
            skip: isRoot && "running as root, which can write a chmod 555 folder (the /proc and /sys cases cover unwritable folders)"
        },
        {
            name: "a read-only folder (chmod 555) whose staging folder is writable",
            dir: (r) => {
                fs.mkdirSync(path.join(r, "ro", STAGING_DIR_NAME), {recursive: true});
                fs.chmodSync(path.join(r, "ro"), 0o555);
                return path.join(r, "ro");
            },
            pattern: (r) => new RegExp(`^llmgen: cannot write to the models folder ${esc(path.join(r, "ro"))}: not writable \\(permission denied, EACCES\\)${FIX}`),
            skip: isRoot && "running as root, which can write a chmod 555 folder"
        }
    ];

    // 8 cases (2 skipped as root).
    for (const c of cases) {
        it(`fails fast with one line: ${c.name}`, {skip: c.skip}, async () => {
            const dir = c.dir(root);
            const r = await runLlmgen(["pull", server?.url("/stories260K.gguf") ?? "", "--models-dir", dir], {timeoutMs: 15_000});
            assert.equal(r.signal, null, `ended by itself (${r.ms} ms), not killed by the test's timeout`);
            assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
            assert.equal(r.code, 1, r.stderr);
            assert.equal(r.stdout, "");
            assertOneErrorLine(r, c.pattern(root), c.name);
            assert.ok(!(server?.requests ?? []).some((q) => !/bytes=0-63$/.test(q)), `nothing downloaded: ${server?.requests.join(" | ")}`);
            assert.deepEqual(modelLookingFiles(root), [], "no model file anywhere");
        });
    }
});

describe("models on a folder that cannot be listed", () => {
    let root = "";
    beforeEach(() => {
        root = tempDir();
    });
    afterEach(() => {
        for (const f of fs.readdirSync(root)) fs.chmodSync(path.join(root, f), 0o755);
        removeDir(root);
    });

    it("says a regular file is a file, not a folder (text and --json): 2 cases", async () => {
        const file = path.join(root, "a-file");
        fs.writeFileSync(file, "x");
        for (const extra of [[], ["--json"]]) {
            const r = await runLlmgen(["models", "--models-dir", file, ...extra], {timeoutMs: 15_000});
            assert.equal(r.code, 1, r.stderr);
            assert.equal(r.stdout, "", "no listing");
            assertOneErrorLine(r, /^llmgen: the models folder .*a-file is a file, not a folder — choose another with --models-dir or LLMGEN_MODELS_DIR$/, `models ${extra.join(" ")}`);
        }
    });

    it("says a path under a regular file cannot be a folder", async () => {
        fs.writeFileSync(path.join(root, "a-file"), "x");
        const r = await runLlmgen(["models", "--models-dir", path.join(root, "a-file", "models")], {timeoutMs: 15_000});
        assert.equal(r.code, 1, r.stderr);
        assertOneErrorLine(r, /^llmgen: the models folder .*a-file\/models cannot exist: .*a-file is a file, not a folder — choose another with --models-dir or LLMGEN_MODELS_DIR$/, "under a file");
    });

    it("still says a missing folder does not exist yet (not an error)", async () => {
        const r = await runLlmgen(["models", "--models-dir", path.join(root, "none")], {timeoutMs: 15_000});
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /\(the folder does not exist yet\)/);
    });

    it("says an unreadable folder cannot be read", {skip: isRoot && "running as root, which can read a chmod 000 folder"}, async () => {
        fs.mkdirSync(path.join(root, "locked"));
        fs.chmodSync(path.join(root, "locked"), 0o000);
        const r = await runLlmgen(["models", "--models-dir", path.join(root, "locked")], {timeoutMs: 15_000});
        assert.equal(r.code, 1, r.stderr);
        assertOneErrorLine(r, /^llmgen: cannot read the models folder .*locked: permission denied \(EACCES\)/, "chmod 000");
    });
});

describe("pull with an argument it cannot take (usage errors, no network)", () => {
    let root = "";
    let dir = "";
    let endpoint: FileServer | undefined;
    beforeEach(async () => {
        root = tempDir();
        dir = path.join(root, "models");
        // Where hf: URIs would go: any request here means the argument was not rejected up front.
        endpoint = await serveFile(STORIES());
    });
    afterEach(async () => {
        await endpoint?.close();
        endpoint = undefined;
        removeDir(root);
    });

    const FORMATS = "hf:<user>/<repo>\\[:<quant>\\] or hf:<user>/<repo>/<file>\\.gguf";
    const cases: [string, RegExp][] = [
        ["hf:user", new RegExp(`^llmgen: malformed Hugging Face URI "hf:user": expected ${FORMATS}`)],
        ["hf:", new RegExp(`^llmgen: malformed Hugging Face URI "hf:": expected ${FORMATS}`)],
        ["hf:/repo", new RegExp(`^llmgen: malformed Hugging Face URI "hf:/repo": expected ${FORMATS}`)],
        ["hf:user/", new RegExp(`^llmgen: malformed Hugging Face URI "hf:user/": expected ${FORMATS}`)],
        ["hf:user/:Q4_K_M", new RegExp(`^llmgen: malformed Hugging Face URI "hf:user/:Q4_K_M": expected ${FORMATS}`)],
        ["huggingface:user", new RegExp(`^llmgen: malformed Hugging Face URI "huggingface:user": expected ${FORMATS}`)],
        ["ftp://host/x.gguf", /^llmgen: unsupported URL scheme "ftp:" in ftp:\/\/host\/x\.gguf — pull accepts https:\/\/ and http:\/\/ URLs, hf:<user>\/<repo>\[:<quant>\], hf:<user>\/<repo>\/<file>\.gguf or a catalogue name \(see llmgen pull --help\)$/],
        ["s3://bucket/x.gguf", /^llmgen: unsupported URL scheme "s3:" in s3:\/\/bucket\/x\.gguf — pull accepts https:\/\/ and http:\/\/ URLs/],
        ["file:///tmp/x.gguf", /^llmgen: unsupported URL scheme "file:" in file:\/\/\/tmp\/x\.gguf — pull accepts https:\/\/ and http:\/\/ URLs/],
        ["https://", /^llmgen: malformed URL "https:\/\/": no host — pull accepts https:\/\/ and http:\/\/ URLs/],
        [
            "stories260K.gguf",
            /^llmgen: no such file: stories260K\.gguf \(not here, not in the models folder\) — pull downloads a catalogue name \(did you mean stories260K\?\), hf:<user>\/<repo>\[:<quant>\], hf:<user>\/<repo>\/<file>\.gguf or an http\(s\) URL; see llmgen pull --help$/
        ],
        ["nope.gguf", /^llmgen: no such file: nope\.gguf \(not here, not in the models folder\) — pull downloads a catalogue name, hf:<user>\/<repo>\[:<quant>\], hf:<user>\/<repo>\/<file>\.gguf or an http\(s\) URL; see llmgen pull --help$/],
        ["./sub/nope.gguf", /^llmgen: no such file: \.\/sub\/nope\.gguf — pull downloads a catalogue name, hf:/],
        ["no-such-model", /^llmgen: unknown model "no-such-model": not a catalogue name \(stories260K, stories15M/]
    ];

    it(`rejects malformed URIs, unsupported schemes and missing files with exit 2: ${cases.length} cases`, async () => {
        for (const [spec, pattern] of cases) {
            const r = await runLlmgen(["pull", spec, "--models-dir", dir], {env: {HF_ENDPOINT: endpoint?.url("/")}, timeoutMs: 15_000});
            assert.equal(r.code, 2, `${spec}: ${r.stderr}`);
            assert.equal(r.stdout, "", spec);
            assertOneErrorLine(r, pattern, spec);
            assert.ok(r.ms < 10_000, `${spec}: took ${r.ms} ms`);
        }
        assert.deepEqual(endpoint?.requests, [], "no argument reached the network");
        assert.ok(!fs.existsSync(dir), "no models folder was created for a bad argument");
    });

    it("points an existing local file to -m: 2 cases (a path, a file in the models folder)", async () => {
        fs.mkdirSync(dir, {recursive: true});
        fs.copyFileSync(STORIES(), path.join(dir, "mine.gguf"));
        const local = path.join(root, "local.gguf");
        fs.copyFileSync(STORIES(), local);
        const cases: [string, RegExp][] = [
            [local, /^llmgen: .*local\.gguf is a local file; pull only downloads — use it with -m .*local\.gguf$/],
            ["mine.gguf", /^llmgen: mine\.gguf is already in the models folder .*; pull only downloads — use it with -m mine\.gguf$/]
        ];
        for (const [spec, pattern] of cases) {
            const r = await runLlmgen(["pull", spec, "--models-dir", dir], {timeoutMs: 15_000});
            assert.equal(r.code, 2, `${spec}: ${r.stderr}`);
            assertOneErrorLine(r, pattern, spec);
        }
    });
});

describe("pull from a server that misbehaves", () => {
    let root = "";
    let dir = "";
    const servers: FileServer[] = [];
    beforeEach(() => {
        root = tempDir();
        dir = path.join(root, "models");
    });
    afterEach(async () => {
        for (const s of servers.splice(0)) await s.close();
        removeDir(root);
    });

    async function serve(data: Buffer, opts: Parameters<typeof serveBytes>[1] = {}): Promise<FileServer> {
        const s = await serveBytes(data, opts);
        servers.push(s);
        return s;
    }

    it("each failure is one line, exit 1, quick, and leaves no model file: 10 cases", async () => {
        const stories = fs.readFileSync(STORIES());
        const cases: [string, () => Promise<string>, RegExp][] = [
            ["HTTP 404", async () => (await serve(stories, {status: 404})).url("/m.gguf"), /^llmgen: not found \(HTTP 404\): http:\/\/127\.0\.0\.1:\d+\/m\.gguf — check the model name or URL$/],
            ["HTTP 500", async () => (await serve(stories, {status: 500})).url("/m.gguf"), /^llmgen: server error \(HTTP 500\) from 127\.0\.0\.1:\d+: try again later$/],
            ["HTTP 403", async () => (await serve(stories, {status: 403})).url("/m.gguf"), /^llmgen: access denied \(HTTP 403\) for .*HF_TOKEN$/],
            ["an HTML page with 200", async () => (await serve(Buffer.from("<!DOCTYPE html><html><body>Log in</body></html>"))).url("/m.gguf"), /^llmgen: .* is not a GGUF file \(the server sent an HTML page\) — nothing was downloaded$/],
            ["JSON with 200", async () => (await serve(Buffer.from('{"error":"rate limited"}'))).url("/m.gguf"), /^llmgen: .* is not a GGUF file \(the server sent JSON\) — nothing was downloaded$/],
            ["an empty body", async () => (await serve(Buffer.alloc(0))).url("/m.gguf"), /^llmgen: .* sent an empty answer — not a GGUF file$/],
            ["connection refused", async () => `http://127.0.0.1:${await closedPort()}/m.gguf`, /^llmgen: cannot reach 127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\) — check your network connection$/],
            [
                "a truncated body, then the connection closes (every time)",
                async () => (await serve(stories, {dropAt: 400_000})).url("/m.gguf"),
                /^llmgen: download stalled: no data for 2 s at 400 kB of 1\.2 MB \(connection lost\?\) — run the same command again to retry$/
            ],
            [
                "a content-length longer than the body (then close)",
                async () => (await serve(stories, {claimLength: stories.length + 500_000})).url("/m.gguf"),
                /^llmgen: download stalled: no data for 2 s at [\d.]+ (kB|MB) of 1\.7 MB \(connection lost\?\) — run the same command again to retry$/
            ],
            [
                "a content-length shorter than the model (a truncated file sent as complete)",
                async () => (await serve(stories, {claimLength: 300_000})).url("/m.gguf"),
                /^llmgen: the downloaded m\.gguf is not a valid GGUF model \(truncated: 300000 of at least 1185376 bytes .*\) — it was discarded; nothing was saved$/
            ]
        ];
        for (const [name, url, pattern] of cases) {
            const r = await runLlmgen(["pull", await url(), "--models-dir", dir], {env: {LLMGEN_STALL_TIMEOUT: String(STALL_S)}, timeoutMs: 30_000});
            assert.equal(r.signal, null, `${name}: ended by itself (${r.ms} ms)`);
            assert.equal(r.code, 1, `${name}: ${r.stderr}`);
            assert.equal(r.stdout, "", name);
            assertOneErrorLine(r, pattern, name);
            assert.ok(r.ms < 15_000, `${name}: took ${r.ms} ms`);
            assert.ok(!fs.existsSync(path.join(dir, "m.gguf")), `${name}: nothing under the final name`);
            assert.deepEqual(modelLookingFiles(dir), [], `${name}: no .gguf anywhere`);
            assert.ok(!allFiles(dir).some((f) => f.endsWith(".lock")), `${name}: lock released`);
        }
    });
});
