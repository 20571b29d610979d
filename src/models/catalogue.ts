/**
 * Known-good LLaMA-family GGUF models that `llmgen pull <name>` fetches by name.
 *
 * Every value here is either measured or taken from public sources that agree with each other;
 * nothing is guessed. Where a size or checksum could not be established it is null, and such a
 * download is still checked structurally (GGUF header, metadata and tensor extents) before it is
 * moved into place. `sizeBytes`/`sha256` are exact and enforced; `approxBytes` is for display only.
 *
 * Sources use pinned file paths (`hf:user/repo/path/file.gguf`) rather than `:quant` tags, so one
 * name always means one file. `ggml-org/models` was renamed to `ggml-org/models-moved` on Hugging
 * Face (the old name redirects); the new name is used.
 */

export interface CatalogueEntry {
    /** The name users type (matched case-insensitively). */
    readonly name: string;
    readonly aliases: readonly string[];
    readonly title: string;
    /** Source URI for node-llama-cpp's downloader. */
    readonly uri: string;
    /** File name in the models folder. */
    readonly fileName: string;
    /** Exact size in bytes, or null when not established. */
    readonly sizeBytes: number | null;
    /** Approximate size for announcements when the exact size is unknown. */
    readonly approxBytes: number;
    /** Lower-case hex sha256, or null when not established. */
    readonly sha256: string | null;
    readonly architecture: string;
    /** Parameter count as usually quoted (e.g. "15M", "1.1B"). */
    readonly parameters: string;
    readonly quantisation: string;
    readonly vocabularySize: number;
    /** GGUF context_length, or null when not established. */
    readonly contextLength: number | null;
    readonly licence: string;
    /** One line on what it is good for. */
    readonly description: string;
    /** Where the values come from. */
    readonly provenance: string;
}

export const CATALOGUE: readonly CatalogueEntry[] = [
    {
        name: "stories260K",
        aliases: ["tinystories-260k"],
        title: "TinyStories 260K (llama2.c)",
        uri: "hf:ggml-org/models-moved/tinyllamas/stories260K.gguf",
        fileName: "stories260K.gguf",
        sizeBytes: 1_185_376,
        approxBytes: 1_185_376,
        sha256: "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d",
        architecture: "llama",
        parameters: "260K",
        quantisation: "F32",
        vocabularySize: 512,
        contextLength: 2048,
        licence: "MIT",
        description: "smallest real model (1.2 MB): simple children's-story English; llama.cpp's own CI model",
        provenance: "measured on the test fixture (shared/models/README.md); same sha256 pinned by several public projects for ggml-org/models(-moved)/tinyllamas/stories260K.gguf"
    },
    {
        name: "stories15M",
        aliases: ["tinystories-15m"],
        title: "TinyStories 15M (llama2.c), Q4_0",
        uri: "hf:ggml-org/models-moved/tinyllamas/stories15M-q4_0.gguf",
        fileName: "stories15M-q4_0.gguf",
        sizeBytes: 19_077_344,
        approxBytes: 19_077_344,
        sha256: "66967fbece6dbe97886593fdbb73589584927e29119ec31f08090732d1861739",
        architecture: "llama",
        parameters: "15M",
        quantisation: "Q4_0",
        vocabularySize: 32000,
        contextLength: null,
        licence: "MIT",
        description: "fluent short stories with the LLaMA 2 32k vocabulary, 19 MB, fast on any CPU (default)",
        provenance: "sha256 pinned by llama.cpp's own test download (cmake download-models, NAME=tinyllamas/stories15M-q4_0.gguf); size 19,077,344 from public records; context length not established"
    },
    {
        name: "stories110M",
        aliases: ["tinystories-110m"],
        title: "TinyStories 110M (llama2.c), Q4_K_M",
        uri: "hf:ggml-org/models-moved/tinyllamas/stories110M-q4_k_m.gguf",
        fileName: "stories110M-q4_k_m.gguf",
        sizeBytes: null,
        approxBytes: 70_000_000,
        sha256: null,
        architecture: "llama",
        parameters: "110M",
        quantisation: "Q4_K_M",
        vocabularySize: 32000,
        contextLength: null,
        licence: "MIT",
        description: "the largest TinyStories model: better stories, still small",
        provenance: "file path from a single public reference; size and sha256 unknown (checked as GGUF only)"
    },
    {
        name: "smollm2-360m",
        aliases: ["smollm2", "smollm2-360m-instruct"],
        title: "SmolLM2 360M Instruct, Q8_0",
        uri: "hf:HuggingFaceTB/SmolLM2-360M-Instruct-GGUF/smollm2-360m-instruct-q8_0.gguf",
        fileName: "smollm2-360m-instruct-q8_0.gguf",
        sizeBytes: null,
        approxBytes: 386_000_000,
        sha256: null,
        architecture: "llama",
        parameters: "360M",
        quantisation: "Q8_0",
        vocabularySize: 49152,
        contextLength: 8192,
        licence: "Apache-2.0",
        description: "small general-purpose instruct model (official Hugging Face GGUF)",
        provenance: "file from the official HuggingFaceTB GGUF repo (several public references); size approximate, sha256 unknown (checked as GGUF only)"
    },
    {
        name: "tinyllama",
        aliases: ["tinyllama-1.1b", "tinyllama-1.1b-chat"],
        title: "TinyLlama 1.1B Chat v1.0, Q4_K_M",
        uri: "hf:TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf",
        fileName: "tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf",
        sizeBytes: 668_788_096,
        approxBytes: 668_788_096,
        sha256: "9fecc3b3cd76bba89d504f29b616eedf7da85b96540e490ca5824d3f7d2776a0",
        architecture: "llama",
        parameters: "1.1B",
        quantisation: "Q4_K_M",
        vocabularySize: 32000,
        contextLength: 2048,
        licence: "Apache-2.0",
        description: "a real 1.1B LLaMA 2-style chat model with the same 32k vocabulary",
        provenance: "size and sha256 from several independent public projects that verify this file (one citing the Hugging Face API tree)"
    },
    {
        name: "llama3.2-1b",
        aliases: ["llama-3.2-1b", "llama3.2-1b-instruct", "llama-3.2-1b-instruct"],
        title: "Llama 3.2 1B Instruct, Q4_K_M (bartowski)",
        uri: "hf:bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        fileName: "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        sizeBytes: 807_694_464,
        approxBytes: 807_694_464,
        sha256: "6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83",
        architecture: "llama",
        parameters: "1.2B",
        quantisation: "Q4_K_M",
        vocabularySize: 128256,
        contextLength: 131072,
        licence: "Llama 3.2 Community License",
        description: "Meta's smallest Llama 3.2; 128k vocabulary, so llmgen's full-vocabulary sampling is slower",
        provenance: "size and sha256 from several independent public projects that verify this file (matches the Hugging Face LFS X-Linked-ETag they quote)"
    }
];

/** The model fetched when no model is named: see README for why. */
export const DEFAULT_MODEL_NAME = "stories15M";

export function defaultEntry(): CatalogueEntry {
    const entry = findCatalogueEntry(DEFAULT_MODEL_NAME);
    if (entry == null) throw new Error(`default model ${DEFAULT_MODEL_NAME} missing from the catalogue`);
    return entry;
}

/** Catalogue lookup by name or alias, case-insensitive. */
export function findCatalogueEntry(name: string): CatalogueEntry | undefined {
    const wanted = name.trim().toLowerCase();
    return CATALOGUE.find((e) => e.name.toLowerCase() === wanted || e.aliases.some((a) => a.toLowerCase() === wanted));
}

/** The catalogue entry whose source URI this is (ignoring a trailing "#main"). */
export function findCatalogueEntryByUri(uri: string): CatalogueEntry | undefined {
    const norm = (u: string) => u.trim().replace(/#main$/, "");
    return CATALOGUE.find((e) => norm(e.uri) === norm(uri));
}

/** The catalogue entry stored under this file name in the models folder. */
export function findCatalogueEntryByFileName(fileName: string): CatalogueEntry | undefined {
    return CATALOGUE.find((e) => e.fileName === fileName);
}

export function catalogueNames(): string[] {
    return CATALOGUE.map((e) => e.name);
}
