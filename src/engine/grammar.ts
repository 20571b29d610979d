/**
 * Structured output through llama.cpp's grammar engine, as node-llama-cpp ships it: its JSON-schema
 * to GBNF conversion (llama.createGrammarForJsonSchema), its GBNF parser (LlamaGrammar) and its
 * grammar evaluation state (a llama.cpp grammar sampler, cloneable).
 *
 * The per-step mask over the whole vocabulary comes from llmgen's patched addon (fast-route version
 * 3: AddonSampler.llmgenGrammarMask, one llama_sampler_apply over every token id). Without it, the
 * mask asks node-llama-cpp's own per-token check (AddonSampler.canBeNextTokenForGrammarEvaluationState,
 * what LlamaSampler._canBeNextTokenForGrammarEvaluationState calls) once per vocabulary entry — about
 * 10× slower, so it is used only for small vocabularies (PER_TOKEN_MAX_VOCAB).
 */
import {LlamaGrammar, LlamaGrammarEvaluationState, LlamaText, type Llama, type LlamaModel, type Token} from "node-llama-cpp";
import {UsageError} from "../errors.js";
import type {TokenConstraint} from "../sampling/constraint.js";

/** What the user asked for: a JSON schema (parsed) or GBNF text; `source` names it in messages. */
export type ConstraintSource =
    | {kind: "json-schema"; schema: unknown; source: string}
    | {kind: "grammar"; text: string; source: string};

/** The largest vocabulary the per-token fallback serves (measured: 0.4 ms/step at 512, 66 ms at 32k). */
export const PER_TOKEN_MAX_VOCAB = 4096;

export type MaskMethod = "native" | "per-token";

interface GrammarBindings {
    llmgenGrammarMask?: (state: unknown, logits: Float32Array) => number;
    canBeNextTokenForGrammarEvaluationState(state: unknown, token: number): boolean;
    acceptGrammarEvaluationStateToken(state: unknown, token: number): void;
}

function bindings(llama: Llama): GrammarBindings {
    const b = (llama as unknown as {_bindings?: {AddonSampler?: Partial<GrammarBindings>}})._bindings?.AddonSampler;
    if (b === undefined || typeof b.canBeNextTokenForGrammarEvaluationState !== "function" || typeof b.acceptGrammarEvaluationStateToken !== "function")
        throw new Error("node-llama-cpp's grammar bindings changed (llmgen needs node-llama-cpp 3.21.1 exactly)");
    return b as GrammarBindings;
}

/** Is the one-call vocabulary mask (patched build, fast-route version 3) in the loaded binary? */
export function hasNativeGrammarMask(llama: Llama): boolean {
    return typeof bindings(llama).llmgenGrammarMask === "function";
}

function nativeState(state: LlamaGrammarEvaluationState): unknown {
    const s = (state as unknown as {_state?: unknown})._state;
    if (s === undefined) throw new Error("node-llama-cpp's grammar evaluation state changed (llmgen needs node-llama-cpp 3.21.1 exactly)");
    return s;
}

/** A grammar evaluation state of node-llama-cpp, as an engine-free TokenConstraint. */
export class GrammarConstraint implements TokenConstraint {
    private readonly native: unknown;

    /**
     * `banned`: control tokens that do not end generation (BOS, Llama 3's reserved and header tokens).
     * llama.cpp's grammar matches them by their text ("<s>" is three characters a JSON string may
     * hold); llmgen never lets a grammar pick them.
     */
    constructor(readonly kind: string, readonly stopTexts: readonly string[], private readonly state: LlamaGrammarEvaluationState,
        private readonly b: GrammarBindings, readonly vocabSize: number, readonly method: MaskMethod, private readonly banned: Int32Array) {
        this.native = nativeState(state);
    }

    mask(logits: Float32Array): number {
        let allowed = 0;
        if (this.method === "native") {
            for (const id of this.banned) logits[id] = 0; // finite: what is left finite after the mask, the grammar accepted
            allowed = this.b.llmgenGrammarMask!(this.native, logits);
        } else {
            for (let id = 0; id < this.vocabSize; id++) {
                if (this.b.canBeNextTokenForGrammarEvaluationState(this.native, id)) allowed++;
                else logits[id] = -Infinity;
            }
        }
        for (const id of this.banned) {
            if (logits[id] !== -Infinity) allowed--;
            logits[id] = -Infinity;
        }
        return allowed;
    }

    accept(token: number): void {
        this.b.acceptGrammarEvaluationStateToken(this.native, token);
    }

    clone(): GrammarConstraint {
        return new GrammarConstraint(this.kind, this.stopTexts, this.state.clone(), this.b, this.vocabSize, this.method, this.banned);
    }
}

/**
 * node-llama-cpp 3.21.1 writes JSON numbers with exponents of up to 16 digits, for integers too
 * (GbnfNumber.js): "5e-3" is not an integer, and "1e9999" parses as Infinity. These two rules of its
 * output are rewritten: integers without exponent (as llama.cpp's own json-schema-to-grammar does)
 * and of at most 15 digits (exact as a float64, a JavaScript safe integer), other numbers with an
 * exponent of at most two digits. Any other rule is left as node-llama-cpp wrote it.
 */
const NUMBER_RULE_FIXES: ReadonlyArray<[string, string]> = [
    ['integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
        'integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,14})'],
    ['fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
        'fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?']
];

export function fixNumberRules(gbnf: string): string {
    return gbnf.split("\n").map((line) => NUMBER_RULE_FIXES.find(([from]) => line === from)?.[1] ?? line).join("\n");
}

function triggerText(trigger: unknown): string | undefined {
    if (typeof trigger === "string") return trigger;
    if (trigger instanceof LlamaText) {
        const parts = trigger.values;
        return parts.every((p) => typeof p === "string") ? parts.join("") : undefined;
    }
    return undefined;
}

/**
 * Compile a JSON schema or GBNF grammar for this model. A schema or grammar llama.cpp cannot parse is
 * a UsageError naming it; a vocabulary too large for the per-token fallback without the patched
 * build is a UsageError naming the fix.
 */
export async function compileConstraint(llama: Llama, model: LlamaModel, vocabSize: number, source: ConstraintSource,
    method?: MaskMethod): Promise<GrammarConstraint> {
    const b = bindings(llama);
    const chosen: MaskMethod = method ?? (typeof b.llmgenGrammarMask === "function" ? "native" : "per-token");
    if (chosen === "native" && typeof b.llmgenGrammarMask !== "function")
        throw new UsageError("the grammar mask needs llmgen's patched llama.cpp build (fast-route version 3)", {fix: "build-fast-route"});
    if (chosen === "per-token" && method === undefined && vocabSize > PER_TOKEN_MAX_VOCAB)
        throw new UsageError(`a ${source.kind === "grammar" ? "grammar" : "JSON schema"} on a ${vocabSize}-token vocabulary needs llmgen's patched llama.cpp build (fast-route version 3; the loaded binary checks one token per call)`, {fix: "build-fast-route"});
    let grammar: LlamaGrammar;
    try {
        if (source.kind === "json-schema") {
            const converted = await llama.createGrammarForJsonSchema(source.schema as Parameters<Llama["createGrammarForJsonSchema"]>[0]);
            grammar = new LlamaGrammar(llama, {
                grammar: fixNumberRules(converted.grammar), stopGenerationTriggers: converted.stopGenerationTriggers,
                trimWhitespaceSuffix: converted.trimWhitespaceSuffix, rootRuleName: converted.rootRuleName
            });
        } else grammar = new LlamaGrammar(llama, {grammar: source.text});
    } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new UsageError(`${source.source}: llama.cpp cannot use this ${source.kind === "json-schema" ? "JSON schema" : "GBNF grammar"} (${why.split("\n")[0]}); see docs/usage.md#structured-output`);
    }
    let state: LlamaGrammarEvaluationState;
    try {
        state = new LlamaGrammarEvaluationState({model, grammar});
    } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new UsageError(`${source.source}: llama.cpp cannot start this grammar (${why.split("\n")[0]})`);
    }
    const stops = grammar.stopGenerationTriggers.map(triggerText).filter((t): t is string => t !== undefined && t.length > 0);
    const banned: number[] = [];
    for (let id = 0; id < vocabSize; id++) {
        const token = id as Token;
        if (model.getTokenAttributes(token).control && !model.isEogToken(token)) banned.push(id);
    }
    return new GrammarConstraint(source.kind, stops, state, b, vocabSize, chosen, Int32Array.from(banned));
}
