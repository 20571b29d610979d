/**
 * The Llama 3 vocabulary end to end (128 256 tokens, byte-level BPE, several end tokens, a chat
 * template), on every llama-3-vocab-random fixture (F16, Q8_0, Q4_0 matrices) in the fixtures
 * folder: end tokens, BOS, streaming of characters split across tokens, readable byte pieces,
 * logit bias by text, the chat template, and the prompt event.
 *
 * The fixtures live outside the repository (LLMGEN_TEST_MODELS, else ../shared/models); without
 * them these tests are skipped, except under CI=true, where that is a failure.
 */
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {describe, test} from "node:test";
import {ndjson, runCli} from "../../support/cli.js";
import {largeFixturesFolder, largeFixturesSkip, ROOT, STORIES} from "../../support/paths.js";

const dir = largeFixturesFolder();
const models = dir !== undefined ? fs.readdirSync(dir).filter((n) => /^llama-3-vocab-random.*\.gguf$/.test(n)).sort().map((n) => path.join(dir, n)) : [];

const BOS = 128000;
const EOT = 128009;
const END_OF_TEXT = 128001;
/** <|start_header_id|>user<|end_header_id|>\n\n … <|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n */
const USER_HEAD = [128006, 882, 128007, 271];
const ASSISTANT_HEAD = [128006, 78191, 128007, 271];

if (models.length === 0) {
    test("Llama 3 fixtures", {skip: largeFixturesSkip(false)}, () => {
        assert.fail(`CI=true but no llama-3-vocab-random*.gguf in ${dir ?? "LLMGEN_TEST_MODELS or ../shared/models"}`);
    });
}

const TEXT = "héllo 😀 世界 🦙";

for (const model of models) {
    const name = path.basename(model, ".gguf");
    describe(`Llama 3 vocabulary: ${name}`, () => {
        test("engine: BOS by the model's flag, every end token ends generation, split characters stream whole, byte pieces shown as escapes", () => {
            const r = spawnSync(process.execPath, [path.join(ROOT, "dist", "test", "support", "llama3Probe.js"), model, TEXT], {encoding: "utf8"});
            assert.equal(r.status, 0, r.stderr);
            const probe = JSON.parse(r.stdout) as {tokens: number[]; pieces: string[]; bos: number; eog: [number, boolean][]; display: string[]};
            assert.equal(probe.bos, BOS);
            assert.equal(probe.tokens[0], BOS);
            assert.equal(probe.tokens.filter((t) => t === BOS).length, 1);
            assert.ok(probe.tokens.length > 8, "the emoji and CJK characters take several byte-level tokens");
            assert.equal(probe.pieces.join(""), TEXT, "streamed pieces concatenate to the text");
            for (const p of probe.pieces) assert.ok(!p.includes("\uFFFD"), `a streamed piece holds U+FFFD: ${JSON.stringify(probe.pieces)}`);
            assert.ok(probe.pieces.some((p) => p === ""), "some token only starts a character (held back, then released whole)");
            assert.deepEqual(probe.eog, [[END_OF_TEXT, true], [EOT, true], [128008, false], [13, false]]);
            // 172 = byte F0 alone, 9468 = F0 9F (half an emoji), 279 = " the", 198 = "\n", 165 = byte E9
            assert.deepEqual(probe.display, ["\\xF0", "\\xF0\\x9F", " the", "\n", "\\xE9"]);
        });

        for (const [token, label] of [[EOT, "<|eot_id|>"], [END_OF_TEXT, "<|end_of_text|>"]] as const) {
            test(`${label} ends generation (forced with --logit-bias)`, async () => {
                const r = await runCli(["-m", model, "-n", "20", "--logit-bias", `${token}=100`, "--json", "Hello"]);
                assert.equal(r.code, 0, r.stderr);
                const done = ndjson(r.stdout).at(-1)!;
                assert.equal(done.type, "done");
                assert.equal(done.stopReason, "eos");
                assert.equal(done.tokens, 0);
            });
        }

        test("--logit-bias by text resolves byte-level BPE pieces", async () => {
            const r = await runCli(["explain", "-m", model, "--json", "-s", "logit-bias(\" the\"=100),top-k=1", "-s", "logit-bias(\"the\"=100),top-k=1",
                "-s", "logit-bias(\"😀\"=100),top-k=2", "Hello"]);
            assert.equal(r.code, 0, r.stderr);
            const doc = JSON.parse(r.stdout) as {steps: Array<{strategies: Array<{kept: Array<{id: number}>}>}>};
            const kept = doc.steps[0]!.strategies.map((s) => s.kept.map((k) => k.id).sort((a, b) => a - b));
            assert.deepEqual(kept[0], [279], "\" the\" is one token");
            assert.deepEqual(kept[1], [1820], "\"the\" is another");
            assert.deepEqual(kept[2], [222, 76460], "both byte-level tokens of the emoji are lifted");
        });

        test("explain and --top-logprobs never show U+FFFD for a partial character", async () => {
            const r = await runCli(["explain", "-m", model, "--json", "--top", "128256", "Hello"]);
            assert.equal(r.code, 0, r.stderr);
            const doc = JSON.parse(r.stdout) as {steps: Array<{candidates: Array<{id: number; text: string}>}>};
            const candidates = doc.steps[0]!.candidates;
            assert.equal(candidates.length, 128256);
            // U+FFFD only where the vocabulary itself holds the character (bytes EF BF BD)
            const r2 = spawnSync(process.execPath, [path.join(ROOT, "dist", "test", "support", "llama3Probe.js"), model, "x"], {encoding: "utf8"});
            const real = new Set((JSON.parse(r2.stdout) as {replacementInVocab: number[]}).replacementInVocab);
            assert.ok(real.size > 0 && real.size < 1000);
            for (const c of candidates.filter((x) => x.text.includes("\uFFFD"))) assert.ok(real.has(c.id), `token ${c.id} shows ${JSON.stringify(c.text)}`);
            assert.equal(candidates.find((c) => c.id === 172)!.text, "\\xF0");
            const g = await runCli(["-m", model, "-n", "4", "--json", "--top-logprobs", "20", "-s", "greedy", "Hello"]);
            for (const e of ndjson(g.stdout).filter((x) => x.type === "token"))
                for (const t of e.top as Array<{id: number; text: string}>) assert.ok(!t.text.includes("\uFFFD") || real.has(t.id));
        });

        test("--chat: the model's template around the prompt (with --system), one BOS, stop at the end of the turn", async () => {
            const plain = ndjson((await runCli(["-m", model, "-n", "3", "-s", "greedy", "--json", "--chat", "Hi"])).stdout);
            const prompt = plain[0] as {type: string; text: string; tokens: number[]};
            assert.equal(prompt.type, "prompt");
            assert.deepEqual(prompt.tokens.slice(0, 5), [BOS, ...USER_HEAD]);
            assert.deepEqual(prompt.tokens.slice(-5), [EOT, ...ASSISTANT_HEAD]);
            assert.equal(prompt.text, "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
            const sys = ndjson((await runCli(["-m", model, "-n", "3", "-s", "greedy", "--json", "--chat", "--system", "Be brief.", "Hi"])).stdout)[0] as {text: string; tokens: number[]};
            assert.equal(sys.text, "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" + prompt.text.slice("<|begin_of_text|>".length));
            assert.equal(sys.tokens.filter((t) => t === BOS).length, 1);
            const stop = ndjson((await runCli(["-m", model, "-n", "20", "--json", "--chat", "--logit-bias", `${EOT}=100`, "Hi"])).stdout).at(-1)!;
            assert.equal(stop.stopReason, "eos");
            // compare and explain are fed the same tokens
            const compare = JSON.parse((await runCli(["compare", "-m", model, "-n", "2", "-s", "greedy", "--json", "--chat", "Hi"])).stdout) as {promptTokens: number[]};
            assert.deepEqual(compare.promptTokens, prompt.tokens);
            const explain = JSON.parse((await runCli(["explain", "-m", model, "--json", "--chat", "Hi"])).stdout) as {promptTokens: number[]};
            assert.deepEqual(explain.promptTokens, prompt.tokens);
        });

        test("the prompt event is the first --json line, for sampling and beam search", async () => {
            for (const strategy of [["-s", "top-p=0.9", "--seed", "1"], ["--beams", "2"]]) {
                const events = ndjson((await runCli(["-m", model, "-n", "3", "--json", ...strategy, "Hello world"])).stdout);
                assert.equal(events[0]!.type, "prompt");
                assert.deepEqual(events[0]!.tokens, [BOS, 9906, 1917]);
                assert.equal(events[0]!.text, "<|begin_of_text|>Hello world");
                assert.equal(events.filter((e) => e.type === "prompt").length, 1);
            }
        });
    });
}

describe("--chat errors", () => {
    test("a model without a chat template: one line, exit 2; --system without --chat: exit 2", async () => {
        const r = await runCli(["-m", STORIES(), "--chat", "Hi"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr.trim(), /^llmgen: .*stories260K\.gguf has no chat template .*drop --chat/);
        assert.equal(r.stderr.trim().split("\n").length, 1);
        const s = await runCli(["-m", STORIES(), "--system", "x", "Hi"]);
        assert.equal(s.code, 2);
        assert.match(s.stderr, /--system adds a system message to a --chat prompt; add --chat/);
    });
});
