/**
 * Validation of every parameter of every sampler (strategy strings and flags: a UsageError naming
 * the parameter and its range), the extended grammar (positional/named values, lists, logit-bias
 * entries), and the flag chain: exactly the samplers given, ordered by the default (hf) order,
 * --order llama.cpp or --samplers.
 */
import assert from "node:assert/strict";
import {describe, it} from "node:test";
import {UsageError} from "../../../src/errors.js";
import {
    ORDER_PRESETS, SAMPLER_FLAGS, parseLogitBiasFlag, parseSamplerOrder, parseStrategy, processEscapes, SAMPLER_REGISTRY, strategyFromFlags,
    type StrategyFlags,
} from "../../../src/sampling/index.js";

function usageError(fn: () => unknown, ...fragments: string[]): void {
    assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
        assert.equal(e.exitCode, 2);
        assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
        for (const f of fragments) assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
        return true;
    });
}

const CANDIDATES = ["-1e9", "-2", "-1.5", "-1", "-0.5", "0", "0.5", "0.6", "1.5", "2", "3", "2.5", "1e9", "abc", "1e999"];

describe("every parameter out of range is a usage error naming the parameter and its range", () => {
    for (const def of SAMPLER_REGISTRY) {
        for (const [index, param] of def.params.entries()) {
            it(`${def.name} ${param.key}`, () => {
                const bad = CANDIDATES.filter((raw) => {
                    const v = /^[-+]?[\d.]+(e[-+]?\d+)?$/i.test(raw) ? Number(raw) : Number.NaN;
                    return !param.schema.safeParse(v).success;
                });
                assert.ok(bad.some((b) => b !== "abc"), "some numeric value is out of range");
                for (const raw of bad) {
                    const values = def.params.map((p, i) => (i === index ? raw : String(p.example)));
                    const culprit = def.params.length > 1 ? `${def.name} ${param.key}` : def.name;
                    usageError(() => parseStrategy(`${def.name}=${values.join(":")}`), culprit, param.range, `got ${raw}`);
                    usageError(() => parseStrategy(`${def.name}(${def.params.map((p, i) => `${p.key}=${values[i]}`).reverse().join(";")})`), culprit, param.range);
                }
            });
        }
    }
    it("flags name the flag, the parameter and the range", () => {
        const cases: [StrategyFlags, ...string[]][] = [
            [{typicalP: "0"}, "typical", "(0, 1]", "--typical-p"],
            [{epsilonCutoff: "1"}, "epsilon", "(0, 1)", "--epsilon-cutoff"],
            [{etaCutoff: "-0.1"}, "eta", "(0, 1)", "--eta-cutoff"],
            [{topNSigma: "0"}, "top-n-sigma", "> 0", "--top-n-sigma"],
            [{mirostat: "3"}, "mirostat version", "1 or 2", "--mirostat"],
            [{mirostat: "2", mirostatEnt: "-1"}, "mirostat tau (--mirostat-ent)", "> 0"],
            [{mirostat: "2", mirostatLr: "2"}, "mirostat eta (--mirostat-lr)", "(0, 1]"],
            [{xtcProbability: "1.5"}, "xtc probability (--xtc-probability)", "[0, 1]"],
            [{xtcProbability: "0.5", xtcThreshold: "0.6"}, "xtc threshold (--xtc-threshold)", "(0, 0.5]"],
            [{dryMultiplier: "-1"}, "dry multiplier (--dry-multiplier)", ">= 0"],
            [{dryMultiplier: "1", dryBase: "0.5"}, "dry base (--dry-base)", ">= 1"],
            [{dryMultiplier: "1", dryAllowedLength: "0"}, "dry allowed (--dry-allowed-length)", ">= 1"],
            [{dryMultiplier: "1", dryPenaltyLastN: "-2"}, "dry window (--dry-penalty-last-n)", ">= -1"],
            [{dynatempRange: "-1"}, "dynatemp range (--dynatemp-range)", ">= 0"],
            [{dynatempRange: "0.5", dynatempExp: "0"}, "dynatemp exponent (--dynatemp-exp)", "> 0"],
            [{dynatempRange: "0.5", temp: "-1"}, "temperature", ">= 0", "--temp"],
            [{repeatPenalty: "0"}, "repeat-penalty penalty (--repeat-penalty)", "> 0"],
            [{repeatPenalty: "1.1", repeatLastN: "-5"}, "repeat-penalty last_n (--repeat-last-n)", ">= -1"],
            [{presencePenalty: "x"}, "presence-penalty alpha (--presence-penalty)", "finite number"],
            [{frequencyPenalty: "1e999"}, "frequency-penalty alpha (--frequency-penalty)", "finite number"],
            [{noRepeatNgram: "0"}, "no-repeat-ngram", "integer >= 1", "--no-repeat-ngram"],
            [{logitBias: ["the=abc"]}, "logit-bias", "finite number or -inf", "--logit-bias"],
            [{logitBias: ["the"]}, "--logit-bias", "TOKEN=BIAS"],
        ];
        for (const [flags, ...fragments] of cases) usageError(() => strategyFromFlags(flags), ...fragments);
    });
    it("configuring flags without their sampler's main flag are usage errors", () => {
        usageError(() => strategyFromFlags({mirostatEnt: "5"}), "--mirostat-ent needs --mirostat");
        usageError(() => strategyFromFlags({mirostatLr: "0.1", topK: "5"}), "--mirostat-lr needs --mirostat");
        usageError(() => strategyFromFlags({xtcThreshold: "0.1"}), "--xtc-threshold needs --xtc-probability");
        usageError(() => strategyFromFlags({dryBase: "2"}), "--dry-base needs --dry-multiplier");
        usageError(() => strategyFromFlags({drySequenceBreaker: ["\\n"]}), "--dry-sequence-breaker needs --dry-multiplier");
        usageError(() => strategyFromFlags({dynatempExp: "2"}), "--dynatemp-exp needs --dynatemp-range");
        usageError(() => strategyFromFlags({repeatLastN: "32"}), "--repeat-last-n needs");
    });
});

describe("grammar", () => {
    it("positional, named and defaulted values normalise to the full positional form", () => {
        assert.equal(parseStrategy("mirostat=2").spec, "mirostat=2:5:0.1");
        assert.equal(parseStrategy("mirostat(version=1;eta=0.25)").spec, "mirostat=1:5:0.25");
        assert.equal(parseStrategy(" XTC = 0.5 ").spec, "xtc=0.5:0.1");
        assert.equal(parseStrategy("dry=0.8").spec, "dry=0.8:1.75:2:-1");
        assert.equal(parseStrategy("dry(multiplier=0.8;window=64;breakers=[\"\\n\"])").spec, "dry=0.8:1.75:2:64:[\"\\n\"]");
        assert.equal(parseStrategy("dry(multiplier=0.8;breakers=[\"\\n\",\":\",\"\\\"\",\"*\"])").spec, "dry=0.8:1.75:2:-1", "the default list is not printed");
        assert.equal(parseStrategy("rep-pen=1.1,typical_p=0.9,nsigma=1").spec, "repeat-penalty=1.1:64,typical=0.9,top-n-sigma=1");
        assert.equal(parseStrategy("logit_bias(the=-5;\" the\"=-INF;29=+2)").spec, "logit-bias(\"the\"=-5;\" the\"=-inf;29=2)");
        assert.equal(parseStrategy("temp-ext=0.8:0.5").spec, "dynatemp=0.8:0.5:1");
    });
    it("grammar errors", () => {
        usageError(() => parseStrategy("mirostat"), "mirostat version needs a value", "1 or 2");
        usageError(() => parseStrategy("mirostat=2:5:0.1:9"), "mirostat takes up to 3 values, got 4");
        usageError(() => parseStrategy("mirostat(version=2;mu=3)"), "mirostat has no parameter \"mu\"", "version, tau, eta");
        usageError(() => parseStrategy("dry=0.8:1.75:2:-1:[1,2]"), "dry breakers must be a JSON list of strings");
        usageError(() => parseStrategy("dry=0.8:1.75:2:-1:[\"a\""), "unbalanced brackets");
        usageError(() => parseStrategy("dry(multiplier=1;breakers=[\"a]"), "unterminated string");
        usageError(() => parseStrategy("logit-bias=5"), "logit-bias takes named entries");
        usageError(() => parseStrategy("logit-bias()"), "at least one TOKEN=BIAS");
        usageError(() => parseStrategy("logit-bias(5=1;5=2)"), "token 5 is given twice");
        usageError(() => parseStrategy("logit-bias(5=inf)"), "finite number or -inf", "got inf");
        usageError(() => parseStrategy("logit-bias(\"\"=1)"), "non-empty text");
        usageError(() => parseStrategy("typcal=0.9"), "did you mean \"typical\"");
    });
    it("--logit-bias values and --dry-sequence-breaker escapes", () => {
        assert.deepEqual(parseLogitBiasFlag("the=-5"), {key: "the", bias: -5});
        assert.deepEqual(parseLogitBiasFlag(" the=-5"), {key: " the", bias: -5});
        assert.deepEqual(parseLogitBiasFlag("29=-inf"), {key: 29, bias: -Infinity});
        assert.deepEqual(parseLogitBiasFlag("15043+1"), {key: 15043, bias: 1});
        assert.deepEqual(parseLogitBiasFlag("15043-0.5"), {key: 15043, bias: -0.5});
        assert.deepEqual(parseLogitBiasFlag("\"42\"=1"), {key: "42", bias: 1});
        assert.deepEqual(parseLogitBiasFlag("a=b=2"), {key: "a=b", bias: 2});
        assert.equal(processEscapes("\\n"), "\n");
        assert.equal(processEscapes("a\\tb\\\\c\\\"\\x41"), "a\tb\\c\"A");
    });
});

describe("the flag chain: exactly the samplers given, in a documented order", () => {
    const all: StrategyFlags = {
        temp: "0.8", topK: "40", topP: "0.95", minP: "0.05", typicalP: "0.9", epsilonCutoff: "0.0003", etaCutoff: "0.002",
        topNSigma: "1", xtcProbability: "0.5", mirostat: "2", dryMultiplier: "0.8", repeatPenalty: "1.1", presencePenalty: "0.5",
        frequencyPenalty: "0.2", noRepeatNgram: "3", logitBias: ["29=-inf"],
    };
    const names = (flags: StrategyFlags): string[] => {
        const s = strategyFromFlags(flags)!;
        return s.kind === "sample" ? s.samplers.map((x) => x.name) : [];
    };
    it("the default order is hf: penalties, temperature first, then the truncations (as before: temperature → top-k → top-p → min-p)", () => {
        assert.equal(strategyFromFlags({topK: "40", temp: "0.7", minP: "0.1", topP: "0.9"})!.spec, "temperature=0.7,top-k=40,top-p=0.9,min-p=0.1");
        assert.deepEqual(names(all), ORDER_PRESETS.hf.map((s) => s));
    });
    it("--order llama.cpp puts temperature last", () => {
        assert.deepEqual(names({...all, order: "llama.cpp"}), ORDER_PRESETS["llama.cpp"].map((s) => s));
        assert.equal(strategyFromFlags({temp: "1.5", topP: "0.9", order: "llama.cpp"})!.spec, "top-p=0.9,temperature=1.5");
        assert.equal(strategyFromFlags({temp: "1.5", topP: "0.9", order: "hf"})!.spec, "temperature=1.5,top-p=0.9");
    });
    it("--samplers gives the order explicitly (llama.cpp names accepted) and must hold every given sampler", () => {
        assert.equal(strategyFromFlags({temp: "0.7", topK: "40", repeatPenalty: "1.1", presencePenalty: "0.5", samplers: "top_k;temperature;penalties"})!.spec,
            "top-k=40,temperature=0.7,repeat-penalty=1.1:64,presence-penalty=0.5:64");
        assert.deepEqual(parseSamplerOrder("penalties;dry;top_n_sigma;top_k;typ_p;top_p;min_p;xtc;temperature"), [
            "repeat-penalty", "presence-penalty", "frequency-penalty", "dry", "top-n-sigma", "top-k", "typical", "top-p", "min-p", "xtc", "temperature",
        ]);
        usageError(() => strategyFromFlags({temp: "0.7", topK: "40", samplers: "top_k"}), "--samplers has no place for temperature", "--temp");
        usageError(() => parseSamplerOrder("top_k;top_k"), "twice");
        usageError(() => parseSamplerOrder("top_k;greedy"), "\"greedy\" is not a sampler the flags can order");
        usageError(() => strategyFromFlags({temp: "1", samplers: "temperature", order: "hf"}), "cannot be combined");
        usageError(() => strategyFromFlags({order: "llama.cpp"}), "--order orders the sampler flags, but none is given");
        usageError(() => strategyFromFlags({greedy: true, order: "hf"}), "--greedy");
        usageError(() => strategyFromFlags({temp: "1", order: "vllm"}), "--order must be one of hf, llama.cpp");
    });
    it("the flags are generated from the registry: each sampler's own flag, its parameters' and its list's, each once; every slot is in every preset", () => {
        const expected = new Set<string>();
        for (const def of SAMPLER_REGISTRY) {
            if (def.flag === undefined) continue;
            expected.add(def.flag);
            for (const p of def.params) if (p.flag !== undefined) expected.add(p.flag);
            if (def.list?.flag !== undefined) expected.add(def.list.flag);
            for (const preset of Object.values(ORDER_PRESETS)) assert.equal(preset.filter((slot) => slot === (def.slot ?? def.name)).length, def.flagStandsAlone ? 0 : 1, `${def.name} in a preset`);
        }
        assert.deepEqual(new Set(SAMPLER_FLAGS.map((f) => f.flag)), expected);
        assert.equal(SAMPLER_FLAGS.length, expected.size);
        assert.deepEqual(SAMPLER_FLAGS.filter((f) => f.kind !== "value").map((f) => `${f.flag}:${f.kind}`),
            ["--greedy:switch", "--dry-sequence-breaker:repeatable", "--logit-bias:repeatable"]);
        assert.equal(SAMPLER_FLAGS.find((f) => f.flag === "--top-n-sigma")!.key, "topNSigma");
        assert.match(SAMPLER_FLAGS.find((f) => f.flag === "--repeat-last-n")!.description, /\(with --repeat-penalty or --presence-penalty or --frequency-penalty\)$/);
        // every parameter flag given alone names the flags it needs
        for (const f of SAMPLER_FLAGS) {
            if (SAMPLER_REGISTRY.some((d) => d.flag === f.flag)) continue;
            usageError(() => strategyFromFlags({[f.key]: f.kind === "repeatable" ? ["x"] : "1"}), `${f.flag} needs --`);
        }
    });
    it("dynatemp takes the temperature slot; --repeat-last-n applies to all three penalties", () => {
        assert.equal(strategyFromFlags({dynatempRange: "0.5", temp: "0.8", topK: "40"})!.spec, "dynatemp=0.8:0.5:1,top-k=40");
        assert.equal(strategyFromFlags({dynatempRange: "0.5", dynatempExp: "2", order: "llama.cpp", topK: "40"})!.spec, "top-k=40,dynatemp=1:0.5:2");
        assert.equal(strategyFromFlags({repeatPenalty: "1.1", frequencyPenalty: "0.2", repeatLastN: "-1"})!.spec,
            "repeat-penalty=1.1:-1,frequency-penalty=0.2:-1");
        assert.equal(strategyFromFlags({mirostat: "1", mirostatEnt: "3", mirostatLr: "0.2"})!.spec, "mirostat=1:3:0.2");
        assert.equal(strategyFromFlags({xtcProbability: "0.5", xtcThreshold: "0.2"})!.spec, "xtc=0.5:0.2");
        assert.equal(strategyFromFlags({dryMultiplier: "0.8", dryBase: "2", dryAllowedLength: "3", dryPenaltyLastN: "128", drySequenceBreaker: ["\\n", "."]})!.spec,
            "dry=0.8:2:3:128:[\"\\n\",\".\"]");
        assert.equal(strategyFromFlags({dryMultiplier: "0.8", drySequenceBreaker: ["none"]})!.spec, "dry=0.8:1.75:2:-1:[]");
        assert.equal(strategyFromFlags({logitBias: ["the=-5", "29=-inf"]})!.spec, "logit-bias(\"the\"=-5;29=-inf)");
        assert.equal(strategyFromFlags({noRepeatNgram: "2"})!.spec, "no-repeat-ngram=2");
        // every flag-built spec parses back to itself
        for (const flags of [all, {...all, order: "llama.cpp"}]) {
            const s = strategyFromFlags(flags)!;
            assert.equal(parseStrategy(s.spec).spec, s.spec);
        }
    });
});
