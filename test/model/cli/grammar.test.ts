/**
 * Structured output end to end: under --json-schema every sample parses and fits the schema, even
 * with pure sampling at temperature 1.5, over many seeds (every sample has its own seed) and three
 * vocabularies (512, 32k, 128k); generation ends when the JSON is complete ("grammar"). --grammar
 * follows a GBNF file. explain shows the grammar as its own column with kept set and mass, and
 * every chain after it keeps only grammatical tokens. Token logprobs stay the model's. Usage errors.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {after, describe, test} from "node:test";
import {z} from "zod";
import {ndjson, runCli} from "../../support/cli.js";
import {largeFixturesFolder, largeFixturesSkip, STORIES, TINY_RANDOM} from "../../support/paths.js";

const SCHEMA = {
    type: "object",
    properties: {
        name: {type: "string", maxLength: 12},
        age: {type: "integer"},
        ok: {type: "boolean"},
        score: {type: "number"},
        tags: {type: "array", items: {enum: ["red", "green", "blue"]}, maxItems: 3},
        pet: {type: "object", properties: {kind: {const: "cat"}, legs: {type: "integer"}}, required: ["kind", "legs"], additionalProperties: false},
        note: {anyOf: [{type: "string", maxLength: 5}, {type: "null"}]}
    },
    required: ["name", "age", "ok", "score", "tags", "pet", "note"],
    additionalProperties: false
} as const;

/** The schema without maxLength (zod counts UTF-16 units, JSON Schema counts characters): lengths are checked apart. */
function withoutMaxLength(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map(withoutMaxLength);
    if (schema === null || typeof schema !== "object") return schema;
    return Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "maxLength").map(([k, v]) => [k, withoutMaxLength(v)]));
}
const validator = z.fromJSONSchema(withoutMaxLength(SCHEMA) as Parameters<typeof z.fromJSONSchema>[0]);

function checkFits(text: string, where: string): void {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (e) {
        assert.fail(`${where}: not JSON (${(e as Error).message}): ${JSON.stringify(text)}`);
    }
    const result = validator.safeParse(value);
    assert.ok(result.success, `${where}: does not fit the schema: ${JSON.stringify(text)} ${result.success ? "" : result.error.message}`);
    const v = value as {name: string; note: string | null};
    assert.ok([...v.name].length <= 12, `${where}: name longer than 12 characters: ${JSON.stringify(v.name)}`);
    if (v.note !== null) assert.ok([...v.note].length <= 5, `${where}: note longer than 5 characters`);
}

interface Done {
    type: "done";
    sample: number;
    text: string;
    stopReason: string;
    tokens: number;
}

async function runSchema(model: string, samples: number, seed: number, extra: string[] = []): Promise<Done[]> {
    const r = await runCli(["-m", model, "--json-schema", JSON.stringify(SCHEMA), "-s", "random,temp=1.5", "--samples", String(samples),
        "--seed", String(seed), "-n", "400", "--json", ...extra, "Here is the record:"], {timeoutMs: 600_000});
    assert.equal(r.code, 0, r.stderr);
    const done = ndjson(r.stdout).filter((e) => e.type === "done") as unknown as Done[];
    assert.equal(done.length, samples);
    return done;
}

const large = largeFixturesFolder();
const VOCABS: Array<[string, () => string, number, number[], string | false]> = [
    ["stories260K (512)", STORIES, 48, [1, 2], false],
    ["tiny-random (32k)", TINY_RANDOM, 16, [3], false],
    ["Llama 3 vocab q8_0 (128k)", () => path.join(large ?? "", "llama-3-vocab-random-q8_0.gguf"), 12, [4], largeFixturesSkip(large !== undefined)]
];

for (const [name, model, samples, seeds, skip] of VOCABS) {
    describe(`--json-schema on ${name}, -s random,temp=1.5`, {skip}, () => {
        for (const seed of seeds) {
            test(`${samples} samples (seed ${seed}): every output parses, fits the schema and ends with the grammar`, async () => {
                for (const d of await runSchema(model(), samples, seed)) {
                    checkFits(d.text, `sample ${d.sample}`);
                    assert.equal(d.stopReason, "grammar", `sample ${d.sample}: ${JSON.stringify(d.text)}`);
                }
            });
        }
    });
}

describe("--json-schema details (stories260K)", () => {
    test("token events keep the model's own log-probabilities, the same with and without the schema", async () => {
        const common = ["-m", STORIES(), "-s", "greedy", "-n", "1", "--json", "--top-logprobs", "5", "Once upon a time"];
        const free = ndjson((await runCli(common)).stdout).find((e) => e.type === "token") as {id: number; logprob: number; top: Array<{id: number; logprob: number}>};
        const r = await runCli([...common.slice(0, -1), "--json-schema", '{"type":"object","properties":{"a":{"type":"boolean"}}}', "Once upon a time"]);
        assert.equal(r.code, 0, r.stderr);
        const constrained = ndjson(r.stdout).find((e) => e.type === "token") as {id: number; text: string; logprob: number; top: Array<{id: number; logprob: number}>};
        assert.equal(constrained.text, "{");
        assert.notEqual(constrained.id, free.id, "the schema changed the token");
        assert.deepEqual(constrained.top, free.top, "the alternatives are the model's, not the grammar's");
        assert.ok(constrained.logprob < free.logprob && constrained.logprob < -3, `"{" keeps its small model log-probability: ${constrained.logprob}`);
    });

    test("the same seed gives the same JSON; --samples runs each sample on its own grammar state", async () => {
        const a = await runSchema(STORIES(), 4, 9);
        const b = await runSchema(STORIES(), 4, 9);
        assert.deepEqual(a.map((d) => d.text), b.map((d) => d.text));
        assert.ok(new Set(a.map((d) => d.text)).size > 1, "different samples differ");
    });

    test("plain output is the JSON itself (no trailing newlines of the grammar's end)", async () => {
        const r = await runCli(["-m", STORIES(), "--json-schema", '{"type":"object","properties":{"ok":{"type":"boolean"}}}', "-s", "greedy", "Hi"]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), {ok: false});
        assert.match(r.stdout, /}\n$/);
    });

    test("a schema file works like inline JSON", async () => {
        const file = path.join(tmp, "schema.json");
        fs.writeFileSync(file, JSON.stringify({type: "object", properties: {ok: {type: "boolean"}}}));
        const r = await runCli(["-m", STORIES(), "--json-schema", file, "-s", "greedy", "Hi"]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), {ok: false});
    });

    test("compare: every sampling strategy follows the schema; the default list leaves beam search out", async () => {
        const r = await runCli(["compare", "-m", STORIES(), "--json-schema", JSON.stringify(SCHEMA), "--samples", "3", "--seed", "5", "-n", "400", "--json", "Data:"], {timeoutMs: 300_000});
        assert.equal(r.code, 0, r.stderr);
        const doc = JSON.parse(r.stdout) as {strategies: Array<{spec: string; samples: Array<{text: string; stopReason: string}>}>};
        assert.deepEqual(doc.strategies.map((s) => s.spec), ["greedy", "random", "top-k=40", "top-p=0.9", "min-p=0.1"]);
        for (const s of doc.strategies) for (const [i, smp] of s.samples.entries()) {
            checkFits(smp.text, `${s.spec} sample ${i}`);
            assert.equal(smp.stopReason, "grammar");
        }
    });
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-grammar-"));
after(() => fs.rmSync(tmp, {recursive: true, force: true}));

describe("--grammar (GBNF)", () => {
    test("every sample is a word of the grammar's language, and ends there", async () => {
        const file = path.join(tmp, "answer.gbnf");
        fs.writeFileSync(file, 'root ::= ("yes" | "no" | "maybe") "." [0-9]\n');
        const r = await runCli(["-m", TINY_RANDOM(), "--grammar", file, "-s", "random,temp=1.5", "--samples", "12", "--seed", "2", "--json", "Answer:"]);
        assert.equal(r.code, 0, r.stderr);
        const done = ndjson(r.stdout).filter((e) => e.type === "done") as unknown as Done[];
        assert.equal(done.length, 12);
        for (const d of done) {
            assert.match(d.text, /^(yes|no|maybe)\.[0-9]$/);
            assert.equal(d.stopReason, "grammar");
        }
    });
});

describe("explain shows the grammar as a stage (stories260K)", () => {
    test("its column keeps exactly the accepted tokens, q = p / mass; every chain keeps a subset of it", async () => {
        const r = await runCli(["explain", "-m", STORIES(), "--json-schema", '{"type":"object","properties":{"ok":{"type":"boolean"}}}', "--top", "512",
            "--steps", "4", "-s", "top-p=0.9", "-s", "random", "--json", "Once"]);
        assert.equal(r.code, 0, r.stderr);
        const doc = JSON.parse(r.stdout) as {constraint: string; steps: Array<{candidates: Array<{id: number; p: number}>; chosen?: {id: number; text: string};
            strategies: Array<{spec: string; size: number; mass: number; kept: Array<{id: number; p: number; q: number}>}>}>};
        assert.equal(doc.constraint, "json-schema");
        assert.equal(doc.steps.length, 4);
        const texts: string[] = [];
        for (const step of doc.steps) {
            const [grammar, topP, random] = step.strategies;
            assert.deepEqual([grammar!.spec, topP!.spec, random!.spec], ["json-schema", "top-p=0.9", "random"]);
            const mass = grammar!.kept.reduce((a, k) => a + k.p, 0);
            assert.ok(Math.abs(grammar!.mass - mass) < 1e-9);
            for (const k of grammar!.kept) assert.ok(Math.abs(k.q - k.p / mass) < 1e-6, `q = p / mass for ${k.id}`);
            // random keeps exactly the grammar's set; top-p keeps a subset of it.
            assert.deepEqual(random!.kept.map((k) => k.id).sort((a, b) => a - b), grammar!.kept.map((k) => k.id).sort((a, b) => a - b));
            const accepted = new Set(grammar!.kept.map((k) => k.id));
            for (const k of topP!.kept) assert.ok(accepted.has(k.id));
            // top-p=0.9 over the grammatical mass: the smallest prefix (q descending) reaching 0.9.
            let cum = 0;
            let n = 0;
            for (const k of grammar!.kept) {
                n++;
                cum += k.q;
                if (cum >= 0.9 - 1e-6) break;
            }
            assert.equal(topP!.kept.length, n);
            if (step.chosen) {
                assert.equal(step.chosen.id, grammar!.kept[0]!.id, "greedy takes the most probable accepted token");
                texts.push(step.chosen.text);
            }
        }
        assert.equal(texts[0], "{");
    });

    test("the plain table has the grammar's column and its legend", async () => {
        const r = await runCli(["explain", "-m", STORIES(), "--json-schema", '{"type":"object"}', "-s", "top-p=0.9", "Once"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /json-schema\s+top-p=0\.9/);
        assert.match(r.stdout, /json-schema: the tokens it accepts next/);
    });
});

describe("structured output: usage errors (exit 2, one line)", () => {
    const badGbnf = (): string => {
        const f = path.join(tmp, "bad.gbnf");
        fs.writeFileSync(f, "root ::= undefined-rule\n");
        return f;
    };
    const cases: Array<[string, () => string[], RegExp]> = [
        ["inline JSON that does not parse", () => ["--json-schema", "{not json"], /--json-schema: not valid JSON/],
        ["a schema with an unknown type", () => ["--json-schema", '{"type":"object","properties":{"a":{"type":"strng"}}}'], /--json-schema: invalid JSON schema \(Unsupported type: strng\)/],
        ["a schema that is not an object", () => ["--json-schema", "[1]"], /a JSON schema must be a JSON object/],
        ["a schema file that does not exist", () => ["--json-schema", "nope.json"], /--json-schema "nope\.json": no such file/],
        ["a grammar llama.cpp cannot parse", () => ["--grammar", badGbnf()], /--grammar .*bad\.gbnf: llama\.cpp cannot use this GBNF grammar/],
        ["a grammar file that does not exist", () => ["--grammar", "nope.gbnf"], /--grammar "nope\.gbnf": no such file/],
        ["both flags", () => ["--json-schema", "{}", "--grammar", "x.gbnf"], /give one of them/],
        ["beam search", () => ["--json-schema", '{"type":"object"}', "--beams", "2"], /beam=2 cannot follow a grammar/]
    ];
    for (const [what, args, message] of cases) {
        test(what, async () => {
            const r = await runCli(["-m", STORIES(), ...args(), "Hi"]);
            assert.equal(r.code, 2, r.stderr);
            assert.equal(r.stdout, "");
            assert.match(r.stderr, message);
            // llama.cpp's grammar parser writes its own diagnosis to stderr first (fprintf, out of llmgen's hands); llmgen's is one line, the last.
            const ours = r.stderr.trim().split("\n").filter((l) => l.startsWith("llmgen:"));
            assert.equal(ours.length, 1, r.stderr);
            assert.match(ours[0]!, message);
            if (!what.startsWith("a grammar llama.cpp")) assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
            else assert.match(r.stderr, /Undefined rule identifier 'undefined-rule'/);
        });
    }
    test("compare with an explicit beam strategy", async () => {
        const r = await runCli(["compare", "-m", STORIES(), "--json-schema", "{}", "-s", "greedy", "-s", "beam=3", "Hi"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /beam=3 cannot follow a grammar/);
    });
});

describe("chat --json-schema (Llama 3 fixture, its chat template)", {skip: largeFixturesSkip(large !== undefined)}, () => {
    test("every reply parses and fits the schema, and ends with the grammar", async () => {
        const r = await runCli(["chat", "-m", path.join(large ?? "", "llama-3-vocab-random-q8_0.gguf"), "--json-schema", JSON.stringify(SCHEMA),
            "-s", "random,temp=1.5", "--seed", "6", "-n", "300", "--json"], {input: "A record please\nAnother one\n/strategy beam=2\n", timeoutMs: 300_000});
        assert.equal(r.code, 1, "the refused /strategy makes the scripted chat exit 1 at the end");
        assert.match(r.stderr, /beam=2 cannot follow a grammar/);
        const done = ndjson(r.stdout).filter((e) => e.type === "done") as unknown as Array<{text: string; stopReason: string}>;
        assert.equal(done.length, 2);
        for (const [i, d] of done.entries()) {
            checkFits(d.text, `turn ${i}`);
            assert.equal(d.stopReason, "grammar");
        }
    });
});

