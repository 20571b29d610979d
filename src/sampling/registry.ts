/**
 * The sampler registry: the single place that knows which samplers exist, how they are spelled,
 * what their parameters are, which CLI flags set them and how to build them. The strategy parser,
 * the CLI's sampler flags and their binding to a chain (strategy/flags.ts), the help text,
 * `llmgen samplers` and the reference tables in docs/ are all generated from it.
 *
 * Adding a sampler = one entry here (plus its class, and its place in the order presets). Multi-parameter samplers take positional
 * values `name=v1:v2` or named values `name(key=v;key=v)`, mapped onto `params` in order; a param
 * with a `default` may be omitted. For example
 *
 *   {name: "mirostat", params: [
 *       {key: "version", schema: z.int().gte(1).lte(2), range: "1 or 2", example: 2},
 *       {key: "tau", schema: z.number().gt(0), range: "> 0", example: 5, default: 5},
 *       {key: "eta", schema: z.number().gt(0).lte(1), range: "in (0, 1]", example: 0.1, default: 0.1}],
 *    create: ([v, tau, eta]) => new MirostatSampler(v, tau, eta), ...}
 *
 * accepts "mirostat=2", "mirostat=2:5:0.2" and "mirostat(version=2;eta=0.2)", normalised to
 * "mirostat=2:5:0.2". A sampler may also take one list of strings after its numbers (DRY's
 * sequence breakers, a JSON list: dry=0.8:1.75:2:-1:["\n",":"]), or parse its own named entries
 * (logit-bias(29=-5;"the"=-inf)).
 */
import {z} from "zod";
import {UsageError} from "../errors.js";
import type {Sampler} from "./types.js";
import {GreedySampler} from "./samplers/greedy.js";
import {MinPSampler} from "./samplers/min-p.js";
import {TemperatureSampler} from "./samplers/temperature.js";
import {TopKSampler} from "./samplers/top-k.js";
import {TopPSampler} from "./samplers/top-p.js";
import {DEFAULT_DRY_BREAKERS, DrySampler} from "./samplers/dry.js";
import {DynaTempSampler} from "./samplers/dynatemp.js";
import {EpsilonSampler, EtaSampler} from "./samplers/epsilon.js";
import {LogitBiasSampler, type LogitBiasEntry} from "./samplers/logit-bias.js";
import {MirostatSampler} from "./samplers/mirostat.js";
import {NoRepeatNgramSampler} from "./samplers/no-repeat-ngram.js";
import {
    DEFAULT_REPEAT_LAST_N, FrequencyPenaltySampler, PresencePenaltySampler, RepeatPenaltySampler,
} from "./samplers/penalties.js";
import {TopNSigmaSampler} from "./samplers/top-n-sigma.js";
import {TypicalSampler} from "./samplers/typical.js";
import {XtcSampler} from "./samplers/xtc.js";

/** One numeric parameter of a sampler (or of beam search). */
export interface ParamDef {
    /** Name inside the named form `sampler(key=value)`, e.g. "p". */
    readonly key: string;
    /** The validation rule. zod v4 numbers already reject NaN and ±∞. */
    readonly schema: z.ZodType<number>;
    /** Human text completing "<name> must be …", e.g. "in (0, 1]". */
    readonly range: string;
    /** A sensible value, shown in error messages and help. */
    readonly example: number;
    /** Value used when the parameter is omitted; without one the parameter is required. */
    readonly default?: number;
    /** The CLI flag that sets this parameter, when it is not the sampler's own flag (e.g. --mirostat-lr). */
    readonly flag?: string;
    /** The value when the sampler is enabled by flags without this parameter's flag, if not `default` (dynatemp's T: 1). */
    readonly flagDefault?: number;
    /** What the parameter means, for `llmgen samplers`. */
    readonly description?: string;
}

/** A parameter holding a list of strings, written as a JSON list after the numbers (DRY's breakers). */
export interface ListParamDef {
    readonly key: string;
    readonly default: readonly string[];
    readonly flag?: string;
    readonly description: string;
}

/**
 * How a sampler relates to the logits route. "exact": it depends only on differences of logits
 * (probabilities, additive shifts), so log-probabilities — logits up to a constant, the public
 * route — give exactly the same result. "underflow": exact, except that the public route turns
 * probabilities below float32's range (≈ 104 nats under the max) into −∞. "true-logits": needs the
 * raw logits (fast route); refused on the public route.
 */
export type RouteExactness = "exact" | "underflow" | "true-logits";

/** One registry entry. */
export interface SamplerDef {
    /** Canonical name, used in normalised specs. */
    readonly name: string;
    /** Other accepted spellings (matched case-insensitively, like the name). */
    readonly aliases: readonly string[];
    /** One-line description for help output. */
    readonly description: string;
    /**
     * The CLI flag that enables this sampler, if any. It sets the parameter without a flag of its own;
     * the others have their own flags (ParamDef.flag), which alone are usage errors. A flag that is
     * both a sampler's own and another enabled sampler's parameter flag (--temp with
     * --dynatemp-range) configures the other sampler only.
     */
    readonly flag?: string;
    /** The place of the sampler in the order presets (order.ts), when not its name (dynatemp takes temperature's). */
    readonly slot?: string;
    /** A flag sampler that cannot be combined with other sampler flags (greedy), and why. */
    readonly flagStandsAlone?: string;
    /** Samplers whose flag is repeatable (--logit-bias the=-5 --logit-bias 29=-inf): build from its values. */
    fromFlagValues?(values: readonly string[]): Sampler;
    readonly params: readonly ParamDef[];
    /** Build from validated values (in `params` order). null: the entry adds no sampler ("random"). */
    create(values: readonly number[], list?: readonly string[]): Sampler | null;
    /** A list-of-strings parameter after the numbers, if any. */
    readonly list?: ListParamDef;
    /**
     * Samplers whose named entries are not fixed parameters (logit-bias: token=bias pairs): build
     * from the raw entries; UsageError on bad input. When set, `params` is only documentation.
     */
    parseEntries?(entries: readonly (readonly [string, string])[], raw: string): Sampler;
    /** The paper or reference implementation the unit follows. */
    readonly reference: string;
    /** See RouteExactness. */
    readonly route: RouteExactness;
    /** What the public route's underflow changes, for "underflow" units. */
    readonly routeDetail?: string;
    /** Stateful across steps (reset per sample) or drawing from ctx.rng: shown by `llmgen samplers`. */
    readonly state?: string;
}

const temperature: SamplerDef = {
    name: TemperatureSampler.NAME,
    aliases: ["temp", "t"],
    description: "divide the logits by T: T < 1 sharpens, T > 1 flattens, T = 0 is greedy",
    flag: "--temp",
    params: [{key: "t", schema: z.number().gte(0), range: "a finite number >= 0", example: 0.7}],
    create: ([t]) => new TemperatureSampler(t),
    reference: "softmax temperature, as llama.cpp temp and Hugging Face TemperatureLogitsWarper",
    route: "exact",
};

const topK: SamplerDef = {
    name: TopKSampler.NAME,
    aliases: ["topk", "top_k"],
    description: "keep the K most likely tokens; ties go to the lower id",
    flag: "--top-k",
    params: [{key: "k", schema: z.int().gte(1), range: "an integer >= 1", example: 40}],
    create: ([k]) => new TopKSampler(k),
    reference: "Fan, Lewis & Dauphin 2018, Hierarchical Neural Story Generation (arXiv 1805.04833)",
    route: "exact",
};

const topP: SamplerDef = {
    name: TopPSampler.NAME,
    aliases: ["topp", "top_p", "nucleus"],
    description: "nucleus: keep the fewest most likely tokens whose probability sums to >= P",
    flag: "--top-p",
    params: [{key: "p", schema: z.number().gt(0).lte(1), range: "in (0, 1]", example: 0.9}],
    create: ([p]) => new TopPSampler(p),
    reference: "Holtzman et al. 2020, The Curious Case of Neural Text Degeneration (ICLR; arXiv 1904.09751)",
    route: "exact",
};

const minP: SamplerDef = {
    name: MinPSampler.NAME,
    aliases: ["minp", "min_p"],
    description: "keep the tokens at least P times as likely as the most likely one",
    flag: "--min-p",
    params: [{key: "p", schema: z.number().gte(0).lte(1), range: "in [0, 1]", example: 0.05}],
    create: ([p]) => new MinPSampler(p),
    reference: "Nguyen et al. 2024, Turning Up the Heat: Min-p Sampling (arXiv 2407.01082); llama.cpp min-p",
    route: "exact",
};

const greedy: SamplerDef = {
    name: GreedySampler.NAME,
    aliases: [],
    description: "always take the most likely token; ties go to the lower id",
    flag: "--greedy",
    flagStandsAlone: "greedy always takes the most likely token",
    params: [],
    create: () => new GreedySampler(),
    reference: "argmax decoding",
    route: "exact",
};

const random: SamplerDef = {
    name: "random",
    aliases: ["pure", "sample"],
    description: "pure sampling from the full distribution, no truncation",
    params: [],
    create: () => null,
    reference: "ancestral sampling from the softmax",
    route: "exact",
};

const typical: SamplerDef = {
    name: TypicalSampler.NAME,
    aliases: ["typical-p", "typical_p", "typ-p", "typ_p", "locally-typical"],
    description: "locally typical: keep the tokens whose surprisal is closest to the entropy, until their mass reaches P",
    flag: "--typical-p",
    params: [{key: "p", schema: z.number().gt(0).lte(1), range: "in (0, 1]", example: 0.95, description: "mass to keep; 1 keeps all"}],
    create: ([p]) => new TypicalSampler(p),
    reference: "Meister, Pimentel, Wiher & Cotterell 2023, Locally Typical Sampling (TACL; arXiv 2202.00666); Hugging Face TypicalLogitsWarper",
    route: "exact",
};

const epsilon: SamplerDef = {
    name: EpsilonSampler.NAME,
    aliases: ["epsilon-cutoff", "epsilon_cutoff"],
    description: "keep the tokens with probability >= E (and always the most likely)",
    flag: "--epsilon-cutoff",
    params: [{key: "e", schema: z.number().gt(0).lt(1), range: "in (0, 1)", example: 0.0003, description: "probability cutoff (the paper suggests 3e-4 to 9e-4)"}],
    create: ([e]) => new EpsilonSampler(e),
    reference: "Hewitt, Manning & Liang 2022, Truncation Sampling as Language Model Desmoothing (Findings of EMNLP; arXiv 2210.15191); Hugging Face EpsilonLogitsWarper",
    route: "exact",
};

const eta: SamplerDef = {
    name: EtaSampler.NAME,
    aliases: ["eta-cutoff", "eta_cutoff"],
    description: "keep the tokens with probability >= min(E, sqrt(E)·exp(−entropy)) (and always the most likely)",
    flag: "--eta-cutoff",
    params: [{key: "e", schema: z.number().gt(0).lt(1), range: "in (0, 1)", example: 0.002, description: "ε of the entropy-dependent cutoff (the paper suggests 3e-4 to 4e-3)"}],
    create: ([e]) => new EtaSampler(e),
    reference: "Hewitt, Manning & Liang 2022, Truncation Sampling as Language Model Desmoothing (arXiv 2210.15191); Hugging Face EtaLogitsWarper",
    route: "exact",
};

const topNSigma: SamplerDef = {
    name: TopNSigmaSampler.NAME,
    aliases: ["top-nsigma", "top_n_sigma", "nsigma"],
    description: "keep the tokens whose logit is >= max − N·σ (σ: standard deviation of the logits)",
    flag: "--top-n-sigma",
    params: [{key: "n", schema: z.number().gt(0), range: "a finite number > 0", example: 1, description: "how many standard deviations below the top logit to keep"}],
    create: ([n]) => new TopNSigmaSampler(n),
    reference: "Tang et al. 2024, Top-nσ: Not All Logits Are You Need (arXiv 2411.07641); llama.cpp top-n-sigma",
    route: "underflow",
    routeDetail: "such tokens leave the mean and σ",
};

const mirostat: SamplerDef = {
    name: MirostatSampler.NAME,
    aliases: [],
    description: "adaptive truncation steering the text's average surprise to TAU bits (1: adaptive top-k, 2: keep surprise <= μ)",
    flag: "--mirostat",
    params: [
        {key: "version", schema: z.int().gte(1).lte(2), range: "1 or 2", example: 2, description: "1 = the paper's Algorithm 1 (Zipf estimate, top-k), 2 = Mirostat 2.0 (keep surprise <= μ)"},
        {key: "tau", schema: z.number().gt(0), range: "a finite number > 0", example: 5, default: 5, flag: "--mirostat-ent", description: "target surprise in bits; μ starts at 2·TAU"},
        {key: "eta", schema: z.number().gt(0).lte(1), range: "in (0, 1]", example: 0.1, default: 0.1, flag: "--mirostat-lr", description: "learning rate of μ ← μ − η·(surprise − τ)"},
    ],
    create: ([version, tau, eta]) => new MirostatSampler(version as 1 | 2, tau, eta),
    reference: "Basu, Ramachandran, Keskar & Varshney 2021, Mirostat (ICLR; arXiv 2007.14966); version 2 as llama.cpp mirostat-v2",
    route: "underflow",
    routeDetail: "version 1's Zipf estimate stops at the first such token among the top 100 (version 2 is exact)",
    state: "μ lives per sample (reset at its start) and is updated after each token from that token's surprise",
};

const xtc: SamplerDef = {
    name: XtcSampler.NAME,
    aliases: ["exclude-top-choices"],
    description: "with chance PROBABILITY, remove every token with probability >= THRESHOLD except the least likely of them",
    flag: "--xtc-probability",
    params: [
        {key: "probability", schema: z.number().gte(0).lte(1), range: "in [0, 1]", example: 0.5, description: "chance per step that XTC acts"},
        {key: "threshold", schema: z.number().gt(0).lte(0.5), range: "in (0, 0.5]", example: 0.1, default: 0.1, flag: "--xtc-threshold", description: "probability from which a token is a top choice"},
    ],
    create: ([p, t]) => new XtcSampler(p, t),
    reference: "p-e-w, text-generation-webui PR #6335 (2024); llama.cpp xtc",
    route: "exact",
    state: "random: draws one uniform per step from the sample's seeded stream",
};

const dry: SamplerDef = {
    name: DrySampler.NAME,
    aliases: ["dont-repeat-yourself"],
    description: "penalise tokens that would extend a repeat of length L >= ALLOWED by MULTIPLIER·BASE^(L−ALLOWED)",
    flag: "--dry-multiplier",
    params: [
        {key: "multiplier", schema: z.number().gte(0), range: "a finite number >= 0", example: 0.8, description: "penalty scale; 0 turns DRY off"},
        {key: "base", schema: z.number().gte(1), range: "a finite number >= 1", example: 1.75, default: 1.75, flag: "--dry-base", description: "growth of the penalty per repeated token"},
        {key: "allowed", schema: z.int().gte(1), range: "an integer >= 1", example: 2, default: 2, flag: "--dry-allowed-length", description: "repeats up to this length are free"},
        {key: "window", schema: z.int().gte(-1), range: "an integer >= -1 (-1 = the whole history, 0 = off)", example: -1, default: -1, flag: "--dry-penalty-last-n", description: "how many recent tokens (prompt included) to scan"},
    ],
    list: {key: "breakers", default: DEFAULT_DRY_BREAKERS, flag: "--dry-sequence-breaker", description: "texts that end a repeat: a repetition never reaches back across one"},
    create: ([m, b, a, n], list) => new DrySampler(m, b, a, n, list ?? DEFAULT_DRY_BREAKERS),
    reference: "p-e-w, text-generation-webui PR #5677 (2024); llama.cpp dry (from koboldcpp)",
    route: "exact",
};

const dynatemp: SamplerDef = {
    name: DynaTempSampler.NAME,
    aliases: ["dynamic-temperature", "temp-ext"],
    description: "entropy-based temperature in [T−RANGE, T+RANGE]: flat distributions get the hot end",
    flag: "--dynatemp-range",
    slot: TemperatureSampler.NAME,
    params: [
        {key: "t", schema: z.number().gte(0), range: "a finite number >= 0", example: 1, flag: "--temp", flagDefault: 1, description: "base temperature"},
        {key: "range", schema: z.number().gte(0), range: "a finite number >= 0", example: 0.5, description: "half-width of the temperature range; 0 = plain temperature"},
        {key: "exponent", schema: z.number().gt(0), range: "a finite number > 0", example: 1, default: 1, flag: "--dynatemp-exp", description: "T' = min + (max − min)·(H/Hmax)^exponent"},
    ],
    create: ([t, range, exponent]) => new DynaTempSampler(t, range, exponent),
    reference: "kalomaze's DynaTemp; llama.cpp temp-ext (--dynatemp-range, --dynatemp-exp)",
    route: "exact",
};

const repeatPenalty: SamplerDef = {
    name: RepeatPenaltySampler.NAME,
    aliases: ["repetition-penalty", "repeat_penalty", "repetition_penalty", "rep-pen"],
    description: "CTRL penalty: a token seen in the last LAST_N has a positive logit divided by PENALTY, a negative one multiplied",
    flag: "--repeat-penalty",
    params: [
        {key: "penalty", schema: z.number().gt(0), range: "a finite number > 0", example: 1.1, description: "θ > 1 discourages repeats, < 1 encourages them"},
        {key: "last_n", schema: z.int().gte(-1), range: "an integer >= -1 (-1 = the whole history, 0 = off)", example: 64, default: DEFAULT_REPEAT_LAST_N, flag: "--repeat-last-n", description: "window: the last N tokens, prompt included"},
    ],
    create: ([p, n]) => new RepeatPenaltySampler(p, n),
    reference: "Keskar et al. 2019, CTRL (arXiv 1909.05858), as llama.cpp penalties and Hugging Face RepetitionPenaltyLogitsProcessor",
    route: "true-logits",
};

const presencePenalty: SamplerDef = {
    name: PresencePenaltySampler.NAME,
    aliases: ["presence_penalty"],
    description: "subtract ALPHA from the logit of every token seen in the last LAST_N",
    flag: "--presence-penalty",
    params: [
        {key: "alpha", schema: z.number(), range: "a finite number", example: 0.5, description: "penalty (negative encourages repeats)"},
        {key: "last_n", schema: z.int().gte(-1), range: "an integer >= -1 (-1 = the whole history, 0 = off)", example: 64, default: DEFAULT_REPEAT_LAST_N, flag: "--repeat-last-n", description: "window: the last N tokens, prompt included"},
    ],
    create: ([a, n]) => new PresencePenaltySampler(a, n),
    reference: "OpenAI API presence_penalty; llama.cpp penalties (penalty_present)",
    route: "exact",
};

const frequencyPenalty: SamplerDef = {
    name: FrequencyPenaltySampler.NAME,
    aliases: ["frequency_penalty"],
    description: "subtract ALPHA·count from the logit of every token, count = its occurrences in the last LAST_N",
    flag: "--frequency-penalty",
    params: [
        {key: "alpha", schema: z.number(), range: "a finite number", example: 0.5, description: "penalty per occurrence (negative encourages repeats)"},
        {key: "last_n", schema: z.int().gte(-1), range: "an integer >= -1 (-1 = the whole history, 0 = off)", example: 64, default: DEFAULT_REPEAT_LAST_N, flag: "--repeat-last-n", description: "window: the last N tokens, prompt included"},
    ],
    create: ([a, n]) => new FrequencyPenaltySampler(a, n),
    reference: "OpenAI API frequency_penalty; llama.cpp penalties (penalty_freq)",
    route: "exact",
};

const noRepeatNgram: SamplerDef = {
    name: NoRepeatNgramSampler.NAME,
    aliases: ["no-repeat-ngram-size", "no_repeat_ngram_size"],
    description: "ban every token that would repeat an N-gram of the history (prompt included)",
    flag: "--no-repeat-ngram",
    params: [{key: "n", schema: z.int().gte(1), range: "an integer >= 1", example: 3, description: "n-gram size"}],
    create: ([n]) => new NoRepeatNgramSampler(n),
    reference: "Paulus, Xiong & Socher 2018 (arXiv 1705.04304) via fairseq; Hugging Face NoRepeatNGramLogitsProcessor",
    route: "exact",
};

const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** One logit-bias entry from its key and value texts (strategy strings and --logit-bias). */
export function parseLogitBiasEntry(key: string, value: string, where: string, example: string): LogitBiasEntry {
    const k = key;
    let parsedKey: number | string;
    if (/^\d+$/.test(k.trim())) {
        parsedKey = Number(k.trim());
        if (!Number.isSafeInteger(parsedKey)) throw new UsageError(`logit-bias token id must be an integer >= 0, got ${k.trim()} in ${where} (e.g. ${example})`);
    } else if (/^\s*".*"\s*$/s.test(k)) {
        try {
            parsedKey = JSON.parse(k.trim()) as string;
        } catch {
            throw new UsageError(`logit-bias cannot read the text ${k.trim()} in ${where}: write a JSON string, e.g. ${example}`);
        }
    } else {
        parsedKey = k;
    }
    if (parsedKey === "") throw new UsageError(`logit-bias needs a token id or a non-empty text before "=" in ${where} (e.g. ${example})`);
    const v = value.trim();
    let bias: number;
    if (/^-inf(inity)?$/i.test(v)) bias = -Infinity;
    else bias = NUMBER_TEXT.test(v) ? Number(v) : Number.NaN;
    if (!(Number.isFinite(bias) || bias === -Infinity)) {
        throw new UsageError(`logit-bias bias must be a finite number or -inf, got ${v === "" ? "nothing" : v} in ${where} (e.g. ${example})`);
    }
    return {key: parsedKey, bias: Object.is(bias, -0) ? 0 : bias};
}

const LOGIT_BIAS_EXAMPLE = `logit-bias(29=-5;"the"=-inf)`;

/** One --logit-bias value: "ID=BIAS", "TEXT=BIAS" (split at the last "="), or llama.cpp's "ID+BIAS" / "ID-BIAS". */
export function parseLogitBiasFlag(value: string): LogitBiasEntry {
    const where = `--logit-bias "${value}"`;
    const example = `--logit-bias "the=-5" or --logit-bias 29=-inf`;
    const eq = value.lastIndexOf("=");
    if (eq < 0) {
        const m = /^\s*(\d+)\s*([+-].*)$/.exec(value);
        if (m) return parseLogitBiasEntry(m[1], m[2], where, example);
        throw new UsageError(`cannot read ${where}: write TOKEN=BIAS with a token id or a text (e.g. ${example})`);
    }
    return parseLogitBiasEntry(value.slice(0, eq), value.slice(eq + 1), where, example);
}

const logitBias: SamplerDef = {
    name: LogitBiasSampler.NAME,
    aliases: ["logit_bias", "bias"],
    description: "add BIAS to the logit of a token id or of every token of a text; -inf bans",
    flag: "--logit-bias",
    params: [],
    fromFlagValues: (values) => new LogitBiasSampler(values.map(parseLogitBiasFlag)),
    parseEntries(entries, raw) {
        if (entries.length === 0) throw new UsageError(`logit-bias needs at least one TOKEN=BIAS entry in "${raw}" (e.g. ${LOGIT_BIAS_EXAMPLE})`);
        const parsed = entries.map(([k, v]) => parseLogitBiasEntry(k, v, `"${raw}"`, LOGIT_BIAS_EXAMPLE));
        const seen = new Set<string>();
        for (const e of parsed) {
            const id = typeof e.key === "number" ? `#${e.key}` : `"${e.key}`;
            if (seen.has(id)) throw new UsageError(`logit-bias ${typeof e.key === "number" ? `token ${e.key}` : JSON.stringify(e.key)} is given twice in "${raw}"`);
            seen.add(id);
        }
        return new LogitBiasSampler(parsed);
    },
    create: () => {
        throw new UsageError(`logit-bias takes named entries: write ${LOGIT_BIAS_EXAMPLE}`);
    },
    reference: "llama.cpp --logit-bias and server logit_bias (text form); OpenAI API logit_bias",
    route: "exact",
};

/** Every sampler, in help order. Add new samplers here. */
export const SAMPLER_REGISTRY: readonly SamplerDef[] = [
    temperature, topK, topP, minP, greedy, random,
    typical, epsilon, eta, topNSigma, mirostat, xtc, dry, dynatemp,
    repeatPenalty, presencePenalty, frequencyPenalty, noRepeatNgram, logitBias,
];

/** Beam search is a strategy of its own (not a sampler), but it is spelled and validated the same way. */
export const BEAM_DEF = {
    name: "beam",
    aliases: ["beam-search"] as readonly string[],
    description: "beam search keeping the K best partial sequences; deterministic",
    flag: "--beam",
    params: [{key: "k", schema: z.int().gte(1), range: "an integer >= 1", example: 4}] as readonly ParamDef[],
} as const;

/** The registry entry for a name or alias (case-insensitive), if any. */
export function findSamplerDef(name: string): SamplerDef | undefined {
    const wanted = name.toLowerCase();
    return SAMPLER_REGISTRY.find((d) => d.name === wanted || d.aliases.includes(wanted));
}
