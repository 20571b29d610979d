/**
 * Which folder holds the models: --models-dir, else LLMGEN_MODELS_DIR, else the project's own
 * `models/` folder (next to package.json) when it can be written, else a per-user cache folder.
 */
import {accessSync, constants, existsSync, readFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

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
export function userCacheModelsDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
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
    env?: NodeJS.ProcessEnv;
    projectDir?: string | null;
    cacheDir?: string;
    writable?: (dir: string) => boolean;
}): ModelsDirChoice {
    const env = input.env ?? process.env;
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

export function modelsDirChoice(override?: string): ModelsDirChoice {
    return chooseModelsDir({override});
}

/** The models folder: override → LLMGEN_MODELS_DIR → project models/ if writable → user cache. */
export function modelsDir(override?: string): string {
    return modelsDirChoice(override).dir;
}

/** A short, readable form of a path: relative to the working folder when inside it. */
export function displayPath(p: string): string {
    const rel = path.relative(process.cwd(), p);
    if (rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel)) return rel;
    const home = os.homedir();
    if (p === home || p.startsWith(home + path.sep)) return "~" + p.slice(home.length);
    return p;
}
