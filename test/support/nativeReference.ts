/**
 * Reference runs with node-llama-cpp's own sampling, as a separate process (getLlama forks a child
 * with process.execArgv, which must not carry the test runner's flags).
 * Usage: node nativeReference.js <model> <prompt> <tokens>
 * Prints JSON {ids: number[], logprobs: number[]}: greedy (temperature 0) generation and, for every
 * generated token, log(p) of it from node-llama-cpp's probability output.
 */
import {LlamaLogLevel, type Token} from "node-llama-cpp";
import {loadLlama} from "../../src/engine/binary.js";

const [modelPath, prompt, count] = process.argv.slice(2);
// The binary llmgen itself loads (a checked local build, else the prebuilt): compare on the same one.
const llama = await loadLlama({gpu: false, logLevel: LlamaLogLevel.disabled, logger: () => undefined, maxThreads: 1});
const model = await llama.loadModel({modelPath: modelPath!});
const context = await model.createContext({contextSize: 2048, threads: 1, flashAttention: false});
const sequence = context.getSequence();
const tokens: Token[] = [];
if (model.tokens.shouldPrependBosToken && model.tokens.bos !== null) tokens.push(model.tokens.bos);
tokens.push(...model.tokenize(prompt!, false));
const ids: number[] = [];
const logprobs: number[] = [];
const gen = sequence.evaluateWithMetadata(tokens, {probabilities: true}, {temperature: 0});
for await (const item of gen) {
    ids.push(item.token);
    logprobs.push(Math.log(item.probabilities.get(item.token) ?? 0));
    if (ids.length >= Number(count)) break;
}
process.stdout.write(JSON.stringify({ids, logprobs, vocab: (model.fileInfo.metadata?.tokenizer?.ggml?.tokens as unknown[] | undefined)?.length ?? 0}) + "\n");
await context.dispose();
await model.dispose();
await llama.dispose();
