/**
 * A quick check of the download address before the download starts. node-llama-cpp's downloader
 * (ipull) retries network errors and 5xx answers up to 150 times with back-off (measured: an
 * unreachable host still pending after 20 s), so without this check "no network" would look like
 * a hang. The check reads the first bytes only: reachability, HTTP status and the GGUF magic.
 */
import {RuntimeError} from "../errors.js";
import {hostOf} from "./uri.js";

export interface ProbeResult {
    status: number;
    /** The first bytes of the body, when it is the model file and the server sent any. */
    head: Buffer | null;
    /** The server wants credentials: leave it to the downloader, which sends a Hugging Face token if there is one. */
    authRequired: boolean;
}

const NETWORK_CODES: Record<string, string> = {
    ENOTFOUND: "host not found",
    EAI_AGAIN: "DNS lookup failed",
    ECONNREFUSED: "connection refused",
    ECONNRESET: "connection reset",
    ETIMEDOUT: "connection timed out",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
    UND_ERR_CONNECT_TIMEOUT: "connection timed out",
    UND_ERR_SOCKET: "connection closed",
    UND_ERR_HEADERS_TIMEOUT: "no answer from the server"
};

/** The innermost error code of a fetch failure (undici wraps it in `cause`). */
export function errorCode(err: unknown): string | undefined {
    let e: unknown = err;
    for (let depth = 0; depth < 5 && e != null; depth++) {
        const code = (e as {code?: unknown}).code;
        if (typeof code === "string") return code;
        e = (e as {cause?: unknown}).cause;
    }
    return undefined;
}

/** "cannot reach <host>: connection refused (ECONNREFUSED)", or null when not a network error. */
export function describeNetworkError(err: unknown, url: string): string | null {
    const code = errorCode(err);
    if (code != null && NETWORK_CODES[code] != null) return `cannot reach ${hostOf(url)}: ${NETWORK_CODES[code]} (${code})`;
    if (code != null && /^(ERR_TLS|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code))
        return `cannot reach ${hostOf(url)}: TLS certificate problem (${code})`;
    const message = err instanceof Error ? err.message : String(err);
    if (/fetch failed|network|socket|terminated/i.test(message)) return `cannot reach ${hostOf(url)}: ${message}`;
    return null;
}

export function httpStatusMessage(status: number, url: string): string {
    if (status === 404 || status === 410) return `not found (HTTP ${status}): ${url} — check the model name or URL`;
    if (status === 401 || status === 403)
        return `access denied (HTTP ${status}) for ${url}: the model may be gated or private — accept its licence on Hugging Face and set HF_TOKEN`;
    if (status === 429) return `too many requests (HTTP 429) from ${hostOf(url)}: try again later`;
    if (status >= 500) return `server error (HTTP ${status}) from ${hostOf(url)}: try again later`;
    return `unexpected HTTP ${status} from ${url}`;
}

/**
 * GET the first bytes of `url`. Throws a RuntimeError (one clear line) for network errors,
 * timeouts, 404 and other non-auth HTTP errors; returns for 2xx and for 401/403.
 */
export async function probeUrl(url: string, opts: {timeoutMs: number; signal?: AbortSignal; expectFile: boolean}): Promise<ProbeResult> {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = opts.signal != null ? AbortSignal.any([timeout, opts.signal]) : timeout;
    let response: Response;
    try {
        response = await fetch(url, {
            method: "GET",
            headers: opts.expectFile ? {range: "bytes=0-63", "accept-encoding": "identity"} : {},
            redirect: "follow",
            signal
        });
    } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (timeout.aborted) throw new RuntimeError(`cannot reach ${hostOf(url)}: no answer within ${Math.round(opts.timeoutMs / 1000)} s — check your network connection`);
        throw new RuntimeError(`${describeNetworkError(err, url) ?? `cannot reach ${hostOf(url)}: ${String(err)}`} — check your network connection`);
    }
    try {
        if (response.status === 401 || response.status === 403) return {status: response.status, head: null, authRequired: true};
        if (!opts.expectFile) return {status: response.status, head: null, authRequired: false};
        if (response.status < 200 || response.status >= 300) throw new RuntimeError(httpStatusMessage(response.status, url));
        const head = await readHead(response, 8, signal);
        return {status: response.status, head, authRequired: false};
    } finally {
        await response.body?.cancel().catch(() => undefined);
    }
}

async function readHead(response: Response, bytes: number, signal: AbortSignal): Promise<Buffer> {
    const reader = response.body?.getReader();
    if (reader == null) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let length = 0;
    try {
        while (length < bytes && !signal.aborted) {
            const {done, value} = await reader.read();
            if (done) break;
            chunks.push(Buffer.from(value));
            length += value.length;
        }
    } catch {
        // a connection dropped this early will fail again in the downloader, with its own message
    } finally {
        reader.releaseLock();
    }
    return Buffer.concat(chunks).subarray(0, bytes);
}
