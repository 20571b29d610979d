/**
 * End-to-end tests of `llmgen [prompt]` on the two fixture models, through the real CLI.
 */
import assert from "node:assert/strict";
import {spawn, spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, test} from "node:test";
import {ndjson, runCli} from "../../support/cli.js";
import {BIN, ROOT, STORIES, TINY_RANDOM} from "../../support/paths.js";

const PROMPT = "Once upon a time";

function nativeGreedy(model: string, prompt: string, n: number): {ids: number[]; logprobs: number[]} {
    const script = path.join(ROOT, "dist", "test", "support", "nativeReference.js");
    const r = spawnSync(process.execPath, [script, model, prompt, String(n)], {encoding: "utf8"});
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as {ids: number[]; logprobs: number[]};
}

function tokenEvents(stdout: string): Array<{id: number; text: string; logprob: number; sample: number; index: number}> {
    return ndjson(stdout).filter((e) => e.type === "token") as never;
}

function doneEvents(stdout: string): Array<Record<string, unknown>> {
    return ndjson(stdout).filter((e) => e.type === "done");
}

const ANSI = new RegExp(String.fromCharCode(27) + "\\[");

for (const [name, model] of [["stories260K", STORIES], ["tiny-random", TINY_RANDOM]] as const) {
    describe(`greedy on ${name}`, () => {
        test("is token-identical to node-llama-cpp's own greedy generation for 64 tokens, with matching logprobs", async () => {
            const reference = nativeGreedy(model(), PROMPT, 64);
            const r = await runCli(["-m", model(), "--greedy", "-n", "64", "--json", PROMPT]);
            assert.equal(r.code, 0, r.stderr);
            const events = tokenEvents(r.stdout);
            assert.deepEqual(events.map((e) => e.id), reference.ids);
            assert.ok(reference.ids.length > 10, "reference generated too few tokens to compare");
            for (let i = 0; i < events.length; i++)
                assert.ok(Math.abs(events[i]!.logprob - reference.logprobs[i]!) < 1e-4, `logprob ${i}: ${events[i]!.logprob} vs ${reference.logprobs[i]}`);
            const done = doneEvents(r.stdout);
            assert.equal(done.length, 1);
            assert.equal(done[0]!.text, events.map((e) => e.text).join(""), "token texts concatenate to the done text");
            assert.equal(done[0]!.tokens, events.length);
            assert.equal(done[0]!.strategy, "greedy");
        });

        test("--top-k 1 and --beams 1 equal greedy", async () => {
            const greedy = await runCli(["-m", model(), "--greedy", "-n", "48", PROMPT]);
            const topk1 = await runCli(["-m", model(), "--top-k", "1", "--seed", "7", "-n", "48", PROMPT]);
            const beam1 = await runCli(["-m", model(), "--beams", "1", "-n", "48", PROMPT]);
            assert.equal(greedy.code, 0, greedy.stderr);
            assert.ok(greedy.stdout.length > 20);
            assert.equal(topk1.stdout, greedy.stdout);
            assert.equal(beam1.stdout, greedy.stdout);
        });
    });
}

describe("sampling", () => {
    test("same seed gives byte-identical output; different seeds differ", async () => {
        const args = ["-m", STORIES(), "--top-p", "0.95", "-n", "60", "--ignore-eos", PROMPT];
        const a = await runCli([...args, "--seed", "42"]);
        const b = await runCli([...args, "--seed", "42"]);
        const c = await runCli([...args, "--seed", "43"]);
        assert.equal(a.code, 0, a.stderr);
        assert.equal(a.stdout, b.stdout);
        assert.notEqual(a.stdout, c.stdout);
    });

    test("sample i of --samples N equals the same sample run alone (independent seeded streams)", async () => {
        const many = await runCli(["-m", STORIES(), "-s", "random", "--samples", "3", "--seed", "5", "-n", "30", "--json", PROMPT]);
        const one = await runCli(["-m", STORIES(), "-s", "random", "--samples", "1", "--seed", "5", "-n", "30", "--json", PROMPT]);
        assert.equal(many.code, 0, many.stderr);
        const done = doneEvents(many.stdout);
        assert.deepEqual(done.map((d) => d.sample).sort(), [0, 1, 2]);
        const texts = new Set(done.map((d) => d.text));
        assert.equal(texts.size, 3, "three random samples should differ");
        assert.equal(done.find((d) => d.sample === 0)!.text, doneEvents(one.stdout)[0]!.text);
        for (const d of done) assert.equal(d.seed, 5);
    });

    test("without --seed a seed is chosen and reported, and reproduces the run", async () => {
        const r = await runCli(["-m", STORIES(), "-n", "20", "--json", PROMPT]);
        const done = doneEvents(r.stdout)[0]!;
        assert.equal(typeof done.seed, "number");
        assert.equal(done.strategy, "top-p=0.9");
        const again = await runCli(["-m", STORIES(), "-n", "20", "--json", "--seed", String(done.seed), PROMPT]);
        assert.equal(doneEvents(again.stdout)[0]!.text, done.text);
    });

    test("--top-logprobs lists the most probable alternatives, best first, including the greedy choice", async () => {
        const r = await runCli(["-m", STORIES(), "--greedy", "-n", "5", "--json", "--top-logprobs", "3", PROMPT]);
        for (const e of tokenEvents(r.stdout) as unknown as Array<{id: number; logprob: number; top: Array<{id: number; logprob: number; text: string}>}>) {
            assert.equal(e.top.length, 3);
            assert.equal(e.top[0]!.id, e.id);
            assert.equal(e.top[0]!.logprob, e.logprob);
            assert.ok(e.top[0]!.logprob >= e.top[1]!.logprob && e.top[1]!.logprob >= e.top[2]!.logprob);
        }
    });
});

describe("prompts, stops and output", () => {
    test("prompt from stdin equals the prompt as argument; the empty prompt generates from BOS", async () => {
        const arg = await runCli(["-m", STORIES(), "--greedy", "-n", "20", PROMPT]);
        const stdin = await runCli(["-m", STORIES(), "--greedy", "-n", "20"], {input: PROMPT + "\n"});
        assert.equal(stdin.code, 0, stdin.stderr);
        assert.equal(stdin.stdout, arg.stdout);
        const empty = await runCli(["-m", STORIES(), "--greedy", "-n", "20", ""]);
        assert.equal(empty.code, 0, empty.stderr);
        assert.ok(empty.stdout.trim().length > 0, "generation from BOS alone produced text");
    });

    test("a stop string ends generation and is not printed", async () => {
        const full = await runCli(["-m", STORIES(), "--greedy", "-n", "40", "--json", PROMPT]);
        const text = doneEvents(full.stdout)[0]!.text as string;
        const at = text.indexOf("Lily");
        assert.ok(at > 0, `expected "Lily" in ${JSON.stringify(text)}`);
        const r = await runCli(["-m", STORIES(), "--greedy", "-n", "40", "--json", "--stop", "Lily", PROMPT]);
        const done = doneEvents(r.stdout)[0]!;
        assert.equal(done.stopReason, "stop");
        assert.equal(done.text, text.slice(0, at));
        const plain = await runCli(["-m", STORIES(), "--greedy", "-n", "40", "--stop", "Lily", PROMPT]);
        assert.equal(plain.stdout, text.slice(0, at) + "\n");
    });

    test("stop reasons: eos, max-tokens and context-full", async () => {
        const eos = await runCli(["-m", STORIES(), "--greedy", "-n", "400", "--json", PROMPT]);
        assert.equal(doneEvents(eos.stdout)[0]!.stopReason, "eos");
        const max = await runCli(["-m", STORIES(), "--greedy", "-n", "3", "--json", PROMPT]);
        assert.equal(doneEvents(max.stdout)[0]!.stopReason, "max-tokens");
        assert.equal(doneEvents(max.stdout)[0]!.tokens, 3);
        const full = await runCli(["-m", STORIES(), "--greedy", "--ctx-size", "32", "--ignore-eos", "-n", "1000", "--json", PROMPT]);
        assert.equal(full.code, 0, full.stderr);
        assert.equal(doneEvents(full.stdout)[0]!.stopReason, "context-full");
    });

    test("piped output is only the generated text: no ANSI codes, no spinner, nothing on stderr", async () => {
        const r = await runCli(["-m", STORIES(), "-n", "20", "--seed", "1", PROMPT], {env: {FORCE_COLOR: "3"}});
        assert.equal(r.code, 0);
        assert.doesNotMatch(r.stdout, ANSI);
        assert.equal(r.stderr, "");
        assert.ok(!r.stdout.startsWith(PROMPT), "the prompt is not echoed when piped");
    });

    test("streamed token texts add up to the final text on the 32k vocabulary (multi-byte, byte fallback)", async () => {
        const r = await runCli(["-m", TINY_RANDOM(), "-s", "random", "--seed", "3", "-n", "200", "--json", "--ignore-eos", "Привет, 世界"]);
        assert.equal(r.code, 0, r.stderr);
        const done = doneEvents(r.stdout)[0]!;
        const events = tokenEvents(r.stdout);
        assert.equal(events.length, 200);
        assert.equal(done.text, events.map((e) => e.text).join(""));
        // Random weights pick byte tokens that need not form valid UTF-8, so U+FFFD may legitimately
        // appear here; test/model/generate/streaming.test.ts checks that valid text never gets one.
    });

    test("beam search reports every finished beam with its score, best first", async () => {
        const r = await runCli(["-m", STORIES(), "--beams", "3", "-n", "30", "--json", PROMPT]);
        assert.equal(r.code, 0, r.stderr);
        const done = doneEvents(r.stdout)[0]! as {beams: Array<{score: number; sumLogprob: number; tokens: number; text: string; stopReason: string}>; text: string};
        assert.ok(done.beams.length >= 3);
        for (let i = 1; i < done.beams.length; i++) assert.ok(done.beams[i - 1]!.score >= done.beams[i]!.score);
        // length penalty 1.0: score = sum of log-probs / generated length (the end token counts).
        for (const b of done.beams) {
            const length = b.tokens + (b.stopReason === "eos" ? 1 : 0);
            assert.ok(Math.abs(b.score - b.sumLogprob / length) < 1e-9, JSON.stringify(b));
        }
        assert.equal(done.text, done.beams[0]!.text);
    });
});

describe("errors", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-err-"));
    const notGguf = path.join(tmp, "not.gguf");
    fs.writeFileSync(notGguf, "hello, I am not a model\n".repeat(100));
    const empty = path.join(tmp, "empty.gguf");
    fs.writeFileSync(empty, "");
    const truncated = path.join(tmp, "truncated.gguf");

    const cases: Array<[string, string[], number, RegExp]> = [
        ["missing model", ["-m", path.join(tmp, "nope.gguf"), "hi"], 1, /nope\.gguf/],
        ["not a GGUF file", ["-m", notGguf, "hi"], 1, /not\.gguf/],
        ["empty file", ["-m", empty, "hi"], 1, /empty\.gguf/],
        ["truncated file", ["-m", truncated, "hi"], 1, /truncated\.gguf/],
        ["top-p out of range", ["--top-p", "1.5", "hi"], 2, /top-p/],
        ["top-k zero", ["--top-k", "0", "hi"], 2, /top-k/],
        ["negative temperature", ["--temp", "-1", "hi"], 2, /temp/],
        ["min-p not a number", ["--min-p", "abc", "hi"], 2, /min-p/],
        ["NaN seed", ["--seed", "NaN", "hi"], 2, /--seed/],
        ["unknown strategy", ["-s", "top-q=0.9", "hi"], 2, /top-q/],
        ["unknown flag", ["--top-z", "3", "hi"], 2, /top-z/],
        ["bad max tokens", ["-n", "0", "hi"], 2, /max-tokens/],
        ["conflicting flags", ["-s", "greedy", "--top-p", "0.9", "hi"], 2, /cannot be combined/],
        ["prompt longer than the context", ["--ctx-size", "16", "word ".repeat(100)], 2, /ctx-size/]
    ];
    for (const [what, args, code, message] of cases) {
        test(`${what}: exit ${code}, one clear line, no stack trace`, async () => {
            if (what === "truncated file") fs.writeFileSync(truncated, fs.readFileSync(STORIES()).subarray(0, 100_000));
            const needsModel = !args.includes("-m");
            const r = await runCli(needsModel ? ["-m", STORIES(), ...args] : args);
            assert.equal(r.code, code, `stderr: ${r.stderr}`);
            assert.match(r.stderr, message);
            assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
            assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
            assert.equal(r.stdout, "");
        });
    }

    test("writing into a closed pipe ends quietly with exit 0", () => {
        const r = spawnSync("bash", ["-c", `"${process.execPath}" "${BIN}" -m "${STORIES()}" -s random --seed 1 --ignore-eos -n 2000 "${PROMPT}" | head -c 20 >/dev/null; echo "\${PIPESTATUS[0]}"`], {encoding: "utf8"});
        assert.equal(r.stdout.trim(), "0");
        assert.doesNotMatch(r.stderr, /EPIPE|Error/);
    });

    test("Ctrl-C stops cleanly, keeps what was printed, exit 130", async () => {
        const child = spawn(process.execPath, [BIN, "-m", STORIES(), "-s", "random", "--seed", "1", "--ignore-eos", "-n", "1000000", PROMPT], {cwd: ROOT});
        let out = "";
        let err = "";
        child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
        const code = await new Promise<number | null>((resolve) => {
            child.stdout.setEncoding("utf8").on("data", (d: string) => {
                out += d;
                if (out.length > 200 && !child.killed) child.kill("SIGINT");
            });
            child.on("close", (c) => resolve(c));
        });
        assert.equal(code, 130, err);
        assert.ok(out.length > 200);
        assert.doesNotMatch(err, /\n\s+at /);
    });
});
