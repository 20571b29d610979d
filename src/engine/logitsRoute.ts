/**
 * How the engine gets the full-vocabulary logits after an evaluated token. One interface, so a
 * faster route (a patched native addon copying llama_get_logits_ith) can replace the public one
 * without touching samplers or decoding loops.
 */
import type {Token} from "node-llama-cpp";
import type {EngineSequence} from "./engine.js";

export interface LogitsRoute {
    /** Short name for --verbose / doctor. */
    readonly name: string;
    readonly vocabSize: number;
    /**
     * True when the vectors are the model's raw logits, false when they are only known up to an
     * additive constant (log-probabilities).
     */
    readonly trueLogits: boolean;
    /** Evaluate `tokens` on the sequence and return the logits after the last one (the sequence's reused buffer). */
    evaluate(sequence: EngineSequence, tokens: Token[]): Promise<Float32Array>;
    /**
     * Evaluate `tokens` on the sequence and hand the logits after every token at index ≥ `from` to
     * `onLogits(index, logits)` (a reused buffer, overwritten for the next index: read it inside the
     * callback). Positions are evaluated in batches sized to keep the native output buffer small; an
     * aborted `signal` stops between batches (the sequence then holds the tokens evaluated so far).
     */
    evaluateEach(sequence: EngineSequence, tokens: Token[], from: number, onLogits: (index: number, logits: Float32Array) => void, signal?: AbortSignal): Promise<void>;
    /** The sequence's buffer as last filled. */
    buffer(sequenceIndex: number): Float32Array;
    /**
     * Optional KV fork (fast route): give `target` the KV cache of the sibling sharing the longest
     * prefix with `history` when it beats the target's own common prefix `own`; returns the target's
     * new state length, or undefined when it did not fork.
     */
    forkInto?(target: EngineSequence, history: readonly number[], own: number, siblings: readonly EngineSequence[]): Promise<number | undefined>;
}

/**
 * node-llama-cpp 3.21.1's only public route: ask for the full probability Map at temperature 0
 * (nothing truncates the native greedy chain) and take log(p) = logit − logsumexp(logits).
 * Tokens whose probability underflows to 0 become −Infinity. Costs ≈0.7 µs per vocabulary entry.
 */
export class PublicLogitsRoute implements LogitsRoute {
    readonly name = "public (probability map)";
    readonly trueLogits = false;
    private readonly buffers: Float32Array[];

    constructor(readonly vocabSize: number, sequences: number) {
        this.buffers = Array.from({length: sequences}, () => new Float32Array(vocabSize));
    }

    buffer(sequenceIndex: number): Float32Array {
        return this.buffers[sequenceIndex]!;
    }

    /**
     * Every wanted position asks for the probability map, and a call holds one Map per position until
     * it returns. Building the maps dominates (≈0.7 µs per entry) and many live maps cost garbage
     * collection: measured on tiny-random (32k vocabulary), 32 positions per call scored 19 tokens/s,
     * one per call 23–34 tokens/s (scripts/bench-score.mjs). So calls carry about 32k map entries:
     * 64 positions at a 512-token vocabulary, one at a time from 32k on.
     */
    async evaluateEach(sequence: EngineSequence, tokens: Token[], from: number, onLogits: (index: number, logits: Float32Array) => void, signal?: AbortSignal): Promise<void> {
        const chunk = logitsPerCall(this.vocabSize, 1 << 15);
        const out = this.buffers[sequence.index]!;
        let start = 0;
        while (start < tokens.length && signal?.aborted !== true) {
            const end = start < from ? Math.min(tokens.length, from + chunk) : Math.min(tokens.length, start + chunk);
            const input: Parameters<typeof sequence.raw.controlledEvaluate>[0] = [];
            for (let i = start; i < end; i++)
                input.push(i >= from ? [tokens[i]!, {generateNext: {probabilities: true, options: {temperature: 0}}}] : tokens[i]!);
            const result = await sequence.raw.controlledEvaluate(input);
            for (let i = Math.max(start, from); i < end; i++) {
                const probabilities = result[i - start]?.next?.probabilities;
                if (probabilities === undefined) throw new Error("node-llama-cpp returned no probabilities");
                out.fill(-Infinity);
                for (const [token, p] of probabilities) if (token < out.length) out[token] = Math.log(p);
                onLogits(i, out);
            }
            start = end;
        }
    }

    async evaluate(sequence: EngineSequence, tokens: Token[]): Promise<Float32Array> {
        const input: Parameters<typeof sequence.raw.controlledEvaluate>[0] = tokens.slice(0, -1);
        input.push([tokens[tokens.length - 1]!, {generateNext: {probabilities: true, options: {temperature: 0}}}]);
        const result = await sequence.raw.controlledEvaluate(input);
        const probabilities = result[result.length - 1]?.next?.probabilities;
        if (probabilities === undefined) throw new Error("node-llama-cpp returned no probabilities");
        const out = this.buffers[sequence.index]!;
        out.fill(-Infinity);
        for (const [token, p] of probabilities) if (token < out.length) out[token] = Math.log(p);
        return out;
    }
}

/** Positions per native call when each carries a vocabulary-sized output: about `budget` values, 1 to 512. */
export function logitsPerCall(vocabSize: number, budget: number): number {
    return Math.max(1, Math.min(512, Math.floor(budget / vocabSize)));
}
