/** Where tests find the repository, the CLI and the fixture models. */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

/** Repository root (compiled tests live in dist/test/...). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const BIN = path.join(ROOT, "bin", "llmgen.js");

/** The small fixtures that are part of the repository (test/fixtures/README.md). */
const IN_REPOSITORY = {
    "stories260K.gguf": path.join(ROOT, "assets", "stories260K.gguf"),
    "llama-2-tiny-random.gguf": path.join(ROOT, "test", "fixtures", "llama-2-tiny-random.gguf")
} as const;

export function fixture(name: keyof typeof IN_REPOSITORY): string {
    const file = IN_REPOSITORY[name];
    assert.ok(fs.existsSync(file), `test model ${file} is missing from the repository (see test/fixtures/README.md)`);
    return file;
}

export const STORIES = (): string => fixture("stories260K.gguf");
export const TINY_RANDOM = (): string => fixture("llama-2-tiny-random.gguf");

/**
 * The folder of the larger fixtures (the Llama 3 vocabulary models): LLMGEN_TEST_MODELS, else
 * ../shared/models beside the repository; undefined when neither exists.
 */
export function largeFixturesFolder(): string | undefined {
    const dir = process.env.LLMGEN_TEST_MODELS ?? path.resolve(ROOT, "..", "shared", "models");
    return fs.existsSync(dir) ? dir : undefined;
}

/** Why tests of the larger fixtures are skipped (false under CI=true: there their absence fails). */
export function largeFixturesSkip(found: boolean): string | false {
    if (found || process.env.CI === "true") return false;
    return `the Llama 3 fixtures are not here: set LLMGEN_TEST_MODELS to a folder holding llama-3-vocab-random*.gguf (or put ../shared/models beside the repository)`;
}

/** Every fixture model: the two in the repository, plus every .gguf of the larger-fixtures folder. */
export function allFixtures(): string[] {
    const out = new Map<string, string>(Object.entries(IN_REPOSITORY));
    const dir = largeFixturesFolder();
    if (dir !== undefined) for (const n of fs.readdirSync(dir).filter((x) => x.endsWith(".gguf")).sort()) if (!out.has(n)) out.set(n, path.join(dir, n));
    return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, f]) => f);
}
