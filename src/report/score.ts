/**
 * Renderers of `llmgen score`: the text coloured by how surprised the model was by each token
 * (terminal and a self-contained HTML page), the summary (tokens, mean log-probability, perplexity)
 * and the most surprising tokens; the NDJSON events of --json.
 */
import type {ChalkInstance} from "chalk";
import type {ScoredToken} from "../generate/score.js";
import {probability} from "./format.js";
import {escapeHtml} from "./html.js";
import {renderTable, type TableSpec} from "./table.js";
import {PROBABILITY_BANDS, probabilityBand, probabilityLegend, tintByProbability} from "./tint.js";
import {truncate, visibleToken, wrap} from "./text.js";

export interface ScoreReport {
    model: string;
    /** The unscored prompt (--prompt, or the user message with --chat), shown before the text. */
    prompt?: string;
    /** Chat template used (--chat). */
    template?: string;
    tokens: ScoredToken[];
    /** Mean log-probability per scored token. */
    logprob: number;
    perplexity: number;
    windows: number;
    /** Window and stride (tokens) when the text was scored in several windows. */
    window: number;
    stride: number;
}

/** How many of the most surprising tokens the summary lists. */
export const MOST_SURPRISING = 10;

/** The lowest-logprob tokens, lowest first (ties: earlier first). */
export function mostSurprising(tokens: readonly ScoredToken[], n = MOST_SURPRISING): ScoredToken[] {
    return [...tokens].sort((a, b) => a.logprob - b.logprob || a.index - b.index).slice(0, n);
}

/** A finite number for JSON: ±Infinity (a probability that underflowed to 0) becomes null. */
function jsonNumber(x: number): number | null {
    return Number.isFinite(x) ? x : null;
}

/** One --json line per scored token. */
export function scoreTokenJson(t: ScoredToken): string {
    return JSON.stringify({
        type: "token", index: t.index, id: t.id, text: t.text, logprob: jsonNumber(t.logprob),
        ...(t.top === undefined ? {} : {top: t.top.map((a) => ({id: a.id, text: a.text, logprob: jsonNumber(a.logprob)}))})
    }) + "\n";
}

/** The last --json line: the count, the mean log-probability and the perplexity. */
export function scoreDoneJson(r: {tokens: readonly unknown[]; logprob: number; perplexity: number; windows: number; interrupted?: boolean}): string {
    return JSON.stringify({
        type: "done", tokens: r.tokens.length, logprob: jsonNumber(r.logprob), perplexity: jsonNumber(r.perplexity), windows: r.windows,
        ...(r.interrupted === true ? {stopReason: "interrupted"} : {})
    }) + "\n";
}

/** The text before token `index`, at most `chars` characters (for the context column). */
function before(tokens: readonly ScoredToken[], index: number, chars: number): string {
    let text = "";
    for (let i = index - 1; i >= 0 && text.length < chars; i--) text = tokens[i]!.piece + text;
    return text.length > chars ? "…" + text.slice(text.length - chars) : text;
}

export function summaryLine(r: ScoreReport): string {
    const windows = r.windows > 1 ? ` · ${r.windows} windows of ${r.window} tokens, stride ${r.stride}` : "";
    return `${r.tokens.length} tokens · mean logprob ${r.logprob.toFixed(4)} · perplexity ${formatPerplexity(r.perplexity)}${windows}`;
}

function formatPerplexity(x: number): string {
    if (!Number.isFinite(x)) return "∞";
    return x >= 1000 ? x.toFixed(0) : x.toFixed(3);
}

function surprisingTable(r: ScoreReport): TableSpec {
    const rows = mostSurprising(r.tokens).map((t, k) => [
        String(k + 1), String(t.index), truncate(visibleToken(t.text), 18), Number.isFinite(t.logprob) ? t.logprob.toFixed(3) : "-∞",
        probability(Math.exp(t.logprob)), visibleToken(before(r.tokens, t.index, 24))
    ]);
    return {headers: ["#", "index", "token", "logprob", "p", "after"], rows, align: ["right", "right", "left", "right", "right", "left"]};
}

export interface ScoreRenderOptions {
    width: number;
    chalk: ChalkInstance;
}

/**
 * Terminal: the prompt dimmed, the text with every token tinted by its probability, the legend,
 * the summary and the most surprising tokens. Without colour the text is shown as it is.
 */
export function renderScore(r: ScoreReport, opts: ScoreRenderOptions): string {
    const c = opts.chalk;
    const width = Math.max(20, opts.width);
    const out: string[] = [];
    const text = r.tokens.map((t) => tintByProbability(c, t.piece, t.logprob)).join("");
    const shown = (r.prompt === undefined ? "" : c.dim(r.prompt)) + text;
    out.push(shown.endsWith("\n") ? shown : shown + "\n");
    const legend = probabilityLegend(c);
    if (legend !== "") out.push(legend);
    for (const line of wrap(summaryLine(r), width)) out.push(c.bold(line));
    if (r.tokens.length > 0) {
        out.push("");
        out.push(c.bold(`the ${Math.min(MOST_SURPRISING, r.tokens.length)} most surprising tokens`));
        out.push(renderTable(surprisingTable(r), {width, styleHeader: (t) => c.bold(t), styleRule: (t) => c.dim(t)}).trimEnd());
    }
    return out.join("\n") + "\n";
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.4rem;margin:0 0 .3rem}
.meta{color:#666;margin:.2rem 0}
.summary{font-weight:600;margin:.8rem 0}
.legend span{display:inline-block;padding:0 .4rem;margin-right:.3rem;border-radius:3px}
.text{white-space:pre-wrap;font:15px/1.7 ui-monospace,monospace;border:1px solid #ddd;border-radius:6px;padding:1rem;margin:1rem 0}
.prompt{color:#888}
.tok{border-radius:2px;cursor:default;box-shadow:inset -1px 0 0 rgba(0,0,0,.15)}
.tok:hover,.tok:focus{outline:2px solid #333}
table{border-collapse:collapse;margin:.5rem 0}
th,td{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:right}
td.l,th.l{text-align:left;white-space:pre}
`;

/** Background colour of a token's probability band (the terminal's colours, as backgrounds). */
function bandColor(logprob: number): string {
    return probabilityBand(Math.exp(logprob)).color;
}

function tokenTitle(t: ScoredToken): string {
    const lines = [`${JSON.stringify(t.text)} · logprob ${Number.isFinite(t.logprob) ? t.logprob.toFixed(3) : "-∞"} · p ${probability(Math.exp(t.logprob))}`];
    if (t.top !== undefined && t.top.length > 0) {
        lines.push("most probable here:");
        for (const a of t.top) lines.push(`  ${JSON.stringify(a.text)} ${probability(Math.exp(a.logprob))}`);
    }
    return lines.join("\n");
}

/** A self-contained page (inline CSS, no script, no external asset): the coloured text, summary, most surprising tokens. */
export function renderScoreHtml(r: ScoreReport): string {
    const spans = r.tokens.map((t) =>
        `<span class="tok" tabindex="0" data-i="${t.index}" data-logprob="${Number.isFinite(t.logprob) ? t.logprob : "-Infinity"}" style="background:${bandColor(t.logprob)}" title="${escapeHtml(tokenTitle(t))}">${escapeHtml(t.piece)}</span>`
    ).join("");
    const legend = PROBABILITY_BANDS.map((b) => `<span style="background:${b.color}">${escapeHtml(b.label)}</span>`).join("");
    const rows = mostSurprising(r.tokens).map((t, k) =>
        `<tr><td>${k + 1}</td><td>${t.index}</td><td class="l">${escapeHtml(JSON.stringify(t.text))}</td><td>${Number.isFinite(t.logprob) ? t.logprob.toFixed(3) : "-∞"}</td><td>${probability(Math.exp(t.logprob))}</td><td class="l">${escapeHtml(before(r.tokens, t.index, 30))}</td></tr>`
    ).join("\n");
    const meta = `model ${r.model}${r.template === undefined ? "" : ` · chat template ${r.template}`}`;
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>llmgen score — ${escapeHtml(r.model)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>llmgen score</h1>
<p class="meta">${escapeHtml(meta)}</p>
<p class="summary">${escapeHtml(summaryLine(r))}</p>
<div class="legend">token probability under the model, given everything before it: ${legend} · hover a token for its log-probability</div>
<div class="text">${r.prompt === undefined ? "" : `<span class="prompt" title="prompt (not scored)">${escapeHtml(r.prompt)}</span>`}${spans}</div>
<h2>The ${Math.min(MOST_SURPRISING, r.tokens.length)} most surprising tokens</h2>
<table class="surprising">
<thead><tr><th>#</th><th>index</th><th class="l">token</th><th>logprob</th><th>p</th><th class="l">after</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
