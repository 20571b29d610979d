/**
 * Test helpers for the model side: a local HTTP file server on 127.0.0.1 (ranges, drops, errors,
 * slow bodies), temporary folders, a GGUF writer for large valid files, and file listings.
 * Nothing here reaches beyond the loopback interface.
 */
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import {createHash} from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type {AddressInfo} from "node:net";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

import {BIN, ROOT} from "../../support/paths.js";

export {fixture, STORIES, TINY_RANDOM, ROOT} from "../../support/paths.js";

export interface ServeOptions {
    /** Answer every request with this status and a short text body. */
    status?: number;
    /** Advertise and honour byte ranges (default true). */
    ranges?: boolean;
    /** Close the connection once this absolute byte offset is reached. */
    dropAt?: number;
    /** Only drop the first ranged (data) request; later requests are served in full. */
    dropOnce?: boolean;
    /** Pause this long after each chunk (ms). */
    slowMs?: number;
    chunkSize?: number;
    /**
     * The server dies mid-download: the data request whose range holds this absolute offset gets the
     * bytes before it, then `afterCut` happens, and from then on every new request meets a dead
     * server (requests already being served finish normally). `revive()` brings it back, for good.
     */
    cutAt?: number;
    /**
     * How it dies: "hang" stops sending but keeps every connection open (and answers nothing new),
     * "close" closes the connection (and every new one at once), "refuse" closes it and stops
     * listening (connection refused). Default "hang".
     */
    afterCut?: "hang" | "close" | "refuse";
    /**
     * Advertise a file of this many bytes (content-length, content-range) whatever `data` holds:
     * shorter sends a truncated file as if complete; longer sends what there is, then closes.
     */
    claimLength?: number;
}

export interface FileServer {
    port: number;
    /** http://127.0.0.1:<port><pathname> */
    url(pathname: string): string;
    /** "METHOD /path range" for each request. */
    requests: string[];
    /** Resolves with Date.now() when the `cutAt` cut has happened. */
    cut: Promise<number>;
    /** After a cut: serve normally again, on the same port. */
    revive(): Promise<void>;
    close(): Promise<void>;
}

/** Serve `data` at every path. */
export async function serveBytes(data: Buffer, opts: ServeOptions = {}): Promise<FileServer> {
    const requests: string[] = [];
    const ranges = opts.ranges ?? true;
    const chunk = opts.chunkSize ?? 64 * 1024;
    const afterCut = opts.afterCut ?? "hang";
    const size = opts.claimLength ?? data.length;
    let dropped = false;
    let dead = false;
    let wasCut = false;
    let listening = true;
    let markCut: (at: number) => void = () => undefined;
    const cut = new Promise<number>((resolve) => (markCut = resolve));
    /** Connections held open by a hung server, released on revive/close. */
    const hung = new Set<http.ServerResponse>();
    const die = (res: http.ServerResponse) => {
        if (afterCut === "hang") hung.add(res);
        else res.socket?.destroy();
    };
    const server = http.createServer((req, res) => {
        void (async () => {
            requests.push(`${req.method} ${req.url} ${req.headers.range ?? ""}`.trim());
            if (dead) {
                die(res);
                return;
            }
            if (opts.status != null) {
                res.writeHead(opts.status, {"content-type": "text/plain"});
                res.end(`status ${opts.status}`);
                return;
            }
            let start = 0;
            let end = size - 1;
            const headers: http.OutgoingHttpHeaders = {"content-type": "application/octet-stream"};
            if (ranges) headers["accept-ranges"] = "bytes";
            const m = ranges && req.headers.range != null ? /bytes=(\d+)-(\d*)/.exec(req.headers.range) : null;
            if (m != null) {
                start = Number(m[1]);
                if (m[2] !== "" && m[2] != null) end = Math.min(Number(m[2]), end);
                headers["content-range"] = `bytes ${start}-${end}/${size}`;
                headers["content-length"] = end - start + 1;
                res.writeHead(206, headers);
            } else {
                headers["content-length"] = size;
                res.writeHead(200, headers);
            }
            if (req.method === "HEAD") {
                res.end();
                return;
            }
            // A probe asks for the first bytes only; never drop it.
            const isProbe = m != null && end - start < 1024;
            // The server dies once; after revive() it serves everything.
            const cutHere = !isProbe && !wasCut && opts.cutAt != null && start <= opts.cutAt && opts.cutAt <= end;
            for (let p = start; p <= end; p += chunk) {
                const e = Math.min(end + 1, p + chunk);
                const mayDrop = !isProbe && (!opts.dropOnce || (m != null && !dropped));
                if (mayDrop && opts.dropAt != null && e > opts.dropAt) {
                    if (opts.dropAt > p) res.write(data.subarray(p, opts.dropAt));
                    dropped = true;
                    await new Promise((r) => setTimeout(r, 20));
                    res.socket?.destroy();
                    return;
                }
                if (cutHere && opts.cutAt != null && e > opts.cutAt) {
                    if (opts.cutAt > p) res.write(data.subarray(p, opts.cutAt));
                    await new Promise((r) => setTimeout(r, 20));
                    dead = true;
                    wasCut = true;
                    markCut(Date.now());
                    die(res);
                    if (afterCut === "refuse") {
                        listening = false;
                        server.close();
                    }
                    return;
                }
                if (p >= data.length) break;
                if (!res.write(data.subarray(p, Math.min(e, data.length)))) await new Promise((r) => res.once("drain", r));
                if (opts.slowMs) await new Promise((r) => setTimeout(r, opts.slowMs));
                if (res.destroyed) return;
            }
            // Claimed more than there is: the connection closes short of the promised length.
            if (end + 1 > data.length) {
                await new Promise((r) => setTimeout(r, 20));
                res.socket?.destroy();
                return;
            }
            res.end();
        })();
    });
    // A closed-down ("close") dead server drops every new connection at once.
    server.on("connection", (socket) => {
        if (dead && afterCut === "close") socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const releaseHung = () => {
        for (const res of hung) res.socket?.destroy();
        hung.clear();
    };
    return {
        port,
        url: (pathname) => `http://127.0.0.1:${port}${pathname}`,
        requests,
        cut,
        revive: async () => {
            releaseHung();
            dead = false;
            if (!listening) {
                await new Promise<void>((resolve, reject) => {
                    server.once("error", reject);
                    server.listen(port, "127.0.0.1", () => resolve());
                });
                listening = true;
            }
        },
        close: () =>
            new Promise<void>((resolve) => {
                releaseHung();
                server.closeAllConnections();
                if (!listening) resolve();
                else server.close(() => resolve());
            })
    };
}

export async function serveFile(file: string, opts: ServeOptions = {}): Promise<FileServer> {
    return serveBytes(fs.readFileSync(file), opts);
}

/** A port on 127.0.0.1 with nothing listening. */
export async function closedPort(): Promise<number> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

export function tempDir(prefix = "llmgen-models-test-"): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
    fs.rmSync(dir, {recursive: true, force: true});
}

/** Every file under `dir`, relative, sorted ([] when it does not exist). */
export function allFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, {recursive: true}) as string[])
        .filter((f) => fs.statSync(path.join(dir, f)).isFile())
        .map((f) => f.split(path.sep).join("/"))
        .sort();
}

/** Files that look like a model: any name ending in .gguf, anywhere under `dir`. */
export function modelLookingFiles(dir: string): string[] {
    return allFiles(dir).filter((f) => f.toLowerCase().endsWith(".gguf"));
}

export function sha256(data: Buffer | string): string {
    return createHash("sha256").update(typeof data === "string" ? fs.readFileSync(data) : data).digest("hex");
}

/**
 * A valid GGUF v3 file (LLaMA-style metadata, a small vocabulary, one F32 tensor) of about
 * `tensorBytes` bytes of weights: large enough to exercise resumable downloads.
 */
export function makeGguf(tensorBytes: number, seed = 1, architecture = "llama"): Buffer {
    const parts: Buffer[] = [];
    const u32 = (n: number) => {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(n);
        return b;
    };
    const u64 = (n: number | bigint) => {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(BigInt(n));
        return b;
    };
    const str = (s: string) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
    const tokens = ["<unk>", "<s>", "</s>", "a", "b"];
    const kvs: Buffer[] = [
        Buffer.concat([str("general.architecture"), u32(8), str(architecture)]),
        Buffer.concat([str("general.name"), u32(8), str("test")]),
        Buffer.concat([str(`${architecture}.context_length`), u32(4), u32(128)]),
        Buffer.concat([str("tokenizer.ggml.tokens"), u32(9), u32(8), u64(tokens.length), ...tokens.map(str)])
    ];
    const elements = Math.max(1, Math.floor(tensorBytes / 4));
    parts.push(Buffer.from("GGUF"), u32(3), u64(1), u64(kvs.length), ...kvs);
    parts.push(str("weights"), u32(1), u64(elements), u32(0), u64(0));
    let header = Buffer.concat(parts);
    const pad = (32 - (header.length % 32)) % 32;
    header = Buffer.concat([header, Buffer.alloc(pad)]);
    const data = Buffer.alloc(elements * 4);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < data.length; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        data.writeUInt32LE(x >>> 0, i);
    }
    return Buffer.concat([header, data]);
}

export interface EntryResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "cliEntry.js");

/** Run `pull`/`models` in a child process through the test entry (mirrors the CLI's error handling). */
export function runEntry(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000): Promise<EntryResult> {
    return new Promise((resolve, reject) => {
        const merged: Record<string, string | undefined> = {...process.env, NO_COLOR: "1", LLMGEN_ENTRY: "1", ...env};
        for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
        const child = spawn(process.execPath, [ENTRY, ...args], {env: merged as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"]});
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({code, stdout, stderr});
        });
    });
}

export interface TimedRun extends EntryResult {
    signal: NodeJS.Signals | null;
    /** Date.now() when the child was started and when it exited. */
    startedAt: number;
    exitedAt: number;
    /** exitedAt - startedAt */
    ms: number;
    /** Date.now() when SIGINT was sent, if it was. */
    sigintAt: number | null;
}

/**
 * Run the real `bin/llmgen.js` (not the test entry: how the process ends is part of what is tested)
 * with a hard timeout, timing it. `sigint`, when given, is awaited and then one SIGINT is sent.
 */
export function runLlmgen(
    args: string[],
    opts: {env?: Record<string, string | undefined>; timeoutMs?: number; sigint?: Promise<unknown>} = {}
): Promise<TimedRun> {
    return new Promise((resolve, reject) => {
        const merged: Record<string, string | undefined> = {...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, ...opts.env};
        for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
        const startedAt = Date.now();
        const child = spawn(process.execPath, [BIN, ...args], {cwd: ROOT, env: merged as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"]});
        let stdout = "";
        let stderr = "";
        let sigintAt: number | null = null;
        let exited = false;
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
        void opts.sigint?.then(() => {
            if (exited) return;
            sigintAt = Date.now();
            child.kill("SIGINT");
        });
        child.on("error", reject);
        child.on("close", (code, signal) => {
            exited = true;
            const exitedAt = Date.now();
            clearTimeout(timer);
            resolve({code, signal, stdout, stderr, startedAt, exitedAt, ms: exitedAt - startedAt, sigintAt});
        });
    });
}

/** The `llmgen:` lines of a run's stderr (errors; progress lines do not start so). */
export function errorLines(stderr: string): string[] {
    return stderr.split("\n").filter((l) => l.startsWith("llmgen:"));
}

/** A failed run said one thing, once: one `llmgen:` line, no stack trace, no "unexpected error" hint. */
export function assertOneErrorLine(r: {stderr: string}, pattern: RegExp, what: string): void {
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, `${what}: one llmgen: line, got:\n${r.stderr}`);
    assert.match(lines[0] ?? "", pattern, what);
    assert.doesNotMatch(r.stderr, /^\s+at .+[(:]\d+/m, `${what}: no stack trace`);
    assert.doesNotMatch(r.stderr, /unexpected error/, `${what}: a known failure, not an unexpected one`);
}
