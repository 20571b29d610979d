/**
 * Model URIs as node-llama-cpp understands them: `hf:user/repo:quant`, `hf:user/repo/path/file.gguf`
 * (also `hf://`, `huggingface:`, `hf.co/`, `huggingface.co/`) and http(s) URLs. Only used to
 * recognise URIs and to know which address to check before a download; the download itself is
 * node-llama-cpp's.
 */

const HF_PREFIXES = ["hf://", "huggingface://", "hf:", "huggingface:", "hf.co/", "huggingface.co/"] as const;

export function isHttpUrl(spec: string): boolean {
    return /^https?:\/\//i.test(spec.trim());
}

export function isHfUri(spec: string): boolean {
    const s = spec.trim();
    return HF_PREFIXES.some((p) => s.startsWith(p));
}

/** What `llmgen pull` accepts besides a catalogue name, for messages. */
export const HF_URI_FORMATS = "hf:<user>/<repo>[:<quant>] or hf:<user>/<repo>/<file>.gguf";

/**
 * Why a Hugging Face URI is malformed, or null when it has the shape node-llama-cpp resolves:
 * `hf:<user>/<repo>`, `hf:<user>/<repo>:<quant>`, `hf:<user>/<repo>/<path>/<file>[#branch]`
 * (any of the prefixes). Not a Hugging Face URI at all: null.
 */
export function hfUriProblem(spec: string): string | null {
    const s = spec.trim();
    const prefix = HF_PREFIXES.find((p) => s.startsWith(p));
    if (prefix == null) return null;
    const rest = s.slice(prefix.length);
    const [user = "", model, ...pathParts] = rest.split("/");
    const [repo = "", ...tag] = (model ?? "").split(":");
    const filePath = pathParts.join("/");
    const wellFormed =
        user !== "" &&
        repo !== "" &&
        !/\s/.test(rest) &&
        // a :quant tag names a repository's file itself: nothing may follow it
        (tag.length === 0 || filePath === "") &&
        (pathParts.length === 0 || filePath === "" || !filePath.split("/").includes(""));
    return wellFormed ? null : `malformed Hugging Face URI ${JSON.stringify(s)}: expected ${HF_URI_FORMATS} (or an https:// URL)`;
}

/** A model URI or URL (as opposed to a path or a catalogue name). */
export function isModelUri(spec: string): boolean {
    return isHttpUrl(spec) || isHfUri(spec);
}

/**
 * The Hugging Face endpoint, resolved like node-llama-cpp does: explicit value, else
 * MODEL_ENDPOINT, else HF_ENDPOINT, else https://huggingface.co/. Always ends in "/".
 */
export function hfEndpoint(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
    const candidates = [explicit, env.MODEL_ENDPOINT, env.HF_ENDPOINT];
    for (const c of candidates) {
        if (c != null && isHttpUrl(c)) return c.endsWith("/") ? c : c + "/";
    }
    return "https://huggingface.co/";
}

export interface ProbeTarget {
    /** The address to check. */
    url: string;
    /** Whether it is the model file itself (so its first bytes must be "GGUF"). */
    isFile: boolean;
}

/**
 * What to check before handing a URI to the downloader: the file's own URL when it is known
 * without asking a server, otherwise the Hugging Face endpoint (for `hf:user/repo:quant`, which
 * node-llama-cpp resolves through the Hugging Face API).
 */
export function probeTarget(uri: string, endpoint: string): ProbeTarget {
    const s = uri.trim();
    if (isHttpUrl(s)) return {url: normaliseHfBlobUrl(s, endpoint), isFile: true};
    const prefix = HF_PREFIXES.find((p) => s.startsWith(p));
    if (prefix == null) throw new Error(`not a model URI: ${uri}`);
    const rest = s.slice(prefix.length);
    const [user, model, ...pathParts] = rest.split("/");
    let filePath = pathParts.join("/");
    if (user == null || model == null || filePath === "" || model.includes(":")) return {url: endpoint, isFile: false};
    let branch = "main";
    const hash = filePath.indexOf("#");
    if (hash >= 0) {
        branch = filePath.slice(hash + 1) || "main";
        filePath = filePath.slice(0, hash);
    }
    const encodedPath = filePath.split("/").map((p) => encodeURIComponent(p)).join("/");
    return {
        url: `${endpoint}${encodeURIComponent(user)}/${encodeURIComponent(model)}/resolve/${encodeURIComponent(branch)}/${encodedPath}?download=true`,
        isFile: true
    };
}

/** Hugging Face "blob" page URLs are served as "resolve" downloads (as node-llama-cpp does). */
function normaliseHfBlobUrl(url: string, endpoint: string): string {
    try {
        const parsed = new URL(url);
        const hfHosts = new Set(["huggingface.co", "hf.co", new URL(endpoint).hostname]);
        const parts = parsed.pathname.split("/");
        if (hfHosts.has(parsed.hostname) && parts.length > 3 && parts[3] === "blob") {
            parts[3] = "resolve";
            parsed.pathname = parts.join("/");
            return parsed.href;
        }
    } catch {
        // leave it as it is
    }
    return url;
}

/** Host name for messages ("huggingface.co", "127.0.0.1:8080"). */
export function hostOf(url: string): string {
    try {
        return new URL(url).host;
    } catch {
        return url;
    }
}
