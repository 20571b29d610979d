/**
 * The binary smoke test: does a llama.cpp binary run F32, F16, Q8_0 and Q4_0 models? Each type is
 * tried in its own child process (smokeChild.js) on a tiny generated model, so a binary that holds
 * an instruction this CPU cannot execute (ggml's AMX kernels in a virtual machine that reports AMX,
 * for instance) kills the child, not the caller. Used before a fast-route build is installed or
 * cached (scripts/build-fast.mjs), once for a local build found without a passing record (binary.ts),
 * and by `llmgen doctor`.
 */
import {spawn} from "node:child_process";
import {createHash} from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {TINY_GGUF_TYPES, writeTinyGguf, type TinyGgufType} from "./tinyGguf.js";

/** Bump when what the smoke test checks changes: older records are then checked again. */
export const SMOKE_VERSION = 1;
/** The record a checked build folder carries beside its Release/ folder. */
export const SMOKE_RECORD = "llmgen-smoke.json";

export interface SmokeResult {
    type: TinyGgufType;
    ok: boolean;
    /** The signal that killed the child, e.g. "SIGILL". */
    signal?: string;
    exitCode?: number;
    /** One line: why it failed. */
    error?: string;
    fastRoute?: boolean;
    buildType?: string;
    ms: number;
}

export interface SmokeReport {
    ok: boolean;
    /** The binding checked ("in-use": whatever node-llama-cpp loads). */
    binding: string;
    results: SmokeResult[];
}

export interface SmokeRecord extends SmokeReport {
    version: number;
    addonSha256: string;
    checkedAt: string;
}

const SIGNAL_MEANING: Record<string, string> = {
    SIGILL: "an instruction this CPU cannot execute",
    SIGSEGV: "a memory fault",
    SIGBUS: "a bus error",
    SIGABRT: "llama.cpp aborted",
    SIGFPE: "an arithmetic fault",
    SIGKILL: "killed (out of memory?)"
};

/** "SIGILL (an instruction this CPU cannot execute)". */
export function describeSignal(signal: string): string {
    const meaning = SIGNAL_MEANING[signal];
    return meaning === undefined ? signal : `${signal}, ${meaning}`;
}

/** One line about a failed report: "Q8_0 and Q4_0 models crash it (SIGILL, an instruction …)". */
export function describeFailure(report: SmokeReport): string {
    const failed = report.results.filter((r) => !r.ok);
    if (failed.length === 0) return "every model type runs";
    const byWhy = new Map<string, TinyGgufType[]>();
    for (const r of failed) {
        const why = r.signal !== undefined ? `crash it (${describeSignal(r.signal)})` : `fail (${r.error ?? `exit ${r.exitCode}`})`;
        byWhy.set(why, [...(byWhy.get(why) ?? []), r.type]);
    }
    return [...byWhy].map(([why, types]) => `${types.join(", ")} models ${why}`).join("; ");
}

function childScript(): string {
    return path.join(path.dirname(fileURLToPath(import.meta.url)), "smokeChild.js");
}

function runChild(binding: string, model: string, type: TinyGgufType, timeoutMs: number): Promise<SmokeResult> {
    const started = Date.now();
    return new Promise((resolve) => {
        // LD_BIND_NOW: a symbol missing from the libraries fails the load here, not at first call.
        const child = spawn(process.execPath, [childScript(), binding, model], {
            env: {...process.env, LD_BIND_NOW: "1", NODE_LLAMA_CPP_LOG_LEVEL: "disabled"},
            stdio: ["ignore", "pipe", "pipe"]
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
        child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        let timedOut = false;
        timer.unref();
        child.on("error", (e) => {
            clearTimeout(timer);
            resolve({type, ok: false, error: `cannot start node: ${e.message}`, ms: Date.now() - started});
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            timedOut = Date.now() - started >= timeoutMs;
            const ms = Date.now() - started;
            let line: {ok?: boolean; error?: string; fastRoute?: boolean; buildType?: string} = {};
            try {
                line = JSON.parse(out.trim().split("\n").pop() ?? "{}") as typeof line;
            } catch {
                // no JSON line: the child died before printing
            }
            if (signal !== null) {
                resolve({type, ok: false, signal: timedOut ? undefined : signal, error: timedOut ? `no answer within ${timeoutMs / 1000} s` : undefined, ms});
                return;
            }
            if (code === 0 && line.ok === true) {
                resolve({type, ok: true, fastRoute: line.fastRoute, buildType: line.buildType, ms});
                return;
            }
            const detail = line.error ?? err.trim().split("\n").filter(Boolean).pop() ?? "no output";
            resolve({type, ok: false, exitCode: code ?? undefined, error: detail, ms});
        });
    });
}

/**
 * Check a binding (a llama-addon.node path, or "in-use") on every model type, one child process
 * per type. Never throws for a failing binary: the report says what failed.
 */
export async function smokeTestBinary(binding: string, opts: {types?: readonly TinyGgufType[]; timeoutMs?: number} = {}): Promise<SmokeReport> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-smoke-"));
    try {
        const results: SmokeResult[] = [];
        for (const type of opts.types ?? TINY_GGUF_TYPES) {
            const model = path.join(dir, `tiny-${type}.gguf`);
            writeTinyGguf(model, type);
            results.push(await runChild(binding, model, type, opts.timeoutMs ?? 120_000));
        }
        return {ok: results.every((r) => r.ok), binding, results};
    } finally {
        fs.rmSync(dir, {recursive: true, force: true});
    }
}

export function sha256File(file: string): string {
    return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** The smoke record of a build folder (…/localBuilds/<name>), when it is current for its binary. */
export function readSmokeRecord(buildFolder: string): SmokeRecord | undefined {
    try {
        const record = JSON.parse(fs.readFileSync(path.join(buildFolder, SMOKE_RECORD), "utf8")) as SmokeRecord;
        if (record.version !== SMOKE_VERSION) return undefined;
        if (record.addonSha256 !== sha256File(path.join(buildFolder, "Release", "llama-addon.node"))) return undefined;
        return record;
    } catch {
        return undefined;
    }
}

/** Smoke-test a build folder's binary and record the result in the folder (when it is writable). */
export async function checkBuildFolder(buildFolder: string): Promise<SmokeRecord> {
    const binding = path.join(buildFolder, "Release", "llama-addon.node");
    const report = await smokeTestBinary(binding);
    const record: SmokeRecord = {...report, version: SMOKE_VERSION, addonSha256: sha256File(binding), checkedAt: new Date().toISOString()};
    try {
        fs.writeFileSync(path.join(buildFolder, SMOKE_RECORD), JSON.stringify(record, null, 2) + "\n");
    } catch {
        // read-only install: checked again next time
    }
    return record;
}
