/**
 * Runs the engine on one model through both logits routes and prints one JSON object with what
 * the route tests check. A separate process (getLlama may fork a child with process.execArgv,
 * which must not carry the test runner's flags).
 * Usage: node routeProbe.js <model>   (without arguments — e.g. when the test runner picks this
 * file up — it exits at once).
 */
import {Engine, type EngineSequence} from "../../../../src/engine/engine.js";
import {FastLogitsRoute} from "../../../../src/engine/fastRoute.js";
import {runBeamSearch} from "../../../../src/generate/beam.js";
import {runSampling} from "../../../../src/generate/sample.js";
import {parseStrategy, type SampleStrategy} from "../../../../src/sampling/index.js";
import {PROMPT, SAMPLING_CASES, type StreamResult} from "./cases.js";

export interface ProbeResult {
    model: string;
    vocabSize: number;
    buildType: string;
    defaultRoute: string;
    fast: {available: true} | {available: false; reason: string};
    streams?: {fast: StreamResult[]; public: StreamResult[]};
    beams?: {fast: number[][]; public: number[][]; forks: number; tokensSaved: number};
    unifiedBeams?: {fast: number[][]; public: number[][]; forks: number; tokensSaved: number};
    trueLogits?: {steps: number; maxAbsDiff: number; finiteCompared: number; publicFinite: number; fastFinite: number; fastTrue: boolean};
    fork?: {forks: number; steps: number; maxAbsDiff: number; maxAbsValue: number; sourceMaxAbsDiff: number};
}

const TOKENS = 48;

async function streams(engine: Engine, promptTokens: number[]): Promise<StreamResult[]> {
    const out: StreamResult[] = [];
    for (const c of SAMPLING_CASES) {
        // two samples in parallel sequences (one batched decode per step)
        const strategy = parseStrategy(c.strategy) as SampleStrategy;
        const results = await runSampling(engine, {promptTokens, strategy, samples: 2, seed: c.seed, maxTokens: TOKENS, ignoreEos: true});
        out.push({strategy: c.strategy, seed: c.seed, samples: results.map((r) => r.ids)});
        for (const s of engine.sequences) await s.clear();
    }
    return out;
}

function logSumExp(x: Float32Array): number {
    let max = -Infinity;
    for (const v of x) if (v > max) max = v;
    let sum = 0;
    for (const v of x) sum += Math.exp(v - max);
    return max + Math.log(sum);
}

function argmax(x: Float32Array): number {
    let best = 0;
    for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
    return best;
}

async function main(): Promise<void> {
    const modelPath = process.argv[2];
    if (modelPath === undefined) return;
    const engine = await Engine.load({modelPath, sequences: 4, ctxSize: 256, threads: 1});
    let result: ProbeResult;
    try {
        result = {
            model: modelPath,
            vocabSize: engine.vocabSize,
            buildType: engine.info.buildType,
            defaultRoute: engine.info.route,
            fast: {available: true}
        };
        const promptTokens = engine.tokenize(PROMPT);
        let fast: Engine | undefined;
        try {
            fast = await engine.withLogitsRoute("fast");
        } catch (err) {
            result.fast = {available: false, reason: err instanceof Error ? err.message : String(err)};
        }
        if (fast === undefined) {
            process.stdout.write(JSON.stringify(result) + "\n");
            return;
        }
        const pub = await engine.withLogitsRoute("public");

        // Identical token streams: greedy and seeded sampling, two samples each, both routes.
        const fastStreams = await streams(fast, promptTokens);
        const publicStreams = await streams(pub, promptTokens);
        result.streams = {fast: fastStreams, public: publicStreams};

        // Beam search (KV fork on the fast route, re-evaluation on the public route).
        const route = fast.route as FastLogitsRoute;
        route.stats.forks = 0;
        route.stats.tokensSaved = 0;
        const beamFast = await runBeamSearch(fast, {promptTokens, width: 3, lengthPenalty: 1, maxTokens: 24, ignoreEos: true});
        const forks = route.stats.forks;
        const tokensSaved = route.stats.tokensSaved;
        for (const s of engine.sequences) await s.clear();
        const beamPublic = await runBeamSearch(pub, {promptTokens, width: 3, lengthPenalty: 1, maxTokens: 24, ignoreEos: true});
        for (const s of engine.sequences) await s.clear();
        result.beams = {fast: beamFast.beams.map((b) => b.ids), public: beamPublic.beams.map((b) => b.ids), forks, tokensSaved};

        // True logits: fast logits − logsumexp = public log-probs (finite entries), along a greedy path.
        let maxAbsDiff = 0;
        let finiteCompared = 0;
        let publicFinite = 0;
        let fastFinite = 0;
        const history = [...promptTokens];
        const steps = 12;
        for (let step = 0; step < steps; step++) {
            const f = Float32Array.from(await fast.sequences[0]!.logitsFor(history));
            const p = await pub.sequences[1]!.logitsFor(history);
            const lse = logSumExp(f);
            for (let i = 0; i < f.length; i++) {
                if (Number.isFinite(f[i]!)) fastFinite++;
                if (!Number.isFinite(p[i]!)) continue;
                publicFinite++;
                finiteCompared++;
                maxAbsDiff = Math.max(maxAbsDiff, Math.abs(f[i]! - lse - p[i]!));
            }
            history.push(argmax(f));
        }
        result.trueLogits = {steps, maxAbsDiff, finiteCompared, publicFinite, fastFinite, fastTrue: fast.route.trueLogits};
        for (const s of engine.sequences) await s.clear();

        // KV fork: sequence 1 takes sequence 0's cache and continues on its own branch. References:
        // sequences 2 and 3 evaluate the very same histories token by token on a route that never
        // forks, so their logits are what the forked sequence and the source must give.
        process.env.LLMGEN_FORK_MIN_GAIN = "off";
        const noFork = await engine.withLogitsRoute("fast");
        delete process.env.LLMGEN_FORK_MIN_GAIN;
        const forking = await engine.withLogitsRoute("fast");
        const forkRoute = forking.route as FastLogitsRoute;
        const source = forking.sequences[0]!;
        const forked: EngineSequence = forking.sequences[1]!;
        const refBranch = noFork.sequences[2]!;
        const refSource = noFork.sequences[3]!;
        const diff = (a: Float32Array, b: Float32Array): number => {
            let d = 0;
            for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
            return d;
        };
        const base = [...promptTokens];
        let last = new Float32Array(0);
        for (let i = 0; i < 10; i++) {
            last = Float32Array.from(await source.logitsFor(base));
            await refBranch.logitsFor(base);
            await refSource.logitsFor(base);
            base.push(argmax(last));
        }
        base.pop(); // every sequence now holds `base`; `last` are the logits after it
        const fork0 = forkRoute.stats.forks;
        let maxForkDiff = 0;
        let maxAbsValue = 0;
        const branch = [...base];
        for (let step = 0; step < 6; step++) {
            if (step === 0) {
                // branch off with the second-best token after base
                const best = argmax(last);
                let second = best === 0 ? 1 : 0;
                for (let i = 0; i < last.length; i++) if (i !== best && last[i]! > last[second]!) second = i;
                branch.push(second);
            }
            const viaFork = Float32Array.from(await forked.logitsFor(branch));
            const reference = Float32Array.from(await refBranch.logitsFor(branch));
            maxForkDiff = Math.max(maxForkDiff, diff(viaFork, reference));
            for (const v of reference) maxAbsValue = Math.max(maxAbsValue, Math.abs(v));
            branch.push(argmax(viaFork));
        }
        const branchForks = forkRoute.stats.forks - fork0;
        // The source continues undisturbed by the fork.
        const next = [...base, argmax(last)];
        const sourceMaxAbsDiff = diff(Float32Array.from(await source.logitsFor(next)), Float32Array.from(await refSource.logitsFor(next)));
        result.fork = {forks: branchForks, steps: 6, maxAbsDiff: maxForkDiff, maxAbsValue, sourceMaxAbsDiff};
    } finally {
        await engine.dispose();
    }
    // Beam search as `llmgen --beams` runs it: one KV cache shared by the sequences (kvUnified).
    const unified = await Engine.load({modelPath, sequences: 4, ctxSize: 256, threads: 1, kvUnified: true});
    try {
        const fast = await unified.withLogitsRoute("fast");
        const pub = await unified.withLogitsRoute("public");
        const promptTokens = unified.tokenize(PROMPT);
        const route = fast.route as FastLogitsRoute;
        route.stats.forks = 0;
        const beamFast = await runBeamSearch(fast, {promptTokens, width: 3, lengthPenalty: 1, maxTokens: 24, ignoreEos: true});
        const forks = route.stats.forks;
        const tokensSaved = route.stats.tokensSaved;
        for (const s of unified.sequences) await s.clear();
        const beamPublic = await runBeamSearch(pub, {promptTokens, width: 3, lengthPenalty: 1, maxTokens: 24, ignoreEos: true});
        result.unifiedBeams = {fast: beamFast.beams.map((b) => b.ids), public: beamPublic.beams.map((b) => b.ids), forks, tokensSaved};
    } finally {
        await unified.dispose();
    }
    process.stdout.write(JSON.stringify(result) + "\n");
}

await main();
