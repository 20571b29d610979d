/**
 * The `llmgen score --html` page in a real headless browser (Debian's chromium driven by
 * playwright-core): a score run on stories260K writes the page; the browser opens it offline and
 * finds every token as a span coloured by its probability band, the log-probabilities on hover, the
 * summary and the most surprising tokens, then takes a screenshot (dist/test/model/report/score-report.png).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {after, before, describe, test} from "node:test";
import {fileURLToPath, pathToFileURL} from "node:url";
import {chromium, type Browser, type Page} from "playwright-core";
import {renderScoreHtml} from "../../../src/report/score.js";
import {PROBABILITY_BANDS, probabilityBand} from "../../../src/report/tint.js";
import {ndjson, runCli} from "../../support/cli.js";
import {STORIES} from "../../support/paths.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = fs.existsSync(CHROMIUM);
// CI installs chromium (.ci/run); elsewhere a missing browser skips these tests instead of failing.
const skip = !haveChromium && !process.env.CI ? `no browser at ${CHROMIUM} (apt-get install chromium)` : false;
const STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big red ball. Zebra quantum!\n";

interface TokenEvent {
    index: number;
    id: number;
    text: string;
    logprob: number;
}

/** "#5fd75f" → "rgb(95, 215, 95)", as the browser reports a computed colour. */
function rgb(hex: string): string {
    const n = parseInt(hex.slice(1), 16);
    return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

describe("the score HTML page", () => {
    test("escapes what it embeds and loads nothing from outside", () => {
        const html = renderScoreHtml({
            model: "<m>", prompt: "<script>alert(1)</script>", tokens: [{index: 0, id: 1, text: "</span><b>", piece: "</span><b>", logprob: -1}],
            logprob: -1, perplexity: Math.E, windows: 1, window: 64, stride: 31
        });
        assert.ok(!html.includes("<script>alert(1)"));
        assert.ok(!html.includes("</span><b>"));
        assert.ok(!/<script/i.test(html), "no script at all");
        assert.ok(!/(src|href)=["']?(https?:)?\/\//i.test(html), "no external asset");
    });

    describe("in chromium", {skip}, () => {
        let browser: Browser;
        let page: Page;
        let tokens: TokenEvent[];
        let done: {tokens: number; logprob: number; perplexity: number};
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-score-html-"));
        const file = path.join(dir, "score.html");
        const input = path.join(dir, "story.txt");
        const requests: string[] = [];

        before(async () => {
            fs.writeFileSync(input, STORY);
            const r = await runCli(["score", "-m", STORIES(), "--top-logprobs", "3", "--json", "--html", file, input]);
            assert.equal(r.code, 0, r.stderr);
            const events = ndjson(r.stdout);
            tokens = events.slice(0, -1) as unknown as TokenEvent[];
            done = events.at(-1) as unknown as typeof done;
            browser = await chromium.launch({executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"]});
            page = await browser.newPage({viewport: {width: 1100, height: 900}});
            page.on("request", (req) => requests.push(req.url()));
            await page.goto(pathToFileURL(file).href);
        });

        after(async () => {
            await browser?.close();
            fs.rmSync(dir, {recursive: true, force: true});
        });

        test("the text is the scored text, one span per token, each in its probability band's colour", async () => {
            const spans = page.locator(".text .tok");
            assert.equal(await spans.count(), tokens.length);
            assert.equal(await page.locator(".text").innerText().then((t) => t.trimEnd()), STORY.trimEnd());
            type Styled = {getComputedStyle(el: unknown): {backgroundColor: string}};
            const colours = await spans.evaluateAll((els) => els.map((el) => (globalThis as unknown as Styled).getComputedStyle(el).backgroundColor));
            for (const [i, t] of tokens.entries()) assert.equal(colours[i], rgb(probabilityBand(Math.exp(t.logprob)).color), `token ${i}`);
            assert.ok(new Set(colours).size >= 3, "several bands on this text");
            const legend = await page.locator(".legend span").allTextContents();
            assert.deepEqual(legend, PROBABILITY_BANDS.map((b) => b.label));
            assert.ok(requests.every((u) => u.startsWith("file:")), `offline: ${requests.join(", ")}`);
        });

        test("each token's title gives its text, log-probability and the most probable tokens there", async () => {
            const worst = [...tokens].sort((a, b) => a.logprob - b.logprob)[0]!;
            const title = await page.locator(`.tok[data-i="${worst.index}"]`).getAttribute("title");
            assert.ok(title!.startsWith(`${JSON.stringify(worst.text)} · logprob ${worst.logprob.toFixed(3)}`), title!);
            assert.match(title!, /most probable here:\n {2}".*" \S+%\n {2}".*" \S+%\n {2}".*" \S+%$/);
        });

        test("the summary and the 10 most surprising tokens; a screenshot", async () => {
            const summary = await page.locator(".summary").innerText();
            assert.equal(summary, `${done.tokens} tokens · mean logprob ${done.logprob.toFixed(4)} · perplexity ${done.perplexity.toFixed(3)}`);
            const indexes = (await page.locator("table.surprising tbody tr td:nth-child(2)").allTextContents()).map(Number);
            const expected = [...tokens].sort((a, b) => a.logprob - b.logprob || a.index - b.index).slice(0, 10).map((t) => t.index);
            assert.deepEqual(indexes, expected);
            const shot = path.join(path.dirname(fileURLToPath(import.meta.url)), "score-report.png");
            await page.screenshot({path: shot, fullPage: true});
            assert.ok(fs.statSync(shot).size > 10_000);
        });
    });
});
