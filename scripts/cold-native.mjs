#!/usr/bin/env node
// A fresh node-llama-cpp process generating N greedy tokens natively (for `llmgen bench`'s cold-run
// comparison and docs/benchmarks.md): prints {"tokens","seconds","tokensPerSecond"} for the
// generation alone (model loaded, prompt evaluated inside the timed part, as llmgen's done event does).
// Usage: [THREADS=n] node scripts/cold-native.mjs <model.gguf> <tokens> [prompt] ["prebuilt"|"auto"]
import {performance} from "node:perf_hooks";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [modelPath, count = "200", prompt = "Once upon a time", binary = "auto"] = process.argv.slice(2);
const threads = Number(process.env.THREADS ?? 1);
const llama = await getLlama({build: "never", gpu: false, logLevel: LlamaLogLevel.disabled, maxThreads: threads,
    ...(binary === "prebuilt" ? {cmakeOptions: {LLMGEN_PREBUILT: "ON"}} : {})});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: 2048, threads, flashAttention: false});
const sequence = context.getSequence();
const tokens = [...(model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? [model.tokens.bos] : []), ...model.tokenize(prompt, false)];
const started = performance.now();
let n = 0;
for await (const token of sequence.evaluate(tokens, {temperature: 0, yieldEogToken: true})) {
    if (token !== undefined && ++n >= Number(count)) break;
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify({tokens: n, seconds, tokensPerSecond: n / seconds, buildType: llama.buildType}) + "\n");
await context.dispose();
await model.dispose();
await llama.dispose();
