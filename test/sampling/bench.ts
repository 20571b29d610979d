/**
 * Micro-benchmark of the sampler chain (a script, not a test):
 *
 *   npx tsc -p tsconfig.json && node dist/test/sampling/bench.js [vocab=128256] [steps=2000]
 *
 * Logit shapes: "peaked" = a handful of tokens 16–20 nats above a flat N(0, 2) tail (the usual next
 * token); "flat" = the best tokens only ~11 nats above the tail mean, so the tail holds ~30% of the
 * mass and top-p=0.9 must keep thousands of tail tokens (the expensive case for top-p).
 */
import {createRng, parseStrategy, SamplerChain, type StepContext} from "../../src/sampling/index.js";

// `node --test dist/test/` also runs every .js under a test/ directory: do nothing there.
if (process.env.NODE_TEST_CONTEXT === undefined) main();

function gaussian(rng: {next(): number}): number {
    const u = 1 - rng.next();
    const v = rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function makeLogits(vocab: number, shape: "peaked" | "flat", seed: number): Float32Array {
    const rng = createRng(seed);
    const out = new Float32Array(vocab);
    for (let i = 0; i < vocab; i++) out[i] = 2 * gaussian(rng) - 3;
    const peaks = shape === "peaked" ? [20, 19.2, 18.5, 17, 16] : [11, 10.25, 9.5, 8, 7, 7];
    for (const p of peaks) out[Math.floor(rng.next() * vocab)] = p;
    return out;
}

function main(): void {
    const vocab = Number(process.argv[2] ?? 128256);
    const steps = Number(process.argv[3] ?? 2000);
    const specs = ["temp=1,top-k=40,top-p=0.9,min-p=0.05", "top-p=0.95", "top-p=0.9", "min-p=0.05", "top-k=40", "temp=0.7,top-p=0.9", "random", "greedy"];
    console.log(`vocab ${vocab}, ${steps} steps per row; ms per step of chain.sample() (copy-in, samplers, draw)`);
    for (const shape of ["peaked", "flat"] as const) {
        const vectors = Array.from({length: 16}, (_, i) => makeLogits(vocab, shape, 1000 + i));
        for (const spec of specs) {
            const strategy = parseStrategy(spec);
            if (strategy.kind !== "sample") continue;
            const chain = new SamplerChain(strategy.samplers, vocab);
            const ctx: StepContext = {history: [], promptLength: 0, rng: createRng(7), trueLogits: true};
            for (let i = 0; i < 200; i++) chain.sample(vectors[i % vectors.length], ctx); // warm-up
            const times = new Float64Array(steps);
            const cpu0 = process.cpuUsage();
            for (let i = 0; i < steps; i++) {
                const v = vectors[i % vectors.length];
                const t0 = process.hrtime.bigint();
                chain.sample(v, ctx);
                times[i] = Number(process.hrtime.bigint() - t0) / 1e6;
            }
            const cpu = process.cpuUsage(cpu0);
            let kept = 0;
            for (let i = 0; i < vectors.length; i++) kept += chain.apply(vectors[i], ctx).size;
            times.sort();
            const q = (f: number): string => times[Math.min(steps - 1, Math.floor(f * steps))].toFixed(3);
            const cpuPerStep = (cpu.user + cpu.system) / 1000 / steps;
            console.log(
                `${shape.padEnd(6)} ${strategy.spec.padEnd(40)} wall median ${q(0.5)}  p10 ${q(0.1)}  p90 ${q(0.9)}  cpu/step ${cpuPerStep.toFixed(3)}  kept ${Math.round(kept / vectors.length)}`,
            );
        }
    }
}
