/**
 * `llmgen bench` and `llmgen doctor`: output shape and the chain micro-benchmark's workings (no
 * timing assertions: performance numbers belong in the bench output, not in tests).
 */
import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {chainMicroBench, renderBench, stats, syntheticLogits} from "../../../src/cli/bench.js";
import {runCli} from "../../support/cli.js";
import {STORIES} from "../../support/paths.js";

describe("chain micro-benchmark", () => {
    test("synthetic logits: deterministic, a few peaks over a flat tail", () => {
        const a = syntheticLogits(4096, 5);
        assert.deepEqual(a, syntheticLogits(4096, 5));
        assert.notDeepEqual(a, syntheticLogits(4096, 6));
        const sorted = [...a].sort((x, y) => y - x);
        assert.equal(sorted[0], 15);
        assert.ok(sorted[8]! < 9, "only the 8 peaks stand out");
    });

    test("rows per vocabulary and chain, with stage breakdown and kept-set sizes", () => {
        const r = chainMicroBench({vocabSizes: [1000, 2000], specs: ["temperature=0.8,top-k=40,top-p=0.9,min-p=0.05", "top-p=0.95", "greedy"], steps: 12, warmup: 2});
        assert.equal(r.rows.length, 6);
        const full = r.rows[0]!;
        assert.equal(full.vocab, 1000);
        assert.deepEqual(full.stages.map((s) => s.stage), ["load", "temperature=0.8", "top-k=40", "top-p=0.9", "min-p=0.05", "draw"]);
        assert.ok(full.keptMean >= 1 && full.keptMean <= 40);
        assert.equal(r.rows[2]!.keptMean, 1, "greedy keeps one");
        assert.ok(r.rows[1]!.keptMean > 1);
        for (const row of r.rows) assert.ok(row.ms.p50 >= 0 && row.ms.p95 >= row.ms.p50);
        assert.equal(r.logSumExp.length, 2);
    });

    test("stats and rendering", () => {
        assert.deepEqual(stats([3, 1, 2]), {min: 1, median: 2, max: 3, values: [3, 1, 2]});
        assert.equal(stats([1, 2, 3, 4]).median, 2.5);
        const lines = renderBench(undefined, chainMicroBench({vocabSizes: [500], specs: ["top-p=0.9"], steps: 10, warmup: 1}));
        assert.match(lines.join("\n"), /sampler chain micro-benchmark/);
        assert.match(lines.join("\n"), /top-p=0\.9/);
    });
});

describe("llmgen bench", () => {
    test("--json on stories260K: three variants, ratios, greedy identical to native", async () => {
        const r = await runCli(["bench", "-m", STORIES(), "--tokens", "16", "--runs", "1", "--no-chain", "--json"], {timeoutMs: 240_000});
        assert.equal(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout) as {generation: {variants: Array<{id: string; tokensPerSecond?: {median: number}; unavailable?: string}>; ratios: Record<string, number>; sameTokensAsNative?: boolean; strategy: string}};
        const g = out.generation;
        assert.equal(g.strategy, "greedy");
        assert.deepEqual(g.variants.map((v) => v.id), ["native", "fast", "public"]);
        assert.ok(g.variants[0]!.tokensPerSecond!.median > 0);
        assert.ok(g.variants[2]!.tokensPerSecond!.median > 0);
        assert.ok(g.ratios.publicOverNative! > 0);
        if (g.variants[1]!.unavailable === undefined) {
            assert.ok(g.ratios.fastOverNative! > 0);
            assert.equal(g.sameTokensAsNative, true);
        }
    });

    test("beam=2 adds llmgen greedy for the beam/greedy cost; --no-generation needs no model", async () => {
        const r = await runCli(["bench", "-m", STORIES(), "-s", "beam=2", "--tokens", "8", "--runs", "1", "--no-chain", "--json"], {timeoutMs: 240_000});
        assert.equal(r.code, 0, r.stderr);
        const g = (JSON.parse(r.stdout) as {generation: {variants: Array<{id: string}>; ratios: Record<string, number>;
            decodeFloor?: {sequences: number; oneMs: {median: number}; batchMs: {median: number}; ratio: number}}}).generation;
        const ids = g.variants.map((v) => v.id);
        assert.deepEqual(ids.slice(0, 3), ["native", "fast", "public"]);
        if (ids.includes("fast-greedy")) {
            // The fast route is built: the native decode floor of a beam step is measured too.
            const d = g.decodeFloor!;
            assert.equal(d.sequences, 2);
            assert.ok(d.oneMs.median > 0 && d.batchMs.median > 0);
            assert.ok(Math.abs(d.ratio - d.batchMs.median / d.oneMs.median) < 1e-9);
        }
        const c = await runCli(["bench", "--no-generation", "--chain-vocab", "1000", "--chain-steps", "10"]);
        assert.equal(c.code, 0, c.stderr);
        assert.match(c.stdout, /sampler chain micro-benchmark/);
    });

    test("bad flags are usage errors", async () => {
        const r = await runCli(["bench", "--runs", "0", "--no-generation"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--runs must be/);
    });
});

describe("llmgen doctor", () => {
    test("reports the binary, backend, threads and route as JSON", async () => {
        const r = await runCli(["doctor", "-m", STORIES(), "--json"], {timeoutMs: 120_000, env: {LLMGEN_LOGITS_ROUTE: undefined}});
        assert.equal(r.code, 0, r.stderr);
        const d = JSON.parse(r.stdout) as {nodeLlamaCpp: string; binary: {buildType: string; backend: string}; model: {route: string; threads: number}; routeRequested: string};
        assert.equal(d.nodeLlamaCpp, "3.21.1");
        assert.equal(d.binary.backend, "cpu");
        assert.match(d.model.route, /^(fast|public)/);
        assert.equal(d.model.threads, 1);
        assert.equal(d.routeRequested, "auto");
    });
});
