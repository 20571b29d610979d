/**
 * `llmgen score` end to end: every token's log-probability equals node-llama-cpp's own probability
 * of that token (one controlledEvaluate with the probability map at every position, in a separate
 * process: test/support/scoreReference.ts) on stories260K, tiny-random and the Llama 3 Q4_0 fixture,
 * on both logits routes; perplexity = exp(−mean); windows; --prompt; --chat; the terminal summary;
 * usage errors.
 */
import assert from "node:assert/strict";
import {execFile} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {after, describe, test} from "node:test";
import {promisify} from "node:util";
import {ndjson, runCli} from "../../support/cli.js";
import {largeFixturesFolder, largeFixturesSkip, ROOT, STORIES, TINY_RANDOM} from "../../support/paths.js";

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-score-"));
after(() => fs.rmSync(dir, {recursive: true, force: true}));

const STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big red ball.\n";
function textFile(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
}

interface TokenEvent {
    type: "token";
    index: number;
    id: number;
    text: string;
    logprob: number;
    top?: Array<{id: number; text: string; logprob: number}>;
}
interface DoneEvent {
    type: "done";
    tokens: number;
    logprob: number;
    perplexity: number;
    windows: number;
}

async function score(args: string[], input?: string): Promise<{tokens: TokenEvent[]; done: DoneEvent}> {
    const r = await runCli(["score", "--json", ...args], {input, timeoutMs: 300_000});
    assert.equal(r.code, 0, r.stderr);
    const events = ndjson(r.stdout);
    const done = events.at(-1) as unknown as DoneEvent;
    assert.equal(done.type, "done");
    const tokens = events.slice(0, -1) as unknown as TokenEvent[];
    assert.ok(tokens.every((t) => t.type === "token"));
    return {tokens, done};
}

async function reference(model: string, file: string): Promise<{ids: number[]; logprobs: number[]; logSums: number[]}> {
    const {stdout} = await run(process.execPath, [path.join(ROOT, "dist", "test", "support", "scoreReference.js"), model, file], {maxBuffer: 1 << 26});
    return JSON.parse(stdout) as {ids: number[]; logprobs: number[]; logSums: number[]};
}

const large = largeFixturesFolder();
const Q4 = large === undefined ? undefined : path.join(large, "llama-3-vocab-random-q4_0.gguf");
const haveQ4 = Q4 !== undefined && fs.existsSync(Q4);

/**
 * Tolerance: llama.cpp normalises its probability map in float32, so at a 128k vocabulary Σp is off 1
 * by up to ≈1e-3 (measured 7e-4 on the Q8_0 fixture); llmgen's log-softmax is in float64. Compared
 * with the map renormalised (log p − log Σp), the largest difference measured was 1e-6 nats on every
 * fixture and both routes; the test allows 1e-5. Unrenormalised, it allows |log Σp| + 1e-5.
 */
const TOLERANCE = 1e-5;

describe("score equals node-llama-cpp's own per-token probabilities", () => {
    const cases: Array<[string, () => string, boolean | string]> = [
        ["stories260K", STORIES, false],
        ["tiny-random (32k vocabulary)", TINY_RANDOM, false],
        ["Llama 3 Q4_0 (128k vocabulary)", () => Q4!, haveQ4 ? false : largeFixturesSkip(false)]
    ];
    for (const [name, model, skip] of cases) {
        for (const route of ["fast", "public"] as const) {
            test(`${name}, ${route} route`, {skip}, async () => {
                const file = textFile(`story-${route}.txt`, STORY);
                const [ours, ref] = await Promise.all([score(["-m", model(), "--logits-route", route, file]), reference(model(), file)]);
                assert.deepEqual(ours.tokens.map((t) => t.id), ref.ids, "the same tokens (BOS not scored)");
                assert.deepEqual(ours.tokens.map((t) => t.index), ref.ids.map((_, i) => i));
                for (const [i, t] of ours.tokens.entries()) {
                    const renormalised = ref.logprobs[i]! - ref.logSums[i]!;
                    assert.ok(Math.abs(t.logprob - renormalised) < TOLERANCE, `token ${i}: ${t.logprob} vs ${renormalised}`);
                    assert.ok(Math.abs(t.logprob - ref.logprobs[i]!) < Math.abs(ref.logSums[i]!) + TOLERANCE);
                }
                const mean = ours.tokens.reduce((a, t) => a + t.logprob, 0) / ours.tokens.length;
                assert.equal(ours.done.tokens, ours.tokens.length);
                assert.ok(Math.abs(ours.done.logprob - mean) < 1e-12);
                assert.ok(Math.abs(ours.done.perplexity - Math.exp(-mean)) < 1e-9 * ours.done.perplexity, "perplexity = exp(−mean)");
                assert.equal(ours.done.windows, 1);
            });
        }
    }
});

describe("score options", () => {
    test("--top-logprobs: the n most probable tokens at each position, the scored one among them when it is", async () => {
        const {tokens} = await score(["-m", STORIES(), "--top-logprobs", "3", textFile("top.txt", STORY)]);
        for (const t of tokens) {
            assert.equal(t.top!.length, 3);
            for (let i = 1; i < 3; i++) assert.ok(t.top![i - 1]!.logprob >= t.top![i]!.logprob);
            assert.ok(t.logprob <= t.top![2]!.logprob || t.top!.some((a) => a.id === t.id), "a token more probable than the third is listed");
            const listed = t.top!.find((a) => a.id === t.id);
            if (listed !== undefined) assert.equal(listed.logprob, t.logprob);
        }
    });

    test("--prompt: the prompt's tokens are context, not scored; the rest equals the whole text's scores", async () => {
        const prompt = "Once upon a time, there was a little girl";
        const whole = await score(["-m", STORIES(), textFile("whole.txt", STORY)]);
        const cont = await score(["-m", STORIES(), "--prompt", prompt, textFile("cont.txt", STORY.slice(prompt.length))]);
        const promptTokens = whole.tokens.length - cont.tokens.length;
        // The prompt is exactly the text of the whole text's first promptTokens tokens.
        assert.equal(whole.tokens.slice(0, promptTokens).map((t) => t.text).join(""), prompt);
        assert.ok(promptTokens > 5);
        assert.deepEqual(cont.tokens.map((t) => t.id), whole.tokens.slice(promptTokens).map((t) => t.id));
        assert.deepEqual(cont.tokens.map((t) => t.index), cont.tokens.map((_, i) => i), "indexes count scored tokens only");
        for (const [i, t] of cont.tokens.entries()) assert.ok(Math.abs(t.logprob - whole.tokens[promptTokens + i]!.logprob) < 1e-5);
        const mean = cont.tokens.reduce((a, t) => a + t.logprob, 0) / cont.tokens.length;
        assert.ok(Math.abs(cont.done.logprob - mean) < 1e-12);
    });

    test("windows: a text longer than --ctx-size gives every token once; the first window's tokens score as in one pass", async () => {
        const long = STORY.repeat(5);
        const file = textFile("long.txt", long);
        const full = await score(["-m", STORIES(), file]);
        const windowed = await score(["-m", STORIES(), "--ctx-size", "64", "--stride", "16", file]);
        const n = full.tokens.length + 1; // with BOS
        assert.ok(n > 64 * 2, `the text is ${n} tokens`);
        assert.equal(windowed.tokens.length, full.tokens.length);
        assert.deepEqual(windowed.tokens.map((t) => t.id), full.tokens.map((t) => t.id));
        assert.equal(windowed.done.windows, 1 + Math.ceil((n - 64) / 16));
        // Positions 1..63 are scored by the first window, which is the start of the one-pass evaluation.
        for (let i = 0; i < 63; i++) assert.ok(Math.abs(windowed.tokens[i]!.logprob - full.tokens[i]!.logprob) < 1e-5, `token ${i}`);
        // Later tokens see at most 63 tokens of context: finite, ≤ 0, and the perplexity stays close.
        for (const t of windowed.tokens) assert.ok(Number.isFinite(t.logprob) && t.logprob <= 0);
        assert.ok(windowed.done.perplexity >= full.done.perplexity * 0.8 && windowed.done.perplexity <= full.done.perplexity * 1.5,
            `windowed ${windowed.done.perplexity} vs one pass ${full.done.perplexity}`);
        // The default stride is half the window (after BOS): 31.
        const half = await score(["-m", STORIES(), "--ctx-size", "64", file]);
        assert.equal(half.done.windows, 1 + Math.ceil((n - 64) / 31));
        assert.equal(half.tokens.length, full.tokens.length);
    });

    test("stdin (\"-\" or piped) gives the same scores as the file", async () => {
        const file = textFile("stdin.txt", STORY);
        const a = await score(["-m", STORIES(), file]);
        const b = await score(["-m", STORIES(), "-"], STORY);
        const c = await score(["-m", STORIES()], STORY);
        assert.deepEqual(b, a);
        assert.deepEqual(c, a);
    });

    test("--chat on the Llama 3 fixture: the reply's tokens after the template's assistant header", {skip: haveQ4 ? false : largeFixturesSkip(false)}, async () => {
        const reply = "Hello there, how are you?";
        const chat = await score(["-m", Q4!, "--chat", "--prompt", "Hi", textFile("reply.txt", reply)]);
        const plain = await score(["-m", Q4!, textFile("reply-plain.txt", reply)]);
        // Llama 3 adds no space prefix: the reply's tokens are those of the text alone.
        assert.deepEqual(chat.tokens.map((t) => t.id), plain.tokens.map((t) => t.id));
        // Different context: different scores.
        assert.ok(chat.tokens.some((t, i) => Math.abs(t.logprob - plain.tokens[i]!.logprob) > 1e-3));
    });
});

describe("score output", () => {
    test("piped: the text, the summary line and the 10 most surprising tokens, lowest logprob first", async () => {
        const file = textFile("plain.txt", STORY);
        const r = await runCli(["score", "-m", STORIES(), file]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(!r.stdout.includes("\u001b["));
        assert.ok(r.stdout.startsWith(STORY));
        const {tokens, done} = await score(["-m", STORIES(), file]);
        assert.match(r.stdout, new RegExp(`^${tokens.length} tokens · mean logprob ${done.logprob.toFixed(4)} · perplexity ${done.perplexity.toFixed(3)}$`, "m"));
        assert.match(r.stdout, /^the 10 most surprising tokens$/m);
        const worst = [...tokens].sort((a, b) => a.logprob - b.logprob || a.index - b.index).slice(0, 10);
        const rows = r.stdout.split("\n").filter((l) => /^ *\d+ +\d+ +"/.test(l));
        assert.equal(rows.length, 10);
        for (const [k, row] of rows.entries()) {
            const cells = row.trim().split(/ +/);
            assert.equal(Number(cells[1]), worst[k]!.index, row);
            assert.ok(row.includes(worst[k]!.logprob.toFixed(3)), row);
        }
    });

    test("usage errors", async () => {
        const empty = textFile("empty.txt", "");
        for (const [args, message] of [
            [[path.join(dir, "missing.txt")], /cannot read .*missing\.txt: no such file/],
            [[empty], /nothing to score/],
            [["--ctx-size", "64", "--stride", "63", textFile("s.txt", STORY)], /--stride must be smaller than 63/],
            [["--top-logprobs", "101", textFile("s2.txt", STORY)], /--top-logprobs must be/],
            [["--system", "x", textFile("s3.txt", STORY)], /--system adds a system message/],
            [["--top-logprobs", "3", textFile("s4.txt", STORY)], /--top-logprobs adds .* add one of them/]
        ] as const) {
            const r = await runCli(["score", "-m", STORIES(), ...args]);
            assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, message);
            assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
        }
    });
});
