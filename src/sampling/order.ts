/**
 * The order in which the per-sampler CLI flags build the chain. `-s` gives the order explicitly;
 * flags use a preset (`--order hf`, the default, or `--order llama.cpp`) or an explicit list
 * (`--samplers "penalties;dry;top_k;top_p;temperature"`, like llama.cpp's `--samplers`).
 *
 * Slots are canonical sampler names (a registry entry's `slot`); the "temperature" slot holds
 * `temperature=T`, or `dynatemp=T:RANGE:EXP` when --dynatemp-range is given (llama.cpp's temp-ext
 * takes that slot too). Every flag sampler of the registry has its slot in every preset (tested).
 *
 *   hf:        penalties and bans first, then temperature, then the truncations — the order of
 *              Hugging Face's generate() (logits processors, then TemperatureLogitsWarper, then
 *              top-k, top-p, min-p, typical, epsilon, eta warpers).
 *   llama.cpp: penalties and bans first, the truncations, temperature last — llama.cpp's default
 *              `--samplers penalties;dry;top_n_sigma;top_k;typ_p;top_p;min_p;xtc;temperature`.
 *
 * Samplers that one convention lacks sit where they act alike: no-repeat-ngram with the penalties,
 * epsilon/eta after min-p, top-n-σ and XTC with the truncations, mirostat last (it is the final
 * sampler in both references).
 */
import {UsageError} from "../errors.js";
import {findSamplerDef} from "./registry.js";

export const ORDER_PRESETS = {
    "hf": [
        "logit-bias", "repeat-penalty", "presence-penalty", "frequency-penalty", "no-repeat-ngram", "dry",
        "temperature", "top-k", "top-p", "min-p", "typical", "epsilon", "eta", "top-n-sigma", "xtc", "mirostat",
    ],
    "llama.cpp": [
        "logit-bias", "repeat-penalty", "presence-penalty", "frequency-penalty", "no-repeat-ngram", "dry",
        "top-n-sigma", "top-k", "typical", "top-p", "min-p", "epsilon", "eta", "xtc", "temperature", "mirostat",
    ],
} as const satisfies Record<string, readonly string[]>;

export type OrderPreset = keyof typeof ORDER_PRESETS;
export const ORDER_PRESET_NAMES = Object.keys(ORDER_PRESETS) as OrderPreset[];
/** The flag order when neither --order nor --samplers is given (temperature → top-k → top-p → min-p, as always). */
export const DEFAULT_ORDER: OrderPreset = "hf";

/** Every slot a flag can fill. */
export const FLAG_SLOTS: readonly string[] = ORDER_PRESETS.hf;

/** llama.cpp's --samplers names that are not spellings of one of our samplers. */
const LLAMA_CPP_GROUPS: Record<string, readonly string[]> = {
    penalties: ["repeat-penalty", "presence-penalty", "frequency-penalty"],
    dynatemp: ["temperature"],
    "temp-ext": ["temperature"],
    temp_ext: ["temperature"],
};

/** The order preset named by --order. */
export function orderPreset(name: string): readonly string[] {
    const key = name.trim().toLowerCase() === "llamacpp" ? "llama.cpp" : name.trim().toLowerCase();
    if (!(key in ORDER_PRESETS)) throw new UsageError(`--order must be one of ${ORDER_PRESET_NAMES.join(", ")}, got "${name}"`);
    return ORDER_PRESETS[key as OrderPreset];
}

/**
 * An explicit --samplers list: names separated by ";" or ",", our spellings or llama.cpp's
 * (penalties, top_k, typ_p, top_p, min_p, top_n_sigma, xtc, dry, temperature). Returns the slots.
 */
export function parseSamplerOrder(text: string): string[] {
    const names = text.split(/[;,]/).map((s) => s.trim()).filter((s) => s.length > 0);
    if (names.length === 0) throw new UsageError(`--samplers needs a list of samplers, e.g. --samplers "penalties;top_k;top_p;temperature"`);
    const slots: string[] = [];
    for (const name of names) {
        const lower = name.toLowerCase();
        const group = LLAMA_CPP_GROUPS[lower];
        const def = group === undefined ? findSamplerDef(lower) : undefined;
        const expanded = group ?? (def !== undefined && [def.slot ?? def.name]);
        if (!expanded || !expanded.every((s) => FLAG_SLOTS.includes(s))) {
            throw new UsageError(`--samplers: "${name}" is not a sampler the flags can order (known: ${FLAG_SLOTS.join(", ")}, or llama.cpp's penalties)`);
        }
        for (const slot of expanded) {
            if (slots.includes(slot)) throw new UsageError(`--samplers names ${slot} twice in "${text}"`);
            slots.push(slot);
        }
    }
    return slots;
}
