/**
 * The sampling core's one interface. Pure TypeScript: no engine import here.
 *
 * Data flow per step: the engine hands out a full-vocabulary logits vector (Float32Array, possibly
 * shifted by an additive constant), the chain loads it into a Candidates buffer, each Sampler narrows
 * or transforms the candidates in order, and the final draw picks a token from softmax over what is
 * left, using a seeded Rng.
 */

/** A seeded source of uniform numbers in [0, 1). */
export interface Rng {
    next(): number;
}

/** What a sampler may know about the step besides the logits. */
export interface StepContext {
    /** Every token so far: the prompt (with BOS) followed by the generated tokens. */
    readonly history: ArrayLike<number>;
    /** How many of `history` belong to the prompt. */
    readonly promptLength: number;
    /** The sample's seeded generator (samplers that draw, e.g. XTC, use it; the final draw uses it too). */
    readonly rng: Rng;
    /**
     * True when the logits are the model's raw logits; false when they are only known up to an
     * additive constant (e.g. log-probabilities). Samplers whose meaning depends on the sign of the
     * raw logit must refuse when this is false.
     */
    readonly trueLogits: boolean;
    /**
     * The model's vocabulary, when the host has one (the CLI always passes it). Needed only by
     * samplers that work on text: DRY's sequence breakers and logit bias by text.
     */
    readonly vocabulary?: Vocabulary;
}

/**
 * The text side of a model's vocabulary, engine-free (the engine adapter lives in
 * src/generate/vocabulary.ts). Implementations should be cheap to call repeatedly.
 */
export interface Vocabulary {
    /** Number of tokens (ids 0..size−1). */
    readonly size: number;
    /** The text of one token on its own (special tokens rendered), like llama.cpp's detokenize({id}, true). */
    piece(id: number): string;
    /** Tokens of `text`, with no BOS and no special-token parsing (llama.cpp tokenize(text, false, false)). */
    tokenize(text: string): number[];
}

/** One unit of the chain. */
export interface Sampler {
    /** Canonical name, e.g. "top-p". */
    readonly name: string;
    /** Normalised spec string, e.g. "top-p=0.9"; parseStrategy(spec) rebuilds an equal sampler. */
    readonly spec: string;
    /** Narrow or transform the candidates in place. Must leave at least one candidate. */
    apply(candidates: import("./candidates/set.js").Candidates, ctx: StepContext): void;
    /** Told which token was finally chosen (stateful samplers: penalties, mirostat). */
    accept?(token: number): void;
    /** Forget all state (a new sample starts). */
    reset?(): void;
}
