/**
 * Checks of a strategy against the loaded model, run once before generating (so that a refusal is
 * one clear line before any output, and not a failure halfway through `compare`): samplers that need
 * raw logits on a route that lacks them, logit-bias ids outside the vocabulary or texts that give no
 * token, and the one-time processing of DRY's sequence breakers.
 */
import {RuntimeError} from "../errors.js";
import {DrySampler} from "./samplers/dry.js";
import {LogitBiasSampler} from "./samplers/logit-bias.js";
import {RepeatPenaltySampler, TRUE_LOGITS_REQUIRED} from "./samplers/penalties.js";
import type {Strategy} from "./strategy.js";
import type {Vocabulary} from "./types.js";

export interface ModelEnvironment {
    /** False on the public route (log-probabilities: logits up to a constant). */
    readonly trueLogits: boolean;
    readonly vocabSize: number;
    readonly vocabulary?: Vocabulary;
}

/** Does any unit of the strategy need the model's raw logits? */
export function needsTrueLogits(strategy: Strategy): boolean {
    return strategy.kind === "sample" && strategy.samplers.some((s) => s instanceof RepeatPenaltySampler && s.needsTrueLogits);
}

/** Throw the error the strategy would hit on this model (RuntimeError for the route, UsageError for bad token ids/texts). */
export function checkStrategyForModel(strategy: Strategy, env: ModelEnvironment): void {
    if (strategy.kind !== "sample") return;
    if (!env.trueLogits && needsTrueLogits(strategy)) throw new RuntimeError(TRUE_LOGITS_REQUIRED, {fix: "build-fast-route"});
    for (const s of strategy.samplers) {
        if (s instanceof LogitBiasSampler) s.resolve(env.vocabulary, env.vocabSize);
        else if (s instanceof DrySampler && s.needsVocabulary) s.processed(env.vocabulary);
    }
}
