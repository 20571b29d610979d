/**
 * Reference runs with node-llama-cpp's own sampling, as a separate process (getLlama forks a child
 * with process.execArgv, which must not carry the test runner's flags).
 * Usage: node nativeReference.js <model> <prompt> <tokens>
 * Prints JSON {ids: number[], logprobs: number[]}: greedy (temperature 0) generation and, for every
 * generated token, log(p) of it from node-llama-cpp's probability output.
 */
import {openReferenceSequence} from "./referenceSequence.js";

const [modelPath, prompt, count] = process.argv.slice(2);
const {sequence, tokens, vocabularySize, dispose} = await openReferenceSequence(modelPath!, prompt!);
const ids: number[] = [];
const logprobs: number[] = [];
const gen = sequence.evaluateWithMetadata(tokens, {probabilities: true}, {temperature: 0});
for await (const item of gen) {
    ids.push(item.token);
    logprobs.push(Math.log(item.probabilities.get(item.token) ?? 0));
    if (ids.length >= Number(count)) break;
}
process.stdout.write(JSON.stringify({ids, logprobs, vocab: vocabularySize}) + "\n");
await dispose();
