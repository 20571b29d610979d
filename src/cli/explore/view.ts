/**
 * The terminal screen of `llmgen explore`, drawn with ink (React for the terminal). Imported only by
 * the explore command, so no other command loads ink or React. Every key is one action on the
 * ExploreSession, run one after the other; the screen is redrawn after each.
 */
import type {ChalkInstance} from "chalk";
import {Box, render, Text, useApp, useInput, useStdout} from "ink";
import {createElement as h, useEffect, useRef, useState} from "react";
import {ExploreRefusal, type ExploreSession} from "../../generate/explore.js";
import {renderStepTable} from "../../report/explain.js";
import {textLines, treeLines} from "../../report/explore.js";
import {displayWidth, truncate, wrap} from "../../report/text.js";

export interface ExploreViewOptions {
    session: ExploreSession;
    /** Save the tree; returns the line to show. */
    save: () => string;
    chalk: ChalkInstance;
    plain: boolean;
    /** The prompt as shown above the generated text. */
    promptText: string;
    title: string;
}

/** The key map, as the help line shows it. */
export function keyHelp(strategies: number): string {
    return `↑↓ choose · Enter take · 1${strategies > 1 ? `–${strategies}` : ""} strategy picks · Backspace back · b branch · Tab/←→ switch branch · s save · q quit`;
}

type Action = () => Promise<string | undefined> | string | undefined;

function App({opts, onQuit}: {opts: ExploreViewOptions; onQuit: (saved: string | undefined) => void}): ReturnType<typeof h> {
    const {session, chalk: c} = opts;
    const {exit} = useApp();
    const {stdout} = useStdout();
    const [, setVersion] = useState(0);
    const [message, setMessage] = useState<string>("");
    const [busy, setBusy] = useState(false);
    const [size, setSize] = useState({columns: stdout.columns || 80, rows: stdout.rows || 24});
    const queue = useRef<Promise<void>>(Promise.resolve());
    const lastSaved = useRef<string | undefined>(undefined);
    const quitting = useRef(false);

    useEffect(() => {
        const onResize = (): void => setSize({columns: stdout.columns || 80, rows: stdout.rows || 24});
        stdout.on("resize", onResize);
        return () => {
            stdout.off("resize", onResize);
        };
    }, [stdout]);

    const run = (action: Action): void => {
        queue.current = queue.current.then(async () => {
            setBusy(true);
            try {
                setMessage((await action()) ?? "");
            } catch (err) {
                if (err instanceof ExploreRefusal) setMessage(err.message);
                else {
                    exit(err instanceof Error ? err : new Error(String(err)));
                    return;
                }
            } finally {
                setBusy(false);
                setVersion((v) => v + 1);
            }
        });
    };

    useInput((input, key) => {
        if (quitting.current) return;
        if (input === "q" || (key.ctrl && input === "c")) {
            quitting.current = true;
            // Queued actions finish first.
            void queue.current.then(() => {
                onQuit(lastSaved.current);
                // After the last action's screen is drawn: that screen stays on the terminal.
                setTimeout(() => exit(), 50);
            });
            return;
        }
        if (key.upArrow) return run(() => void session.moveSelection(-1));
        if (key.downArrow) return run(() => void session.moveSelection(1));
        if (key.return) return run(async () => void await session.takeSelected());
        if (key.backspace || key.delete) return run(() => void session.back());
        if (key.tab || key.rightArrow) return run(() => `branch ${session.switchBranch(key.shift ? -1 : 1).number}`);
        if (key.leftArrow) return run(() => `branch ${session.switchBranch(-1).number}`);
        if (input === "b") return run(() => `branch ${session.branch().number} made here`);
        if (input === "s") {
            return run(() => {
                // A failed save (a full disk, a folder gone) is said on the screen; the tree stays, try again.
                try {
                    lastSaved.current = opts.save();
                } catch (err) {
                    return `not saved: ${err instanceof Error ? err.message : String(err)}`;
                }
                return lastSaved.current;
            });
        }
        if (/^[1-9]$/.test(input)) {
            const k = Number(input) - 1;
            return run(async () => {
                const node = await session.pick(k);
                return `${session.strategies[k]!.spec} picked ${JSON.stringify(node.text)}`;
            });
        }
        return undefined;
    });

    // Declared after useInput: this effect runs after the one that puts the terminal in raw mode, so
    // the key help appears only once keys are read (before, the terminal's line editing would eat them).
    const [ready, setReady] = useState(false);
    useEffect(() => setReady(true), []);

    const width = Math.max(40, size.columns);
    const treeWidth = Math.min(40, Math.floor(width * 0.35));
    const textWidth = width - treeWidth - 4 - 1;
    const tip = session.tip;
    const headings = session.strategies.map((s, k) => `${k + 1} ${s.spec}`);
    const step = tip.step;
    const table = step === undefined
        ? [c.dim(tip.end ? "end of generation: Backspace steps back, Tab switches branch" : "evaluating…")]
        : [
            c.dim(truncate(`next token · entropy ${step.entropy.toFixed(3)} nats · top ${step.candidates.length} · columns: each strategy's q of the tokens it keeps (${opts.plain ? "." : "·"} = removed)`, width)),
            // Rows left after the header, the panes (at least 3 lines), the table's own 4 lines, a legend, status and keys.
            ...renderStepTable(step, {width, chalk: c, plain: opts.plain, selected: session.selected, headings, rows: size.rows - 1 - 5 - 5 - 2 - 2 - 1})
        ];
    // Headings shortened to fit: the full specs below the table.
    if (step !== undefined && table[1]!.includes("…")) table.push(...wrap(headings.join(" · "), width).slice(0, 2).map((line) => c.dim(line)));
    // What is left of the terminal's height after the table, header and footer goes to the text and the tree.
    const room = Math.max(3, Math.min(14, size.rows - table.length - 3 - 2 - 1));
    const path = session.tree.path(tip);
    const text = textLines(opts.promptText, path, {width: textWidth, height: room, chalk: c});
    const tree = treeLines(session.tree, {width: treeWidth - 4, height: room, chalk: c});
    const paneHeight = Math.max(3, text.length, tree.length);
    const branch = session.tree.current;
    const header = `${opts.title} · branch ${branch.number} of ${session.tree.branches.length} · ${path.length} token${path.length === 1 ? "" : "s"} · evaluated ${session.evaluatedTokens}${busy ? " · …" : ""}`;
    const help = keyHelp(session.strategies.length);
    return h(Box, {flexDirection: "column", width},
        h(Text, {}, c.bold(truncate(header, width))),
        h(Box, {flexDirection: "row"},
            h(Box, {borderStyle: "round", width: textWidth + 4, height: paneHeight + 2, paddingX: 1, flexDirection: "column"},
                h(Text, {}, text.join("\n"))),
            h(Box, {borderStyle: "round", width: treeWidth, height: paneHeight + 2, paddingX: 1, flexDirection: "column"},
                h(Text, {}, tree.join("\n")))),
        // A table wider than the terminal (many strategies, a narrow window) is cut line by line, not wrapped.
        h(Box, {flexDirection: "column"}, ...table.map((line, i) => h(Text, {key: i, wrap: "truncate-end"}, line))),
        h(Text, {}, message === "" ? " " : c.yellow(truncate(message, width))),
        h(Text, {}, c.dim(ready ? (displayWidth(help) > width ? truncate(help, width) : help) : "…")));
}

/** Run the screen until q; resolves with the last save's message (undefined when never saved). */
export async function runExploreView(opts: ExploreViewOptions): Promise<string | undefined> {
    let saved: string | undefined;
    const app = render(h(App, {opts, onQuit: (s: string | undefined) => (saved = s)}), {exitOnCtrlC: false, patchConsole: false});
    await app.waitUntilExit();
    return saved;
}
