/**
 * `llmgen chat` on the Llama 3 fixture (its chat template): scripted through stdin (plain and
 * NDJSON), the KV cache reused across turns, commands, a full context, and the terminal REPL driven
 * through a pseudo-terminal (keystrokes in, screen out; test/support/ptyDrive.py).
 * Needs a llama-3-vocab-random*.gguf fixture (LLMGEN_TEST_MODELS, else ../shared/models): skipped
 * without one, except under CI=true.
 */
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, test} from "node:test";
import {ndjson, runCli} from "../../support/cli.js";
import {pty} from "../../support/pty.js";
import {largeFixturesFolder, largeFixturesSkip, STORIES} from "../../support/paths.js";

const dir = largeFixturesFolder();
const MODEL = dir === undefined ? undefined : ["llama-3-vocab-random-q4_0.gguf", "llama-3-vocab-random.gguf"].map((n) => path.join(dir, n)).find((f) => fs.existsSync(f));
const skip = largeFixturesSkip(MODEL !== undefined);

interface Done {
    type: "done";
    turn: number;
    user: string;
    text: string;
    tokens: number;
    stopReason: string;
    seed: number;
    strategy: string;
    promptTokens: number;
    evaluatedTokens: number;
}

const dones = (stdout: string): Done[] => ndjson(stdout).filter((e) => e.type === "done") as unknown as Done[];

describe("chat driven by a script (stdin not a terminal)", {skip}, () => {
    test("one reply per line; the KV cache is reused across turns (earlier turns are not evaluated again)", async () => {
        const r = await runCli(["chat", "-m", MODEL!, "-n", "6", "--seed", "3", "--json"], {input: "Hello\nHow are you today?\nTell me more\n"});
        assert.equal(r.code, 0, r.stderr);
        const d = dones(r.stdout);
        assert.deepEqual(d.map((x) => [x.turn, x.user]), [[0, "Hello"], [1, "How are you today?"], [2, "Tell me more"]]);
        assert.deepEqual(d.map((x) => x.seed), [3, 4, 5], "each reply takes the next seed");
        for (let k = 1; k < d.length; k++) {
            assert.ok(d[k]!.promptTokens > d[k - 1]!.promptTokens + d[k - 1]!.tokens, "the prompt holds the earlier turns");
            const promptEvaluated = d[k]!.evaluatedTokens - d[k]!.tokens;
            assert.ok(promptEvaluated <= d[k]!.promptTokens - d[k - 1]!.promptTokens,
                `turn ${k}: ${promptEvaluated} prompt tokens evaluated, but only ${d[k]!.promptTokens - d[k - 1]!.promptTokens} are new`);
        }
        // the token events of each turn make its text
        const events = ndjson(r.stdout);
        for (const x of d) assert.equal(events.filter((e) => e.type === "token" && e.turn === x.turn).map((e) => e.text).join(""), x.text);
    });

    test("the first reply equals llmgen --chat with the same seed and strategy; replays are identical", async () => {
        const chat = await runCli(["chat", "-m", MODEL!, "-n", "8", "--seed", "9", "--top-k", "20", "--json"], {input: "Hello there\nAgain\n"});
        const again = await runCli(["chat", "-m", MODEL!, "-n", "8", "--seed", "9", "--top-k", "20", "--json"], {input: "Hello there\nAgain\n"});
        const single = await runCli(["-m", MODEL!, "--chat", "-n", "8", "--seed", "9", "--top-k", "20", "--json", "Hello there"]);
        assert.equal(chat.code, 0, chat.stderr);
        assert.deepEqual(dones(chat.stdout).map((x) => x.text), dones(again.stdout).map((x) => x.text));
        assert.equal(dones(chat.stdout)[0]!.text, (ndjson(single.stdout).at(-1) as {text: string}).text);
    });

    test("plain output: each reply on its own line block", async () => {
        const r = await runCli(["chat", "-m", MODEL!, "-n", "4", "-s", "greedy"], {input: "Hi\nHi again\n"});
        assert.equal(r.code, 0, r.stderr);
        const json = dones((await runCli(["chat", "-m", MODEL!, "-n", "4", "-s", "greedy", "--json"], {input: "Hi\nHi again\n"})).stdout);
        assert.equal(r.stdout, json.map((x) => x.text + "\n").join(""));
    });

    test("commands: /seed, /strategy, /reset, /system, /save, and an unknown one (exit 1 at the end)", async () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-chat-"));
        try {
            const save = path.join(tmp, "t.json");
            const input = ["Hello", "/seed 42", "/strategy greedy", "Next", "/reset", "Hello", "/system Be brief.", "Hello", `/save ${save}`, "/frobnicate", ""].join("\n");
            const r = await runCli(["chat", "-m", MODEL!, "-n", "4", "--seed", "1", "--json"], {input});
            assert.equal(r.code, 1, "an unknown command fails the run at the end");
            assert.match(r.stderr, /^seed 42$/m);
            assert.match(r.stderr, /^strategy greedy$/m);
            assert.match(r.stderr, /^conversation reset$/m);
            assert.match(r.stderr, /^system message set; conversation reset$/m);
            assert.match(r.stderr, /^llmgen: unknown command \/frobnicate; \/help lists them$/m);
            const d = dones(r.stdout);
            assert.deepEqual(d.map((x) => [x.seed, x.strategy]), [[1, "top-p=0.9"], [42, "greedy"], [43, "greedy"], [44, "greedy"]]);
            assert.equal(d[2]!.promptTokens, d[0]!.promptTokens, "after /reset the prompt is the first turn's again");
            assert.ok(d[3]!.promptTokens > d[2]!.promptTokens, "the system message is in the prompt");
            const transcript = JSON.parse(fs.readFileSync(save, "utf8")) as {system: string; messages: Array<{role: string; text: string}>};
            assert.equal(transcript.system, "Be brief.");
            assert.deepEqual(transcript.messages.map((m) => m.role), ["system", "user", "assistant"]);
            assert.equal(transcript.messages[2]!.text, d[3]!.text);
        } finally {
            fs.rmSync(tmp, {recursive: true, force: true});
        }
    });

    test("a full context drops the oldest turns with a notice; a message that cannot fit is one line", async () => {
        const many = Array.from({length: 8}, (_, i) => `This is message number ${i} of a long chat`).join("\n") + "\n";
        const r = await runCli(["chat", "-m", MODEL!, "--ctx-size", "128", "-n", "12", "-s", "greedy", "--json"], {input: many});
        assert.equal(r.code, 0, r.stderr);
        assert.equal(dones(r.stdout).length, 8, "every message was answered");
        assert.match(r.stderr, /context full: dropped the \d+ oldest turns?/);
        // room kept for a reply: min(32, -n) = 12 tokens
        for (const d of dones(r.stdout)) assert.ok(d.promptTokens + 12 <= 128, `prompt ${d.promptTokens}`);
        const huge = await runCli(["chat", "-m", MODEL!, "--ctx-size", "64", "-n", "4", "-s", "greedy"], {input: "word ".repeat(200) + "\nshort\n"});
        assert.equal(huge.code, 1);
        assert.match(huge.stderr, /^llmgen: this message is \d+ tokens with the template; the context holds 64/m);
        assert.ok(huge.stdout.trim().length > 0, "the next message is still answered");
    });

    test("a model without a chat template: one line, exit 2", async () => {
        const r = await runCli(["chat", "-m", STORIES()], {input: "Hello\n"});
        assert.equal(r.code, 2);
        assert.match(r.stderr.trim(), /^llmgen: .*stories260K\.gguf has no chat template/);
    });
});


const hasPython = spawnSync("python3", ["--version"]).status === 0;

describe("chat on a terminal (pseudo-terminal)", {skip: skip || (!hasPython && "python3 is needed to drive a pseudo-terminal")}, () => {
    test("a reply streams; history recalls a line; /explain; Ctrl-C stops a reply; Ctrl-C at the prompt quits", () => {
        const r = pty(["chat", "-m", MODEL!, "--seed", "1", "--ignore-eos", "-n", "100000", "--ctx-size", "4096"], [
            {expect: "you> ", timeout: 60},
            {send: "/strategy greedy\r"},
            {expect: "strategy greedy"},
            {send: "/seed 7\r"},
            {expect: "seed 7"},
            {send: "Hello\r"},
            {expect: "\\S{20,}", timeout: 60},
            {send: "\u0003"},
            {expect: "stop: interrupted", timeout: 30},
            {expect: "you> "},
            {send: "/explain\r"},
            {expect: "greedy", timeout: 30},
            {expect: "you> "},
            {send: "\u001b[A\u001b[A\u001b[A\r"},
            {expect: "seed 7", timeout: 30},
            {expect: "you> "},
            {send: "\u0003"}
        ]);
        assert.ok(r.ok, `step ${r.failed_step} not reached; screen:\n${r.output.slice(-3000)}`);
        assert.equal(r.exit, 0, r.output.slice(-2000));
        assert.equal(r.signal, null);
    });

    test("Ctrl-D at the prompt quits with exit 0", () => {
        const r = pty(["chat", "-m", MODEL!, "-n", "4", "-s", "greedy"], [
            {expect: "you> ", timeout: 60},
            {send: "Hi\r"},
            {expect: "stop: max-tokens", timeout: 60},
            {expect: "you> "},
            {send: "\u0004"}
        ]);
        assert.ok(r.ok, r.output.slice(-2000));
        assert.equal(r.exit, 0);
    });
});
