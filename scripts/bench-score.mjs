#!/usr/bin/env node
// How `llmgen score` evaluates a text: all positions in batches with logits for each
// (EngineSequence.logitsEach) against one decode per position (logitsFor), on the same engine, in
// one run (twice each; the second round is printed). Needs `npm run build`.
// Usage: node scripts/bench-score.mjs <model.gguf> [fast|public] [tokens]
import path from "node:path";
import {performance} from "node:perf_hooks";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const {Engine} = await import(path.join(root, "dist", "src", "engine", "engine.js"));
const {logSumExp} = await import(path.join(root, "dist", "src", "generate", "logprobs.js"));
const [model, route = "auto", count = "400"] = process.argv.slice(2);
if (model === undefined) {
    process.stderr.write("usage: node scripts/bench-score.mjs <model.gguf> [fast|public] [tokens]\n");
    process.exit(2);
}
const engine = await Engine.load({modelPath: model, logitsRoute: route, ctxSize: Number(count) + 8});
const text = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. ".repeat(200);
const tokens = engine.tokenize(text).slice(0, Number(count));
const sequence = engine.sequences[0];
const positions = tokens.length - 1;
let batched = 0;
let single = 0;
let a = 0;
let b = 0;
for (let round = 0; round < 2; round++) {
    await sequence.clear();
    let t = performance.now();
    a = 0;
    await sequence.logitsEach(tokens.slice(0, -1), 0, (i, logits) => {
        a += logits[tokens[i + 1]] - logSumExp(logits);
    });
    batched = performance.now() - t;
    await sequence.clear();
    t = performance.now();
    b = 0;
    for (let i = 1; i < tokens.length; i++) {
        const logits = await sequence.logitsFor(tokens.slice(0, i));
        b += logits[tokens[i]] - logSumExp(logits);
    }
    single = performance.now() - t;
}
const rate = (ms) => (positions / ms * 1000).toFixed(0);
process.stdout.write(`${path.basename(model)} · ${engine.info.route} · ${positions} positions\n` +
    `  batched (logitsEach):      ${batched.toFixed(0)} ms, ${rate(batched)} tokens/s\n` +
    `  one at a time (logitsFor): ${single.toFixed(0)} ms, ${rate(single)} tokens/s\n` +
    `  one at a time / batched:   ${(single / batched).toFixed(2)}×; mean log-prob differs by ${Math.abs(a - b) / positions}\n`);
await engine.dispose();
