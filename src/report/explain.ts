/**
 * Renderers of `llmgen explain`: per step, the top tokens of the model's next-token distribution with
 * probability bars, the entropy, and for each strategy the renormalised probability q of every
 * listed token it keeps ("·" = removed), its kept-set size and the mass it covers.
 */
import type {ChalkInstance} from "chalk";
import type {ExplainStage, ExplainStep} from "../metrics/distribution.js";
import {probability} from "./format.js";
import {renderTable, tableWidth, type TableSpec} from "./table.js";
import {displayWidth, truncate, visibleToken, wrap} from "./text.js";

export interface ExplainReportStep extends ExplainStep {
    /** The text the distribution follows (the prompt plus the greedy tokens so far). */
    context: string;
    /** The greedy token taken after this step (absent at the last step or at end of generation). */
    chosen?: {id: number; text: string};
}

export interface ExplainReport {
    prompt: string;
    /** What the model was fed: the token ids (BOS and chat template included) and their text, special tokens rendered. */
    promptFed?: {text: string; tokens: number[]};
    model: string;
    vocabSize: number;
    steps: ExplainReportStep[];
    /** Structured output: "json-schema" or "grammar", the first column and every chain's first stage. */
    constraint?: string;
}

const BLOCKS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A bar of p·width cells with eighth-block precision. */
export function probabilityBar(p: number, width: number): string {
    const eighths = Math.round(Math.min(1, Math.max(0, p)) * width * 8);
    const full = Math.floor(eighths / 8);
    return "█".repeat(full) + BLOCKS[eighths % 8]!;
}

/** The JSON document of --json (the documented shape; `context` and `chosen` are extra). */
export function explainJson(report: ExplainReport): string {
    return JSON.stringify({
        prompt: report.prompt,
        ...(report.promptFed === undefined ? {} : {promptText: report.promptFed.text, promptTokens: report.promptFed.tokens}),
        model: report.model,
        vocabSize: report.vocabSize,
        ...(report.constraint === undefined ? {} : {constraint: report.constraint}),
        steps: report.steps.map((s) => ({
            position: s.position,
            context: s.context,
            entropy: s.entropy,
            candidates: s.candidates,
            strategies: s.strategies.map((x) => ({spec: x.spec, size: x.size, mass: x.mass, kept: x.kept, ...(x.stages === undefined ? {} : {stages: x.stages})})),
            ...(s.chosen ? {chosen: s.chosen} : {})
        }))
    }) + "\n";
}

const TOKEN_MAX = 18;

function stepTable(step: ExplainStep, specIndexes: number[], barWidth: number, c: ChalkInstance, plain: boolean, specWidth = Infinity, selected = -1, offset = 0): TableSpec {
    const dot = plain ? "." : c.dim("·");
    const keptMaps = step.strategies.map((s) => new Map(s.kept.map((k) => [k.id, k.q])));
    const headers = ["#", "token", "p", ...(barWidth > 0 ? [""] : []), ...specIndexes.map((i) => truncate(step.strategies[i]!.spec, specWidth))];
    const rows = step.candidates.map((cand, r) => [
        r === selected ? c.bold(`▶ ${offset + r + 1}`) : String(offset + r + 1),
        r === selected ? c.inverse(truncate(visibleToken(cand.text), TOKEN_MAX)) : truncate(visibleToken(cand.text), TOKEN_MAX),
        probability(cand.p),
        ...(barWidth > 0 ? [c.cyan(probabilityBar(cand.p, barWidth)) + " ".repeat(Math.max(0, barWidth - displayWidth(probabilityBar(cand.p, barWidth))))] : []),
        ...specIndexes.map((i) => {
            const q = keptMaps[i]!.get(cand.id);
            return q === undefined ? dot : probability(q);
        })
    ]);
    const blank = barWidth > 0 ? [""] : [];
    rows.push(["", "kept", "", ...blank, ...specIndexes.map((i) => String(step.strategies[i]!.size))]);
    rows.push(["", "mass", "", ...blank, ...specIndexes.map((i) => probability(step.strategies[i]!.mass))]);
    const align = headers.map((_, i) => (i === 1 || (barWidth > 0 && i === 3) ? "left" as const : "right" as const));
    return {headers, rows, align};
}

/** Split the strategies into groups whose table fits the width (at least one per group). */
function groups(step: ExplainReportStep, width: number, c: ChalkInstance, plain: boolean): number[][] {
    const out: number[][] = [];
    let current: number[] = [];
    for (let i = 0; i < step.strategies.length; i++) {
        const trial = [...current, i];
        if (current.length > 0 && tableWidth(stepTable(step, trial, 0, c, plain)) > width) {
            out.push(current);
            current = [i];
        } else {
            current = trial;
        }
    }
    if (current.length > 0 || out.length === 0) out.push(current);
    return out;
}

function contextLine(context: string, width: number): string {
    const shown = visibleToken(context);
    if (displayWidth(shown) <= width) return shown;
    // Keep the end of the context: that is what the next token follows.
    const chars = [...context];
    let tail = "";
    for (let i = chars.length - 1; i >= 0; i--) {
        const next = chars[i] + tail;
        if (displayWidth(visibleToken("…" + next)) > width) break;
        tail = next;
    }
    return visibleToken("…" + tail);
}

/**
 * One step as a single table (the explore view): every strategy in one table, headed by `headings`
 * (default: the specs), shortened to fit the width, with a bar when there is room; row `selected`
 * marked with ▶; at most `rows` candidates (a window around the selected one). Returns the lines.
 */
export function renderStepTable(step: ExplainStep, opts: {width: number; chalk: ChalkInstance; plain?: boolean; selected?: number; headings?: string[]; rows?: number}): string[] {
    const c = opts.chalk;
    const plain = opts.plain === true;
    // At most `rows` candidates, a window that holds the selected one.
    const rows = Math.max(1, opts.rows ?? Infinity);
    const sel = opts.selected ?? -1;
    const offset = step.candidates.length <= rows ? 0 : Math.max(0, Math.min(step.candidates.length - rows, sel - Math.floor(rows / 2)));
    const shown: ExplainStep = {
        ...step,
        candidates: step.candidates.slice(offset, offset + rows),
        strategies: step.strategies.map((s, i) => ({...s, spec: opts.headings?.[i] ?? s.spec}))
    };
    const selected = sel - offset;
    const idx = shown.strategies.map((_, i) => i);
    const longest = Math.max(0, ...shown.strategies.map((s) => displayWidth(s.spec)));
    let specWidth = longest;
    let base = tableWidth(stepTable(shown, idx, 0, c, plain, specWidth, selected, offset));
    while (base > opts.width && specWidth > 6) {
        specWidth--;
        base = tableWidth(stepTable(shown, idx, 0, c, plain, specWidth, selected, offset));
    }
    const room = opts.width - base - 2;
    const barWidth = room >= 6 ? Math.min(24, room) : 0;
    return renderTable(stepTable(shown, idx, barWidth, c, plain, specWidth, selected, offset), {
        width: Infinity,
        styleHeader: (t) => c.bold(t),
        styleRule: (t) => c.dim(t)
    }).trimEnd().split("\n");
}

export interface ExplainRenderOptions {
    width: number;
    chalk: ChalkInstance;
    /** Piped output: no colour, "." for removed tokens. */
    plain?: boolean;
}

export function renderExplain(report: ExplainReport, opts: ExplainRenderOptions): string {
    const c = opts.chalk;
    const width = Math.max(20, opts.width);
    const plain = opts.plain === true;
    const out: string[] = [];
    for (const [n, step] of report.steps.entries()) {
        if (n > 0) out.push("");
        const label = report.steps.length > 1 ? `step ${n + 1} of ${report.steps.length}: ` : "";
        out.push(c.bold(`${label}next token after `) + contextLine(step.context, Math.max(10, width - displayWidth(label) - 17)));
        for (const line of wrap(`entropy ${step.entropy.toFixed(3)} nats (perplexity ${Math.exp(step.entropy).toFixed(2)}) · top ${step.candidates.length} of ${report.vocabSize} tokens`, width))
            out.push(c.dim(line));
        out.push("");
        for (const [g, idx] of groups(step, width, c, plain).entries()) {
            if (g > 0) out.push("");
            let specWidth = Infinity;
            let base = tableWidth(stepTable(step, idx, 0, c, plain));
            if (base > width && idx.length === 1) {
                // One strategy alone is too wide: shorten its heading (the values are narrow).
                specWidth = Math.max(6, displayWidth(step.strategies[idx[0]!]!.spec) - (base - width));
                base = tableWidth(stepTable(step, idx, 0, c, plain, specWidth));
            }
            const room = width - base - 2;
            const barWidth = room >= 6 ? Math.min(24, room) : 0;
            out.push(renderTable(stepTable(step, idx, barWidth, c, plain, specWidth), {
                width: Infinity,
                styleHeader: (t) => c.bold(t),
                styleRule: (t) => c.dim(t)
            }).trimEnd());
        }
        for (const strategy of step.strategies) {
            if (strategy.stages === undefined || strategy.stages.length === 0) continue;
            out.push("");
            out.push(c.bold("stages of ") + strategy.spec);
            out.push(renderTable(traceTable(step, strategy.stages, width, c, plain), {
                width,
                styleHeader: (t) => c.bold(t),
                styleRule: (t) => c.dim(t)
            }).trimEnd());
        }
        if (step.chosen) for (const line of wrap(`greedy takes ${visibleToken(step.chosen.text)}`, width)) out.push(c.dim(line));
    }
    out.push("");
    const legend = "p: the model's probability · columns: each strategy's renormalised probability q of the tokens it keeps (" +
        (plain ? "." : "·") + " = removed) · kept: kept-set size · mass: Σp of the kept set";
    for (const line of wrap(legend, width)) out.push(c.dim(line));
    if (report.constraint !== undefined)
        for (const line of wrap(`${report.constraint}: the tokens it accepts next, renormalised (the chain's first stage); every strategy after it works on those tokens only`, width))
            out.push(c.dim(line));
    if (report.steps.some((s) => s.strategies.some((x) => x.stages !== undefined && x.stages.length > 0))) {
        const traceLegend = "stages: one column per sampler of the chain, in order: q after that stage (renormalised over what is left), " +
            (plain ? "x" : "✗") + " = removed by that stage, " + (plain ? "." : "·") + " = removed earlier";
        for (const line of wrap(traceLegend, width)) out.push(c.dim(line));
    }
    return out.join("\n") + "\n";
}

/**
 * --trace: the listed tokens against every stage of one strategy's chain — q after the stage, or
 * which stage removed the token — with each stage's size and mass. Stage headings are shortened
 * when the table would not fit the width.
 */
function traceTable(step: ExplainReportStep, stages: readonly ExplainStage[], width: number, c: ChalkInstance, plain: boolean): TableSpec {
    const maps = stages.map((st) => new Map(st.kept.map((k) => [k.id, k.q])));
    const removedHere = plain ? "x" : c.red("✗");
    const removedBefore = plain ? "." : c.dim("·");
    const build = (specWidth: number): TableSpec => {
        const headers = ["#", "token", "p", ...stages.map((st, i) => truncate(`${i + 1}:${st.spec}`, specWidth))];
        const rows = step.candidates.map((cand, r) => {
            let gone = false;
            return [
                String(r + 1),
                truncate(visibleToken(cand.text), TOKEN_MAX),
                probability(cand.p),
                ...maps.map((m) => {
                    const q = m.get(cand.id);
                    if (q !== undefined) return probability(q);
                    const cell = gone ? removedBefore : removedHere;
                    gone = true;
                    return cell;
                })
            ];
        });
        rows.push(["", "size", "", ...stages.map((st) => String(st.size))]);
        rows.push(["", "mass", "", ...stages.map((st) => probability(st.mass))]);
        return {headers, rows, align: headers.map((_, i) => (i === 1 ? "left" as const : "right" as const))};
    };
    let spec = build(Infinity);
    for (const w of [24, 16, 12, 9]) {
        if (tableWidth(spec) <= width) break;
        spec = build(w);
    }
    return spec;
}
