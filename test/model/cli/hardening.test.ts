/**
 * Bad input and faults on the generation side of the CLI: every case ends with one stderr line (no
 * stack trace), the documented exit code (2 usage, 1 runtime, 128 + signal), and stdout that is
 * either the product or empty — NDJSON always ends with a done event saying why.
 */
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, test} from "node:test";
import {ndjson, runCli, type CliResult} from "../../support/cli.js";
import {BIN, ROOT, STORIES} from "../../support/paths.js";

/** One line on stderr, no stack trace, the given exit code. */
function oneLineError(r: CliResult, code: number, pattern: RegExp): void {
    assert.equal(r.code, code, `exit ${r.code}, stderr: ${r.stderr}`);
    const lines = r.stderr.split("\n").filter((l) => l.length > 0);
    assert.equal(lines.length, 1, `one stderr line, got:\n${r.stderr}`);
    assert.match(lines[0], /^llmgen: /);
    assert.match(lines[0], pattern);
    assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
}

describe("bounded inputs", () => {
    test("--threads is bounded by the machine's CPU threads (5 cases)", async () => {
        const cpus = os.availableParallelism();
        for (const bad of ["1000", "64", String(cpus + 1), "0", "two"]) {
            if (Number(bad) > 0 && Number(bad) <= cpus) continue;
            const r = await runCli(["-m", STORIES(), "--threads", bad, "-n", "2", "x"]);
            oneLineError(r, 2, new RegExp(`--threads must be an integer from 1 to ${cpus} \\(this machine's CPU threads\\), got "${bad}"`));
        }
        const ok = await runCli(["-m", STORIES(), "--threads", String(cpus), "-n", "2", "-s", "greedy", "x"]);
        assert.equal(ok.code, 0, ok.stderr);
    });

    test("--ctx-size is honoured below llama.cpp's 256-cell minimum and bounded above (4 cases)", async () => {
        const long = "Once upon a time ".repeat(40);
        oneLineError(await runCli(["-m", STORIES(), "--ctx-size", "32", "-n", "3", long]), 2, /the prompt is \d+ tokens but the context holds 32;/);
        oneLineError(await runCli(["-m", STORIES(), "--ctx-size", "1000000000", "x"]), 2, /--ctx-size must be an integer from 16 to 16777216, got "1000000000"/);
        oneLineError(await runCli(["-m", STORIES(), "--ctx-size", "8", "x"]), 2, /--ctx-size must be an integer from 16 to 16777216/);
        const r = await runCli(["-m", STORIES(), "--ctx-size", "32", "-n", "100", "-s", "greedy", "--json", "Once"]);
        assert.equal(r.code, 0, r.stderr);
        const done = ndjson(r.stdout).filter((e) => e.type === "done")[0]!;
        assert.equal(done.stopReason, "context-full");
        assert.equal(done.tokens, 32 - 2, "prompt (BOS + 1 token) and generated tokens fill exactly 32 cells");
    });

    test("a 1.2 MB prompt reaches the context-size usage error (no stack overflow)", async () => {
        const big = "a ".repeat(600_000);
        const r = await runCli(["-m", STORIES(), "-n", "3"], {input: big});
        oneLineError(r, 2, /the prompt is 600002 tokens but the context holds 2048/);
    });
});

describe("one number syntax everywhere", () => {
    test("hex, Infinity and empty numbers are refused by flags, strategy strings and the environment alike (6 cases)", async () => {
        oneLineError(await runCli(["-m", STORIES(), "-n", "0x10", "x"]), 2, /--max-tokens must be an integer ≥ 1, got "0x10"/);
        oneLineError(await runCli(["-m", STORIES(), "--top-k", "0x10", "x"]), 2, /top-k/);
        oneLineError(await runCli(["-m", STORIES(), "-s", "top-k=0x10", "x"]), 2, /top-k/);
        oneLineError(await runCli(["-m", STORIES(), "--seed", "Infinity", "x"]), 2, /--seed must be an integer/);
        oneLineError(await runCli(["-m", STORIES(), "--threads", " ", "x"]), 2, /--threads must be an integer/);
        oneLineError(await runCli(["-m", STORIES(), "-n", "2", "x"], {env: {LLMGEN_FORK_MIN_GAIN: "0x2"}}), 2, /LLMGEN_FORK_MIN_GAIN must be an integer/);
        const ok = await runCli(["-m", STORIES(), "-n", "1e1", "-s", "greedy", "--json", "x"]);
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal(ndjson(ok.stdout).at(-1)!.tokens, 10, "1e1 is ten, as in a strategy string");
    });
});

describe("stdout that cannot be written", () => {
    test("a full disk (/dev/full) is one line and exit 1, plain and --json (2 cases)", {skip: !fs.existsSync("/dev/full") && "no /dev/full"}, async () => {
        for (const extra of [[], ["--json"]]) {
            const r = await new Promise<CliResult>((resolve, reject) => {
                const out = fs.openSync("/dev/full", "w");
                const child = spawn(process.execPath, [BIN, "-m", STORIES(), "-n", "20", ...extra, "x"], {cwd: ROOT, stdio: ["ignore", out, "pipe"]});
                let stderr = "";
                child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
                child.on("error", reject);
                child.on("close", (code, signal) => {
                    fs.closeSync(out);
                    resolve({code, signal, stdout: "", stderr});
                });
            });
            oneLineError(r, 1, /cannot write the output to stdout: no space left on the device \(ENOSPC\)/);
        }
    });
});

describe("arguments and commands", () => {
    test("options before a command name belong to that command (3 cases)", async () => {
        const compare = await runCli(["-m", STORIES(), "--seed", "5", "compare", "-s", "greedy", "-n", "4", "--json", "x"]);
        assert.equal(compare.code, 0, compare.stderr);
        const doc = JSON.parse(compare.stdout) as {model: string; seed: number};
        assert.equal(doc.model, STORIES());
        assert.equal(doc.seed, 5);
        const explain = await runCli(["-m", STORIES(), "explain", "--json", "x"]);
        assert.equal(explain.code, 0, explain.stderr);
        assert.equal((JSON.parse(explain.stdout) as {model: string}).model, STORIES());
        oneLineError(await runCli(["-m", STORIES(), "--samples", "2", "explain", "x"]), 2, /--samples \(given before "explain"\) is not an option of llmgen explain/);
    });

    test("after -- the first word is the prompt, even a command name (2 cases)", async () => {
        for (const word of ["models", "compare"]) {
            const r = await runCli(["-m", STORIES(), "-s", "greedy", "-n", "5", "--json", "--", word]);
            assert.equal(r.code, 0, r.stderr);
            const events = ndjson(r.stdout);
            assert.equal(events.at(-1)!.type, "done", `generated from "${word}"`);
        }
    });

    test("a mistyped command is suggested; two loose words are one prompt too many (3 cases)", async () => {
        oneLineError(await runCli(["comapre", "x"]), 2, /unknown command "comapre" \(did you mean compare\?\)/);
        oneLineError(await runCli(["explian", "x"]), 2, /did you mean explain\?/);
        oneLineError(await runCli(["Once", "upon"]), 2, /too many arguments: the prompt is one argument; quote it, e.g. llmgen "Once upon"/);
    });

    test("a strategy given twice on generation is a usage error (3 cases)", async () => {
        oneLineError(await runCli(["-m", STORIES(), "-s", "greedy", "-s", "random", "x"]), 2, /-s\/--strategy was given twice \("greedy" and "random"\)/);
        oneLineError(await runCli(["-m", STORIES(), "--strategy", "greedy", "-s", "top-k=3", "x"]), 2, /given twice/);
        oneLineError(await runCli(["-m", STORIES(), "--beams", "2", "--beams", "3", "x"]), 2, /--beams was given twice/);
    });

    test("empty stdin is not a prompt; an empty argument is (2 cases)", async () => {
        oneLineError(await runCli(["-m", STORIES(), "-n", "3"], {input: ""}), 2, /no prompt: stdin was empty/);
        const r = await runCli(["-m", STORIES(), "-n", "3", "-s", "greedy", ""]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.length > 1);
    });
});

describe("--top-logprobs and the event schema", () => {
    test("--top-logprobs without --json is a usage error", async () => {
        oneLineError(await runCli(["-m", STORIES(), "--top-logprobs", "3", "-n", "3", "x"]), 2, /--top-logprobs .* add --json/);
    });

    test("beam search token events have the sampling schema, with --top-logprobs alternatives", async () => {
        const beam = ndjson((await runCli(["-m", STORIES(), "--beams", "3", "-n", "6", "--json", "--top-logprobs", "4", "Once upon a time"])).stdout);
        const sampled = ndjson((await runCli(["-m", STORIES(), "-s", "greedy", "-n", "6", "--json", "--top-logprobs", "4", "Once upon a time"])).stdout);
        const tokens = beam.filter((e) => e.type === "token");
        assert.equal(tokens.length, 6);
        assert.deepEqual(beam.map((e) => e.type), ["prompt", ...tokens.map(() => "token"), "done"], "the prompt, the tokens, the done event");
        const sampledToken = sampled.find((e) => e.type === "token")!;
        assert.deepEqual(Object.keys(tokens[0]!).sort(), Object.keys(sampledToken).sort(), "same keys as sampling's token events");
        for (const e of tokens as Array<{id: number; logprob: number; top: Array<{id: number; logprob: number}>}>) {
            assert.equal(e.top.length, 4);
            for (let i = 1; i < 4; i++) assert.ok(e.top[i - 1]!.logprob >= e.top[i]!.logprob);
            const listed = e.top.find((t) => t.id === e.id);
            if (listed) assert.ok(Math.abs(listed.logprob - e.logprob) < 1e-3, "the chosen token's logprob agrees with its listing");
            else assert.ok(e.logprob <= e.top[3]!.logprob + 1e-3, "a token missing from the top 4 is less probable than all of them");
        }
        // width-1 beam search is greedy: its top lists equal greedy's exactly
        const beam1 = ndjson((await runCli(["-m", STORIES(), "--beams", "1", "-n", "6", "--json", "--top-logprobs", "4", "Once upon a time"])).stdout);
        const ids = (events: typeof beam) => events.filter((e) => e.type === "token").map((e) => (e.top as Array<{id: number}>).map((t) => t.id));
        assert.deepEqual(ids(beam1), ids(sampled));
    });
});

describe("several samples in plain text", () => {
    test("each sample starts with a header line on stdout, in order", async () => {
        const r = await runCli(["-m", STORIES(), "-s", "random", "--seed", "3", "--samples", "3", "-n", "12", "Once upon a time"]);
        assert.equal(r.code, 0, r.stderr);
        const headers = r.stdout.split("\n").filter((l) => /^-- sample \d+ of 3 --$/.test(l));
        assert.deepEqual(headers, ["-- sample 1 of 3 --", "-- sample 2 of 3 --", "-- sample 3 of 3 --"]);
        assert.ok(r.stdout.startsWith("-- sample 1 of 3 --\n"));
        // the texts between the headers are the --json texts
        const json = ndjson((await runCli(["-m", STORIES(), "-s", "random", "--seed", "3", "--samples", "3", "-n", "12", "--json", "Once upon a time"])).stdout);
        const texts = json.filter((e) => e.type === "done").sort((a, b) => Number(a.sample) - Number(b.sample)).map((e) => e.text);
        const parts = r.stdout.split(/^-- sample \d+ of 3 --\n/m).slice(1).map((p) => p.replace(/\n$/, ""));
        assert.deepEqual(parts, texts);
    });
});

describe("output files are checked before the run", () => {
    test("compare --html: a folder, a missing folder, an unwritable place (3 cases, each before the model loads)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-html-"));
        try {
            // -m names a model that does not exist: the --html check must come first
            const missing = path.join(dir, "none.gguf");
            oneLineError(await runCli(["compare", "-m", missing, "--html", dir, "x"]), 2, /--html .*: that is a folder; give a file name/);
            oneLineError(await runCli(["compare", "-m", missing, "--html", path.join(dir, "no", "r.html"), "x"]), 2, /the folder .* does not exist/);
            oneLineError(await runCli(["compare", "-m", missing, "--html", "/proc/llmgen-report.html", "x"]), 2, /cannot write there/);
        } finally {
            fs.rmSync(dir, {recursive: true, force: true});
        }
    });
});

describe("signals end a run with well-formed output", () => {
    for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130], ["SIGHUP", 129]] as const) {
        test(`${signal} during --json generation: last line is a done event (interrupted), exit ${code}`, async () => {
            const child = spawn(process.execPath, [BIN, "-m", STORIES(), "-s", "random", "--seed", "1", "-n", "1000000", "--ignore-eos", "--ctx-size", "4096", "--json", "x"],
                {cwd: ROOT, stdio: ["ignore", "pipe", "pipe"]});
            let stdout = "";
            let stderr = "";
            child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
            child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
            // wait for the first token event, then signal
            await new Promise<void>((resolve) => {
                const check = (): void => (stdout.includes("\"type\":\"token\"") ? resolve() : void setTimeout(check, 20));
                check();
            });
            child.kill(signal);
            const exit = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
            assert.equal(exit, code, stderr);
            const events = ndjson(stdout);
            const last = events.at(-1)!;
            assert.equal(last.type, "done");
            assert.equal(last.stopReason, "interrupted");
            assert.equal(last.text, events.filter((e) => e.type === "token").map((e) => e.text).join(""));
        });
    }

    test("SIGTERM during compare --json: one valid JSON document whose samples say interrupted, exit 143", async () => {
        const child = spawn(process.execPath, [BIN, "compare", "-m", STORIES(), "-s", "random", "-s", "greedy", "-n", "1000000", "--ignore-eos",
            "--ctx-size", "4096", "--json", "--verbose", "x"], {cwd: ROOT, stdio: ["ignore", "pipe", "pipe"]});
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        // --verbose names the route once the model is loaded: generation is under way soon after
        await new Promise<void>((resolve) => {
            const check = (): void => (/logits route:/.test(stderr) ? resolve() : void setTimeout(check, 20));
            check();
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        child.kill("SIGTERM");
        const exit = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
        assert.equal(exit, 143, stderr);
        const doc = JSON.parse(stdout) as {strategies: Array<{spec: string; samples: Array<{stopReason: string}>}>};
        assert.deepEqual(doc.strategies.map((s) => s.spec), ["random", "greedy"]);
        for (const s of doc.strategies) for (const x of s.samples) assert.equal(x.stopReason, "interrupted");
        assert.equal(stderr.trim().split("\n").at(-1), "llmgen: interrupted (the output above is partial)");
    });
});
