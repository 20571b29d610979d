/**
 * llmgen as a library. The main entry is the engine-free sampling core: logits in (a Float32Array),
 * a token or the kept candidates out; importing it never loads node-llama-cpp.
 *
 *   import {parseStrategy, SamplerChain, createRng} from "llmgen";
 *
 * The engine (model loading, logits, decoding loops) is a separate entry, "llmgen/engine", which
 * loads node-llama-cpp.
 */
export * from "./sampling/index.js";
export {StopMatcher} from "./generate/stop.js";
export {logSumExp, entropy, topIds} from "./generate/logprobs.js";
