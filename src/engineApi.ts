/**
 * "llmgen/engine": load a GGUF model through node-llama-cpp and decode with llmgen's own chains.
 *
 *   import {Engine, runSampling, runBeamSearch} from "llmgen/engine";
 */
export {Engine, EngineSequence, type EngineOptions, type EngineInfo} from "./engine/engine.js";
export {runSampling, type SamplingOptions, type SampleResult, type TokenEvent, type TopLogprob, type StopReason} from "./generate/sample.js";
export {runBeamSearch, beamTokenEvents, type BeamOptions, type BeamResult, type BeamHypothesis} from "./generate/beam.js";
export {smokeTestBinary, type SmokeReport, type SmokeResult} from "./engine/smoke.js";
export {compileConstraint, hasNativeGrammarMask, GrammarConstraint, type ConstraintSource, type MaskMethod} from "./engine/grammar.js";
export {runBatch, InOrder, sequencesNeeded, type BatchJob, type BatchOptions, type JobOutcome, type ExtraDecodeOptions} from "./generate/batch.js";
