/**
 * Renderers of a CompareReport: terminal columns + metrics table, plain sections + plain table,
 * and the JSON document. (The HTML report is in html.ts.)
 */
import type {ChalkInstance} from "chalk";
import {renderColumns, type ColumnSection} from "./columns.js";
import {compactNumber, fixed, MISSING, percent, stopReasons} from "./format.js";
import {renderTable, type TableSpec} from "./table.js";
import {wrap} from "./text.js";
import {tintByProbability} from "./tint.js";
import type {CompareReport, SampleRecord, StrategyRecord} from "./types.js";

export const METRIC_HEADERS = [
    "strategy", "samples", "tokens", "stop", "logprob", "ppl", "dist-1", "dist-2", "rep", "self-BLEU", "entropy", "kept", "tok/s"
] as const;

/** The metrics table: one row per strategy. */
export function metricsTable(report: CompareReport, missing = MISSING): TableSpec {
    const rows = report.strategies.map((s) => {
        const m = s.metrics;
        return [
            s.spec,
            s.runs < m.samples ? `${m.samples}*` : String(m.samples),
            compactNumber(m.tokens, missing),
            stopReasons(m.stopReasons),
            fixed(m.meanLogprob, 3, missing),
            fixed(m.perplexity, 2, missing),
            fixed(m.distinct1, 3, missing),
            fixed(m.distinct2, 3, missing),
            percent(m.repetition, 0, missing),
            fixed(m.selfBleu4, 3, missing),
            fixed(m.meanEntropy, 3, missing),
            compactNumber(m.meanKept === null ? null : Math.round(m.meanKept * 10) / 10, missing),
            m.tokensPerSecond === null ? missing : m.tokensPerSecond.toFixed(0)
        ];
    });
    return {headers: [...METRIC_HEADERS], rows, align: METRIC_HEADERS.map((h) => (h === "strategy" || h === "stop" ? "left" : "right"))};
}

/** The footnote for "N*" in the samples column, or "" when no strategy was counted more than run. */
export function deterministicNote(report: CompareReport): string {
    const marked = report.strategies.filter((s) => s.runs < s.metrics.samples);
    if (marked.length === 0) return "";
    return `* ${marked.map((s) => s.spec).join(", ")}: deterministic, run once and counted as ${report.samplesPerStrategy} identical samples`;
}

function sampleFooter(sample: SampleRecord): string {
    return `${sample.tokens.length} tokens · ${sample.stopReason}`;
}

function columnTitle(s: StrategyRecord): string {
    return s.samples.length > 1 ? `${s.spec} (sample 1 of ${s.samples.length})` : s.spec;
}

/** Text of a sample with each token tinted by its probability (when colour is on). */
export function tintedText(sample: SampleRecord, chalk: ChalkInstance): string {
    if (chalk.level === 0) return sample.text;
    let out = "";
    let plain = "";
    for (const t of sample.tokens) {
        out += tintByProbability(chalk, t.text, t.logprob);
        plain += t.text;
    }
    // Stop strings cut the text short of the tokens; trailing decoder output may add to it.
    if (plain === sample.text) return out;
    return sample.text;
}

export interface TerminalOptions {
    width: number;
    chalk: ChalkInstance;
    colorByProb: boolean;
}

/** On a terminal: the prompt, the first sample of every strategy in columns, the metrics table. */
export function renderCompareTerminal(report: CompareReport, opts: TerminalOptions): string {
    const c = opts.chalk;
    const sections: ColumnSection[] = report.strategies.map((s) => {
        const first = s.samples[0];
        return {
            title: columnTitle(s),
            body: first === undefined ? "" : opts.colorByProb ? tintedText(first, c) : first.text,
            footer: first === undefined ? "no sample" : sampleFooter(first)
        };
    });
    const prompt = c.dim("prompt: ") + report.prompt;
    const columns = renderColumns(sections, {
        width: opts.width,
        styleTitle: (t) => c.bold(t),
        styleRule: (t) => c.dim(t),
        styleFooter: (t) => c.dim(t)
    });
    const table = renderTable(metricsTable(report), {width: opts.width, styleHeader: (t) => c.bold(t), styleRule: (t) => c.dim(t)});
    const note = deterministicNote(report);
    return `${prompt}\n\n${columns}\n${table}${note ? wrap(note, opts.width).map((l) => c.dim(l) + "\n").join("") : ""}`;
}

/** Piped: a plain section per strategy with every sample, then the metrics as a plain table. */
export function renderComparePlain(report: CompareReport, width = Infinity): string {
    const parts: string[] = [`prompt: ${report.prompt}`, ""];
    for (const s of report.strategies) {
        parts.push(`== ${s.spec} ==`);
        for (const sample of s.samples) {
            if (s.samples.length > 1) parts.push(`-- sample ${sample.sample + 1} of ${s.samples.length} --`);
            parts.push(sample.text);
            parts.push(`[${sampleFooter(sample)}]`);
        }
        parts.push("");
    }
    parts.push(renderTable(metricsTable(report, "-"), {width}).trimEnd());
    const note = deterministicNote(report);
    if (note) parts.push(note);
    return parts.join("\n") + "\n";
}

/** The --json document: per strategy the spec, every sample (text, tokens, stop reason) and the metrics. */
export function compareJson(report: CompareReport): string {
    const doc = {
        prompt: report.prompt,
        ...(report.promptFed === undefined ? {} : {promptText: report.promptFed.text, promptTokens: report.promptFed.tokens}),
        model: report.model,
        seed: report.seed,
        maxTokens: report.maxTokens,
        samples: report.samplesPerStrategy,
        strategies: report.strategies.map((s) => ({
            spec: s.spec,
            kind: s.kind,
            runs: s.runs,
            samples: s.samples.map((x) => ({
                sample: x.sample,
                seed: x.seed,
                text: x.text,
                stopReason: x.stopReason,
                tokensPerSecond: x.tokensPerSecond,
                tokens: x.tokens.map((t) => ({id: t.id, text: t.text, logprob: t.logprob, entropy: t.entropy ?? null, kept: t.kept ?? null}))
            })),
            metrics: s.metrics
        }))
    };
    return JSON.stringify(doc) + "\n";
}
