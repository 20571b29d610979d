/**
 * End-to-end tests of `llmgen batch` through the real CLI: every answer equals the same request run
 * alone with `llmgen --json`, results come in input order, bad lines become error results, stdin
 * works, --output/--resume continue a cut output, and the exit codes.
 */
import {z} from "zod";
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, test} from "node:test";
import {ndjson, runCli} from "../../support/cli.js";
import {BIN, largeFixturesFolder, largeFixturesSkip, ROOT, STORIES, TINY_RANDOM} from "../../support/paths.js";

interface Line {
    id?: string | number;
    prompt: string;
    strategy?: string;
    seed?: number;
    maxTokens?: number;
    samples?: number;
    stop?: string | string[];
}

const jsonl = (lines: readonly unknown[]): string => lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n";

function tmpFile(name: string, content?: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-batch-"));
    const file = path.join(dir, name);
    if (content !== undefined) fs.writeFileSync(file, content);
    return file;
}

/** A done event without its timing (the only field that may differ between two runs). */
function stable(e: Record<string, unknown>): Record<string, unknown> {
    const {tokensPerSecond: _t, ...rest} = e;
    return rest;
}

const REQUESTS: Line[] = [
    {id: "greedy", prompt: "Once upon a time", strategy: "greedy", seed: 1, maxTokens: 24},
    {id: "topp", prompt: "Lily went to the", seed: 7, maxTokens: 24},
    {id: "chain", prompt: "The little dog", strategy: "temp=0.7,top-k=40,top-p=0.9", seed: 3, maxTokens: 20},
    {id: "samples", prompt: "One day, Tom", strategy: "min-p=0.05", seed: 11, maxTokens: 16, samples: 3},
    {id: "beam", prompt: "The sun was", strategy: "beam=2", seed: 2, maxTokens: 12},
    {id: "stop", prompt: "Once upon a time", strategy: "random", seed: 5, maxTokens: 40, stop: "."}
];

/** The `llmgen --json` arguments of a request run alone. */
function singleArgs(model: string, r: Line): string[] {
    const args = ["-m", model, "--json", "-n", String(r.maxTokens ?? 256)];
    if (r.strategy !== undefined) args.push("-s", r.strategy);
    if (r.seed !== undefined) args.push("--seed", String(r.seed));
    if (r.samples !== undefined) args.push("--samples", String(r.samples));
    for (const s of r.stop === undefined ? [] : typeof r.stop === "string" ? [r.stop] : r.stop) args.push("--stop", s);
    return [...args, r.prompt];
}

for (const [name, model] of [["stories260K", STORIES], ["tiny-random", TINY_RANDOM]] as const) {
    describe(`batch on ${name}`, () => {
        test("every answer equals the same request run alone with llmgen --json (greedy, top-p, a chain, 3 samples, beam, a stop)", async () => {
            const r = await runCli(["batch", "-m", model(), "--parallel", "4"], {input: jsonl(REQUESTS)});
            assert.equal(r.code, 0, r.stderr);
            const events = ndjson(r.stdout);
            assert.ok(events.every((e) => e.type === "done"), r.stdout);
            for (const req of REQUESTS) {
                const single = await runCli(singleArgs(model(), req));
                assert.equal(single.code, 0, single.stderr);
                const want = ndjson(single.stdout).filter((e) => e.type === "done").map((e) => ({...stable(e), id: req.id}));
                const got = events.filter((e) => e.id === req.id).map(stable);
                assert.ok(got.length > 0 && got.length === (req.samples ?? 1), `request ${req.id}: ${got.length} results`);
                if (req.strategy?.startsWith("beam=") === true) {
                    // A single `llmgen --beams K` shares one KV cache among its beams (kv_unified, see
                    // EngineOptions.kvUnified), which a batch cannot do without touching the other
                    // requests: the beams' texts are the same, their scores agree to float32 rounding.
                    const scores = (xs: Array<Record<string, unknown>>): number[] => xs.flatMap((x) => (x.beams as Array<{score: number; sumLogprob: number}>).flatMap((b) => [b.score, b.sumLogprob]));
                    const noScores = (xs: Array<Record<string, unknown>>): unknown => xs.map((x) => ({...x, beams: (x.beams as Array<Record<string, unknown>>).map(({score: _s, sumLogprob: _l, ...b}) => b)}));
                    assert.deepEqual(noScores(got), noScores(want), `request ${req.id}`);
                    const [a, b] = [scores(got), scores(want)];
                    assert.equal(a.length, b.length);
                    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-4, `beam score ${x} vs ${b[i]}`));
                } else assert.deepEqual(got, want, `request ${req.id}`);
            }
        });
    });
}

describe("batch on the quantized Llama 3 fixtures (128k vocabulary)", () => {
    const large = largeFixturesFolder();
    const QUANTIZED: Line[] = [
        {id: "greedy", prompt: "The weather today", strategy: "greedy", seed: 1, maxTokens: 12},
        {id: "topp", prompt: "Once upon a time", strategy: "temp=0.8,top-p=0.9", seed: 4, maxTokens: 12, samples: 2},
        {id: "minp", prompt: "héllo 😀", strategy: "min-p=0.05", seed: 9, maxTokens: 10},
    ];
    for (const type of ["q4_0", "q8_0"]) {
        const file = large === undefined ? undefined : path.join(large, `llama-3-vocab-random-${type}.gguf`);
        const found = file !== undefined && fs.existsSync(file);
        test(`${type}: every answer equals the same request run alone`, {skip: found ? false : largeFixturesSkip(false)}, async () => {
            assert.ok(found, `missing ${file}`);
            const r = await runCli(["batch", "-m", file!, "--parallel", "4"], {input: jsonl(QUANTIZED)});
            assert.equal(r.code, 0, r.stderr);
            const events = ndjson(r.stdout);
            for (const req of QUANTIZED) {
                const single = await runCli(singleArgs(file!, req));
                assert.equal(single.code, 0, single.stderr);
                const want = ndjson(single.stdout).filter((e) => e.type === "done").map((e) => ({...stable(e), id: req.id}));
                assert.deepEqual(events.filter((e) => e.id === req.id).map(stable), want, `request ${req.id}`);
            }
        });
    }
});

describe("batch with --json-schema", () => {
    const SCHEMA = {type: "object", properties: {name: {type: "string", maxLength: 8}, age: {type: "integer"}, ok: {type: "boolean"}}, required: ["name", "age", "ok"], additionalProperties: false};
    const fits = z.object({name: z.string().refine((n) => [...n].length <= 8), age: z.int(), ok: z.boolean()}).strict();
    test("every answer parses and fits the schema (pure sampling at temperature 1.5, 12 seeds, 2 samples of one), equals the request run alone; beam is an error for its line", async () => {
        const lines: Line[] = Array.from({length: 12}, (_, i) => ({id: `s${i}`, prompt: "Once upon a time", strategy: "random,temp=1.5", seed: 100 + i, maxTokens: 96}));
        lines.push({id: "two", prompt: "Lily", strategy: "top-p=0.9", seed: 9, maxTokens: 96, samples: 2});
        const r = await runCli(["batch", "-m", STORIES(), "--parallel", "8", "--json-schema", JSON.stringify(SCHEMA)],
            {input: jsonl([...lines, {id: "beam", prompt: "x", strategy: "beam=2"}])});
        assert.equal(r.code, 1, r.stderr);
        const events = ndjson(r.stdout);
        const error = events.find((e) => e.id === "beam");
        assert.equal(error?.type, "error");
        assert.match(String(error?.error), /beam=2 cannot follow a grammar/);
        const done = events.filter((e) => e.type === "done");
        assert.equal(done.length, 14);
        for (const e of done) {
            assert.equal(e.stopReason, "grammar", JSON.stringify(e));
            assert.ok(fits.safeParse(JSON.parse(String(e.text))).success, `${String(e.id)}: ${String(e.text)}`);
        }
        for (const req of [lines[0]!, lines[12]!]) {
            const single = await runCli([...singleArgs(STORIES(), req).slice(0, -1), "--json-schema", JSON.stringify(SCHEMA), req.prompt]);
            assert.equal(single.code, 0, single.stderr);
            const want = ndjson(single.stdout).filter((e) => e.type === "done").map((e) => ({...stable(e), id: req.id}));
            assert.deepEqual(done.filter((e) => e.id === req.id).map(stable), want, `request ${req.id}`);
        }
    });
});

describe("batch output", () => {
    test("done events come in input order although requests finish out of order (--stream shows the order of work)", async () => {
        // The first request is by far the longest: with 3 sequences the others finish first.
        const lines: Line[] = [
            {prompt: "Once upon a time", strategy: "greedy", maxTokens: 80},
            ...Array.from({length: 6}, (_, i): Line => ({prompt: `Lily saw ${i}`, strategy: "greedy", maxTokens: 2}))
        ];
        const r = await runCli(["batch", "-m", STORIES(), "--parallel", "3", "--stream", "--ignore-eos"], {input: jsonl(lines)});
        assert.equal(r.code, 0, r.stderr);
        const events = ndjson(r.stdout);
        const done = events.filter((e) => e.type === "done");
        assert.deepEqual(done.map((e) => e.id), [1, 2, 3, 4, 5, 6, 7]);
        assert.deepEqual(done.map((e) => e.tokens), [80, 2, 2, 2, 2, 2, 2]);
        // Token events carry their request in "request" (their own "id" is the token's).
        const tokens = events.filter((e) => e.type === "token");
        assert.equal(tokens.length, 80 + 6 * 2);
        const lastOfFirst = events.findLastIndex((e) => e.type === "token" && e.request === 1);
        const firstOfSeventh = events.findIndex((e) => e.type === "token" && e.request === 7);
        assert.ok(firstOfSeventh < lastOfFirst, "request 7 should have run while request 1 was still generating");
        for (const id of [1, 7]) {
            const text = tokens.filter((e) => e.request === id).map((e) => e.text).join("");
            assert.equal(text, done.find((e) => e.id === id)!.text);
        }
    });

    test("bad lines (not JSON, unknown key, invalid strategy, a bad value, a duplicate id) are error results in place; the rest runs; exit 1", async () => {
        const input = jsonl([
            {prompt: "Once upon a time", strategy: "greedy", maxTokens: 4},
            "{not json",
            {prompt: "x", colour: "red"},
            {prompt: "x", strategy: "top-q=0.9"},
            {prompt: "x", maxTokens: 0},
            {id: 1, prompt: "x"},
            {id: "last", prompt: "Lily", strategy: "greedy", maxTokens: 3}
        ]);
        const r = await runCli(["batch", "-m", STORIES()], {input});
        assert.equal(r.code, 1, r.stderr);
        const events = ndjson(r.stdout);
        assert.deepEqual(events.map((e) => [e.type, e.id]), [["done", 1], ["error", 2], ["error", 3], ["error", 4], ["error", 5], ["error", 1], ["done", "last"]]);
        const errors = events.filter((e) => e.type === "error").map((e) => e.error as string);
        assert.match(errors[0]!, /^line 2: not JSON/);
        assert.match(errors[1]!, /^line 3: unknown key "colour" \(a line may have id, prompt, strategy, seed, maxTokens, stop, samples, chat, system\)$/);
        assert.match(errors[2]!, /^line 4: unknown sampler "top-q"/);
        assert.match(errors[3]!, /^line 5: "maxTokens": /);
        assert.match(errors[4]!, /^line 6: duplicate id 1/);
    });

    test("reads stdin with - and with no file; a file works the same; the flags are every line's defaults", async () => {
        const input = jsonl([{prompt: "Once upon a time"}, {prompt: "Lily", maxTokens: 2}]);
        const file = tmpFile("in.jsonl", input);
        const runs = await Promise.all([
            runCli(["batch", "-m", STORIES(), "-s", "greedy", "-n", "5", "--seed", "1"], {input}),
            runCli(["batch", "-", "-m", STORIES(), "-s", "greedy", "-n", "5", "--seed", "1"], {input}),
            runCli(["batch", file, "-m", STORIES(), "-s", "greedy", "-n", "5", "--seed", "1"])
        ]);
        for (const r of runs) assert.equal(r.code, 0, r.stderr);
        const outs = runs.map((r) => ndjson(r.stdout).map(stable));
        assert.deepEqual(outs[1], outs[0]);
        assert.deepEqual(outs[2], outs[0]);
        assert.deepEqual(outs[0]!.map((e) => [e.id, e.tokens, e.strategy]), [[1, 5, "greedy"], [2, 2, "greedy"]]);
    });

    test("--output with --resume: a cut file (a complete request, then half a line) is continued; each id once, in input order, equal to an uncut run", async () => {
        const lines: Line[] = Array.from({length: 5}, (_, i): Line => ({id: `r${i}`, prompt: `Once upon a time ${i}`, seed: i, maxTokens: 6}));
        lines[2]!.samples = 2;
        const input = tmpFile("in.jsonl", jsonl(lines));
        const full = tmpFile("full.ndjson");
        const a = await runCli(["batch", input, "-m", STORIES(), "--output", full]);
        assert.equal(a.code, 0, a.stderr);
        assert.equal(a.stdout, "", "with --output nothing goes to stdout");
        const complete = fs.readFileSync(full, "utf8");
        const fileLines = complete.split("\n").filter((l) => l.length > 0);
        assert.equal(fileLines.length, 6);
        // Cut after r0 and r1, inside r2's first done line (r2 has two samples: half of it is incomplete).
        const cut = tmpFile("cut.ndjson", fileLines.slice(0, 3).join("\n") + "\n" + fileLines[3]!.slice(0, 25));
        const b = await runCli(["batch", input, "-m", STORIES(), "--output", cut, "--resume", "--verbose"]);
        assert.equal(b.code, 0, b.stderr);
        assert.match(b.stderr, /batch: 5 requests, 2 already complete, 0 failed/);
        const resumed = ndjson(fs.readFileSync(cut, "utf8"));
        assert.deepEqual(resumed.map(stable), ndjson(complete).map(stable));
        // Once more: everything is complete, nothing runs, the file stays.
        const c = await runCli(["batch", input, "-m", STORIES(), "--output", cut, "--resume", "--verbose"]);
        assert.equal(c.code, 0, c.stderr);
        assert.match(c.stderr, /5 already complete/);
        assert.deepEqual(ndjson(fs.readFileSync(cut, "utf8")).map(stable), ndjson(complete).map(stable));
    });

    test("Ctrl-C: no new request starts, the running ones end \"interrupted\", exit 130; --resume then completes the file as an uninterrupted run would", async () => {
        const lines: Line[] = [
            {id: "short", prompt: "Once upon a time", seed: 1, maxTokens: 2},
            ...Array.from({length: 6}, (_, i): Line => ({id: `long${i}`, prompt: `Lily went to the ${i}`, seed: i, maxTokens: 3000}))
        ];
        const input = tmpFile("in.jsonl", jsonl(lines));
        const out = tmpFile("out.ndjson");
        const args = ["batch", input, "-m", STORIES(), "--ignore-eos", "--ctx-size", "4096", "--parallel", "2", "--output", out];
        const child = spawn(process.execPath, [BIN, ...args], {cwd: ROOT, stdio: ["ignore", "pipe", "pipe"]});
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const code = await new Promise<number | null>((resolve) => {
            const poll = setInterval(() => {
                // The short request is written as soon as it is done: the long ones are running.
                if (fs.existsSync(out) && fs.readFileSync(out, "utf8").includes("\"short\"")) {
                    clearInterval(poll);
                    child.kill("SIGINT");
                }
            }, 50);
            child.on("close", (c) => {
                clearInterval(poll);
                resolve(c);
            });
        });
        assert.equal(code, 130, stderr);
        const cut = ndjson(fs.readFileSync(out, "utf8"));
        assert.equal(cut[0]!.id, "short");
        assert.equal(cut[0]!.stopReason, "max-tokens");
        const rest = cut.slice(1);
        assert.ok(rest.length >= 1 && rest.length <= 2, `the running requests only: ${JSON.stringify(rest.map((e) => e.id))}`);
        for (const e of rest) assert.equal(e.stopReason, "interrupted");
        // Resume (the unfinished requests made shorter, to keep the test quick): "short" is kept as written.
        const small = lines.map((l) => ({...l, maxTokens: Math.min(l.maxTokens!, 20)}));
        fs.writeFileSync(input, jsonl(small));
        const resumed = await runCli(["batch", input, "-m", STORIES(), "--ignore-eos", "--output", out, "--resume", "--verbose"]);
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.match(resumed.stderr, /7 requests, 1 already complete, 0 failed/);
        const full = tmpFile("full.ndjson");
        const reference = await runCli(["batch", input, "-m", STORIES(), "--ignore-eos", "--output", full]);
        assert.equal(reference.code, 0, reference.stderr);
        assert.deepEqual(ndjson(fs.readFileSync(out, "utf8")).map(stable), ndjson(fs.readFileSync(full, "utf8")).map(stable));
    });

    test("usage errors exit 2 before any work: an existing --output without --resume, --resume alone, a bad --parallel, a missing file, no lines, beam wider than --parallel", async () => {
        const exists = tmpFile("out.ndjson", "");
        const input = jsonl([{prompt: "x"}]);
        const cases: Array<[string[], RegExp, string?]> = [
            [["batch", "-m", STORIES(), "--output", exists], /--output .* exists; add --resume/, input],
            [["batch", "-m", STORIES(), "--resume"], /--resume continues an --output file/, input],
            [["batch", "-m", STORIES(), "--parallel", "0"], /--parallel must be an integer from 1 to 256, got "0"/, input],
            [["batch", "/nonexistent/in.jsonl", "-m", STORIES()], /cannot read \/nonexistent\/in.jsonl: no such file/],
            [["batch", "-m", STORIES()], /no requests: stdin has no lines/, "\n\n"],
            [["batch", "-m", STORIES(), "--beams", "4", "--parallel", "2"], /beam=4 needs 4 sequences; raise --parallel to at least 4/, input]
        ];
        for (const [args, message, stdin] of cases) {
            const r = await runCli(args, stdin === undefined ? {} : {input: stdin});
            assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, message);
            assert.equal(r.stdout, "");
        }
    });
});
