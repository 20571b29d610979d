/** Run the llmgen CLI as a user would: a child process, with stdout and stderr captured. */
import {spawn} from "node:child_process";
import {BIN, ROOT} from "./paths.js";

export interface CliResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

export function runCli(args: string[], opts: {input?: string; env?: Record<string, string | undefined>; timeoutMs?: number} = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const env: Record<string, string | undefined> = {...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...opts.env};
        for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
        const child = spawn(process.execPath, [BIN, ...args], {cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"]});
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
        child.on("error", reject);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({code, signal, stdout, stderr});
        });
        if (opts.input !== undefined) child.stdin.end(opts.input);
        else child.stdin.end();
    });
}

/** Parse NDJSON output into events. */
export function ndjson(text: string): Array<Record<string, unknown>> {
    return text.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
}
