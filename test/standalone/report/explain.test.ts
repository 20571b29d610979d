import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {Chalk} from "chalk";
import {explainJson, probabilityBar, renderExplain, renderStepTable, type ExplainReport} from "../../../src/report/explain.js";
import {displayWidth} from "../../../src/report/text.js";

const plain = new Chalk({level: 0});

function fixture(): ExplainReport {
    const candidates = [
        {id: 1, text: ",", p: 0.5}, {id: 2, text: " there", p: 0.3}, {id: 3, text: "\n", p: 0.1}, {id: 4, text: " 日本語", p: 0.05}
    ];
    const kept = (ids: number[]) => {
        const mass = candidates.filter((c) => ids.includes(c.id)).reduce((a, c) => a + c.p, 0);
        return {size: ids.length, kept: candidates.filter((c) => ids.includes(c.id)).map((c) => ({...c, q: c.p / mass})), mass};
    };
    return {
        prompt: "Once upon a time",
        model: "m.gguf",
        vocabSize: 512,
        steps: [{
            position: 0, context: "Once upon a time", entropy: 1.2345, candidates,
            strategies: [{spec: "greedy", ...kept([1])}, {spec: "top-p=0.9", ...kept([1, 2, 3])}, {spec: "temperature=0.7,top-p=0.95,min-p=0.05", ...kept([1, 2])}],
            chosen: {id: 1, text: ","}
        }]
    };
}

describe("explain renderers", () => {
    test("bars have eighth-block precision", () => {
        assert.equal(probabilityBar(1, 4), "████");
        assert.equal(probabilityBar(0.5, 4), "██");
        assert.equal(probabilityBar(1 / 32, 4), "▏");
        assert.equal(probabilityBar(0, 4), "");
    });

    test("a wide terminal: one table with bars, q per strategy, kept and mass", () => {
        const out = renderExplain(fixture(), {width: 120, chalk: plain});
        for (const line of out.split("\n")) assert.ok(displayWidth(line) <= 120, line);
        assert.match(out, /entropy 1\.23\d nats \(perplexity 3\.44\)/);
        assert.match(out, /^ *# +token +p +greedy +top-p=0\.9 +temperature=0\.7,top-p=0\.95,min-p=0\.05$/m);
        assert.match(out, /^ *1 +"," +50\.0% +█+ +100\.0% +55\.6% +62\.5%$/m);
        assert.match(out, /^ *3 +"\\n" +10\.0% +[█▏▎▍▌▋▊▉]* *· +11\.1% +·$/m);
        assert.match(out, /^ +kept +1 +3 +2$/m);
        assert.match(out, /greedy takes ","/);
    });

    test("a narrow terminal splits the strategies over several tables that fit", () => {
        const out = renderExplain(fixture(), {width: 44, chalk: plain});
        const headers = out.split("\n").filter((l) => /^ *# +token/.test(l));
        assert.ok(headers.length >= 2, out);
        for (const line of out.split("\n")) assert.ok(displayWidth(line) <= 44, line);
        assert.match(out, /temperature=0\.7,top-p[^ ]*…$/m, "a spec too wide for the terminal is shortened");
    });

    test("--json has the documented shape", () => {
        const doc = JSON.parse(explainJson(fixture())) as {prompt: string; steps: Array<{position: number; entropy: number; candidates: unknown[]; strategies: Array<{spec: string; kept: Array<{id: number; text: string; p: number; q: number}>; mass: number}>}>};
        assert.equal(doc.prompt, "Once upon a time");
        const step = doc.steps[0]!;
        assert.equal(step.position, 0);
        assert.equal(step.candidates.length, 4);
        assert.deepEqual(Object.keys(step.strategies[1]!.kept[0]!).sort(), ["id", "p", "q", "text"]);
        assert.ok(Math.abs(step.strategies[1]!.mass - 0.9) < 1e-12);
    });

    test("explore's table: the selected row marked, a window of rows around it, headings shortened to the width", () => {
        const step = {...fixture().steps[0]!, strategies: fixture().steps[0]!.strategies.slice(0, 2)};
        assert.deepEqual(renderStepTable(step, {width: 60, chalk: plain, plain: true, selected: 2, rows: 2, headings: ["1 greedy", "2 top-p=0.9"]}), [
            "  #  token         p                   1 greedy  2 top-p=0.9",
            "───  ────────  ─────  ───────────────  ────────  ───────────",
            "  2  \" there\"  30.0%  ████▌                   .        33.3%",
            "▶ 3  \"\\n\"      10.0%  █▌                      .        11.1%",
            "     kept                                     1            3",
            "     mass                                 50.0%        90.0%"
        ]);
        const narrow = renderStepTable(step, {width: 37, chalk: plain, plain: true, selected: 0, headings: ["1 greedy", "2 top-p=0.9"]});
        assert.equal(narrow[0], "  #  token          p  1 gre…  2 top…", "the widest token is \" 日本語\" (wide characters)");
        assert.equal(narrow[2], "▶ 1  \",\"        50.0%  100.0%   55.6%");
        assert.equal(narrow.length, 2 + 4 + 2);
        for (const line of narrow) assert.ok(displayWidth(line) <= 37, line);
    });
});
