/**
 * node-llama-cpp on the binary llmgen itself loads (a checked local build, else the prebuilt), for
 * the reference scripts that run in their own process: one sequence of a 2048-token context, one
 * thread, and a text tokenized like a prompt (BOS when the model wants it).
 */
import {LlamaLogLevel, type LlamaContextSequence, type Token} from "node-llama-cpp";
import {loadLlama} from "../../src/engine/binary.js";

export interface ReferenceSequence {
    sequence: LlamaContextSequence;
    /** The text's tokens, BOS first when the model wants it. */
    tokens: Token[];
    vocabularySize: number;
    dispose(): Promise<void>;
}

export async function openReferenceSequence(modelPath: string, text: string): Promise<ReferenceSequence> {
    const llama = await loadLlama({gpu: false, logLevel: LlamaLogLevel.disabled, logger: () => undefined, maxThreads: 1});
    const model = await llama.loadModel({modelPath});
    const context = await model.createContext({contextSize: 2048, threads: 1, flashAttention: false});
    const tokens: Token[] = [];
    if (model.tokens.shouldPrependBosToken && model.tokens.bos !== null) tokens.push(model.tokens.bos);
    tokens.push(...model.tokenize(text, false));
    return {
        sequence: context.getSequence(),
        tokens,
        vocabularySize: (model.fileInfo.metadata?.tokenizer?.ggml?.tokens as unknown[] | undefined)?.length ?? 0,
        async dispose() {
            await context.dispose();
            await model.dispose();
            await llama.dispose();
        },
    };
}
