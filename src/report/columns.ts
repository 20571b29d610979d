/**
 * Texts side by side: one column per section, headed by its title, wrapped to the width. When the
 * width holds fewer columns than sections, the columns continue in further rows; when it holds only
 * one, the sections are stacked, each under a full-width rule. Widths are display columns.
 */
import {displayWidth, padEnd, truncate, wrap} from "./text.js";

export interface ColumnSection {
    title: string;
    /** Text to wrap (may contain ANSI colour and newlines). */
    body: string;
    /** A line under the body (e.g. "64 tokens · max-tokens"); not wrapped beyond the width. */
    footer?: string;
}

export interface ColumnOptions {
    /** Total width in columns. */
    width: number;
    /** Narrowest useful column; below it the layout has fewer columns per row. Default 24. */
    minColumnWidth?: number;
    /** Decorate a title (bold...). Applied after padding/truncation. */
    styleTitle?: (text: string) => string;
    /** Decorate rules and separators (dim...). */
    styleRule?: (text: string) => string;
    /** Decorate a footer line (dim...). */
    styleFooter?: (text: string) => string;
}

export const COLUMN_SEPARATOR = " │ ";

/** How many columns per row fit in `width` for `count` sections (1 = stacked), balanced over rows. */
export function columnsPerRow(count: number, width: number, minColumnWidth = 24): number {
    if (count <= 1) return 1;
    const gap = COLUMN_SEPARATOR.length;
    const fit = Math.max(1, Math.min(count, Math.floor((width + gap) / (minColumnWidth + gap))));
    if (fit <= 1) return 1;
    const rows = Math.ceil(count / fit);
    return Math.ceil(count / rows);
}

export function renderColumns(sections: readonly ColumnSection[], opts: ColumnOptions): string {
    const width = Math.max(8, Math.floor(opts.width));
    const perRow = columnsPerRow(sections.length, width, opts.minColumnWidth ?? 24);
    const title = opts.styleTitle ?? ((s: string) => s);
    const rule = opts.styleRule ?? ((s: string) => s);
    const footer = opts.styleFooter ?? ((s: string) => s);
    const lines: string[] = [];
    if (perRow === 1) {
        for (const [i, s] of sections.entries()) {
            if (i > 0) lines.push("");
            const head = truncate(s.title, width - 4);
            lines.push(rule("── ") + title(head) + rule(" " + "─".repeat(Math.max(0, width - 4 - displayWidth(head)))));
            lines.push(...wrap(s.body.trimEnd(), width));
            if (s.footer !== undefined) lines.push(...wrap(s.footer, width).map(footer));
        }
        return lines.join("\n") + "\n";
    }
    const gap = COLUMN_SEPARATOR.length;
    const colWidth = Math.floor((width - gap * (perRow - 1)) / perRow);
    const sep = " " + rule("│") + " ";
    for (let start = 0; start < sections.length; start += perRow) {
        const row = sections.slice(start, start + perRow);
        if (start > 0) lines.push("");
        lines.push(row.map((s, i) => {
            const t = title(truncate(s.title, colWidth));
            return i === row.length - 1 ? t : padEnd(t, colWidth);
        }).join(sep));
        lines.push(row.map(() => rule("─".repeat(colWidth))).join(rule("─┼─")));
        const bodies = row.map((s) => {
            const body = wrap(s.body.trimEnd(), colWidth);
            if (s.footer !== undefined) body.push(...wrap(s.footer, colWidth).map(footer));
            return body;
        });
        const height = Math.max(...bodies.map((b) => b.length));
        for (let i = 0; i < height; i++)
            lines.push(bodies.map((b) => padEnd(b[i] ?? "", colWidth)).join(sep).trimEnd());
    }
    return lines.join("\n") + "\n";
}
