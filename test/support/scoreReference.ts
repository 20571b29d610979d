/**
 * node-llama-cpp's own per-token probabilities of a text, as a separate process (getLlama forks a
 * child with process.execArgv, which must not carry the test runner's flags).
 * Usage: node scoreReference.js <model> <text-file> [<prompt-token-count>]
 * Tokenizes the text like a prompt (BOS when the model wants it), evaluates it with ONE
 * controlledEvaluate call asking for the full probability map (temperature 0: nothing truncated) at
 * every position, and prints JSON {ids, logprobs, logSums}: for every token after the first, its id,
 * log p(token | tokens before) from node-llama-cpp's map, and log Σp of that map (llama.cpp
 * normalises in float32: at a 128k vocabulary Σp is off 1 by up to ≈1e-3).
 */
import fs from "node:fs";
import {openReferenceSequence} from "./referenceSequence.js";

const [modelPath, textFile] = process.argv.slice(2);
const text = fs.readFileSync(textFile!, "utf8");
const {sequence, tokens, dispose} = await openReferenceSequence(modelPath!, text);
const input: Parameters<typeof sequence.controlledEvaluate>[0] = tokens.slice(0, -1).map((t) => [t, {generateNext: {probabilities: true, options: {temperature: 0}}}]);
const result = await sequence.controlledEvaluate(input);
const ids: number[] = [];
const logprobs: number[] = [];
const logSums: number[] = [];
for (let i = 1; i < tokens.length; i++) {
    const map = result[i - 1]?.next?.probabilities;
    if (map === undefined) throw new Error(`no probabilities at position ${i - 1}`);
    ids.push(tokens[i]!);
    logprobs.push(Math.log(map.get(tokens[i]!) ?? 0));
    let sum = 0;
    for (const p of map.values()) sum += p;
    logSums.push(Math.log(sum));
}
process.stdout.write(JSON.stringify({ids, logprobs, logSums}) + "\n");
await dispose();
