/**
 * `llmgen bench`: generation speed of llmgen against node-llama-cpp's native sampling, measured
 * interleaved in one process on the same model, context, prompt and seed:
 *   (1) native   node-llama-cpp's own generation with the equivalent native sampler settings
 *   (2) fast     llmgen's loop + TypeScript sampler chain on the fast logits route
 *   (3) public   the same on the public logits route (node-llama-cpp's probability map)
 * For beam=K, (1) is native greedy and llmgen greedy on the fast route is measured too, giving the
 * cost of beam search per generated token relative to greedy. Then a micro-benchmark of the
 * sampler chain alone on synthetic logits at 32k, 128k and 256k vocabulary. Tables on stdout,
 * progress on stderr, `--json` for machines.
 */
import os from "node:os";
import {Command} from "commander";
import ora from "ora";
import type {Engine} from "../engine/engine.js";
import type {FastLogitsRoute} from "../engine/fastRoute.js";
import type {NativeSamplerSettings} from "../engine/nativeGenerate.js";
import {UsageError} from "../errors.js";
import {runBeamSearch} from "../generate/beam.js";
import {logSumExp} from "../generate/logprobs.js";
import {runSampling} from "../generate/sample.js";
import {Candidates, createRng, parseStrategy, type Sampler, type StepContext, type Strategy} from "../sampling/index.js";
import {outputStyle} from "./io.js";
import {addModelOptions, addOutputOptions, collect, engineSettings, intAtLeast, parseNumber, parseSamples, samplesOption, type ModelFlags} from "./options.js";
import {decorate, openEngine} from "./session.js";
import {writeOut} from "./stdout.js";

export const BENCH_DEFAULTS = {
    strategy: "greedy",
    tokens: 128,
    runs: 5,
    prompt: "Once upon a time",
    seed: 1,
    chainVocab: "32000,128000,256000",
    chainSteps: 300,
    chainSpecs: ["temperature=0.8,top-k=40,top-p=0.9,min-p=0.05", "top-p=0.95", "top-p=0.9", "greedy"]
} as const;

interface BenchFlags extends ModelFlags {
    strategy: string;
    tokens: string;
    runs: string;
    prompt: string;
    seed: string;
    samples: string;
    json?: boolean;
    chain: boolean;
    generation: boolean;
    chainVocab: string;
    chainSteps: string;
    chainSpec?: string[];
}

export interface Stats {
    min: number;
    median: number;
    max: number;
    values: number[];
}

export interface VariantResult {
    id: "native" | "fast" | "public" | "fast-greedy";
    label: string;
    /** Generated tokens per second (per beam path for beam search), over the measured runs. */
    tokensPerSecond?: Stats;
    /**
     * Generated tokens per CPU-second of this process (all its threads): steadier than wall time
     * when other processes compete for the cores.
     */
    tokensPerCpuSecond?: Stats;
    tokens?: number;
    unavailable?: string;
    note?: string;
}

export interface GenerationBench {
    model: string;
    vocabSize: number;
    threads: number;
    backend: string;
    build: string;
    strategy: string;
    samples: number;
    tokens: number;
    runs: number;
    prompt: string;
    promptTokens: number;
    seed: number;
    native: {settings: NativeSamplerSettings; note?: string};
    variants: VariantResult[];
    /** Ratios of median tok/s (wall clock). */
    ratios: {fastOverNative?: number; publicOverNative?: number; beamCostOverGreedy?: number};
    /** The same ratios from tokens per CPU-second. */
    cpuRatios: {fastOverNative?: number; publicOverNative?: number; beamCostOverGreedy?: number};
    /** 1-minute load average at the start and the end (os.loadavg), cores available. */
    load: {start: number; end: number; cores: number};
    /** Greedy only: the fast route and native generation chose the same tokens. */
    sameTokensAsNative?: boolean;
    forks?: {forks: number; tokensSaved: number};
    /**
     * Beam search only: the decode floor. Milliseconds per step of evaluating one token in each of
     * K sequences (one batched decode, K logit rows) versus one token in one sequence, on the fast
     * route with no sampling at all: what llama.cpp itself charges for a beam step.
     */
    decodeFloor?: {sequences: number; oneMs: Stats; batchMs: Stats; ratio: number};
}

export interface ChainRow {
    vocab: number;
    spec: string;
    /** Milliseconds per token for the whole chain (load + samplers + draw). */
    ms: {mean: number; p50: number; p95: number};
    /** Mean milliseconds per stage: load, each sampler by spec, draw. */
    stages: Array<{stage: string; ms: number}>;
    keptMean: number;
}

export interface ChainBench {
    shape: string;
    steps: number;
    rows: ChainRow[];
    /** logSumExp over the full vocabulary (what the generation loop adds per token for log-probs). */
    logSumExp: Array<{vocab: number; ms: number}>;
}

export function benchCommand(): Command {
    const cmd = new Command("bench")
        .description("measure llmgen's generation speed against node-llama-cpp's native sampling (fast and public logits routes), plus a sampler-chain micro-benchmark");
    cmd
        .option("-s, --strategy <chain>", "strategy to measure: a sampler chain (e.g. \"top-p=0.9\"), greedy, or beam=K", BENCH_DEFAULTS.strategy)
        .option("--tokens <n>", "tokens generated per run (end-of-generation ignored)", String(BENCH_DEFAULTS.tokens))
        .option("--runs <r>", "measured runs per variant, interleaved (after one warm-up run each)", String(BENCH_DEFAULTS.runs))
        .addOption(samplesOption("parallel samples per run (a sampling strategy; one batched decode per step)"))
        .option("--prompt <text>", "the prompt", BENCH_DEFAULTS.prompt)
        .option("--seed <n>", "seed for every run (native and llmgen)", String(BENCH_DEFAULTS.seed))
        .option("--no-generation", "skip the generation benchmark (chain micro-benchmark only; no model needed)")
        .option("--no-chain", "skip the sampler-chain micro-benchmark")
        .option("--chain-vocab <sizes>", "vocabulary sizes for the chain micro-benchmark, comma-separated", BENCH_DEFAULTS.chainVocab)
        .option("--chain-steps <n>", "measured steps per chain micro-benchmark row", String(BENCH_DEFAULTS.chainSteps))
        .option("--chain-spec <chain>", "a chain to micro-benchmark (repeatable; default: the target chains)", collect, []);
    addOutputOptions(addModelOptions(cmd), "one JSON object on stdout");
    return cmd.action(async (flags: BenchFlags) => {
        const style = outputStyle({color: flags.color});
        const tokens = parseNumber("--tokens", flags.tokens, intAtLeast(1, 1 << 20), "an integer ≥ 1")!;
        const runs = parseNumber("--runs", flags.runs, intAtLeast(1, 1000), "an integer from 1 to 1000")!;
        const samples = parseSamples(flags.samples);
        const seed = parseNumber("--seed", flags.seed, intAtLeast(0, 4294967295), "an integer from 0 to 4294967295")!;
        const chainSteps = parseNumber("--chain-steps", flags.chainSteps, intAtLeast(10, 1 << 20), "an integer ≥ 10")!;
        const chainVocab = flags.chainVocab.split(",").map((v) => parseNumber("--chain-vocab", v, intAtLeast(2, 1 << 21), "comma-separated integers from 2 to 2097152")!);
        const strategy = parseStrategy(flags.strategy);
        if (strategy.kind === "beam" && samples > 1) throw new UsageError("--samples does not apply to beam search; drop one of them");
        const spinner = decorate(style) && !flags.json && !flags.verbose
            ? ora({text: "bench", stream: process.stderr, isEnabled: true}).start()
            : undefined;
        const progress = (text: string): void => {
            if (spinner) spinner.text = text;
            else if (flags.verbose) process.stderr.write(`bench: ${text}\n`);
        };
        let generation: GenerationBench | undefined;
        let chain: ChainBench | undefined;
        try {
            if (flags.generation) {
                const settings = engineSettings(flags);
                const sequences = strategy.kind === "beam" ? strategy.width : samples;
                progress("loading the model");
                const engine = await openEngine(flags, settings, style, sequences, undefined, strategy.kind === "beam");
                try {
                    generation = await benchGeneration(engine, {strategy, tokens, runs, samples, seed, prompt: flags.prompt, progress});
                } finally {
                    await engine.dispose();
                }
            }
            if (flags.chain) {
                progress("sampler chain micro-benchmark");
                chain = chainMicroBench({vocabSizes: chainVocab, specs: flags.chainSpec !== undefined && flags.chainSpec.length > 0 ? flags.chainSpec : [...BENCH_DEFAULTS.chainSpecs], steps: chainSteps, seed});
            }
        } finally {
            spinner?.stop();
        }
        if (flags.json) writeOut(JSON.stringify({generation, chain}, null, 2) + "\n");
        else writeOut(renderBench(generation, chain).join("\n") + "\n");
    });
}

interface GenerationOptions {
    strategy: Strategy;
    tokens: number;
    runs: number;
    samples: number;
    seed: number;
    prompt: string;
    progress?: (text: string) => void;
}

type Runner = (seed: number) => Promise<{tokens: number; seconds: number; ids?: number[]}>;

function cpuSeconds(): number {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
}

/** Measure the variants interleaved: one warm-up each, then `runs` rounds in rotating order. */
export async function benchGeneration(engine: Engine, opts: GenerationOptions): Promise<GenerationBench> {
    // Engine modules (node-llama-cpp, ~0.7 s to import) load only when a bench runs.
    const {FastLogitsRoute} = await import("../engine/fastRoute.js");
    const {nativeGenerate, nativeSettingsFor} = await import("../engine/nativeGenerate.js");
    const promptTokens = engine.tokenize(opts.prompt);
    engine.checkPromptFits(promptTokens);
    if (promptTokens.length + opts.tokens > engine.info.contextSize)
        throw new UsageError(`--tokens ${opts.tokens} plus the ${promptTokens.length}-token prompt exceed the context (${engine.info.contextSize}); lower --tokens or raise --ctx-size`);
    const beam = opts.strategy.kind === "beam" ? opts.strategy.width : 0;
    const native = nativeSettingsFor(opts.strategy.kind === "sample" ? opts.strategy.samplers : [{name: "greedy", spec: "greedy"}]);
    const variants: Array<{result: VariantResult; run?: Runner; values: number[]; cpu: number[]}> = [];
    const loadStart = os.loadavg()[0]!;
    const samplesOn = (e: Engine, spec: string, samples: number): Runner => async (seed) => {
        const t0 = performance.now();
        const strategy = parseStrategy(spec);
        if (strategy.kind !== "sample") throw new Error(`not a sampling chain: ${spec}`);
        const results = await runSampling(e, {promptTokens, strategy, samples, seed, maxTokens: opts.tokens, ignoreEos: true});
        const seconds = (performance.now() - t0) / 1000;
        return {tokens: results.reduce((n, r) => n + r.tokens, 0), seconds, ids: results[0]?.ids};
    };
    const beamOn = (e: Engine): Runner => async () => {
        const t0 = performance.now();
        const r = await runBeamSearch(e, {promptTokens, width: beam, lengthPenalty: 1, maxTokens: opts.tokens, ignoreEos: true});
        return {tokens: r.steps, seconds: (performance.now() - t0) / 1000};
    };
    const nativeRun = (samples: number): Runner => async (seed) => {
        const t0 = performance.now();
        const runs = await Promise.all(Array.from({length: samples}, (_, i) =>
            nativeGenerate(engine, promptTokens, opts.tokens, native.settings, {seed: seed + i, ignoreEos: true, sequenceIndex: i})));
        return {tokens: runs.reduce((n, r) => n + r.ids.length, 0), seconds: (performance.now() - t0) / 1000, ids: runs[0]?.ids};
    };
    const nativeSamples = beam > 0 ? 1 : opts.samples;
    variants.push({
        result: {id: "native", label: beam > 0 ? "(1) node-llama-cpp native greedy" : "(1) node-llama-cpp native sampling", note: native.note},
        run: nativeRun(nativeSamples), values: [], cpu: []
    });
    let fastEngine: Engine | undefined;
    let fastRoute: FastLogitsRoute | undefined;
    const fastOrWhy = await engine.withLogitsRoute("fast").catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
    if (typeof fastOrWhy === "string") {
        variants.push({result: {id: "fast", label: "(2) llmgen, fast route", unavailable: fastOrWhy}, values: [], cpu: []});
    } else {
        fastEngine = fastOrWhy;
        fastRoute = fastEngine.route instanceof FastLogitsRoute ? fastEngine.route : undefined;
        variants.push({result: {id: "fast", label: "(2) llmgen, fast route"}, run: beam > 0 ? beamOn(fastEngine) : samplesOn(fastEngine, opts.strategy.spec, opts.samples), values: [], cpu: []});
    }
    const publicEngine = await engine.withLogitsRoute("public");
    variants.push({result: {id: "public", label: "(3) llmgen, public route"}, run: beam > 0 ? beamOn(publicEngine) : samplesOn(publicEngine, opts.strategy.spec, opts.samples), values: [], cpu: []});
    if (beam > 0 && fastEngine !== undefined)
        variants.push({result: {id: "fast-greedy", label: "(4) llmgen greedy, fast route"}, run: samplesOn(fastEngine, "greedy", 1), values: [], cpu: []});

    const live = variants.filter((v) => v.run !== undefined);
    const lastIds = new Map<string, number[] | undefined>();
    for (const v of live) {
        opts.progress?.(`warm-up: ${v.result.label}`);
        await v.run!(opts.seed);
        await clearAll(engine);
    }
    if (fastRoute) {
        fastRoute.stats.forks = 0;
        fastRoute.stats.tokensSaved = 0;
    }
    for (let r = 0; r < opts.runs; r++) {
        for (let k = 0; k < live.length; k++) {
            const v = live[(k + r) % live.length]!;
            opts.progress?.(`run ${r + 1}/${opts.runs}: ${v.result.label}`);
            const cpu0 = cpuSeconds();
            const out = await v.run!(opts.seed);
            const cpu = cpuSeconds() - cpu0;
            await clearAll(engine);
            v.values.push(out.seconds > 0 ? out.tokens / out.seconds : 0);
            v.cpu.push(cpu > 0 ? out.tokens / cpu : 0);
            v.result.tokens = out.tokens;
            lastIds.set(v.result.id, out.ids);
        }
    }
    for (const v of variants) if (v.values.length > 0) {
        v.result.tokensPerSecond = stats(v.values);
        v.result.tokensPerCpuSecond = stats(v.cpu);
    }
    const ratios = (pick: (r: VariantResult) => Stats | undefined): GenerationBench["ratios"] => {
        const median = (id: VariantResult["id"]): number | undefined => {
            const v = variants.find((x) => x.result.id === id);
            return v ? pick(v.result)?.median : undefined;
        };
        const n = median("native");
        const f = median("fast");
        const p = median("public");
        const g = median("fast-greedy");
        return {
            fastOverNative: f !== undefined && n ? f / n : undefined,
            publicOverNative: p !== undefined && n ? p / n : undefined,
            // time per generated token of beam search over that of greedy (both on the fast route)
            beamCostOverGreedy: beam > 0 && f && g !== undefined ? g / f : undefined
        };
    };
    const greedy = opts.strategy.kind === "sample" && opts.strategy.samplers.length === 1 && opts.strategy.samplers[0]!.name === "greedy";
    const nativeIds = lastIds.get("native");
    const fastIds = lastIds.get("fast");
    return {
        model: engine.info.modelPath,
        vocabSize: engine.vocabSize,
        threads: engine.info.threads,
        backend: engine.info.backend,
        build: engine.info.buildType,
        strategy: opts.strategy.spec,
        samples: beam > 0 ? 1 : opts.samples,
        tokens: opts.tokens,
        runs: opts.runs,
        prompt: opts.prompt,
        promptTokens: promptTokens.length,
        seed: opts.seed,
        native,
        variants: variants.map((v) => v.result),
        ratios: ratios((r) => r.tokensPerSecond),
        cpuRatios: ratios((r) => r.tokensPerCpuSecond),
        load: {start: loadStart, end: os.loadavg()[0]!, cores: os.availableParallelism()},
        sameTokensAsNative: greedy && nativeIds && fastIds ? nativeIds.length === fastIds.length && nativeIds.every((t, i) => t === fastIds[i]) : undefined,
        forks: fastRoute ? {...fastRoute.stats} : undefined,
        decodeFloor: beam > 1 && fastEngine !== undefined ? await decodeFloor(fastEngine, promptTokens, beam, opts.tokens, opts.runs) : undefined
    };
}

/**
 * Time `steps` decode steps of one token in 1 sequence and in `k` sequences at once (interleaved
 * rounds, the fast route's logits copied, nothing sampled: the token fed back is a fixed function
 * of the step). Returns ms per step.
 */
async function decodeFloor(engine: Engine, promptTokens: readonly number[], k: number, steps: number, runs: number): Promise<GenerationBench["decodeFloor"]> {
    const vocab = engine.vocabSize;
    const run = async (count: number): Promise<number> => {
        await clearAll(engine);
        const histories = Array.from({length: count}, () => [...promptTokens]);
        await Promise.all(histories.map((h, i) => engine.sequences[i]!.logitsFor(h)));
        const t0 = performance.now();
        for (let step = 0; step < steps; step++) {
            histories.forEach((h, i) => h.push((step * 7919 + i * 104729) % vocab));
            await Promise.all(histories.map((h, i) => engine.sequences[i]!.logitsFor(h)));
        }
        return (performance.now() - t0) / steps;
    };
    await run(1);
    await run(k);
    const one: number[] = [];
    const batch: number[] = [];
    for (let r = 0; r < runs; r++) {
        one.push(await run(1));
        batch.push(await run(k));
    }
    await clearAll(engine);
    const oneMs = stats(one);
    const batchMs = stats(batch);
    return {sequences: k, oneMs, batchMs, ratio: batchMs.median / oneMs.median};
}

async function clearAll(engine: Engine): Promise<void> {
    for (const s of engine.sequences) await s.clear();
}

export function stats(values: readonly number[]): Stats {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return {min: sorted[0]!, median, max: sorted[sorted.length - 1]!, values: [...values]};
}

// ---------------------------------------------------------------------------------------------
// Sampler chain micro-benchmark

export const CHAIN_SHAPE = "tail N(0, 1.5²) over the whole vocabulary + 8 peaked tokens at +15, +14, +13.5, +13, +12, +11, +10, +9 (random positions, 16 distinct vectors cycled)";

/** Synthetic logits: a few peaked tokens over a long flat tail, deterministic for a seed. */
export function syntheticLogits(vocab: number, seed: number): Float32Array {
    const rng = createRng(seed);
    const out = new Float32Array(vocab);
    for (let i = 0; i < vocab; i += 2) {
        // Box–Muller: two normals per pair of uniforms.
        const u1 = Math.max(rng.next(), 1e-12);
        const u2 = rng.next();
        const r = Math.sqrt(-2 * Math.log(u1)) * 1.5;
        out[i] = r * Math.cos(2 * Math.PI * u2);
        if (i + 1 < vocab) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
    for (const peak of [15, 14, 13.5, 13, 12, 11, 10, 9]) out[Math.floor(rng.next() * vocab)] = peak;
    return out;
}

export function chainMicroBench(opts: {vocabSizes: readonly number[]; specs: readonly string[]; steps: number; seed?: number; warmup?: number}): ChainBench {
    const seed = opts.seed ?? 1;
    const warmup = opts.warmup ?? Math.min(100, opts.steps);
    const rows: ChainRow[] = [];
    const lse: Array<{vocab: number; ms: number}> = [];
    for (const vocab of opts.vocabSizes) {
        const inputs = Array.from({length: 16}, (_, i) => syntheticLogits(vocab, seed * 1000 + i));
        for (const spec of opts.specs) {
            const strategy = parseStrategy(spec);
            if (strategy.kind !== "sample") throw new UsageError(`--chain-spec needs a sampling chain, got ${spec}`);
            rows.push(benchChain(strategy.samplers, strategy.spec, vocab, inputs, opts.steps, warmup, seed));
        }
        let sink = 0;
        for (let i = 0; i < warmup; i++) sink += logSumExp(inputs[i % 16]!);
        const t0 = performance.now();
        for (let i = 0; i < opts.steps; i++) sink += logSumExp(inputs[i % 16]!);
        lse.push({vocab, ms: (performance.now() - t0) / opts.steps + (sink === 0.5 ? 1e-12 : 0)});
    }
    return {shape: CHAIN_SHAPE, steps: opts.steps, rows, logSumExp: lse};
}

/**
 * Time the chain the way SamplerChain runs it (load, each sampler in order, one draw), stage by
 * stage, on one reused Candidates buffer.
 */
function benchChain(samplers: readonly Sampler[], spec: string, vocab: number, inputs: readonly Float32Array[], steps: number, warmup: number, seed: number): ChainRow {
    const c = new Candidates(vocab);
    const rng = createRng(seed);
    const history: number[] = [1];
    const ctx: StepContext = {history, promptLength: 1, rng, trueLogits: true};
    const stageMs = new Float64Array(samplers.length + 2);
    const total: number[] = [];
    let kept = 0;
    for (let i = 0; i < warmup + steps; i++) {
        const logits = inputs[i % inputs.length]!;
        const measured = i >= warmup;
        const t0 = performance.now();
        c.load(logits);
        let t = performance.now();
        if (measured) stageMs[0] += t - t0;
        for (let k = 0; k < samplers.length; k++) {
            samplers[k]!.apply(c, ctx);
            const t2 = performance.now();
            if (measured) stageMs[k + 1] += t2 - t;
            t = t2;
        }
        if (measured) kept += c.size;
        const id = c.draw(rng.next());
        for (const s of samplers) s.accept?.(id);
        const t3 = performance.now();
        if (measured) {
            stageMs[samplers.length + 1] += t3 - t;
            total.push(t3 - t0);
        }
    }
    total.sort((a, b) => a - b);
    const mean = total.reduce((a, b) => a + b, 0) / total.length;
    return {
        vocab,
        spec,
        ms: {mean, p50: total[Math.floor(total.length / 2)]!, p95: total[Math.min(total.length - 1, Math.floor(total.length * 0.95))]!},
        stages: [
            {stage: "load", ms: stageMs[0]! / steps},
            ...samplers.map((s, k) => ({stage: s.spec, ms: stageMs[k + 1]! / steps})),
            {stage: "draw", ms: stageMs[samplers.length + 1]! / steps}
        ],
        keptMean: kept / steps
    };
}

// ---------------------------------------------------------------------------------------------
// Rendering

function fmt(x: number | undefined, digits = 1): string {
    return x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits);
}

function table(rows: string[][], right: boolean[]): string[] {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
    return rows.map((r) => r.map((cell, i) => (right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd());
}

export function renderBench(g: GenerationBench | undefined, c: ChainBench | undefined): string[] {
    const lines: string[] = [];
    if (g) {
        lines.push(`model ${g.model} (vocabulary ${g.vocabSize}), backend ${g.backend}, build ${g.build}, threads ${g.threads}`);
        lines.push(`strategy ${g.strategy}${g.samples > 1 ? ` × ${g.samples} samples` : ""}, ${g.tokens} tokens per run, ${g.runs} runs interleaved, seed ${g.seed}, prompt ${JSON.stringify(g.prompt)} (${g.promptTokens} tokens)`);
        lines.push(`native settings: temperature ${g.native.settings.temperature}, topK ${g.native.settings.topK}, topP ${g.native.settings.topP}, minP ${g.native.settings.minP}${g.native.note ? ` (${g.native.note})` : ""}`);
        lines.push("");
        const rows = [["variant", "tok/s min", "median", "max", "vs (1)", "tok/CPU-s median", "vs (1)"]];
        const n = g.variants.find((v) => v.id === "native")?.tokensPerSecond?.median;
        const nc = g.variants.find((v) => v.id === "native")?.tokensPerCpuSecond?.median;
        for (const v of g.variants) {
            if (v.unavailable) {
                rows.push([v.label, "unavailable", "", "", "", "", ""]);
                continue;
            }
            const s = v.tokensPerSecond;
            const c = v.tokensPerCpuSecond;
            rows.push([v.label, fmt(s?.min), fmt(s?.median), fmt(s?.max), s && n ? fmt(s.median / n, 2) : "-", fmt(c?.median), c && nc ? fmt(c.median / nc, 2) : "-"]);
        }
        lines.push(...table(rows, [false, true, true, true, true, true, true]));
        for (const v of g.variants) if (v.unavailable) lines.push(`  ${v.label}: ${v.unavailable}`);
        lines.push("");
        lines.push(`(2)/(1) = ${fmt(g.ratios.fastOverNative, 3)}   (3)/(1) = ${fmt(g.ratios.publicOverNative, 3)}` +
            (g.ratios.beamCostOverGreedy !== undefined ? `   beam time per token / greedy = ${fmt(g.ratios.beamCostOverGreedy, 2)}×` : "") + "   (wall-clock medians)");
        lines.push(`(2)/(1) = ${fmt(g.cpuRatios.fastOverNative, 3)}   (3)/(1) = ${fmt(g.cpuRatios.publicOverNative, 3)}` +
            (g.cpuRatios.beamCostOverGreedy !== undefined ? `   beam / greedy = ${fmt(g.cpuRatios.beamCostOverGreedy, 2)}×` : "") + "   (CPU-time medians)");
        if (g.load.start > g.load.cores || g.load.end > g.load.cores)
            lines.push(`note: load average ${fmt(g.load.start, 1)} → ${fmt(g.load.end, 1)} on ${g.load.cores} cores: other processes competed; wall-clock numbers are noisy, CPU-time ratios are steadier`);
        if (g.sameTokensAsNative !== undefined) lines.push(`greedy tokens identical to native: ${g.sameTokensAsNative ? "yes" : "NO"}`);
        if (g.forks && g.forks.forks > 0) lines.push(`KV forks: ${g.forks.forks} (${g.forks.tokensSaved} tokens not re-evaluated)`);
        if (g.decodeFloor) {
            const d = g.decodeFloor;
            lines.push(`decode floor (llama.cpp alone, fast route, no sampling): 1 token in 1 sequence ${fmt(d.oneMs.median, 3)} ms/step, ` +
                `1 token in each of ${d.sequences} sequences ${fmt(d.batchMs.median, 3)} ms/step = ${fmt(d.ratio, 2)}× (medians)`);
        }
    }
    if (c) {
        if (lines.length > 0) lines.push("");
        lines.push(`sampler chain micro-benchmark: ${c.steps} steps per row; logits: ${c.shape}`);
        const rows = [["vocab", "chain", "ms/token mean", "p50", "p95", "kept", "where the time goes (ms)"]];
        for (const r of c.rows)
            rows.push([String(r.vocab), r.spec, fmt(r.ms.mean, 3), fmt(r.ms.p50, 3), fmt(r.ms.p95, 3), fmt(r.keptMean, 0),
                r.stages.map((s) => `${s.stage} ${fmt(s.ms, 3)}`).join(", ")]);
        lines.push(...table(rows, [true, false, true, true, true, true, false]));
        lines.push(`logSumExp over the vocabulary (the generation loop's log-prob per token): ${c.logSumExp.map((l) => `${l.vocab}: ${fmt(l.ms, 3)} ms`).join(", ")}`);
    }
    return lines;
}
