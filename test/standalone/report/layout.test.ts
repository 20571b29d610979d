/**
 * Terminal layouts at fixed widths: columns side by side on a wide terminal, rows of columns in
 * between, stacked sections on a narrow one; correct widths with wide and combining characters.
 */
import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {Chalk} from "chalk";
import {stripVTControlCharacters as stripAnsi} from "node:util";
import {columnsPerRow, renderColumns} from "../../../src/report/columns.js";
import {compareJson, metricsTable, renderComparePlain, renderCompareTerminal} from "../../../src/report/compare.js";
import {renderTable, tableLayout, tableWidth} from "../../../src/report/table.js";
import {displayWidth, truncate, visibleToken, wrap} from "../../../src/report/text.js";
import {report} from "../../support/reportFixture.js";

const plain = new Chalk({level: 0});
const colour = new Chalk({level: 2});

function widthsOk(text: string, width: number): void {
    for (const line of text.split("\n")) assert.ok(displayWidth(line) <= width, `line wider than ${width}: ${JSON.stringify(line)} (${displayWidth(line)})`);
}

/** Display column of each "│" separator on a line. */
function separatorColumns(line: string): number[] {
    const out: number[] = [];
    let col = 0;
    for (const {segment} of new Intl.Segmenter(undefined, {granularity: "grapheme"}).segment(stripAnsi(line))) {
        if (segment === "│") out.push(col);
        col += displayWidth(segment);
    }
    return out;
}

describe("text widths", () => {
    test("wide and combining characters", () => {
        assert.equal(displayWidth("日本語"), 6);
        assert.equal(displayWidth("cafe\u0301"), 4);
        assert.equal(displayWidth("😀"), 2);
        assert.equal(displayWidth(colour.red("ab")), 2);
        for (const w of [5, 7, 10]) for (const line of wrap("日本語のテキスト cafe\u0301 😀😀 漢字漢字漢字漢字漢字", w)) assert.ok(displayWidth(line) <= w, line);
        assert.equal(truncate("日本語のテキスト", 7), "日本語…");
        assert.ok(displayWidth(truncate("日本語のテキスト", 7)) <= 7);
        assert.equal(visibleToken(" the\n"), "\" the\\n\"");
    });
});

describe("compare on a terminal", () => {
    test("wide (COLUMNS=200): one row of six columns headed by the strategies", () => {
        assert.equal(columnsPerRow(6, 200), 6);
        const out = renderCompareTerminal(report(), {width: 200, chalk: plain, colorByProb: false});
        widthsOk(out, 200);
        const lines = out.split("\n");
        const header = lines[2]!;
        for (const spec of ["greedy", "beam=4", "random (sample 1 of 2)", "top-k=40", "top-p=0.9", "min-p=0.1"]) assert.ok(header.includes(spec), `${spec} in ${header}`);
        assert.ok(!out.includes("── greedy"), "not stacked");
        // Column separators line up on every body line, wide characters included.
        const body = lines.slice(4).filter((l) => l.includes("│"));
        assert.ok(body.length >= 3);
        const expected = separatorColumns(body[0]!);
        assert.equal(expected.length, 5);
        for (const l of body) assert.deepEqual(separatorColumns(l).slice(0, 5), expected.slice(0, separatorColumns(l).length), l);
        assert.ok(out.includes("日本語"), "wide text shown");
        assert.match(out, /strategy\s+samples\s+tokens\s+stop\s+logprob\s+ppl\s+dist-1\s+dist-2\s+rep\s+self-BLEU\s+entropy\s+kept\s+tok\/s/);
    });

    test("medium (COLUMNS=100): two rows of three columns", () => {
        assert.equal(columnsPerRow(6, 100), 3);
        const out = renderCompareTerminal(report(), {width: 100, chalk: plain, colorByProb: false});
        widthsOk(out, 100);
        const headers = out.split("\n").filter((l) => l.includes("greedy") || l.includes("top-k=40"));
        assert.ok(headers.some((l) => l.includes("greedy") && l.includes("beam=4") && l.includes("random")));
        assert.ok(headers.some((l) => l.includes("top-k=40") && l.includes("top-p=0.9") && l.includes("min-p=0.1")));
    });

    test("narrow (COLUMNS=40): stacked sections and a metrics table that still fits", () => {
        assert.equal(columnsPerRow(6, 40), 1);
        const out = renderCompareTerminal(report(), {width: 40, chalk: plain, colorByProb: false});
        widthsOk(out, 40);
        for (const spec of ["greedy", "beam=4", "top-p=0.9"]) assert.match(out, new RegExp(`^── ${spec.replace(/[.=]/g, "\\$&")}`, "m"));
        assert.ok(!out.includes(" │ "), "no columns");
        assert.ok(out.includes("self-BLEU"));
    });

    test("--color-by prob tints tokens without changing the layout", () => {
        const tinted = renderCompareTerminal(report(), {width: 120, chalk: colour, colorByProb: true});
        const untinted = renderCompareTerminal(report(), {width: 120, chalk: plain, colorByProb: false});
        assert.ok(tinted.includes("\u001b[38;5;"), "256-colour escapes present");
        assert.equal(stripAnsi(tinted), untinted);
    });
});

describe("tables", () => {
    const spec = metricsTable(report());

    test("a row per strategy; '*' marks deterministic strategies counted --samples times", () => {
        assert.equal(spec.rows.length, 6);
        assert.deepEqual(spec.rows.map((r) => r[0]), ["greedy", "beam=4", "random", "top-k=40", "top-p=0.9", "min-p=0.1"]);
        assert.equal(spec.rows[0]![1], "2*");
        assert.equal(spec.rows[2]![1], "2");
        assert.equal(spec.rows[1]![11], "—", "beam search has no kept set");
        assert.equal(spec.rows[0]![9], "1.000", "greedy counted twice: self-BLEU 1");
    });

    test("reflows: rows → transposed → records as the width shrinks", () => {
        const full = tableWidth(spec);
        assert.ok(full > 100 && full < 200, `table width ${full}`);
        assert.equal(tableLayout(spec, 200), "rows");
        assert.equal(tableLayout(spec, 100), "transposed");
        assert.equal(tableLayout(spec, 30), "records");
        for (const w of [200, 100, 30]) {
            const out = renderTable(spec, {width: w});
            if (w >= 100) widthsOk(out, w);
            for (const s of ["greedy", "min-p=0.1"]) assert.ok(out.includes(s));
        }
        assert.match(renderTable(spec, {width: 30}), /^greedy\n {2}samples: +2\*/m);
    });
});

describe("plain and JSON", () => {
    test("piped: a section per strategy with every sample, then the plain table", () => {
        const out = renderComparePlain(report());
        assert.ok(!out.includes("\u001b["));
        assert.match(out, /^== greedy ==$/m);
        assert.match(out, /^== random ==\n-- sample 1 of 2 --\n 日本語/m);
        assert.match(out, /^-- sample 2 of 2 --$/m);
        assert.match(out, /^strategy +samples/m);
        assert.match(out, /^\* greedy, beam=4: deterministic/m);
    });

    test("--json: spec, samples with tokens and stop reason, metrics", () => {
        const doc = JSON.parse(compareJson(report())) as {strategies: Array<{spec: string; runs: number; samples: Array<{text: string; stopReason: string; tokens: Array<Record<string, unknown>>}>; metrics: Record<string, unknown>}>};
        assert.equal(doc.strategies.length, 6);
        const random = doc.strategies[2]!;
        assert.equal(random.spec, "random");
        assert.equal(random.samples.length, 2);
        assert.equal(random.samples[1]!.stopReason, "eos");
        assert.deepEqual(Object.keys(random.samples[0]!.tokens[0]!).sort(), ["entropy", "id", "kept", "logprob", "text"]);
        assert.equal(random.samples[0]!.tokens.map((t) => t.text).join(""), random.samples[0]!.text);
        assert.equal(doc.strategies[0]!.runs, 1);
        for (const k of ["samples", "tokens", "stopReasons", "meanLogprob", "perplexity", "distinct1", "distinct2", "repetition", "selfBleu4", "meanEntropy", "meanKept", "tokensPerSecond"])
            assert.ok(k in random.metrics, k);
    });
});

describe("columns", () => {
    test("long titles are truncated to the column; short bodies are padded", () => {
        const out = renderColumns([
            {title: "temperature=0.7,top-p=0.9,min-p=0.05", body: "a"},
            {title: "b", body: "one two three four five six seven eight nine ten"}
        ], {width: 60});
        widthsOk(out, 60);
        assert.ok(out.split("\n")[0]!.includes("…"));
    });
});
