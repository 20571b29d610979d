/** Human-readable sizes, speeds, durations and counts for messages. */

/** Decimal units, like download sites: 1,185,376 → "1.2 MB". */
export function formatBytes(bytes: number): string {
    if (!Number.isFinite(bytes) || bytes < 0) return "? B";
    if (bytes < 1000) return `${bytes} B`;
    const units = ["kB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = "B";
    for (const u of units) {
        if (value < 1000) break;
        value /= 1000;
        unit = u;
    }
    return `${value < 100 ? value.toFixed(1).replace(/\.0$/, "") : value.toFixed(0)} ${unit}`;
}

export function formatSpeed(bytesPerSecond: number): string {
    return Number.isFinite(bytesPerSecond) && bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : "–/s";
}

/** Seconds → "42s", "3m 05s", "1h 02m". */
export function formatDuration(seconds: number): string {
    if (!Number.isFinite(seconds) || seconds < 0) return "–";
    const s = Math.round(seconds);
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
    return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** 292800 → "293K", 1_100_048_384 → "1.1B". */
export function formatCount(n: number): string {
    if (!Number.isFinite(n)) return "?";
    if (n < 1000) return String(n);
    const units: [number, string][] = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
    for (const [size, suffix] of units) {
        if (n >= size) {
            const v = n / size;
            return `${v < 10 ? v.toFixed(1).replace(/\.0$/, "") : Math.round(v)}${suffix}`;
        }
    }
    return String(n);
}

export function shortHash(hex: string): string {
    return hex.length > 16 ? `${hex.slice(0, 12)}…` : hex;
}
