import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import {describe, it} from "node:test";
import {chooseModelsDir, modelsDir, packageRoot, projectModelsDir, userCacheModelsDir} from "../../../src/models/dir.js";
import {ROOT} from "./helpers.js";

describe("models folder", () => {
    it("finds the package root from compiled code", () => {
        assert.equal(packageRoot(), ROOT);
        assert.equal(projectModelsDir(), path.join(ROOT, "models"));
    });

    it("prefers the option, then LLMGEN_MODELS_DIR, then the project folder", () => {
        const env = {LLMGEN_MODELS_DIR: "/tmp/from-env"};
        assert.deepEqual(chooseModelsDir({override: "/tmp/opt", env, projectDir: "/p/models", writable: () => true}), {dir: "/tmp/opt", source: "option"});
        assert.deepEqual(chooseModelsDir({env, projectDir: "/p/models", writable: () => true}), {dir: "/tmp/from-env", source: "env"});
        assert.deepEqual(chooseModelsDir({env: {}, projectDir: "/p/models", writable: () => true}), {dir: "/p/models", source: "project"});
        assert.equal(chooseModelsDir({override: "rel/dir", env: {}}).dir, path.resolve("rel/dir"));
        assert.equal(chooseModelsDir({override: "~/m", env: {}}).dir, path.join(os.homedir(), "m"));
    });

    it("falls back to the user cache when the project folder is not writable, and says why", () => {
        const choice = chooseModelsDir({env: {}, projectDir: "/usr/lib/node_modules/llmgen/models", cacheDir: "/home/u/.cache/llmgen/models", writable: () => false});
        assert.equal(choice.dir, "/home/u/.cache/llmgen/models");
        assert.equal(choice.source, "cache");
        assert.match(choice.fallbackFrom ?? "", /not writable/);
    });

    it("uses XDG_CACHE_HOME or ~/.cache on Linux", () => {
        assert.equal(userCacheModelsDir({XDG_CACHE_HOME: "/x/cache"}, "linux"), "/x/cache/llmgen/models");
        assert.equal(userCacheModelsDir({}, "linux"), path.join(os.homedir(), ".cache", "llmgen", "models"));
    });

    it("modelsDir() resolves the real default (the repo's models/ here)", () => {
        const saved = process.env.LLMGEN_MODELS_DIR;
        delete process.env.LLMGEN_MODELS_DIR;
        try {
            assert.equal(modelsDir(undefined, process.env), path.join(ROOT, "models"));
            assert.equal(modelsDir("/tmp/x", process.env), "/tmp/x");
        } finally {
            if (saved !== undefined) process.env.LLMGEN_MODELS_DIR = saved;
        }
    });
});
