/**
 * Renderers of `llmgen explore`: the parts of its terminal screen (the text so far, the tree of
 * branches, the next-token table: see renderStepTable) and the saved tree as a JSON document and a
 * self-contained HTML page (every branch with its tokens, their probabilities, who chose them and
 * the distribution each was chosen from).
 */
import type {ChalkInstance} from "chalk";
import type {ExploreNode, ExploreTree} from "../generate/explore.js";
import type {ExplainStep} from "../metrics/distribution.js";
import {probability} from "./format.js";
import {escapeHtml, probabilityColor} from "./html.js";
import {displayWidth, truncate, visibleToken, wrap} from "./text.js";
import {tintByProbability} from "./tint.js";

/** The JSON form of one step: explain --json's step without position and context. */
export interface ExploreDistribution {
    entropy: number;
    candidates: Array<{id: number; text: string; p: number}>;
    /** size and mass are the whole kept set's; kept lists its members among the candidates. */
    strategies: Array<{spec: string; size: number; mass: number; kept: Array<{id: number; text: string; p: number; q: number}>}>;
}

export interface ExploreTokenRecord {
    /** Tokens after the prompt before this one. */
    position: number;
    id: number;
    text: string;
    /** Probability under the model's unmodified distribution, and its natural log. */
    p: number;
    logprob: number;
    /** "you" or the spec of the strategy that picked it. */
    by: string;
    /** The distribution the token was chosen from. */
    distribution: ExploreDistribution;
}

export interface ExploreBranchRecord {
    branch: number;
    /** The branch it was made from (null for branch 1). */
    from: number | null;
    /** The continuation after the prompt, detokenized. */
    text: string;
    tokens: ExploreTokenRecord[];
    /** It ends with an end-of-generation token. */
    end: boolean;
    /** The distribution after its last token (null after an end token). */
    next: ExploreDistribution | null;
}

export interface ExploreDocument {
    type: "explore";
    prompt: string;
    promptText: string;
    promptTokens: number[];
    model: string;
    vocabSize: number;
    seed: number;
    top: number;
    /** Key and spec of each strategy, in key order. */
    strategies: Array<{key: string; spec: string}>;
    /** The branch that was current when saved. */
    current: number;
    branches: ExploreBranchRecord[];
}

function distribution(step: ExplainStep): ExploreDistribution {
    return {
        entropy: step.entropy,
        candidates: step.candidates.map((c) => ({id: c.id, text: c.text, p: c.p})),
        strategies: step.strategies.map((s) => ({spec: s.spec, size: s.size, mass: s.mass, kept: s.kept.map((k) => ({id: k.id, text: k.text, p: k.p, q: k.q}))}))
    };
}

export function exploreDocument(tree: ExploreTree, meta: Omit<ExploreDocument, "type" | "branches" | "current">, detokenize: (tokens: number[]) => string): ExploreDocument {
    const branches = tree.branches.map((b): ExploreBranchRecord => {
        const path = tree.path(b.tip);
        return {
            branch: b.number,
            from: b.from ?? null,
            text: detokenize(path.map((n) => n.token)),
            tokens: path.map((n, i) => ({
                position: i, id: n.token, text: n.text, p: n.p, logprob: Math.log(n.p), by: n.by,
                distribution: distribution((n.parent ?? tree.root).step!)
            })),
            end: b.tip.end,
            next: b.tip.step === undefined ? null : distribution(b.tip.step)
        };
    });
    return {type: "explore", ...meta, current: tree.current.number, branches};
}

export function exploreJson(doc: ExploreDocument): string {
    return JSON.stringify(doc, null, 1) + "\n";
}

/** The prompt (dimmed) and the current branch's tokens tinted by probability, wrapped; the last `height` lines. */
export function textLines(promptText: string, path: readonly ExploreNode[], opts: {width: number; height: number; chalk: ChalkInstance}): string[] {
    const c = opts.chalk;
    const body = promptText.length > 0 ? c.dim(promptText) : "";
    const tokens = path.map((n) => (n.end ? c.dim(n.text.length > 0 ? `‹${n.text}›` : "‹end›") : tintByProbability(c, n.text, Math.log(n.p)))).join("");
    const lines: string[] = [];
    for (const paragraph of (body + tokens).split("\n")) lines.push(...wrap(paragraph, opts.width));
    return lines.slice(-Math.max(1, opts.height));
}

/**
 * The tree of branches, compressed: one line per run of tokens between forks (and branch tips),
 * indented under the run it continues, with the branches ending there ("[2]", the current one
 * marked ◀). At most `height` lines, the current branch's line kept in view.
 */
export function treeLines(tree: ExploreTree, opts: {width: number; height: number; chalk: ChalkInstance}): string[] {
    const c = opts.chalk;
    const tips = new Map<ExploreNode, number[]>();
    for (const b of tree.branches) tips.set(b.tip, [...(tips.get(b.tip) ?? []), b.number]);
    const current = tree.current.number;
    let currentLine = 0;
    const lines: string[] = [];
    const marks = (node: ExploreNode): {text: string; width: number} => {
        const numbers = tips.get(node) ?? [];
        const parts = numbers.map((n) => (n === current ? c.bold.cyan(`[${n}]◀`) : `[${n}]`));
        const plain = numbers.map((n) => (n === current ? `[${n}]◀` : `[${n}]`)).join(" ");
        return {text: parts.length > 0 ? " " + parts.join(" ") : "", width: plain.length > 0 ? 1 + displayWidth(plain) : 0};
    };
    const line = (prefix: string, label: string, node: ExploreNode): void => {
        const m = marks(node);
        if ((tips.get(node) ?? []).includes(current)) currentLine = lines.length;
        const room = Math.max(3, opts.width - displayWidth(prefix) - m.width);
        lines.push(prefix + truncate(label, room) + m.text);
    };
    const isStop = (n: ExploreNode): boolean => n.children.length !== 1 || tips.has(n);
    line("", "prompt", tree.root);
    const visit = (stop: ExploreNode, prefix: string): void => {
        stop.children.forEach((child, i) => {
            let end = child;
            let text = child.text;
            while (!isStop(end)) {
                end = end.children[0]!;
                text += end.text;
            }
            const last = i === stop.children.length - 1;
            line(prefix + (last ? "└ " : "├ "), visibleToken(text) + (end.end ? " ‹end›" : ""), end);
            visit(end, prefix + (last ? "  " : "│ "));
        });
    };
    visit(tree.root, "");
    if (lines.length <= opts.height) return lines;
    const start = Math.max(0, Math.min(lines.length - opts.height, currentLine - Math.floor(opts.height / 2)));
    return lines.slice(start, start + opts.height);
}

function tokenTitle(t: ExploreTokenRecord): string {
    const alternatives = t.distribution.candidates.slice(0, 5).map((a) => `${JSON.stringify(a.text)} ${probability(a.p)}`).join(", ");
    return `${JSON.stringify(t.text)} p = ${probability(t.p)} · chosen by ${t.by} · top: ${alternatives}`;
}

function branchTable(b: ExploreBranchRecord): string {
    if (b.tokens.length === 0) return "";
    const specs = b.tokens[0]!.distribution.strategies.map((s) => s.spec);
    const head = ["#", "token", "p", "by", "entropy", ...specs.map((s) => `kept: ${s}`)].map((h) => `<th>${escapeHtml(h)}</th>`).join("");
    const rows = b.tokens.map((t) => `<tr><td>${t.position + 1}</td><td class="mono">${escapeHtml(visibleToken(t.text))}</td><td>${probability(t.p)}</td><td class="mono">${escapeHtml(t.by)}</td>` +
        `<td>${t.distribution.entropy.toFixed(3)}</td>${t.distribution.strategies.map((s) => `<td>${s.size}</td>`).join("")}</tr>`).join("");
    return `<details><summary>tokens, probabilities and kept-set sizes</summary><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></details>`;
}

const STYLE = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;background:#fafafa}
body{margin:1.2rem;max-width:70rem}
h1{font-size:1.3rem;margin:0 0 .3rem}
.meta{color:#5b6570;margin:.2rem 0}
.legend{display:flex;align-items:center;gap:.5rem;font-size:.85rem;color:#5b6570;margin:.4rem 0 1rem}
.legend .bar{width:12rem;height:.8rem;border-radius:3px;background:linear-gradient(to right,${[0, 0.25, 0.5, 0.75, 1].map(probabilityColor).join(",")})}
.branch{background:#fff;border:1px solid #dde2e7;border-radius:6px;padding:.6rem .8rem;margin:.6rem 0}
.branch.current{border-color:#2a7ab0}
.branch h2{font-size:1rem;margin:0 0 .4rem}
.text{white-space:pre-wrap;line-height:1.7;margin:.2rem 0}
.prompt{color:#6b7580}
.tok{border-radius:2px;padding:0 .5px}
.tok.shared{opacity:.5}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre;text-align:left}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.85rem;margin-top:.4rem}
th,td{border:1px solid #dde2e7;padding:.2rem .5rem;text-align:right}
thead th{background:#eef1f4}
summary{cursor:pointer;font-size:.85rem;color:#345;margin-top:.4rem}
`;

/** How many leading tokens two branches share. */
function sharedPrefix(a: ExploreBranchRecord, b: ExploreBranchRecord): number {
    let n = 0;
    while (n < a.tokens.length && n < b.tokens.length && a.tokens[n]!.id === b.tokens[n]!.id) n++;
    return n;
}

export function renderExploreHtml(doc: ExploreDocument): string {
    const byNumber = new Map(doc.branches.map((b) => [b.branch, b]));
    const branches = doc.branches.map((b) => {
        const parent = b.from === null ? undefined : byNumber.get(b.from);
        const shared = parent === undefined ? 0 : sharedPrefix(b, parent);
        const spans = b.tokens.map((t, i) => `<span class="tok${i < shared ? " shared" : ""}" title="${escapeHtml(tokenTitle(t))}" style="background:${probabilityColor(t.p)}">${escapeHtml(t.text)}</span>`).join("");
        const from = b.from === null ? "" : ` · made from branch ${b.from}, whose first ${shared} token${shared === 1 ? "" : "s"} it shares (faded)`;
        const end = b.end ? " · ends with an end-of-generation token" : "";
        return `<section class="branch${b.branch === doc.current ? " current" : ""}" id="branch-${b.branch}"><h2>branch ${b.branch}${b.branch === doc.current ? " (current)" : ""}</h2>` +
            `<p class="meta">${b.tokens.length} token${b.tokens.length === 1 ? "" : "s"}${from}${end}</p>` +
            `<p class="text"><span class="prompt">${escapeHtml(doc.prompt)}</span>${spans}</p>${branchTable(b)}</section>`;
    }).join("\n");
    const meta = `model ${doc.model} · seed ${doc.seed} · strategies ${doc.strategies.map((s) => `${s.key} ${s.spec}`).join(", ")} · ${doc.branches.length} branch${doc.branches.length === 1 ? "" : "es"}`;
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`llmgen explore — ${doc.prompt.slice(0, 60)}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>llmgen explore</h1>
<p class="meta">${escapeHtml(meta)}</p>
<div class="legend">token probability under the model: 0% <span class="bar"></span> 100% · hover a token for who chose it and its alternatives</div>
${branches}
</body>
</html>
`;
}
