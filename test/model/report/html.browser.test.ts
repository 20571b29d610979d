/**
 * The --html report in a real headless browser (Debian's chromium driven by playwright-core): a
 * compare run on stories260K writes the page; the browser opens it offline and finds the columns,
 * every token, the tooltips with alternatives, the charts and the metrics table, then takes a
 * screenshot (dist/test/model/report/compare-report.png).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {after, before, describe, test} from "node:test";
import {fileURLToPath, pathToFileURL} from "node:url";
import {chromium, type Browser, type Page} from "playwright-core";
import {escapeHtml, renderHtml} from "../../../src/report/html.js";
import {runCli} from "../../support/cli.js";
import {STORIES} from "../../support/paths.js";
import {report} from "../../support/reportFixture.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = fs.existsSync(CHROMIUM);
// CI installs chromium (.ci/run); elsewhere a missing browser skips these tests instead of failing.
const skip = !haveChromium && !process.env.CI ? `no browser at ${CHROMIUM} (apt-get install chromium)` : false;
const SPECS = ["greedy", "beam=3", "top-p=0.9", "min-p=0.1"];

interface Doc {
    strategies: Array<{spec: string; samples: Array<{text: string; tokens: Array<{id: number; text: string; logprob: number}>}>}>;
}

describe("the HTML report", () => {
    test("escapes what it embeds", () => {
        const r = report();
        r.prompt = "<script>alert(1)</script> & \"quotes\"";
        r.strategies[2]!.samples[0]!.tokens[0]!.text = "</script><b>";
        const html = renderHtml(r, {vocabSize: 512});
        assert.ok(!html.includes("<script>alert(1)"));
        assert.ok(html.includes(escapeHtml(r.prompt)));
        assert.equal(html.match(/<\/script>/g)!.length, 2, "only the page's own two script elements close");
        assert.ok(!/(src|href)=["']?(https?:)?\/\//i.test(html), "no external asset");
    });

    describe("in chromium", {skip}, () => {
        let browser: Browser;
        let page: Page;
        let doc: Doc;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-html-"));
        const file = path.join(dir, "report.html");
        const requests: string[] = [];

        before(async () => {
            const r = await runCli(["compare", "-m", STORIES(), "--seed", "11", "-n", "20", "--samples", "2", "--json", "--html", file,
                ...SPECS.flatMap((s) => ["-s", s]), "Once upon a time"]);
            assert.equal(r.code, 0, r.stderr);
            doc = JSON.parse(r.stdout) as Doc;
            browser = await chromium.launch({executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"]});
            page = await browser.newPage({viewport: {width: 1500, height: 1000}});
            page.on("request", (req) => requests.push(req.url()));
            await page.goto(pathToFileURL(file).href);
        });

        after(async () => {
            await browser?.close();
            fs.rmSync(dir, {recursive: true, force: true});
        });

        test("a column per strategy, side by side, headed by its spec", async () => {
            const heads = await page.locator("section.strategy > h2").allTextContents();
            assert.deepEqual(heads, SPECS);
            const boxes = await Promise.all((await page.locator("section.strategy").all()).map((s) => s.boundingBox()));
            for (let i = 1; i < boxes.length; i++) {
                assert.ok(boxes[i]!.x > boxes[i - 1]!.x + boxes[i - 1]!.width - 1, "columns left to right");
                assert.equal(Math.round(boxes[i]!.y), Math.round(boxes[0]!.y), "on one row");
            }
            assert.ok(requests.every((u) => u.startsWith("file:")), `offline: ${requests.join(", ")}`);
        });

        test("every token of every sample is a span coloured by its probability", async () => {
            for (const [s, strategy] of doc.strategies.entries()) {
                for (const [k, sample] of strategy.samples.entries()) {
                    const spans = page.locator(`.tok[data-s="${s}"][data-k="${k}"]`);
                    const texts = await spans.allTextContents();
                    assert.deepEqual(texts, sample.tokens.map((t) => t.text), `${strategy.spec} sample ${k}`);
                }
            }
            type Styled = {getComputedStyle(el: unknown): {backgroundColor: string}};
            const bg = await page.locator(".tok").first().evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el).backgroundColor);
            assert.match(bg, /^rgb/);
            const more = await page.locator("section.strategy details summary").allTextContents();
            assert.deepEqual(more, ["1 more sample", "1 more sample"], "the second sample of each sampled strategy");
        });

        test("hovering a token shows its probability and the top alternatives", async () => {
            const s = SPECS.indexOf("top-p=0.9");
            const token = doc.strategies[s]!.samples[0]!.tokens[3]!;
            const tip = page.locator("#tip");
            assert.equal(await tip.isVisible(), false);
            await page.locator(`.tok[data-s="${s}"][data-k="0"][data-i="3"]`).hover();
            await tip.waitFor({state: "visible"});
            const text = await tip.innerText();
            const p = Math.exp(token.logprob);
            const shown = p >= 0.1 ? `${(p * 100).toFixed(1)}%` : `${(p * 100).toFixed(2)}%`;
            assert.ok(text.includes(`p = ${shown}`), `${text} shows p = ${shown}`);
            assert.ok(text.includes(JSON.stringify(token.text)));
            assert.match(text, /top alternatives/);
            assert.match(text, /entropy \d+\.\d\d nats · kept \d+/);
            assert.equal(await tip.locator("tr").count(), 5);
            await page.mouse.move(5, 5);
            await tip.waitFor({state: "hidden"});
        });

        test("a chart per strategy and the metrics table; a screenshot", async () => {
            assert.equal(await page.locator("section.strategy figure.chart svg").count(), SPECS.length);
            assert.ok(await page.locator("section.strategy:nth-of-type(3) svg rect.kept").count() > 0, "kept-set bars for a sampler");
            assert.equal(await page.locator("section.strategy:nth-of-type(2) svg rect.kept").count(), 0, "beam search: entropy only");
            assert.equal(await page.locator("section.strategy:nth-of-type(2) svg polyline.entropy").count(), 1);
            const rows = await page.locator("table.metrics tbody th").allTextContents();
            assert.deepEqual(rows, SPECS);
            const headers = await page.locator("table.metrics thead th").allTextContents();
            assert.ok(headers.includes("self-BLEU") && headers.includes("ppl"));
            await page.locator(`.tok[data-s="2"][data-k="0"][data-i="5"]`).hover();
            const shot = path.join(path.dirname(fileURLToPath(import.meta.url)), "compare-report.png");
            await page.screenshot({path: shot, fullPage: true});
            assert.ok(fs.statSync(shot).size > 10_000);
        });
    });
});
