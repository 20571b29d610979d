/**
 * Download progress on stderr: a redrawn bar (size, speed, ETA) on a terminal; plain lines at most
 * every `lineIntervalMs` otherwise, so logs stay readable.
 */
import type {ChalkInstance} from "chalk";
import {formatBytes, formatDuration, formatSpeed} from "./format.js";
import type {PullEvent} from "./pull.js";

export interface PullReporterOptions {
    tty: boolean;
    chalk: ChalkInstance;
    stream?: NodeJS.WritableStream & {columns?: number};
    verbose?: boolean;
    /** Minimum time between plain progress lines when not on a terminal. */
    lineIntervalMs?: number;
}

export interface PullReporter {
    onEvent(event: PullEvent): void;
    /** Erase a half-drawn bar (before printing an error). */
    clear(): void;
}

const BAR_REDRAW_MS = 100;

export function createPullReporter(opts: PullReporterOptions): PullReporter {
    const stream = opts.stream ?? process.stderr;
    const c = opts.chalk;
    const lineInterval = opts.lineIntervalMs ?? 10_000;
    let barShown = false;
    let lastDraw = 0;
    let lastLine = 0;
    let startedAt = 0;
    let resumed = 0;
    let fileName = "";
    let lastProgress: Extract<PullEvent, {type: "progress"}> | null = null;

    const write = (text: string) => stream.write(text);
    const line = (text: string) => {
        clear();
        write(text + "\n");
    };
    function clear() {
        if (barShown) {
            write("\r\x1b[2K");
            barShown = false;
        }
    }

    function drawBar(p: Extract<PullEvent, {type: "progress"}>) {
        const columns = Math.max(40, stream.columns ?? 80);
        const fraction = p.totalBytes > 0 ? Math.min(1, p.downloadedBytes / p.totalBytes) : 0;
        const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
        const sizes = p.totalBytes > 0 ? `${formatBytes(p.downloadedBytes)} / ${formatBytes(p.totalBytes)}` : formatBytes(p.downloadedBytes);
        const eta = Number.isFinite(p.etaSeconds) && p.etaSeconds > 0 ? `ETA ${formatDuration(p.etaSeconds)}` : "";
        const tail = `${percent}  ${sizes}  ${formatSpeed(p.bytesPerSecond)}  ${eta}`.trimEnd();
        const name = fileName.length > 28 ? fileName.slice(0, 27) + "…" : fileName;
        const barWidth = Math.max(10, Math.min(30, columns - name.length - tail.length - 8));
        const filled = Math.round(fraction * barWidth);
        const bar = c.cyan("█".repeat(filled)) + c.dim("░".repeat(barWidth - filled));
        write(`\r\x1b[2K${name}  ${bar}  ${tail}`);
        barShown = true;
    }

    function onEvent(event: PullEvent): void {
        switch (event.type) {
            case "exists":
                break;
            case "note":
                line(c.yellow(event.message));
                break;
            case "start": {
                fileName = event.fileName;
                startedAt = Date.now();
                resumed = event.resumedBytes;
                lastLine = startedAt;
                const size = event.totalBytes > 0 ? ` (${formatBytes(event.totalBytes)})` : "";
                const resuming = event.resumedBytes > 0 ? `, resuming at ${formatBytes(event.resumedBytes)}` : "";
                line(`downloading ${event.fileName}${size}${resuming}`);
                if (opts.verbose) line(c.dim(`from ${event.url}`));
                break;
            }
            case "progress": {
                lastProgress = event;
                const now = Date.now();
                if (opts.tty) {
                    if (now - lastDraw >= BAR_REDRAW_MS || event.downloadedBytes === event.totalBytes) {
                        lastDraw = now;
                        drawBar(event);
                    }
                } else if (now - lastLine >= lineInterval) {
                    lastLine = now;
                    const pct = event.totalBytes > 0 ? `${Math.floor((100 * event.downloadedBytes) / event.totalBytes)}% ` : "";
                    const of = event.totalBytes > 0 ? ` of ${formatBytes(event.totalBytes)}` : "";
                    const eta = Number.isFinite(event.etaSeconds) && event.etaSeconds > 0 ? `, ETA ${formatDuration(event.etaSeconds)}` : "";
                    line(`  ${pct}(${formatBytes(event.downloadedBytes)}${of}, ${formatSpeed(event.bytesPerSecond)}${eta})`);
                }
                break;
            }
            case "downloaded": {
                const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000);
                const bytes = Math.max(0, (lastProgress?.totalBytes || lastProgress?.downloadedBytes || 0) - resumed);
                line(`downloaded ${event.fileName}${bytes > 0 ? ` (${formatBytes(bytes)} in ${formatDuration(seconds)}, ${formatSpeed(bytes / seconds)})` : ""}`);
                break;
            }
            case "verifying":
                if (event.what === "sha256" || opts.verbose) line(c.dim(event.what === "sha256" ? `checking sha256 of ${event.fileName}…` : `checking ${event.fileName} is a complete GGUF file…`));
                break;
        }
    }

    return {onEvent, clear};
}
