/** Where tests find the repository, the CLI and the fixture models. */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

/** Repository root (compiled tests live in dist/test/...). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const BIN = path.join(ROOT, "bin", "llmgen.js");

/** The fixture models folder: LLMGEN_TEST_MODELS, else ../shared/models beside the repository. */
export function modelsFolder(): string {
    const dir = process.env.LLMGEN_TEST_MODELS ?? path.resolve(ROOT, "..", "shared", "models");
    assert.ok(fs.existsSync(dir),
        `test models not found at ${dir}: put stories260K.gguf and llama-2-tiny-random.gguf there or set LLMGEN_TEST_MODELS`);
    return dir;
}

export function fixture(name: "stories260K.gguf" | "llama-2-tiny-random.gguf"): string {
    const file = path.join(modelsFolder(), name);
    assert.ok(fs.existsSync(file), `test model ${file} is missing (see ../shared/models/README.md)`);
    return file;
}

export const STORIES = (): string => fixture("stories260K.gguf");
export const TINY_RANDOM = (): string => fixture("llama-2-tiny-random.gguf");
