/**
 * Where `llmgen batch` writes: stdout, or an NDJSON file named by --output that grows one finished
 * request at a time (each request's lines in one write), so an interrupted batch keeps every
 * request it finished. --resume reads such a file back: requests whose done events are all there
 * (none "interrupted") are complete and skipped; the rest of their lines — a partial last line, error
 * results, token events of unfinished requests — is dropped by rewriting the file atomically (lines
 * of ids the input does not have stay as they are).
 */
import fs from "node:fs";
import {RuntimeError, UsageError} from "../errors.js";
import {writeOutputFile} from "./outputFile.js";
import {writeOut} from "./stdout.js";

export interface Sink {
    write(text: string): void;
    close(): void;
}

export const stdoutSink: Sink = {write: writeOut, close: () => undefined};

/** An NDJSON file opened for appending; every write is handed to the OS at once, fsync on close. */
export class FileSink implements Sink {
    private fd: number | undefined;

    constructor(private readonly flag: string, private readonly file: string) {
        try {
            this.fd = fs.openSync(file, "a");
        } catch (err) {
            throw new RuntimeError(`${flag}: cannot open ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
    }

    write(text: string): void {
        if (this.fd === undefined || text.length === 0) return;
        try {
            fs.writeSync(this.fd, text);
        } catch (err) {
            throw new RuntimeError(`${this.flag}: cannot write ${this.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; the requests written so far are kept (run again with --resume)`);
        }
    }

    close(): void {
        if (this.fd === undefined) return;
        const fd = this.fd;
        this.fd = undefined;
        try {
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
    }
}

/** The key of a request id in output files: its JSON text (3 and "3" are different ids). */
export function idKey(id: unknown): string {
    return JSON.stringify(id);
}

interface OutputLine {
    key: string;
    text: string;
    event: {type?: unknown; sample?: unknown; stopReason?: unknown};
}

/** The complete lines of an output file that carry an id (a partial last line, or any line that is not an event, is left out). */
function readLines(file: string): OutputLine[] {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw new UsageError(`--resume: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const parts = text.split("\n");
    parts.pop(); // "" after the last newline, or a partial line cut by a crash
    const out: OutputLine[] = [];
    for (const line of parts) {
        let event: unknown;
        try {
            event = JSON.parse(line);
        } catch {
            continue;
        }
        if (typeof event !== "object" || event === null || !("id" in event)) continue;
        out.push({key: idKey((event as {id: unknown}).id), text: line, event: event as OutputLine["event"]});
    }
    return out;
}

/**
 * --resume: the requests of `file` that are complete — as many done events as the request asks
 * for samples (`expected`, by id key), none interrupted. The file is rewritten (atomically) to hold
 * only their lines, so new results can be appended. Returns the complete keys.
 */
export function resumeOutput(file: string, expected: ReadonlyMap<string, number>): Set<string> {
    const lines = readLines(file);
    const done = new Map<string, Set<number>>();
    const broken = new Set<string>();
    for (const l of lines) {
        if (l.event.type !== "done") continue;
        if (l.event.stopReason === "interrupted") broken.add(l.key);
        const samples = done.get(l.key) ?? new Set<number>();
        if (typeof l.event.sample === "number") samples.add(l.event.sample);
        done.set(l.key, samples);
    }
    const complete = new Set<string>();
    for (const [key, samples] of done) {
        const want = expected.get(key);
        if (want !== undefined && !broken.has(key) && samples.size === want) complete.add(key);
    }
    // Lines of ids the input no longer has are not ours to judge: they stay.
    const kept = lines.filter((l) => (complete.has(l.key) && (l.event.type === "done" || l.event.type === "token")) || !expected.has(l.key));
    if (fs.existsSync(file)) writeOutputFile("--output", file, kept.map((l) => l.text + "\n").join(""));
    return complete;
}

/** After a resumed batch: the file's requests put back in input order (rewritten atomically). */
export function reorderOutput(file: string, order: readonly string[]): void {
    const byKey = new Map<string, string[]>();
    for (const l of readLines(file)) byKey.set(l.key, [...(byKey.get(l.key) ?? []), l.text]);
    const out: string[] = [];
    for (const key of order) {
        for (const text of byKey.get(key) ?? []) out.push(text + "\n");
        byKey.delete(key);
    }
    for (const rest of byKey.values()) for (const text of rest) out.push(text + "\n");
    writeOutputFile("--output", file, out.join(""));
}
