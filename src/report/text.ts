/**
 * Terminal text measured in columns (wide CJK and emoji count 2, combining marks 0, ANSI escapes 0)
 * with string-width, and wrapped with wrap-ansi.
 */
import stringWidth from "string-width";
import wrapAnsi from "wrap-ansi";

export function displayWidth(text: string): number {
    return stringWidth(text);
}

export function padEnd(text: string, width: number): string {
    const w = stringWidth(text);
    return w >= width ? text : text + " ".repeat(width - w);
}

export function padStart(text: string, width: number): string {
    const w = stringWidth(text);
    return w >= width ? text : " ".repeat(width - w) + text;
}

/** Cut `text` (no ANSI) to at most `width` columns, ending in "…" when cut. */
export function truncate(text: string, width: number): string {
    if (width <= 0) return "";
    if (stringWidth(text) <= width) return text;
    const seg = new Intl.Segmenter(undefined, {granularity: "grapheme"});
    let out = "";
    let used = 0;
    for (const {segment} of seg.segment(text)) {
        const w = stringWidth(segment);
        if (used + w > width - 1) break;
        out += segment;
        used += w;
    }
    return out + "…";
}

/** Wrap text (ANSI allowed) to lines of at most `width` columns; long words are broken. */
export function wrap(text: string, width: number): string[] {
    if (width < 1) width = 1;
    return wrapAnsi(text, width, {hard: true, trim: true}).split("\n");
}

/**
 * A token's text made visible for tables: quoted, with newlines, tabs and other control characters
 * escaped, so " the" shows its leading space and "\n" does not break the line.
 */
export function visibleToken(text: string): string {
    // eslint-disable-next-line no-control-regex -- escaping control characters is the point
    const escaped = text.replace(/[\u0000-\u001f\u007f"\\]/g, (c) => {
        switch (c) {
            case "\n": return "\\n";
            case "\t": return "\\t";
            case "\r": return "\\r";
            case "\"": return "\\\"";
            case "\\": return "\\\\";
            default: return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
        }
    });
    return `"${escaped}"`;
}


