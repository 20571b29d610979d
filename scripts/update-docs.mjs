#!/usr/bin/env node
// Regenerate the reference tables in docs/ from the code (the commander declarations and the
// sampler registry): `npm run docs`. test/standalone/cli/docs.test.ts fails when docs/ is out of date.
// With --check: change nothing, exit 1 and name the stale blocks.
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const {buildProgram} = await import(path.join(root, "dist", "src", "cli", "main.js"));
const {optionsMarkdown, replaceGenerated, samplersMarkdown} = await import(path.join(root, "dist", "src", "cli", "reference.js"));

const program = buildProgram(() => undefined);
const command = (name) => program.commands.find((c) => c.name() === name);
/** [file, block name, content] */
const blocks = [
    ["docs/usage.md", "generation options", optionsMarkdown(program)],
    ["docs/usage.md", "chat options", optionsMarkdown(command("chat"))],
    ["docs/usage.md", "compare options", optionsMarkdown(command("compare"))],
    ["docs/usage.md", "explain options", optionsMarkdown(command("explain"))],
    ["docs/usage.md", "explore options", optionsMarkdown(command("explore"))],
    ["docs/usage.md", "score options", optionsMarkdown(command("score"))],
    ["docs/usage.md", "batch options", optionsMarkdown(command("batch"))],
    ["docs/samplers.md", "samplers", samplersMarkdown()]
];
const check = process.argv.includes("--check");
const stale = [];
for (const file of [...new Set(blocks.map((b) => b[0]))]) {
    const full = path.join(root, file);
    const before = fs.readFileSync(full, "utf8");
    let after = before;
    for (const [f, name, content] of blocks) if (f === file) after = replaceGenerated(after, name, content);
    if (after !== before) {
        stale.push(file);
        if (!check) fs.writeFileSync(full, after);
    }
}
if (check && stale.length > 0) {
    process.stderr.write(`docs out of date: ${stale.join(", ")} — run: npm run docs\n`);
    process.exit(1);
}
process.stderr.write(stale.length > 0 ? `updated ${stale.join(", ")}\n` : "docs are up to date\n");
