/**
 * `llmgen explain` end to end: on real logits (stories260K, the whole 512-token vocabulary listed),
 * every strategy's kept set and q equal what the sampler chain keeps on the same logits, and the
 * documented JSON shape; the plain table; usage errors.
 */
import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {createRng, parseStrategy, SamplerChain, type SampleStrategy} from "../../../src/sampling/index.js";
import {runCli} from "../../support/cli.js";
import {STORIES, TINY_RANDOM} from "../../support/paths.js";

interface Candidate {
    id: number;
    text: string;
    p: number;
}
interface Doc {
    prompt: string;
    steps: Array<{
        position: number;
        context: string;
        entropy: number;
        candidates: Candidate[];
        strategies: Array<{spec: string; mass: number; kept: Array<Candidate & {q: number}>}>;
        chosen?: {id: number; text: string};
    }>;
}

const PROMPT = "Once upon a time";
const SPECS = ["greedy", "random", "top-k=40", "top-p=0.9", "min-p=0.1", "temperature=0.7,top-p=0.9"];

describe("explain --json on stories260K", () => {
    test("kept sets equal the sampler chains' on the same logits, at every greedy step", async () => {
        const r = await runCli(["explain", "-m", STORIES(), "--top", "512", "--steps", "3", "--json", ...SPECS.flatMap((s) => ["-s", s]), "Lily went to the"]);
        assert.equal(r.code, 0, r.stderr);
        const doc = JSON.parse(r.stdout) as Doc;
        assert.equal(doc.prompt, "Lily went to the");
        assert.deepEqual(doc.steps.map((s) => s.position), [0, 1, 2]);
        for (const [k, step] of doc.steps.entries()) {
            // The full distribution: 512 candidates, p descending, summing to 1, with the stated entropy.
            assert.equal(step.candidates.length, 512);
            const total = step.candidates.reduce((a, c) => a + c.p, 0);
            assert.ok(Math.abs(total - 1) < 1e-6, `Σp = ${total}`);
            for (let i = 1; i < step.candidates.length; i++) assert.ok(step.candidates[i - 1]!.p >= step.candidates[i]!.p);
            const h = -step.candidates.reduce((a, c) => a + (c.p > 0 ? c.p * Math.log(c.p) : 0), 0);
            assert.ok(Math.abs(h - step.entropy) < 1e-4, `entropy ${step.entropy} vs ${h}`);
            if (k > 0) assert.equal(step.context, doc.steps[k - 1]!.context + doc.steps[k - 1]!.chosen!.text, "greedy walk");
            if (k < 2) assert.equal(step.chosen!.id, step.candidates[0]!.id, "the walk takes the most probable token");
            // Rebuild the logits (up to a constant) from p and run the real chains on them.
            const logits = new Float32Array(512).fill(-Infinity);
            for (const c of step.candidates) logits[c.id] = c.p > 0 ? Math.log(c.p) : -Infinity;
            const byId = new Map(step.candidates.map((c) => [c.id, c.p]));
            for (const [i, spec] of SPECS.entries()) {
                const s = parseStrategy(spec) as SampleStrategy;
                const got = step.strategies[i]!;
                assert.equal(got.spec, s.spec);
                const reference = new SamplerChain(s.samplers, 512).keep(logits, {history: [], promptLength: 0, rng: createRng(0), trueLogits: false});
                // Same set, same q per token (the order of near-equal q may differ: p went through JSON and log).
                const refQ = new Map(reference.map((x) => [x.id, x.q]));
                assert.deepEqual(got.kept.map((x) => x.id).sort((a, b) => a - b), [...refQ.keys()].sort((a, b) => a - b), `${spec} at step ${k}`);
                for (const [j, x] of got.kept.entries()) {
                    assert.ok(Math.abs(x.q - refQ.get(x.id)!) < 1e-5, `${spec} q of ${x.id}: ${x.q} vs ${refQ.get(x.id)}`);
                    assert.ok(Math.abs(x.p - byId.get(x.id)!) < 1e-12);
                    if (j > 0) assert.ok(got.kept[j - 1]!.q >= x.q, "sorted by q");
                }
                const mass = got.kept.reduce((a, x) => a + x.p, 0);
                assert.ok(Math.abs(mass - got.mass) < 1e-9);
            }
            const [greedy, random, topK, topP, minP] = step.strategies;
            assert.equal(greedy!.kept.length, 1);
            assert.equal(greedy!.kept[0]!.q, 1);
            assert.equal(random!.kept.length, 512);
            assert.equal(topK!.kept.length, 40);
            assert.ok(topP!.mass >= 0.9 - 1e-6 && topP!.mass - topP!.kept.at(-1)!.p < 0.9, "top-p: the smallest set with mass ≥ 0.9");
            const pmax = step.candidates[0]!.p;
            assert.deepEqual(new Set(minP!.kept.map((x) => x.id)), new Set(step.candidates.filter((c) => c.p >= 0.1 * pmax - 1e-12).map((c) => c.id)));
        }
    });

    test("nucleus adapts: top-p keeps few tokens after a predictable context, many after an open one", async () => {
        const r1 = await runCli(["explain", "-m", STORIES(), "-s", "top-p=0.9", "--json", PROMPT]);
        const r2 = await runCli(["explain", "-m", STORIES(), "-s", "top-p=0.9", "--json", "Apple is a"]);
        const size = (out: string): number => (JSON.parse(out) as Doc).steps[0]!.strategies[0]!.kept.length;
        assert.ok(size(r1.stdout) <= 2, `after "${PROMPT}": ${size(r1.stdout)}`);
        assert.ok(size(r2.stdout) >= 10, `after "Apple is a": ${size(r2.stdout)}`);
    });

    test("a 32k vocabulary (tiny-random)", async () => {
        const r = await runCli(["explain", "-m", TINY_RANDOM(), "--top", "5", "-s", "top-k=3", "-s", "min-p=0.5", "--json", PROMPT]);
        assert.equal(r.code, 0, r.stderr);
        const step = (JSON.parse(r.stdout) as Doc).steps[0]!;
        assert.equal(step.candidates.length, 5);
        assert.deepEqual(step.strategies[0]!.kept.map((x) => x.id), step.candidates.slice(0, 3).map((c) => c.id));
    });
});

describe("explain output", () => {
    test("piped: the table with p, bars, q per strategy, kept and mass", async () => {
        const r = await runCli(["explain", "-m", STORIES(), "--top", "5", "--steps", "2", "Apple is a"]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(!r.stdout.includes("\u001b["));
        assert.match(r.stdout, /^step 1 of 2: next token after "Apple is a"$/m);
        assert.match(r.stdout, /^entropy \d+\.\d{3} nats/m);
        assert.match(r.stdout, /^# +token +p +greedy +random +top-k=40 +top-p=0\.9 +min-p=0\.1$/m);
        assert.match(r.stdout, /^1 +"[^"]+" +\d+\.\d+% +█/m);
        assert.match(r.stdout, /^ +kept +1 +512 +40 +\d+ +\d+$/m);
        assert.match(r.stdout, /^ +mass +\d+\.\d+% +100\.0% +/m);
        assert.match(r.stdout, /^step 2 of 2: next token after "Apple is a[^"]+"$/m);
    });

    test("usage errors", async () => {
        for (const [args, message] of [
            [["-s", "beam=4"], /beam=4 cannot be explained/],
            [["--top", "0"], /--top must be/],
            [["--steps", "x"], /--steps must be/]
        ] as const) {
            const r = await runCli(["explain", "-m", STORIES(), ...args, PROMPT]);
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, message);
        }
    });
});

describe("explain --trace", () => {
    const CHAIN = "repeat-penalty=1.3,presence-penalty=0.5,frequency-penalty=0.2,dry=0.8,top-k=40,top-p=0.9,temp=0.7";
    const TEXT = "Once upon a time there was a little girl. Once upon a time";
    interface Stage {
        spec: string;
        size: number;
        mass: number;
        kept: Array<Candidate & {q: number}>;
    }

    test("stages on stories260K: one per sampler, each a subset of the one before, the last equal to kept", async () => {
        const r = await runCli(["explain", "-m", STORIES(), "--trace", "--steps", "2", "--json", "-s", CHAIN, "-s", "random", TEXT]);
        assert.equal(r.code, 0, r.stderr);
        const doc = JSON.parse(r.stdout) as {steps: Array<{candidates: Candidate[]; strategies: Array<{spec: string; size: number; mass: number; kept: Array<Candidate & {q: number}>; stages: Stage[]}>}>};
        const specs = (parseStrategy(CHAIN) as SampleStrategy).samplers.map((s) => s.spec);
        for (const step of doc.steps) {
            const [traced, random] = step.strategies;
            assert.deepEqual(traced!.stages.map((s) => s.spec), specs);
            const last = traced!.stages.at(-1)!;
            assert.deepEqual(last.kept, traced!.kept);
            assert.equal(last.size, traced!.size);
            assert.equal(last.mass, traced!.mass);
            let before: Set<number> | undefined;
            for (const stage of traced!.stages) {
                assert.equal(stage.size, stage.kept.length);
                assert.ok(Math.abs(stage.mass - Math.min(1, stage.kept.reduce((a, k) => a + k.p, 0))) < 1e-12);
                assert.ok(Math.abs(stage.kept.reduce((a, k) => a + k.q, 0) - 1) < 1e-9, `${stage.spec}: Σq = 1`);
                if (before !== undefined) for (const k of stage.kept) assert.ok(before.has(k.id), `${stage.spec} keeps ${k.id}, removed earlier`);
                before = new Set(stage.kept.map((k) => k.id));
            }
            // The penalties and DRY reweight without removing anything; top-k=40 then leaves 40.
            assert.deepEqual(traced!.stages.map((s) => s.size).slice(0, 5), [512, 512, 512, 512, 40]);
            assert.ok(traced!.stages[5]!.size < 40);
            assert.equal(traced!.stages[6]!.size, traced!.stages[5]!.size, "temperature removes nothing");
            // The penalties change the distribution: q after the repeat penalty differs from p.
            const byId = new Map(step.candidates.map((c) => [c.id, c.p]));
            const stage1 = traced!.stages[0]!.kept;
            assert.ok(stage1.some((k) => Math.abs(k.q - byId.get(k.id)!) > 1e-3), "the repeat penalty reweights");
            // The empty chain has no stages.
            assert.deepEqual(random!.stages, []);
        }
    });

    test("the terminal table: one column per stage, removed tokens marked where they go", async () => {
        const r = await runCli(["explain", "-m", STORIES(), "--trace", "--top", "5", "-s", "top-k=3,top-p=0.5,temp=0.7", "Apple is a"], {env: {COLUMNS: "120"}});
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^stages of top-k=3,top-p=0\.5,temperature=0\.7$/m);
        assert.match(r.stdout, /^# +token +p +1:top-k=3 +2:top-p=0\.5 +3:temperature=0\.7$/m);
        // Rows 4 and 5 are removed by top-k (x in its column, . after).
        assert.match(r.stdout, /^4 +"[^"]*" +\S+ +x +\. +\.$/m);
        assert.match(r.stdout, /^5 +"[^"]*" +\S+ +x +\. +\.$/m);
        assert.match(r.stdout, /^ +size +3 +\d +\d$/m);
        assert.match(r.stdout, /^ +mass +\S+% +\S+% +\S+%$/m);
        assert.match(r.stdout, /x = removed\s+by\s+that\s+stage/);
    });
});
