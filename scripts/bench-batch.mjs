#!/usr/bin/env node
// `llmgen batch` throughput (docs/benchmarks.md): P prompts × T tokens (end of generation ignored),
// measured three ways on one model, interleaved over R rounds, medians printed:
//   batch      runBatch with --parallel N sequences of one context (one process, model loaded once)
//   sequential the same requests one at a time on one sequence of the same engine
//   processes  a loop of separate `llmgen --json` processes, one request each (wall time, startup
//              and model load included: what a shell loop costs); K of the P requests, as a rate
// Usage: node scripts/bench-batch.mjs <model.gguf> [strategy=top-p=0.9] [parallel=16] [prompts=64]
//        [tokens=64] [rounds=3] [processes=8]   (THREADS=n: engine threads; default as llmgen chooses)
// Needs `npm run build` first.
import {execFileSync} from "node:child_process";
import os from "node:os";
import {performance} from "node:perf_hooks";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const {Engine} = await import(path.join(root, "dist/src/engine/engine.js"));
const {runBatch} = await import(path.join(root, "dist/src/generate/batch.js"));
const {parseStrategy} = await import(path.join(root, "dist/src/sampling/index.js"));

const [modelPath, spec = "top-p=0.9", parallelArg = "16", promptsArg = "64", tokensArg = "64", roundsArg = "3", processesArg = "8"] = process.argv.slice(2);
if (modelPath === undefined) {
    process.stderr.write("usage: node scripts/bench-batch.mjs <model.gguf> [strategy] [parallel] [prompts] [tokens] [rounds] [processes]\n");
    process.exit(2);
}
const parallel = Number(parallelArg);
const count = Number(promptsArg);
const maxTokens = Number(tokensArg);
const rounds = Number(roundsArg);
const processes = Number(processesArg);
const starts = ["Once upon a time", "Lily went to the", "The little dog", "One day, Tom", "The sun was", "A big red ball", "Sara and her mom", "In the park"];
const ends = ["", " there was", " and", " she saw", " he said", " a bird", " it was", " they"];
const prompts = Array.from({length: count}, (_, i) => starts[i % starts.length] + ends[Math.floor(i / starts.length) % ends.length]);
const strategy = parseStrategy(spec);

const engine = await Engine.load({modelPath, sequences: parallel, ctxSize: 256, ...(process.env.THREADS ? {threads: Number(process.env.THREADS)} : {})});
const jobs = prompts.map((p, index) => ({index, promptTokens: engine.tokenize(p), strategy, samples: 1, seed: index + 1, maxTokens, stops: [], options: {ignoreEos: true}}));

/** tok/s (wall clock) and tokens per CPU-second of this process (all its threads; steadier on a shared machine). */
async function timed(sequences) {
    let tokens = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await runBatch(engine, jobs, {sequences, onJobDone: (_job, o) => { if (o.ok) tokens += o.results.reduce((n, r) => n + r.tokens, 0); }});
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    for (const s of engine.sequences) await s.clear();
    return {wall: tokens / seconds, cpu: tokens / ((cpu.user + cpu.system) / 1e6)};
}

function processLoop() {
    const t0 = performance.now();
    let tokens = 0;
    for (let i = 0; i < processes; i++) {
        const out = execFileSync(process.execPath, [path.join(root, "bin/llmgen.js"), "--json", "-m", modelPath, "-s", spec, "--seed", String(i + 1),
            "-n", String(maxTokens), "--ignore-eos", prompts[i]], {encoding: "utf8"});
        for (const line of out.split("\n")) if (line.startsWith("{\"type\":\"done\"")) tokens += JSON.parse(line).tokens;
    }
    return tokens / ((performance.now() - t0) / 1000);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const batch = [];
const seq = [];
const proc = [];
const load0 = os.loadavg()[0];
await timed(engine.sequences); // warm-up
for (let r = 0; r < rounds; r++) {
    process.stderr.write(`round ${r + 1}/${rounds}\n`);
    batch.push(await timed(engine.sequences));
    seq.push(await timed(engine.sequences.slice(0, 1)));
    if (processes > 0) proc.push(processLoop());
}
/**
 * The decode floor: CPU milliseconds per token of llama.cpp alone (fast route, nothing sampled) for
 * one token in each of k sequences per step, k = 1 and k = parallel: what batching can save at most.
 */
async function floor(k) {
    const seqs = engine.sequences.slice(0, k);
    const history = seqs.map((_, i) => engine.tokenize(prompts[i]));
    await Promise.all(seqs.map((s, i) => s.logitsFor(history[i])));
    const steps = Math.min(48, 256 - Math.max(...history.map((h) => h.length)) - 1);
    const c0 = process.cpuUsage();
    for (let t = 0; t < steps; t++) {
        history.forEach((h, i) => h.push(h[(t + i) % h.length]));
        await Promise.all(seqs.map((s, i) => s.logitsFor(history[i])));
    }
    const c = process.cpuUsage(c0);
    for (const s of engine.sequences) await s.clear();
    return (c.user + c.system) / 1000 / (steps * k);
}
const floors = [];
for (let r = 0; r < rounds; r++) floors.push([await floor(1), await floor(parallel)]);
await engine.dispose();
const b = median(batch.map((x) => x.wall));
const s = median(seq.map((x) => x.wall));
const bc = median(batch.map((x) => x.cpu));
const sc = median(seq.map((x) => x.cpu));
const p = processes > 0 ? median(proc) : undefined;
const fmt = (x) => x.toFixed(1);
console.log(`model ${path.basename(modelPath)}, ${spec}, ${count} prompts × ${maxTokens} tokens, ${rounds} rounds (medians), load ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`);
console.log(`batch --parallel ${parallel}: ${fmt(b)} tok/s  [${batch.map((x) => fmt(x.wall)).join(", ")}]; ${fmt(bc)} tok/CPU-s  [${batch.map((x) => fmt(x.cpu)).join(", ")}]`);
console.log(`one at a time, same process: ${fmt(s)} tok/s  [${seq.map((x) => fmt(x.wall)).join(", ")}]; ${fmt(sc)} tok/CPU-s  [${seq.map((x) => fmt(x.cpu)).join(", ")}]`);
console.log(`  → batch / one at a time: ${(b / s).toFixed(2)}× wall, ${(bc / sc).toFixed(2)}× CPU; per round (wall): ${batch.map((x, i) => (x.wall / seq[i].wall).toFixed(2)).join(", ")}`);
const f1 = median(floors.map((f) => f[0]));
const fk = median(floors.map((f) => f[1]));
console.log(`decode floor (llama.cpp alone, CPU ms per token): 1 sequence ${f1.toFixed(3)}, ${parallel} sequences ${fk.toFixed(3)} → ${(f1 / fk).toFixed(2)}× at most from batching the decode`);
if (p !== undefined) console.log(`separate llmgen processes (${processes} of them, startup included): ${fmt(p)} tok/s  [${proc.map(fmt).join(", ")}]  → batch ${(b / p).toFixed(2)}×`);
