/**
 * Which folder holds the models: --models-dir, else LLMGEN_MODELS_DIR, else the project's own
 * `models/` folder (next to package.json) when it can be written, else a per-user cache folder;
 * and whether that folder can be used.
 *
 * A models folder that cannot be used (a file is in the way, no permission, a read-only or virtual
 * file system) is a RuntimeError, exit 1, not a UsageError: the option itself is well formed, the
 * same folder may come from LLMGEN_MODELS_DIR or the default, and what is wrong is the state of
 * the file system, found while running. Every such error names the folder, the reason, and the fix.
 */
import {accessSync, constants, existsSync, readFileSync} from "node:fs";
import {mkdir, open, readdir, stat, unlink} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {RuntimeError} from "../errors.js";

export type ModelsDirSource = "option" | "env" | "project" | "cache";

export interface ModelsDirChoice {
    dir: string;
    source: ModelsDirSource;
    /** Set when the project folder was skipped: why, for a one-line note. */
    fallbackFrom?: string;
}

let cachedPackageRoot: string | null | undefined;

/** The folder holding llmgen's package.json (compiled code runs from dist/src/...). */
export function packageRoot(): string | null {
    if (cachedPackageRoot !== undefined) return cachedPackageRoot;
    let dir = path.dirname(fileURLToPath(import.meta.url));
    for (;;) {
        const candidate = path.join(dir, "package.json");
        if (existsSync(candidate)) {
            try {
                const pkg = JSON.parse(readFileSync(candidate, "utf8")) as {name?: unknown};
                if (pkg.name === "llmgen") return (cachedPackageRoot = dir);
            } catch {
                // not ours; keep walking up
            }
        }
        const parent = path.dirname(dir);
        if (parent === dir) return (cachedPackageRoot = null);
        dir = parent;
    }
}

/** The per-user cache folder for models on this platform. */
export function userCacheModelsDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
    const home = os.homedir();
    if (platform === "win32") {
        const base = env.LOCALAPPDATA || path.join(home, "AppData", "Local");
        return path.join(base, "llmgen", "models");
    }
    if (platform === "darwin") return path.join(home, "Library", "Caches", "llmgen", "models");
    const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, ".cache");
    return path.join(base, "llmgen", "models");
}

/** A folder can be written if it exists and is writable, or its nearest existing ancestor is. */
export function isWritableDir(dir: string): boolean {
    let current = path.resolve(dir);
    for (;;) {
        if (existsSync(current)) {
            try {
                accessSync(current, constants.W_OK);
                return true;
            } catch {
                return false;
            }
        }
        const parent = path.dirname(current);
        if (parent === current) return false;
        current = parent;
    }
}

/** The decision, with its inputs injectable for tests. */
export function chooseModelsDir(input: {
    override?: string;
    /** The environment (LLMGEN_MODELS_DIR, XDG_CACHE_HOME…): the CLI passes process.env. */
    env: NodeJS.ProcessEnv;
    projectDir?: string | null;
    cacheDir?: string;
    writable?: (dir: string) => boolean;
}): ModelsDirChoice {
    const env = input.env;
    const expand = (p: string) => path.resolve(p.startsWith("~/") || p === "~" ? path.join(os.homedir(), p.slice(1)) : p);
    if (input.override != null && input.override.trim() !== "") return {dir: expand(input.override), source: "option"};
    const fromEnv = env.LLMGEN_MODELS_DIR;
    if (fromEnv != null && fromEnv.trim() !== "") return {dir: expand(fromEnv), source: "env"};
    const projectDir = input.projectDir !== undefined ? input.projectDir : projectModelsDir();
    const cacheDir = input.cacheDir ?? userCacheModelsDir(env);
    const writable = input.writable ?? isWritableDir;
    if (projectDir != null && writable(projectDir)) return {dir: projectDir, source: "project"};
    return {
        dir: cacheDir,
        source: "cache",
        fallbackFrom: projectDir != null ? `${projectDir} is not writable` : "the llmgen package folder was not found"
    };
}

/** The project's `models/` folder, or null when the package root cannot be found. */
export function projectModelsDir(): string | null {
    const root = packageRoot();
    return root == null ? null : path.join(root, "models");
}

export function modelsDirChoice(override: string | undefined, env: NodeJS.ProcessEnv): ModelsDirChoice {
    return chooseModelsDir({override, env});
}

/** The models folder: override → LLMGEN_MODELS_DIR → project models/ if writable → user cache. */
export function modelsDir(override: string | undefined, env: NodeJS.ProcessEnv): string {
    return modelsDirChoice(override, env).dir;
}

/** A short, readable form of a path: relative to the working folder when inside it. */
export function displayPath(p: string): string {
    const rel = path.relative(process.cwd(), p);
    if (rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel)) return rel;
    const home = os.homedir();
    if (p === home || p.startsWith(home + path.sep)) return "~" + p.slice(home.length);
    return p;
}

/** The fix that every models-folder error ends with. */
export const CHOOSE_ANOTHER = "choose another with --models-dir or LLMGEN_MODELS_DIR";

function codeOf(err: unknown): string | undefined {
    const code = (err as {code?: unknown} | null)?.code;
    return typeof code === "string" ? code : undefined;
}

const CODE_WORDS: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOSPC: "disk full",
    EDQUOT: "disk quota exceeded",
    ELOOP: "too many levels of symbolic links",
    ENAMETOOLONG: "name too long",
    EIO: "input/output error"
};

/** "permission denied (EACCES)", or the error's own message. */
export function describeFsError(err: unknown): string {
    const code = codeOf(err);
    if (code != null && CODE_WORDS[code] != null) return `${CODE_WORDS[code]} (${code})`;
    const message = err instanceof Error ? err.message.split("\n")[0] ?? "" : String(err);
    return code != null && !message.includes(code) ? `${message} (${code})` : message;
}

/** Why files cannot be created in an existing folder: "not writable (permission denied, EACCES)". */
export function notWritableReason(err: unknown): string {
    const code = codeOf(err);
    // /proc and the like answer ENOENT for a new entry in a folder that exists.
    if (code === "ENOENT") return "not writable (the file system refuses new files there, ENOENT)";
    if (code != null && CODE_WORDS[code] != null) return `not writable (${CODE_WORDS[code]}, ${code})`;
    return `not writable (${describeFsError(err)})`;
}

/** The nearest existing ancestor of `p` that is not a folder, if a file is what makes `p` impossible. */
async function fileInTheWay(p: string): Promise<string | null> {
    let current = path.dirname(path.resolve(p));
    for (;;) {
        try {
            return (await stat(current)).isDirectory() ? null : current;
        } catch {
            const parent = path.dirname(current);
            if (parent === current) return null;
            current = parent;
        }
    }
}

/**
 * Make sure the models folder `dir` exists, creating it and its missing parents one level at a
 * time (mkdir's recursive mode loops forever where mkdir answers ENOENT for a folder whose parent
 * exists, as under /proc). Throws a one-line RuntimeError naming the folder, why, and the fix.
 */
export async function ensureModelsFolder(dir: string): Promise<void> {
    const target = path.resolve(dir);
    const shown = displayPath(target);
    const missing: string[] = [];
    let current = target;
    for (;;) {
        let isDir: boolean;
        try {
            isDir = (await stat(current)).isDirectory();
        } catch (err) {
            const code = codeOf(err);
            const parent = path.dirname(current);
            if ((code === "ENOENT" || code === "ENOTDIR") && parent !== current) {
                missing.push(current);
                current = parent;
                continue;
            }
            throw new RuntimeError(`cannot use the models folder ${shown}: ${describeFsError(err)} for ${displayPath(current)} — ${CHOOSE_ANOTHER}`);
        }
        if (isDir) break;
        if (current === target) throw new RuntimeError(`the models folder ${shown} is a file, not a folder — ${CHOOSE_ANOTHER}`);
        throw new RuntimeError(`cannot create the models folder ${shown}: ${displayPath(current)} is a file, not a folder — ${CHOOSE_ANOTHER}`);
    }
    for (const folder of missing.reverse()) {
        try {
            await mkdir(folder);
        } catch (err) {
            const code = codeOf(err);
            if (code === "EEXIST" && (await stat(folder).then((st) => st.isDirectory(), () => false))) continue; // made meanwhile
            const parent = displayPath(path.dirname(folder));
            const why =
                code === "ENOENT" ? `${parent} does not accept new folders (ENOENT)`
                : code === "EACCES" || code === "EPERM" ? `${CODE_WORDS[code]} in ${parent} (${code})`
                : code === "EROFS" ? `${parent} is on a read-only file system (EROFS)`
                : code === "EEXIST" ? `${displayPath(folder)} is a file, not a folder`
                : describeFsError(err);
            throw new RuntimeError(`cannot create the models folder ${shown}: ${why} — ${CHOOSE_ANOTHER}`);
        }
    }
}

/**
 * Make sure new files can be created in the existing models folder `dir` (a file is created and
 * removed): a download checks this before it starts, not when it moves the finished file in.
 */
export async function checkModelsFolderWritable(dir: string): Promise<void> {
    const probe = path.join(dir, `.llmgen-write-check-${process.pid}`);
    try {
        const handle = await open(probe, "w");
        await handle.close();
        await unlink(probe);
    } catch (err) {
        await unlink(probe).catch(() => undefined);
        throw new RuntimeError(`cannot write to the models folder ${displayPath(dir)}: ${notWritableReason(err)} — ${CHOOSE_ANOTHER}`);
    }
}

/**
 * For listing: true when the models folder `dir` exists and can be read, false when it does not
 * exist yet. Throws a one-line RuntimeError when a file is where the folder should be, or when it
 * cannot be read.
 */
export async function modelsFolderExists(dir: string): Promise<boolean> {
    const shown = displayPath(dir);
    try {
        if (!(await stat(dir)).isDirectory()) throw new RuntimeError(`the models folder ${shown} is a file, not a folder — ${CHOOSE_ANOTHER}`);
        await readdir(dir);
        return true;
    } catch (err) {
        if (err instanceof RuntimeError) throw err;
        const code = codeOf(err);
        if (code === "ENOENT") return false;
        if (code === "ENOTDIR") {
            const blocker = await fileInTheWay(dir);
            if (blocker != null) throw new RuntimeError(`the models folder ${shown} cannot exist: ${displayPath(blocker)} is a file, not a folder — ${CHOOSE_ANOTHER}`);
        }
        throw new RuntimeError(`cannot read the models folder ${shown}: ${describeFsError(err)} — ${CHOOSE_ANOTHER}`);
    }
}
