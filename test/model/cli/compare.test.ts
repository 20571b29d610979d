/**
 * `llmgen compare` end to end on stories260K: the JSON document, determinism of greedy and beam,
 * reproducible seeded sampling (and agreement with the generate command), the plain output, the
 * terminal layouts at fixed widths (through a real pseudo-terminal), and usage errors.
 */
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {describe, test} from "node:test";
import {stripVTControlCharacters} from "node:util";
import {allocateSequences, contextFor} from "../../../src/cli/compare.js";
import {displayWidth} from "../../../src/report/text.js";
import {runCli} from "../../support/cli.js";
import {BIN, ROOT, STORIES} from "../../support/paths.js";

const PROMPT = "Once upon a time";
const DEFAULTS = ["greedy", "beam=4", "random", "top-k=40", "top-p=0.9", "min-p=0.1"];

interface Doc {
    prompt: string;
    seed: number;
    samples: number;
    strategies: Array<{
        spec: string;
        kind: string;
        runs: number;
        samples: Array<{sample: number; text: string; stopReason: string; tokens: Array<{id: number; text: string; logprob: number; entropy: number | null; kept: number | null}>}>;
        metrics: Record<string, number | null> & {samples: number};
    }>;
}

/** The generated content of a document (no timings). */
function content(doc: Doc): unknown {
    return doc.strategies.map((s) => ({spec: s.spec, samples: s.samples.map((x) => ({text: x.text, ids: x.tokens.map((t) => t.id), stop: x.stopReason}))}));
}

describe("compare --json on stories260K", () => {
    let first: Doc;

    test("default strategies: spec, samples, tokens and metrics for each", async () => {
        const r = await runCli(["compare", "-m", STORIES(), "--seed", "7", "-n", "24", "--samples", "3", "--json", PROMPT]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, "", "quiet stderr when not a terminal");
        first = JSON.parse(r.stdout) as Doc;
        assert.equal(first.prompt, PROMPT);
        assert.equal(first.seed, 7);
        assert.deepEqual(first.strategies.map((s) => s.spec), DEFAULTS);
        assert.deepEqual(first.strategies.map((s) => s.runs), [1, 1, 3, 3, 3, 3]);
        for (const s of first.strategies) {
            assert.equal(s.metrics.samples, 3, s.spec);
            for (const x of s.samples) {
                assert.ok(x.tokens.length > 0 && x.tokens.length <= 24);
                assert.equal(x.tokens.map((t) => t.text).join(""), x.text, `${s.spec}: token texts make the text`);
                for (const t of x.tokens) {
                    assert.ok(t.logprob <= 1e-6 && t.logprob > -50, `${s.spec} logprob ${t.logprob}`);
                    assert.ok(t.entropy !== null && t.entropy >= -1e-9);
                }
                if (x.stopReason === "max-tokens") assert.equal(x.tokens.length, 24);
            }
            const all = s.samples.flatMap((x) => x.tokens.map((t) => t.logprob));
            const mean = all.reduce((a, b) => a + b, 0) / all.length;
            assert.ok(Math.abs(s.metrics.meanLogprob! - mean) < 1e-9);
            assert.ok(Math.abs(s.metrics.perplexity! - Math.exp(-mean)) < 1e-9);
            for (const k of ["distinct1", "distinct2"]) assert.ok(s.metrics[k]! > 0 && s.metrics[k]! <= 1, `${s.spec} ${k}`);
            assert.ok(s.metrics.repetition! >= 0 && s.metrics.repetition! <= 1);
            assert.ok(s.metrics.selfBleu4! >= 0 && s.metrics.selfBleu4! <= 1 + 1e-12);
        }
        const kept = (spec: string) => new Set(first.strategies.find((s) => s.spec === spec)!.samples.flatMap((x) => x.tokens.map((t) => t.kept)));
        assert.deepEqual(kept("greedy"), new Set([1]));
        assert.deepEqual(kept("random"), new Set([512]));
        assert.deepEqual(kept("top-k=40"), new Set([40]));
        assert.deepEqual(kept("beam=4"), new Set([null]), "beam search has no kept set");
        const greedy = first.strategies[0]!;
        assert.ok(Math.abs(greedy.metrics.selfBleu4! - 1) < 1e-12, "greedy counted as 3 identical samples");
        const beam = first.strategies[1]!;
        assert.ok(beam.metrics.meanLogprob! >= greedy.metrics.meanLogprob! - 1e-9, "beam search finds text at least as likely as greedy's");
        const random = first.strategies[2]!;
        assert.equal(new Set(random.samples.map((x) => x.text)).size, 3, "three different random samples");
    });

    test("the same seed reproduces everything; greedy, beam and sample 0 equal the generate command's", async () => {
        const again = await runCli(["compare", "-m", STORIES(), "--seed", "7", "-n", "24", "--samples", "3", "--json", PROMPT]);
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(content(JSON.parse(again.stdout) as Doc), content(first));
        const greedy = await runCli(["-m", STORIES(), "--greedy", "-n", "24", PROMPT]);
        const beam = await runCli(["-m", STORIES(), "--beams", "4", "-n", "24", PROMPT]);
        const topP = await runCli(["-m", STORIES(), "-s", "top-p=0.9", "--seed", "7", "-n", "24", PROMPT]);
        assert.equal(greedy.stdout, first.strategies[0]!.samples[0]!.text + "\n");
        assert.equal(beam.stdout, first.strategies[1]!.samples[0]!.text + "\n");
        assert.equal(topP.stdout, first.strategies[4]!.samples[0]!.text + "\n");
    });
});

describe("compare output", () => {
    test("piped: plain sections per strategy and a plain metrics table", async () => {
        const r = await runCli(["compare", "-m", STORIES(), "-s", "greedy", "-s", "temp=0.7,top-k=5", "--samples", "2", "--seed", "3", "-n", "12", PROMPT]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(!r.stdout.includes("\u001b["), "no escapes when piped");
        assert.match(r.stdout, /^prompt: Once upon a time$/m);
        assert.match(r.stdout, /^== greedy ==$/m);
        assert.match(r.stdout, /^== temperature=0\.7,top-k=5 ==\n-- sample 1 of 2 --$/m);
        assert.match(r.stdout, /^-- sample 2 of 2 --$/m);
        assert.match(r.stdout, /^strategy +samples +tokens +stop +logprob +ppl +dist-1 +dist-2 +rep +self-BLEU +entropy +kept +tok\/s$/m);
        assert.match(r.stdout, /^greedy +2\* +12 +2 max-tokens /m);
    });

    const hasScript = spawnSync("script", ["--version"]).status === 0;

    /** Run on a pseudo-terminal (util-linux `script`) with a fixed COLUMNS; the screen text. */
    function onTerminal(args: string[], columns: number): string {
        const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
        // A pseudo-terminal starts with no size: give it one, as a terminal window has.
        const command = `stty cols ${columns} rows 50; exec ${quoted}`;
        const r = spawnSync("script", ["-qec", command, "/dev/null"], {
            cwd: ROOT, encoding: "utf8", timeout: 60_000,
            env: {...process.env, COLUMNS: String(columns), NO_COLOR: "1", FORCE_COLOR: undefined, TERM: "xterm"}
        });
        assert.equal(r.status, 0, (r.stdout + r.stderr).slice(-2000));
        // Drop the spinner's redraws: keep what follows the last carriage return of each line.
        return stripVTControlCharacters(r.stdout).split("\n").map((l) => l.replace(/\r$/, "").split("\r").pop()!).join("\n");
    }

    test("on a terminal: columns when wide, stacked sections when narrow", {skip: hasScript ? false : "needs util-linux script"}, () => {
        const args = ["compare", "-m", STORIES(), "--seed", "5", "-n", "16", PROMPT];
        const wide = onTerminal(args, 200);
        const header = wide.split("\n").find((l) => l.startsWith("greedy"))!;
        assert.ok(header !== undefined, wide);
        for (const spec of DEFAULTS) assert.ok(header.includes(spec), `${spec} in the header row: ${header}`);
        assert.ok(header.includes("│"));
        assert.match(wide, /^strategy +samples +tokens/m);
        for (const line of wide.split("\n")) if (line.includes("│")) assert.ok(displayWidth(line) <= 200, line);
        const narrow = onTerminal(args, 40);
        for (const spec of DEFAULTS) assert.match(narrow, new RegExp(`^── ${spec.replace(/[.=]/g, "\\$&")} ─+$`, "m"));
        assert.ok(!narrow.includes(" │ "));
        const start = narrow.indexOf("── greedy");
        for (const line of narrow.slice(start).split("\n")) assert.ok(displayWidth(line) <= 40, `wider than 40: ${line}`);
    });
});

describe("compare usage", () => {
    test("bad flags are usage errors (exit 2, one line)", async () => {
        for (const [args, message] of [
            [["--samples", "0"], /--samples must be an integer from 1 to 256/],
            [["-s", "top-q=0.9"], /top-q/],
            [["--color-by", "rainbow"], /rainbow/],
            [["--html", "/no/such/dir/r.html"], /does not exist/]
        ] as const) {
            const r = await runCli(["compare", "-m", STORIES(), ...args, PROMPT]);
            assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, message);
        }
    });

    test("sequence allocation and context size", () => {
        assert.deepEqual(allocateSequences([{need: 1, want: 1}, {need: 4, want: 4}, {need: 1, want: 20}, {need: 1, want: 20}], 64), [1, 4, 20, 20]);
        assert.deepEqual(allocateSequences([{need: 1, want: 1}, {need: 4, want: 4}, {need: 1, want: 20}, {need: 1, want: 20}], 10), [1, 4, 3, 2]);
        assert.deepEqual(allocateSequences([{need: 8, want: 8}, {need: 1, want: 5}], 4), [8, 1], "needs are granted over the cap");
        assert.equal(contextFor("Once upon a time", 64), 16 + 2 + 64 + 8);
        assert.equal(contextFor("", 1), 64);
        assert.equal(contextFor("x".repeat(10000), 64), 4096);
    });
});
