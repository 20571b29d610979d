/**
 * Route selection (--logits-route / LLMGEN_LOGITS_ROUTE), the KV-fork threshold, the native
 * sampler mapping used by `llmgen bench`, the fast-build cache key, and the CLI's route option.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {pathToFileURL} from "node:url";
import {describe, test} from "node:test";
import {nativeSettingsFor} from "../../../src/engine/nativeGenerate.js";
import {forkMinGain, requestedRoute} from "../../../src/cli/options.js";
import {UsageError} from "../../../src/errors.js";
import {parseStrategy} from "../../../src/sampling/index.js";
import {ndjson, runCli} from "../../support/cli.js";
import {ROOT, STORIES} from "../../support/paths.js";

function withEnv<T>(name: string, value: string | undefined, fn: () => T): T {
    const old = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
    try {
        return fn();
    } finally {
        if (old === undefined) delete process.env[name];
        else process.env[name] = old;
    }
}

describe("route selection", () => {
    test("default auto; the option wins over LLMGEN_LOGITS_ROUTE; bad values are usage errors", () => {
        withEnv("LLMGEN_LOGITS_ROUTE", undefined, () => assert.equal(requestedRoute(), "auto"));
        withEnv("LLMGEN_LOGITS_ROUTE", "public", () => {
            assert.equal(requestedRoute(), "public");
            assert.equal(requestedRoute("fast"), "fast");
        });
        withEnv("LLMGEN_LOGITS_ROUTE", " FAST ", () => assert.equal(requestedRoute(), "fast"));
        withEnv("LLMGEN_LOGITS_ROUTE", "turbo", () => assert.throws(() => requestedRoute(), (e: unknown) => e instanceof UsageError && /LLMGEN_LOGITS_ROUTE must be one of auto, fast, public/.test(e.message)));
        assert.throws(() => requestedRoute("x"), /--logits-route must be one of/);
    });

    test("LLMGEN_FORK_MIN_GAIN: default 1, off/0 disables, bad values are usage errors", () => {
        withEnv("LLMGEN_FORK_MIN_GAIN", undefined, () => assert.equal(forkMinGain(), 1));
        withEnv("LLMGEN_FORK_MIN_GAIN", "off", () => assert.equal(forkMinGain(), Infinity));
        withEnv("LLMGEN_FORK_MIN_GAIN", "0", () => assert.equal(forkMinGain(), Infinity));
        withEnv("LLMGEN_FORK_MIN_GAIN", "8", () => assert.equal(forkMinGain(), 8));
        withEnv("LLMGEN_FORK_MIN_GAIN", "-2", () => assert.throws(() => forkMinGain(), UsageError));
    });
});

describe("native sampler settings for bench", () => {
    const settings = (spec: string) => {
        const s = parseStrategy(spec);
        assert.equal(s.kind, "sample");
        return nativeSettingsFor(s.kind === "sample" ? s.samplers : []);
    };
    test("greedy, top-p alone, and the full chain map to node-llama-cpp options", () => {
        assert.deepEqual(settings("greedy").settings, {temperature: 0, topK: 0, topP: 1, minP: 0});
        assert.deepEqual(settings("top-p=0.9").settings, {temperature: 1, topK: 0, topP: 0.9, minP: 0});
        const full = settings("temperature=0.8,top-k=40,top-p=0.9,min-p=0.05");
        assert.deepEqual(full.settings, {temperature: 0.8, topK: 40, topP: 0.9, minP: 0.05});
        assert.match(full.note ?? "", /approximate/);
        assert.equal(settings("top-k=40,top-p=0.9,temperature=0.8").note, undefined);
    });
});

describe("fast build cache key", () => {
    test("depends on the patch content and the prebuilt libllama it links against, and lives outside node_modules", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-cache-"));
        const lib = (await import(pathToFileURL(path.join(ROOT, "scripts", "fast-build-lib.mjs")).href)) as {
            buildKey(gpu: string): {key: string; parts: Record<string, unknown>};
            cacheRoot(): string;
            patchFile(): string;
        };
        const old = process.env.LLMGEN_CACHE_DIR;
        process.env.LLMGEN_CACHE_DIR = dir;
        try {
            assert.equal(lib.cacheRoot(), dir);
            const cpu = lib.buildKey("false");
            assert.match(cpu.key, /^3\.21\.1-cpu-[0-9a-f]{16}$/);
            assert.equal(String(cpu.parts.prebuiltSha).length, 64, "the prebuilt libllama's sha256");
            assert.equal(lib.buildKey("false").key, cpu.key, "the key is stable");
            assert.ok(fs.existsSync(lib.patchFile()), `${lib.patchFile()} is part of the repository`);
            assert.equal(cpu.parts.patchSha?.toString().length, 64);
        } finally {
            if (old === undefined) delete process.env.LLMGEN_CACHE_DIR;
            else process.env.LLMGEN_CACHE_DIR = old;
            fs.rmSync(dir, {recursive: true, force: true});
        }
    });
});

describe("--logits-route on the CLI", () => {
    test("fast and public give the same greedy tokens; --verbose names the route", async () => {
        const args = ["-m", STORIES(), "--greedy", "-n", "24", "--json", "--verbose", "Once upon a time"];
        const env = {LLMGEN_LOGITS_ROUTE: undefined};
        const pub = await runCli([...args, "--logits-route", "public"], {env});
        assert.equal(pub.code, 0, pub.stderr);
        assert.match(pub.stderr, /logits route: public/);
        const auto = await runCli(args, {env});
        assert.equal(auto.code, 0, auto.stderr);
        const ids = (out: string) => ndjson(out).filter((e) => e.type === "token").map((e) => e.id);
        assert.deepEqual(ids(auto.stdout), ids(pub.stdout));
        if (/logits route: fast/.test(auto.stderr)) return;
        // no fast build: auto falls back with a one-line notice, and an explicit fast is an error
        assert.match(auto.stderr, /fast logits route unavailable: .*npm run build:fast/);
        const fast = await runCli([...args, "--logits-route", "fast"], {env});
        assert.equal(fast.code, 1);
        assert.match(fast.stderr, /--logits-route fast: /);
    });

    test("a bad --logits-route value is a usage error", async () => {
        const r = await runCli(["-m", STORIES(), "--logits-route", "turbo", "hi"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /turbo/);
    });
});
