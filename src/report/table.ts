/**
 * A plain table in display columns: header, rule, rows. When it is wider than the width, it is
 * transposed (one column per row, one line per header) if that fits, else printed as one block of
 * "header: value" lines per row. Cells may contain ANSI colour.
 */
import {displayWidth, padEnd, padStart} from "./text.js";

export type Align = "left" | "right";

export interface TableSpec {
    headers: string[];
    rows: string[][];
    /** Per column; default: first column left, the rest right. */
    align?: Align[];
}

export interface TableOptions {
    /** Width available (Infinity: never reflow). */
    width: number;
    styleHeader?: (text: string) => string;
    styleRule?: (text: string) => string;
    /** Spaces between columns. Default 2. */
    gap?: number;
}

export type TableLayout = "rows" | "transposed" | "records";

function widths(headers: string[], rows: string[][]): number[] {
    return headers.map((h, c) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[c] ?? ""))));
}

function grid(headers: string[], rows: string[][], align: Align[], opts: TableOptions): string[] {
    const gap = " ".repeat(opts.gap ?? 2);
    const head = opts.styleHeader ?? ((s: string) => s);
    const rule = opts.styleRule ?? ((s: string) => s);
    const w = widths(headers, rows);
    const cell = (text: string, c: number): string => (align[c] === "left" ? padEnd(text, w[c]!) : padStart(text, w[c]!));
    const lines = [headers.map((h, c) => head(cell(h, c))).join(gap).trimEnd()];
    lines.push(rule(w.map((x) => "─".repeat(x)).join(gap)));
    for (const r of rows) lines.push(headers.map((_, c) => cell(r[c] ?? "", c)).join(gap).trimEnd());
    return lines;
}

export function tableWidth(spec: TableSpec, gap = 2): number {
    const w = widths(spec.headers, spec.rows);
    return w.reduce((a, b) => a + b, 0) + gap * (w.length - 1);
}

/** Which layout `renderTable` picks for this width. */
export function tableLayout(spec: TableSpec, width: number, gap = 2): TableLayout {
    if (tableWidth(spec, gap) <= width) return "rows";
    const transposed = transpose(spec);
    if (tableWidth(transposed, gap) <= width) return "transposed";
    return "records";
}

function transpose(spec: TableSpec): TableSpec {
    const headers = [spec.headers[0] ?? "", ...spec.rows.map((r) => r[0] ?? "")];
    const rows = spec.headers.slice(1).map((h, i) => [h, ...spec.rows.map((r) => r[i + 1] ?? "")]);
    return {headers, rows, align: ["left", ...spec.rows.map(() => "right" as const)]};
}

export function renderTable(spec: TableSpec, opts: TableOptions): string {
    const align = spec.align ?? spec.headers.map((_, c) => (c === 0 ? "left" : "right"));
    const layout = tableLayout(spec, opts.width, opts.gap ?? 2);
    if (layout === "rows") return grid(spec.headers, spec.rows, align, opts).join("\n") + "\n";
    if (layout === "transposed") {
        const t = transpose(spec);
        return grid(t.headers, t.rows, t.align!, opts).join("\n") + "\n";
    }
    const head = opts.styleHeader ?? ((s: string) => s);
    const labelWidth = Math.max(...spec.headers.slice(1).map(displayWidth));
    const blocks = spec.rows.map((r) => [
        head(r[0] ?? ""),
        ...spec.headers.slice(1).map((h, i) => `  ${padEnd(h + ":", labelWidth + 1)} ${r[i + 1] ?? ""}`)
    ].join("\n"));
    return blocks.join("\n\n") + "\n";
}
