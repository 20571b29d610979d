/**
 * node-llama-cpp's own generation with its native sampler chain — the reference `llmgen bench`
 * measures llmgen against. Runs on one of the engine's sequences, producing text through the same
 * StreamDecoder llmgen uses, so both sides do the same work per token apart from sampling.
 */
import type {Token} from "node-llama-cpp";
import type {Engine} from "./engine.js";

/** node-llama-cpp sampler options (its native chain: top-k → top-p → min-p → temperature → dist). */
export interface NativeSamplerSettings {
    temperature: number;
    /** 0 = whole vocabulary. */
    topK: number;
    topP: number;
    minP: number;
}

export interface SamplerLike {
    readonly name: string;
    readonly spec: string;
}

/**
 * The native settings closest to an llmgen chain of temperature / top-k / top-p / min-p / greedy /
 * random samplers. The native order is fixed (top-k, top-p, min-p, then temperature), so a chain
 * that applies temperature before a truncation is only approximated; `note` says so.
 */
export function nativeSettingsFor(samplers: readonly SamplerLike[]): {settings: NativeSamplerSettings; note?: string} {
    const settings: NativeSamplerSettings = {temperature: 1, topK: 0, topP: 1, minP: 0};
    let note: string | undefined;
    let sawTemperature = false;
    for (const s of samplers) {
        const value = Number(s.spec.split("=")[1]?.split(":")[0]);
        switch (s.name) {
            case "greedy":
                settings.temperature = 0;
                break;
            case "temperature":
                settings.temperature = value;
                sawTemperature = true;
                break;
            case "top-k":
                settings.topK = value;
                break;
            case "top-p":
            case "min-p":
                if (sawTemperature && settings.temperature !== 1 && settings.temperature !== 0)
                    note = "native applies temperature after truncation, this chain before it: native settings are approximate";
                if (s.name === "top-p") settings.topP = value;
                else settings.minP = value;
                break;
            default:
                note = `no native equivalent for ${s.spec}; ignored on the native side`;
        }
    }
    return {settings, note};
}

export interface NativeRun {
    ids: number[];
    text: string;
    seconds: number;
}

/** Generate up to maxTokens after the prompt with node-llama-cpp's native sampling on one sequence (default 0). */
export async function nativeGenerate(engine: Engine, promptTokens: readonly number[], maxTokens: number,
    settings: NativeSamplerSettings, opts: {seed?: number; ignoreEos?: boolean; sequenceIndex?: number} = {}): Promise<NativeRun> {
    const sequence = engine.sequences[opts.sequenceIndex ?? 0]!;
    await sequence.clear();
    const decoder = engine.streamDecoder(promptTokens);
    const ids: number[] = [];
    let text = "";
    const started = performance.now();
    const iterator = sequence.raw.evaluate(promptTokens as Token[], {
        temperature: settings.temperature,
        topK: settings.topK,
        topP: settings.topP,
        minP: settings.minP,
        seed: opts.seed,
        yieldEogToken: opts.ignoreEos === true
    });
    for await (const token of iterator) {
        if (!opts.ignoreEos && engine.isEndOfGeneration(token)) break;
        ids.push(token);
        text += decoder.push(token);
        if (ids.length >= maxTokens) break;
    }
    text += decoder.flush();
    const seconds = (performance.now() - started) / 1000;
    await sequence.clear();
    return {ids, text, seconds};
}
