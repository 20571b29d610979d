/**
 * `llmgen explore` end to end on stories260K: driven by keystrokes through a pseudo-terminal
 * (test/support/ptyDrive.py: keys in, screen out), the screen follows every key, the evaluated-token
 * count shows that stepping back and switching branches evaluate nothing, and the saved tree's tokens
 * and probabilities equal `llmgen explain --json` for the same prefixes. Without a terminal it refuses.
 */
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, test} from "node:test";
import type {ExploreDistribution, ExploreDocument} from "../../../src/report/explore.js";
import {runCli} from "../../support/cli.js";
import {pty as ptyRun, type PtyResult, type PtyStep} from "../../support/pty.js";
import {STORIES} from "../../support/paths.js";

function pty(args: string[], steps: PtyStep[]): PtyResult {
    const env = {...process.env};
    delete env.NO_COLOR;
    return ptyRun(args, steps, env);
}

const hasPython = spawnSync("python3", ["--version"]).status === 0;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface ExplainDoc {
    promptTokens: number[];
    steps: Array<ExploreDistribution & {chosen?: {id: number; text: string}}>;
}

const PROMPT = "Lily went to the";
const SPECS = ["greedy", "top-k=40", "top-p=0.9"];

/** Same tokens, same p (to float precision: both evaluate the prompt in one batch, then token by token), same kept-set sizes, masses and q. */
function assertSameDistribution(got: ExploreDistribution, want: ExploreDistribution, where: string): void {
    assert.deepEqual(got.candidates.map((c) => [c.id, c.text]), want.candidates.map((c) => [c.id, c.text]), where);
    for (const [i, c] of got.candidates.entries()) assert.ok(Math.abs(c.p - want.candidates[i]!.p) < 1e-6, `${where}: p ${c.p} vs ${want.candidates[i]!.p}`);
    assert.ok(Math.abs(got.entropy - want.entropy) < 1e-5, where);
    const listed = new Set(want.candidates.map((c) => c.id));
    for (const [k, s] of got.strategies.entries()) {
        const w = want.strategies[k]!;
        assert.equal(s.spec, w.spec);
        assert.equal(s.size, w.size, `${where} ${s.spec}`);
        assert.ok(Math.abs(s.mass - w.mass) < 1e-6, `${where} ${s.spec} mass`);
        const wq = new Map(w.kept.filter((x) => listed.has(x.id)).map((x) => [x.id, x.q]));
        assert.deepEqual(s.kept.map((x) => x.id).sort(), [...wq.keys()].sort(), `${where} ${s.spec} kept among the listed`);
        for (const x of s.kept) assert.ok(Math.abs(x.q - wq.get(x.id)!) < 1e-6, `${where} ${s.spec} q of ${x.id}`);
    }
}

describe("explore without a terminal", () => {
    test("refuses with one line pointing to explain --steps, exit 2, nothing on stdout", async () => {
        const r = await runCli(["explore", "-m", STORIES(), PROMPT], {input: ""});
        assert.equal(r.code, 2);
        assert.equal(r.stdout, "");
        assert.equal(r.stderr, "llmgen: explore is interactive and needs a terminal (stdin and stdout); without one, see the distributions step by step with llmgen explain --steps N\n");
    });

    test("strategies it cannot show are usage errors naming them", async () => {
        const beam = await runCli(["explore", "-s", "beam=3", PROMPT]);
        assert.equal(beam.code, 2);
        assert.match(beam.stderr, /^llmgen: beam=3 cannot be explored: beam search keeps hypotheses/);
        const miro = await runCli(["explore", "-s", "mirostat=2", PROMPT]);
        assert.equal(miro.code, 2);
        assert.match(miro.stderr, /^llmgen: mirostat.* carries state from step to step/);
        const many = await runCli(["explore", ...Array.from({length: 10}, () => ["-s", "greedy"]).flat(), PROMPT]);
        assert.equal(many.code, 2);
        assert.match(many.stderr, /at most 9 strategies/);
        const nowhere = await runCli(["explore", "--save-to", path.join(os.tmpdir(), "no-such-folder-llmgen", "tree"), PROMPT]);
        assert.equal(nowhere.code, 2);
        assert.match(nowhere.stderr, /^llmgen: --save-to .*tree\.json: the folder .* does not exist\n$/);
    });
});

describe("explore on a terminal (pseudo-terminal)", {skip: !hasPython && "python3 is needed to drive a pseudo-terminal"}, () => {
    test("keys drive the screen; back and switching evaluate nothing; the saved tree matches explain --json", async () => {
        const explain = await runCli(["explain", "-m", STORIES(), "--top", "10", "--steps", "3", "--json", ...SPECS.flatMap((s) => ["-s", s]), PROMPT]);
        assert.equal(explain.code, 0, explain.stderr);
        const ex = JSON.parse(explain.stdout) as ExplainDoc;
        const P = ex.promptTokens.length;
        const [t1, t2] = [ex.steps[0]!.chosen!, ex.steps[1]!.chosen!];
        const alternative = ex.steps[1]!.candidates[1]!;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-explore-"));
        const base = path.join(dir, "tree");
        const header = (branch: string, tokens: number, evaluated: number): string =>
            escape(`branch ${branch} · ${tokens} token${tokens === 1 ? "" : "s"} · evaluated ${evaluated}`) + "\\n";
        const r = pty(["explore", "-m", STORIES(), ...SPECS.flatMap((s) => ["-s", s]), "--top", "10", "--seed", "1", "--save-to", base, PROMPT], [
            {expect: header("1 of 1", 0, P), timeout: 60},
            {expect: escape("1 greedy")},
            {expect: "q quit"},
            {send: "1"},
            {expect: header("1 of 1", 1, P + 1)},
            {expect: escape(PROMPT + t1.text) + " +│"},
            {expect: escape(`greedy picked ${JSON.stringify(t1.text)}`)},
            {send: "\r"},
            {expect: header("1 of 1", 2, P + 2)},
            {expect: escape(PROMPT + t1.text + t2.text) + " +│"},
            {send: "b"},
            {expect: header("2 of 2", 2, P + 2)},
            {expect: escape("[1] [2]◀")},
            {expect: "branch 2 made here"},
            {send: "\u007f"},
            {expect: header("2 of 2", 1, P + 2)},
            {expect: escape(PROMPT + t1.text) + " +│"},
            {send: "\u001b[B"},
            {expect: "▶ 2"},
            {send: "\r"},
            {expect: header("2 of 2", 2, P + 3)},
            {expect: escape(PROMPT + t1.text + alternative.text) + " +│"},
            {send: "\t"},
            {expect: header("1 of 2", 2, P + 3)},
            {expect: escape(PROMPT + t1.text + t2.text) + " +│"},
            {send: "s"},
            {expect: "saved .*tree\\.json and .*tree\\.html"},
            {send: "q"}
        ]);
        assert.ok(r.ok, `step ${r.failed_step} not reached; screen:\n${r.output.slice(-4000)}`);
        assert.equal(r.exit, 0, r.output.slice(-2000));
        assert.match(r.output, /llmgen: saved .*tree\.json and .*tree\.html/, "one line on leaving says where the tree is");

        const doc = JSON.parse(fs.readFileSync(base + ".json", "utf8")) as ExploreDocument;
        assert.equal(doc.type, "explore");
        assert.equal(doc.prompt, PROMPT);
        assert.deepEqual(doc.promptTokens, ex.promptTokens);
        assert.equal(doc.seed, 1);
        assert.deepEqual(doc.strategies, SPECS.map((spec, k) => ({key: String(k + 1), spec})));
        assert.equal(doc.current, 1);
        assert.deepEqual(doc.branches.map((b) => [b.branch, b.from, b.tokens.map((t) => t.id), b.tokens.map((t) => t.by)]), [
            [1, null, [t1.id, t2.id], ["greedy", "you"]],
            [2, 1, [t1.id, alternative.id], ["greedy", "you"]]
        ]);
        const [b1, b2] = doc.branches;
        assert.equal(b1!.text, t1.text + t2.text);
        for (const [k, t] of b1!.tokens.entries()) {
            assertSameDistribution(t.distribution, ex.steps[k]!, `branch 1 token ${k}`);
            const want = ex.steps[k]!.candidates.find((c) => c.id === t.id)!;
            assert.ok(Math.abs(t.p - want.p) < 1e-6);
            assert.ok(Math.abs(t.logprob - Math.log(want.p)) < 1e-5);
        }
        assertSameDistribution(b1!.next!, ex.steps[2]!, "after branch 1");
        assert.ok(Math.abs(b2!.tokens[1]!.p - alternative.p) < 1e-6);
        const html = fs.readFileSync(base + ".html", "utf8");
        assert.match(html, /<h2>branch 2<\/h2>/);
        assert.doesNotMatch(html, /<script src|<link /);
        fs.rmSync(dir, {recursive: true, force: true});
    });

    test("no prompt: the model starts from BOS; a refused key says why and changes nothing; Ctrl-C quits with exit 0", () => {
        const r = pty(["explore", "-m", STORIES(), "-s", "greedy", "--seed", "2"], [
            {expect: escape("branch 1 of 1 · 0 tokens · evaluated 1") + "\\n", timeout: 60},
            {expect: "q quit"},
            {send: "\u007f"},
            {expect: "at the prompt: nothing to step back over"},
            {send: "7"},
            {expect: "there is no strategy 7 \\(1 to 1\\)"},
            {send: "1"},
            {expect: escape("branch 1 of 1 · 1 token · evaluated 2") + "\\n"},
            {send: "\u0003"}
        ]);
        assert.ok(r.ok, `step ${r.failed_step} not reached; screen:\n${r.output.slice(-3000)}`);
        assert.equal(r.exit, 0);
        assert.doesNotMatch(r.output, /saved/);
    });
});
