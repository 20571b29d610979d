/**
 * Run llmgen in a pseudo-terminal (test/support/ptyDrive.py): keystrokes in, the screen out.
 */
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import path from "node:path";
import {BIN, ROOT} from "./paths.js";

export interface PtyResult {
    ok: boolean;
    failed_step: number | null;
    output: string;
    exit: number | null;
    signal: number | null;
}

/** Send a text, or wait (up to `timeout` seconds) until the screen shows a text. */
export type PtyStep = {send: string} | {expect: string; timeout?: number};

export function pty(args: readonly string[], steps: readonly PtyStep[], env: NodeJS.ProcessEnv = process.env): PtyResult {
    const r = spawnSync("python3", [path.join(ROOT, "test", "support", "ptyDrive.py"), process.execPath, BIN, ...args],
        {input: JSON.stringify(steps), encoding: "utf8", cwd: ROOT, env, timeout: 180_000});
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as PtyResult;
}
