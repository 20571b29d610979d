/**
 * The state of llmgen's fast build: is node-llama-cpp's addon patched, is a fast build cached,
 * which local builds are installed and did they pass the smoke test. Read by the same code the build
 * script runs (scripts/fast-build-lib.mjs, plain JavaScript because it runs at install time, before
 * any TypeScript is compiled), so the build and this report cannot disagree.
 */

export interface LocalBuildStatus {
    folder: string;
    /** The folder holds llmgen's patched addon. */
    fast: boolean;
    key?: string;
    /** Built from the current patch and node-llama-cpp version. */
    upToDate: boolean;
    smoke?: {ok: boolean; checkedAt?: string; results: Array<{type: string; ok: boolean; signal?: string; error?: string}>};
}

export interface FastBuildStatus {
    nodeLlamaCpp?: string;
    patchFile: string;
    patchFileExists: boolean;
    patchApplied: boolean;
    gpu: string;
    /** The build's cache key: node-llama-cpp version, backend and a hash of the patch and the build script. */
    key: string;
    cacheRoot: string;
    cached: boolean;
    cacheEntry: string;
    localBuilds: LocalBuildStatus[];
}

interface FastBuildLib {
    fastBuildStatus(gpu?: string): FastBuildStatus;
}

/** The fast build's state (CPU builds), or undefined when the build library is not there (a partial install). */
export async function fastBuildStatus(): Promise<FastBuildStatus | undefined> {
    let lib: FastBuildLib;
    try {
        lib = (await import(new URL("../../../scripts/fast-build-lib.mjs", import.meta.url).href)) as FastBuildLib;
    } catch {
        return undefined;
    }
    return lib.fastBuildStatus("false");
}
