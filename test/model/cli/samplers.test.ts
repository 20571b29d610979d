/**
 * The sampler zoo end to end, through the real CLI on stories260K: `llmgen samplers`, every new
 * sampler reachable from flags and strategy strings in generate, explain and compare, the flag
 * orders, the CTRL penalty's refusal on the public route (and its exactness on the fast route),
 * logit bias by text and by id, no-repeat-ngram, seeded reproducibility, usage errors.
 *
 * Tests that need the fast logits route are skipped where it is not built, except in CI (CI=true)
 * or with LLMGEN_REQUIRE_FAST_ROUTE=1, where its absence fails.
 */
import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {createRng, parseStrategy, SAMPLER_REGISTRY, SamplerChain, type SampleStrategy} from "../../../src/sampling/index.js";
import {ndjson, runCli} from "../../support/cli.js";
import {STORIES} from "../../support/paths.js";

const PROMPT = "Once upon a time, there was a little";
const REQUIRED = process.env.CI === "true" || process.env.LLMGEN_REQUIRE_FAST_ROUTE === "1";
const ENV = {LLMGEN_LOGITS_ROUTE: undefined};

interface Candidate {
    id: number;
    text: string;
    p: number;
}
interface ExplainDoc {
    steps: Array<{candidates: Candidate[]; strategies: Array<{spec: string; mass: number; kept: Array<Candidate & {q: number}>}>}>;
}

async function explain(specs: string[], extra: string[] = [], prompt = PROMPT): Promise<ExplainDoc> {
    const r = await runCli(["explain", "-m", STORIES(), "--top", "512", "--json", ...extra, ...specs.flatMap((s) => ["-s", s]), prompt], {env: ENV});
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as ExplainDoc;
}

function tokens(stdout: string): number[] {
    return ndjson(stdout).filter((e) => e.type === "token").map((e) => e.id as number);
}

function done(stdout: string): Record<string, unknown> {
    return ndjson(stdout).find((e) => e.type === "done")!;
}

async function fastRouteAvailable(): Promise<boolean> {
    const r = await runCli(["-m", STORIES(), "--greedy", "-n", "1", "--verbose", "hi"], {env: ENV});
    return /logits route: fast/.test(r.stderr);
}

describe("llmgen samplers", () => {
    test("lists every sampler with usage, flags, ranges, defaults, reference and route; the default chain and both orders", async () => {
        const r = await runCli(["samplers"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, "");
        for (const def of SAMPLER_REGISTRY) {
            assert.ok(r.stdout.includes(def.name), def.name);
            assert.ok(r.stdout.includes(def.reference), `${def.name} reference`);
            for (const p of def.params) assert.ok(r.stdout.includes(p.range), `${def.name} ${p.key} range`);
        }
        for (const text of ["mirostat=VERSION[:TAU[:ETA]]", "default 5 (--mirostat-ent)", "dry=MULTIPLIER[:BASE[:ALLOWED[:WINDOW[:BREAKERS]]]]",
            "Default chain (no sampling flag, no -s): top-p=0.9", "--order hf (default): logit-bias → repeat-penalty",
            "--order llama.cpp: logit-bias", "xtc → temperature → mirostat", "needs the raw logits: refused on the public route",
            "exact on both logits routes", "beam=K"]) {
            assert.ok(r.stdout.includes(text), text);
        }
    });
    test("--json: one document, every registry entry with its route exactness", async () => {
        const r = await runCli(["samplers", "--json"]);
        assert.equal(r.code, 0, r.stderr);
        const doc = JSON.parse(r.stdout) as {defaultChain: string; defaultOrder: string; orders: Record<string, string[]>;
            samplers: Array<{name: string; route: string; params: Array<{key: string; range: string; default?: number}>; flags: string[]}>};
        assert.equal(doc.defaultChain, "top-p=0.9");
        assert.equal(doc.defaultOrder, "hf");
        assert.deepEqual(doc.samplers.map((s) => s.name), SAMPLER_REGISTRY.map((d) => d.name));
        const route = Object.fromEntries(doc.samplers.map((s) => [s.name, s.route]));
        assert.equal(route["repeat-penalty"], "true-logits");
        assert.equal(route["top-n-sigma"], "underflow");
        assert.equal(route["mirostat"], "underflow");
        for (const name of ["typical", "epsilon", "eta", "xtc", "dry", "dynatemp", "presence-penalty", "frequency-penalty", "no-repeat-ngram", "logit-bias"]) {
            assert.equal(route[name], "exact", name);
        }
        const mirostat = doc.samplers.find((s) => s.name === "mirostat")!;
        assert.deepEqual(mirostat.params.map((p) => [p.key, p.default]), [["version", undefined], ["tau", 5], ["eta", 0.1]]);
        assert.deepEqual(mirostat.flags, ["--mirostat", "--mirostat-ent", "--mirostat-lr"]);
        assert.equal(doc.orders["llama.cpp"].at(-2), "temperature");
    });
});

describe("generate: every new sampler from flags", () => {
    const FLAGS: [string[], string][] = [
        [["--typical-p", "0.9"], "typical=0.9"],
        [["--epsilon-cutoff", "0.001"], "epsilon=0.001"],
        [["--eta-cutoff", "0.002"], "eta=0.002"],
        [["--top-n-sigma", "1.5"], "top-n-sigma=1.5"],
        [["--mirostat", "2", "--mirostat-ent", "3", "--mirostat-lr", "0.2"], "mirostat=2:3:0.2"],
        [["--mirostat", "1"], "mirostat=1:5:0.1"],
        [["--xtc-probability", "0.5", "--xtc-threshold", "0.15"], "xtc=0.5:0.15"],
        [["--dry-multiplier", "0.8", "--dry-allowed-length", "3", "--dry-sequence-breaker", "\\n", "--dry-sequence-breaker", "."], "dry=0.8:1.75:3:-1:[\"\\n\",\".\"]"],
        [["--dynatemp-range", "0.5", "--temp", "0.8", "--dynatemp-exp", "2"], "dynatemp=0.8:0.5:2"],
        [["--presence-penalty", "0.5", "--frequency-penalty", "0.3", "--repeat-last-n", "-1"], "presence-penalty=0.5:-1,frequency-penalty=0.3:-1"],
        [["--no-repeat-ngram", "2"], "no-repeat-ngram=2"],
        [["--logit-bias", "the=-2", "--logit-bias", "29+1"], "logit-bias(\"the\"=-2;29=1)"],
        [["--temp", "1.5", "--top-p", "0.9", "--order", "llama.cpp"], "top-p=0.9,temperature=1.5"],
        [["--temp", "1.5", "--top-p", "0.9"], "temperature=1.5,top-p=0.9"],
        [["--temp", "0.7", "--top-k", "40", "--min-p", "0.05", "--samplers", "min_p;top_k;temperature"], "min-p=0.05,top-k=40,temperature=0.7"],
    ];
    for (const [flags, spec] of FLAGS) {
        test(`${flags.join(" ")} → ${spec} (on the public route; seeded runs repeat)`, async () => {
            const args = ["-m", STORIES(), "--logits-route", "public", "--seed", "7", "-n", "24", "--json", ...flags, PROMPT];
            const a = await runCli(args, {env: ENV});
            assert.equal(a.code, 0, a.stderr);
            assert.equal(done(a.stdout).strategy, spec);
            assert.equal(parseStrategy(spec).spec, spec);
            const b = await runCli(args, {env: ENV});
            assert.deepEqual(tokens(b.stdout), tokens(a.stdout));
        });
    }
    test("the same strategies as -s strings give the same tokens as the flags", async () => {
        const viaFlags = await runCli(["-m", STORIES(), "--seed", "3", "-n", "30", "--json", "--mirostat", "2", "--dry-multiplier", "0.8", "--xtc-probability", "0.5", PROMPT], {env: ENV});
        const spec = done(viaFlags.stdout).strategy as string;
        assert.equal(spec, "dry=0.8:1.75:2:-1,xtc=0.5:0.1,mirostat=2:5:0.1");
        const viaString = await runCli(["-m", STORIES(), "--seed", "3", "-n", "30", "--json", "-s", "dry=0.8,xtc=0.5,mirostat=2", PROMPT], {env: ENV});
        assert.deepEqual(tokens(viaString.stdout), tokens(viaFlags.stdout));
    });
    test("no-repeat-ngram=2: no bigram is generated twice", async () => {
        const r = await runCli(["-m", STORIES(), "--seed", "5", "-n", "120", "--ignore-eos", "--json", "--no-repeat-ngram", "2", "--temp", "0.3", PROMPT], {env: ENV});
        assert.equal(r.code, 0, r.stderr);
        const ids = tokens(r.stdout);
        assert.equal(ids.length, 120);
        const seen = new Set<string>();
        for (let i = 0; i + 1 < ids.length; i++) {
            const bigram = `${ids[i]},${ids[i + 1]}`;
            assert.ok(!seen.has(bigram), `bigram ${bigram} repeated at ${i}`);
            seen.add(bigram);
        }
        // without it, the same low temperature repeats bigrams
        const plain = tokens((await runCli(["-m", STORIES(), "--seed", "5", "-n", "120", "--ignore-eos", "--json", "--temp", "0.3", PROMPT], {env: ENV})).stdout);
        const bigrams = plain.slice(1).map((t, i) => `${plain[i]},${t}`);
        assert.ok(new Set(bigrams).size < bigrams.length);
    });
    test("logit bias by text and by id: -inf bans the token", async () => {
        const doc = await explain(["greedy"], ["--top", "5"]);
        const the = doc.steps[0].candidates[0]; // " g"
        const base = ["-m", STORIES(), "--seed", "2", "-n", "60", "--ignore-eos", "--json", "--temp", "0.8", PROMPT];
        const unbiased = tokens((await runCli(base, {env: ENV})).stdout);
        // "g" is tokenized as written (SentencePiece adds the leading space): the token " g"
        for (const bias of [`${the.id}=-inf`, `${the.text.trim()}=-inf`]) {
            const r = await runCli([...base, "--logit-bias", bias], {env: ENV});
            assert.equal(r.code, 0, r.stderr);
            assert.ok(!tokens(r.stdout).includes(the.id), `${bias}: token ${the.id} ${JSON.stringify(the.text)} was generated`);
        }
        assert.ok(unbiased.length === 60);
        const ban = await explain([`logit-bias(${JSON.stringify(the.text.trim())}=-inf)`, `logit-bias(${the.id}=-inf)`]);
        for (const s of ban.steps[0].strategies) {
            assert.equal(s.kept.length, 511, s.spec);
            assert.ok(!s.kept.some((k) => k.id === the.id));
        }
    });
});

describe("explain and compare take every new sampler", () => {
    const STATELESS = ["typical=0.9", "epsilon=0.001", "eta=0.002", "top-n-sigma=1", "mirostat=1:3:0.1", "mirostat=2:2:0.1", "dynatemp=1:0.5:1", "xtc=0:0.1", "typical=0.5,temp=0.7"];
    test("explain --json: kept sets equal the chains' on the same distribution", async () => {
        const doc = await explain(STATELESS, ["--steps", "2"]);
        for (const step of doc.steps) {
            const logits = new Float32Array(512).fill(-Infinity);
            for (const c of step.candidates) logits[c.id] = c.p > 0 ? Math.log(c.p) : -Infinity;
            for (const [i, spec] of STATELESS.entries()) {
                const s = parseStrategy(spec) as SampleStrategy;
                const got = step.strategies[i];
                assert.equal(got.spec, s.spec);
                const ref = new SamplerChain(s.samplers, 512).keep(logits, {history: [], promptLength: 0, rng: createRng(0), trueLogits: false});
                const refQ = new Map(ref.map((x) => [x.id, x.q]));
                assert.deepEqual(got.kept.map((x) => x.id).sort((a, b) => a - b), [...refQ.keys()].sort((a, b) => a - b), spec);
                for (const x of got.kept) assert.ok(Math.abs(x.q - refQ.get(x.id)!) < 1e-5, `${spec} q of ${x.id}`);
            }
        }
    });
    test("explain shows where the hf and llama.cpp orders differ (temperature 1.5, top-p 0.9)", async () => {
        const doc = await explain(["temp=1.5,top-p=0.9", "top-p=0.9,temp=1.5"]);
        const [hf, llama] = doc.steps[0].strategies;
        assert.ok(hf.kept.length > 10, `hf keeps ${hf.kept.length}`);
        assert.equal(llama.kept.length, 2);
    });
    test("explain and compare accept history-based and random units too", async () => {
        const specs = ["dry=0.8", "repeat-penalty=1.3,top-k=20", "presence-penalty=0.5,frequency-penalty=0.5", "no-repeat-ngram=2", "xtc=1:0.1", "logit-bias(\"the\"=-inf)"];
        const fast = await fastRouteAvailable();
        const use = fast ? specs : specs.filter((s) => !s.startsWith("repeat-penalty"));
        const e = await runCli(["explain", "-m", STORIES(), "--steps", "3", "--json", ...use.flatMap((s) => ["-s", s]), PROMPT], {env: ENV});
        assert.equal(e.code, 0, e.stderr);
        assert.equal((JSON.parse(e.stdout) as ExplainDoc).steps[0].strategies.length, use.length);
        const c = await runCli(["compare", "-m", STORIES(), "--seed", "1", "-n", "16", "--json", ...use.flatMap((s) => ["-s", s]), PROMPT], {env: ENV});
        assert.equal(c.code, 0, c.stderr);
        const report = JSON.parse(c.stdout) as {strategies: Array<{spec: string}>};
        assert.deepEqual(report.strategies.map((s) => s.spec), use.map((s) => parseStrategy(s).spec));
    });
});

describe("the CTRL repetition penalty and the logits routes", () => {
    test("the public route refuses it: exit 1, one line saying how to get the fast route, nothing on stdout", async () => {
        for (const args of [
            ["-m", STORIES(), "--logits-route", "public", "--repeat-penalty", "1.1", PROMPT],
            ["explain", "-m", STORIES(), "--logits-route", "public", "-s", "repeat-penalty=1.1", PROMPT],
            ["compare", "-m", STORIES(), "--logits-route", "public", "-s", "top-k=5", "-s", "repeat-penalty=1.1", PROMPT],
        ]) {
            const r = await runCli(args, {env: ENV});
            assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
            assert.equal(r.stdout, "");
            assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
            assert.match(r.stderr, /repeat-penalty needs the model's raw logits/);
            assert.match(r.stderr, /npm run build:fast/);
            assert.match(r.stderr, /--logits-route fast/);
        }
        // presence/frequency penalties are exact on the public route: the same tokens on both routes
        const args = ["-m", STORIES(), "--seed", "4", "-n", "40", "--json", "--presence-penalty", "0.6", "--frequency-penalty", "0.4", "--top-k", "1000", PROMPT];
        const pub = tokens((await runCli([...args, "--logits-route", "public"], {env: ENV})).stdout);
        if (!(await fastRouteAvailable())) return;
        assert.deepEqual(tokens((await runCli([...args, "--logits-route", "fast"], {env: ENV})).stdout), pub);
    });
    test("on the fast route it divides positive raw logits and multiplies negative ones (checked against p)", async (t) => {
        if (!(await fastRouteAvailable())) {
            if (REQUIRED) assert.fail("the fast logits route is not built (npm run build:fast)");
            t.skip("the fast logits route is not built: npm run build:fast");
            return;
        }
        // Only the prompt's tokens are penalised. With raw logits l = ln p + c for an unknown c,
        // q ∝ e^(l/θ) (l > 0) or e^(lθ) (l ≤ 0) for those and e^l for the rest: one c must explain every
        // penalised token, each under the sign rule its own logit l = ln p + c selects. "Lily xq Lily"
        // has penalised tokens on both sides of 0.
        const theta = 1.7;
        const doc = await explain([`repeat-penalty=${theta}:-1`, "random"], ["--logits-route", "fast"], "Lily xq Lily");
        const step = doc.steps[0];
        const [pen, plain] = step.strategies;
        const p = new Map(step.candidates.map((c) => [c.id, c.p]));
        const q = new Map(pen.kept.map((k) => [k.id, k.q]));
        const ratio = new Map(plain.kept.filter((k) => k.q > 1e-30).map((k) => [k.id, q.get(k.id)! / k.q]));
        const sorted = [...ratio.values()].sort((x, y) => x - y);
        const r0 = sorted[Math.floor(sorted.length / 2)]; // most tokens are not penalised: Z_plain / Z_pen
        const changed = [...ratio.keys()].filter((id) => Math.abs(ratio.get(id)! / r0 - 1) >= 1e-5);
        assert.ok(changed.length >= 2 && changed.length <= 8, `penalised tokens: ${changed.length}`);
        const u = [...ratio.keys()].filter((id) => !changed.includes(id)).sort((a, b) => p.get(b)! - p.get(a)!)[0];
        const hypotheses = changed.map((k) => {
            const delta = Math.log(q.get(k)!) - Math.log(q.get(u)!);
            const lpk = Math.log(p.get(k)!);
            const lpu = Math.log(p.get(u)!);
            const divide = (delta - lpk / theta + lpu) / (1 / theta - 1); // l_k > 0: (ln p_k + c)/θ − (ln p_u + c) = Δ
            const multiply = (delta - theta * lpk + lpu) / (theta - 1); // l_k ≤ 0: (ln p_k + c)·θ − (ln p_u + c) = Δ
            return {lpk, options: [{c: divide, ok: lpk + divide > 0, rule: "divide"}, {c: multiply, ok: lpk + multiply <= 0, rule: "multiply"}]};
        });
        const explains = (c: number): string[] | undefined => {
            const rules: string[] = [];
            for (const h of hypotheses) {
                const hit = h.options.find((o) => o.ok && Math.abs(o.c - c) < 1e-4);
                if (!hit) return undefined;
                rules.push(hit.rule);
            }
            return rules;
        };
        const solutions = hypotheses[0].options.filter((o) => o.ok).map((o) => explains(o.c)).filter((r): r is string[] => r !== undefined);
        assert.equal(solutions.length, 1, "exactly one constant c explains every penalised token");
        assert.ok(solutions[0].includes("divide") && solutions[0].includes("multiply"), `both signs exercised: ${solutions[0].join(", ")}`);
    });
});

describe("usage errors on the command line", () => {
    const cases: [string, string[], RegExp][] = [
        ["mirostat version", ["--mirostat", "3"], /mirostat version.*1 or 2/],
        ["xtc threshold alone", ["--xtc-threshold", "0.1"], /--xtc-threshold needs --xtc-probability/],
        ["xtc threshold range", ["--xtc-probability", "0.5", "--xtc-threshold", "0.7"], /xtc threshold.*\(0, 0\.5\]/],
        ["dry base range", ["--dry-multiplier", "1", "--dry-base", "0.5"], /dry base.*>= 1/],
        ["typical range", ["--typical-p", "0"], /typical.*\(0, 1\]/],
        ["order preset", ["--temp", "1", "--order", "vllm"], /vllm/],
        ["order with -s", ["-s", "top-k=5", "--order", "hf"], /--order orders the sampler flags, but -s\/--strategy gives the whole strategy/],
        ["samplers missing a given sampler", ["--temp", "1", "--top-k", "4", "--samplers", "top_k"], /--samplers has no place for temperature/],
        ["logit bias outside the vocabulary", ["--logit-bias", "99999=-inf"], /outside the vocabulary \(ids 0 to 511\)/],
        ["strategy string range", ["-s", "dry=0.8:1.75:0"], /dry allowed must be an integer >= 1, got 0/],
        ["no-repeat-ngram range", ["--no-repeat-ngram", "0"], /no-repeat-ngram must be an integer >= 1/],
    ];
    for (const [what, args, message] of cases) {
        test(`${what}: exit 2, one line`, async () => {
            const r = await runCli(["-m", STORIES(), ...args, "hi"], {env: ENV});
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, message);
            assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
            assert.equal(r.stdout, "");
        });
    }
});
