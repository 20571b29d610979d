/**
 * The --html report of `llmgen compare`: one self-contained page (inline CSS, SVG and script; no
 * external asset, opens offline). Columns per strategy; every token coloured by its probability
 * under the model, hovering (or focusing) a token shows its probability, the entropy and kept-set
 * size of that step and the top alternatives; a chart per strategy of kept-set size and entropy per
 * step; the metrics table.
 */
import {MISSING} from "./format.js";
import {metricsTable} from "./compare.js";
import type {CompareReport, SampleRecord, StrategyRecord} from "./types.js";

export function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"})[c]!);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
    return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Background colour for probability p: red (0) through yellow to green (1). */
export function probabilityColor(p: number): string {
    const x = Math.min(1, Math.max(0, p));
    return `hsl(${Math.round(120 * x)}, 75%, ${Math.round(84 - 6 * x)}%)`;
}

function round(x: number, digits = 4): number {
    const f = 10 ** digits;
    return Math.round(x * f) / f;
}

function tokenSpans(s: number, k: number, sample: SampleRecord): string {
    const out: string[] = [];
    // A stop string is not part of the text: tokens are shown up to the text's end (the last one cut).
    const joined = sample.tokens.map((t) => t.text).join("");
    const limit = joined.startsWith(sample.text) ? sample.text.length : Infinity;
    let used = 0;
    for (const [i, t] of sample.tokens.entries()) {
        if (used >= limit && t.text.length > 0) break;
        const shown = t.text.slice(0, Math.max(0, limit - used));
        used += t.text.length;
        const p = Math.exp(t.logprob);
        out.push(`<span class="tok" tabindex="0" data-s="${s}" data-k="${k}" data-i="${i}" style="background:${probabilityColor(p)}">${escapeHtml(shown)}</span>`);
    }
    // Text the tokens do not account for (a final decoder flush) is shown plainly.
    if (sample.text.startsWith(joined) && sample.text.length > joined.length) out.push(escapeHtml(sample.text.slice(joined.length)));
    return out.join("");
}

/** A small SVG chart of sample 0: kept-set size per step (bars, log scale) and entropy (line). */
export function chartSvg(strategy: StrategyRecord, vocabHint: number): string {
    const sample = strategy.samples[0];
    const W = 300;
    const H = 84;
    const pad = {l: 4, r: 4, t: 6, b: 16};
    const tokens = sample?.tokens ?? [];
    const n = tokens.length;
    const plotW = W - pad.l - pad.r;
    const plotH = H - pad.t - pad.b;
    const parts: string[] = [];
    const hasKept = tokens.some((t) => t.kept !== undefined);
    const entropies = tokens.map((t) => t.entropy ?? 0);
    const hMax = Math.max(0.5, ...entropies);
    const kMax = Math.max(2, vocabHint, ...tokens.map((t) => t.kept ?? 1));
    const step = n > 0 ? plotW / n : plotW;
    if (hasKept) {
        for (const [i, t] of tokens.entries()) {
            const k = t.kept ?? 1;
            const h = (Math.log(k) / Math.log(kMax)) * plotH;
            const x = pad.l + i * step;
            parts.push(`<rect class="kept" x="${x.toFixed(1)}" y="${(pad.t + plotH - h).toFixed(1)}" width="${Math.max(0.5, step - 0.5).toFixed(1)}" height="${h.toFixed(1)}"><title>step ${i + 1}: kept ${k}</title></rect>`);
        }
    }
    if (n > 0) {
        const pts = entropies.map((h, i) => `${(pad.l + (i + 0.5) * step).toFixed(1)},${(pad.t + plotH - (h / hMax) * plotH).toFixed(1)}`);
        parts.push(`<polyline class="entropy" points="${pts.join(" ")}"/>`);
    }
    const caption = hasKept
        ? `bars: kept-set size per step (log scale, 1–${kMax}); line: entropy (0–${hMax.toFixed(1)} nats)`
        : `line: entropy per step (0–${hMax.toFixed(1)} nats)`;
    parts.push(`<text x="${pad.l}" y="${H - 3}" class="axis">step 1 … ${n}</text>`);
    return `<figure class="chart"><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(caption)}">` +
        `<rect class="frame" x="${pad.l}" y="${pad.t}" width="${plotW}" height="${plotH}"/>${parts.join("")}</svg>` +
        `<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function sampleBlock(s: number, k: number, sample: SampleRecord, count: number): string {
    const label = count > 1 ? `<div class="label">sample ${k + 1} of ${count}</div>` : "";
    return `<div class="sample" data-sample="${sample.sample}">${label}<p class="text">${tokenSpans(s, k, sample)}</p>` +
        `<div class="foot">${sample.tokens.length} tokens · ${escapeHtml(sample.stopReason)} · ${sample.tokensPerSecond.toFixed(0)} tok/s</div></div>`;
}

function strategyColumn(s: number, strategy: StrategyRecord, vocabHint: number): string {
    const [first, ...rest] = strategy.samples;
    const more = rest.length > 0
        ? `<details><summary>${rest.length} more sample${rest.length > 1 ? "s" : ""}</summary>${rest.map((x, j) => sampleBlock(s, j + 1, x, strategy.samples.length)).join("")}</details>`
        : "";
    return `<section class="strategy" data-spec="${escapeHtml(strategy.spec)}"><h2>${escapeHtml(strategy.spec)}</h2>` +
        chartSvg(strategy, vocabHint) +
        (first ? sampleBlock(s, 0, first, strategy.samples.length) : "<p>no sample</p>") + more + "</section>";
}

function metricsHtml(report: CompareReport): string {
    const t = metricsTable(report, MISSING);
    const head = t.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
    const rows = t.rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join("")}</tr>`).join("");
    return `<table class="metrics"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

const HELP = `<dl class="help">
<dt>logprob, ppl</dt><dd>Mean log-probability of the generated tokens under the model's unmodified distribution, and perplexity = exp(−logprob): how likely the model finds the text. Higher logprob / lower ppl = blander, more predictable text.</dd>
<dt>dist-1, dist-2</dt><dd>Distinct n-grams: unique words (pairs of words) / all words (pairs), over all samples of the strategy. Low = repetitive.</dd>
<dt>rep</dt><dd>Share of samples that end in a loop: a phrase of ≥ 2 tokens repeated ≥ 3 times at the end (Holtzman et al., 2019).</dd>
<dt>self-BLEU</dt><dd>Self-BLEU-4 across samples (needs --samples ≥ 2): how much the samples repeat each other. 1 = identical.</dd>
<dt>entropy, kept</dt><dd>Mean entropy (nats) of the model's next-token distribution at the steps taken, and mean number of tokens the strategy allowed per step.</dd>
<dt>tok/s</dt><dd>Tokens per second per sample (strategies run side by side on one model, so this compares them, it is not peak speed).</dd>
</dl>`;

const STYLE = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;background:#fafafa}
body{margin:1.2rem}
h1{font-size:1.3rem;margin:0 0 .3rem}
.meta{color:#5b6570;margin:.2rem 0}
.prompt{font-size:1.05rem;margin:.4rem 0}
.prompt span{background:#eef1f4;padding:.1rem .3rem;border-radius:3px;white-space:pre-wrap}
.legend{display:flex;align-items:center;gap:.5rem;font-size:.85rem;color:#5b6570;margin:.4rem 0 1rem}
.legend .bar{width:12rem;height:.8rem;border-radius:3px;background:linear-gradient(to right,${[0, 0.25, 0.5, 0.75, 1].map(probabilityColor).join(",")})}
.columns{display:grid;grid-auto-flow:column;grid-auto-columns:minmax(17rem,1fr);gap:1rem;overflow-x:auto;align-items:start;padding-bottom:.5rem}
.strategy{background:#fff;border:1px solid #dde2e7;border-radius:6px;padding:.6rem .8rem}
.strategy h2{font-size:1rem;margin:0 0 .4rem;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.chart{margin:0 0 .5rem}
.chart svg{display:block;max-width:100%;height:auto}
.chart figcaption{font-size:.7rem;color:#6b7580}
.chart .frame{fill:#f6f8fa;stroke:#dde2e7}
.chart .kept{fill:#8fb8de}
.chart .entropy{fill:none;stroke:#d1495b;stroke-width:1.5}
.chart .axis{font-size:9px;fill:#6b7580}
.sample .label{font-size:.75rem;color:#6b7580;margin-top:.5rem}
.text{white-space:pre-wrap;line-height:1.7;margin:.2rem 0;font-size:.95rem}
.tok{border-radius:2px;cursor:default;padding:0 .5px}
.tok:hover,.tok:focus{outline:2px solid #1d232a;outline-offset:0}
.foot{font-size:.75rem;color:#6b7580}
details summary{cursor:pointer;font-size:.85rem;color:#345;margin-top:.5rem}
table.metrics{border-collapse:collapse;background:#fff;font-variant-numeric:tabular-nums;font-size:.9rem}
table.metrics th,table.metrics td{border:1px solid #dde2e7;padding:.25rem .55rem;text-align:right}
table.metrics th[scope=row]{text-align:left;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-weight:500}
table.metrics thead th{background:#eef1f4}
.help{font-size:.85rem;color:#3b444d;max-width:60rem}
.help dt{font-weight:600;margin-top:.4rem}
.help dd{margin:0 0 0 1rem}
#tip{position:fixed;z-index:10;background:#1d232a;color:#f4f6f8;border-radius:5px;padding:.45rem .6rem;font-size:.8rem;box-shadow:0 4px 14px rgba(0,0,0,.25);pointer-events:none;max-width:22rem}
#tip table{border-collapse:collapse;margin-top:.3rem;width:100%}
#tip td{padding:.05rem .3rem;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre}
#tip td.p{text-align:right}
#tip tr.chosen td{color:#ffd75f;font-weight:700}
`;

const SCRIPT = `
(function(){
var data=JSON.parse(document.getElementById("token-data").textContent);
var tip=document.getElementById("tip");
function pct(p){return p>=0.1?(p*100).toFixed(1)+"%":p>=0.0001?(p*100).toFixed(2)+"%":p>0?"<0.01%":"0%";}
function vis(t){return JSON.stringify(t);}
function cell(text,cls){var td=document.createElement("td");td.textContent=text;if(cls)td.className=cls;return td;}
function show(el){
  var s=+el.dataset.s,k=+el.dataset.k,i=+el.dataset.i;
  var t=data.strategies[s].samples[k][i]; if(!t)return;
  tip.textContent="";
  var head=document.createElement("div");
  head.textContent=vis(t[0])+"  p = "+pct(Math.exp(t[1]))+"  (log-prob "+t[1].toFixed(3)+")";
  tip.appendChild(head);
  var info=document.createElement("div");
  var bits=["step "+(i+1)];
  if(t[2]!==null)bits.push("entropy "+t[2].toFixed(2)+" nats");
  if(t[3]!==null)bits.push("kept "+t[3]);
  info.textContent=bits.join(" · ");
  tip.appendChild(info);
  if(t[4]&&t[4].length){
    var table=document.createElement("table");
    var cap=document.createElement("caption");cap.textContent="top alternatives";cap.style.textAlign="left";table.appendChild(cap);
    t[4].forEach(function(a){
      var tr=document.createElement("tr");if(a[0]===t[5])tr.className="chosen";
      tr.appendChild(cell(vis(a[1])));tr.appendChild(cell(pct(Math.exp(a[2])),"p"));table.appendChild(tr);
    });
    tip.appendChild(table);
  }
  tip.hidden=false;
  var r=el.getBoundingClientRect(),w=tip.offsetWidth,h=tip.offsetHeight;
  var x=Math.min(window.innerWidth-w-8,Math.max(8,r.left));
  var y=r.bottom+6; if(y+h>window.innerHeight-8)y=Math.max(8,r.top-h-6);
  tip.style.left=x+"px";tip.style.top=y+"px";
}
function hide(){tip.hidden=true;}
document.addEventListener("mouseover",function(e){var el=e.target.closest&&e.target.closest(".tok");if(el)show(el);else hide();});
document.addEventListener("focusin",function(e){var el=e.target.closest&&e.target.closest(".tok");if(el)show(el);});
document.addEventListener("focusout",hide);
})();
`;

export interface HtmlOptions {
    /** Vocabulary size (top of the kept-set scale). */
    vocabSize: number;
}

export function renderHtml(report: CompareReport, opts: HtmlOptions): string {
    // Per token: [text, logprob, entropy, kept, [[id, text, logprob]...], id] — read by the tooltip.
    const tokenData = {
        strategies: report.strategies.map((s) => ({
            spec: s.spec,
            samples: s.samples.map((x) => x.tokens.map((t) => [
                t.text, round(t.logprob, 5), t.entropy === undefined ? null : round(t.entropy, 4), t.kept ?? null,
                (t.top ?? []).map((a) => [a.id, a.text, round(a.logprob, 5)]), t.id
            ]))
        }))
    };
    const title = `llmgen compare — ${report.prompt.slice(0, 60)}`;
    const meta = `model ${report.model} · seed ${report.seed} · at most ${report.maxTokens} tokens · ${report.samplesPerStrategy} sample${report.samplesPerStrategy === 1 ? "" : "s"} per sampling strategy`;
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>llmgen compare</h1>
<p class="meta">${escapeHtml(meta)}</p>
<p class="prompt">Prompt: <span>${escapeHtml(report.prompt)}</span></p>
<div class="legend">token probability under the model: 0% <span class="bar"></span> 100% · hover a token for its alternatives</div>
</header>
<main class="columns">
${report.strategies.map((s, i) => strategyColumn(i, s, opts.vocabSize)).join("\n")}
</main>
<h2>Metrics</h2>
${metricsHtml(report)}
${HELP}
<div id="tip" role="tooltip" hidden></div>
<script type="application/json" id="token-data">${scriptJson(tokenData)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
