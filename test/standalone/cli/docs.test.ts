/**
 * The manual's reference tables are generated from the code (src/cli/reference.ts): this fails
 * when docs/ is out of date — after adding or changing a flag or a sampler, run `npm run docs`.
 */
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {describe, test} from "node:test";
import {buildProgram} from "../../../src/cli/main.js";
import {optionsMarkdown, replaceGenerated, samplersMarkdown} from "../../../src/cli/reference.js";
import {SAMPLER_REGISTRY} from "../../../src/sampling/index.js";
import {ROOT} from "../../support/paths.js";

const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("generated documentation", () => {
    test("docs/usage.md and docs/samplers.md hold the current generated tables", () => {
        const program = buildProgram(() => undefined);
        const usage = read("docs/usage.md");
        assert.equal(replaceGenerated(usage, "generation options", optionsMarkdown(program)), usage, "docs/usage.md (generation options) is out of date: npm run docs");
        for (const name of ["chat", "compare", "explain", "explore", "score", "batch"]) {
            const cmd = program.commands.find((c) => c.name() === name)!;
            assert.equal(replaceGenerated(usage, `${name} options`, optionsMarkdown(cmd)), usage, `docs/usage.md (${name} options) is out of date: npm run docs`);
        }
        const samplers = read("docs/samplers.md");
        assert.equal(replaceGenerated(samplers, "samplers", samplersMarkdown()), samplers, "docs/samplers.md is out of date: npm run docs");
    });

    test("the tables cover every flag and every sampler", () => {
        const program = buildProgram(() => undefined);
        const table = optionsMarkdown(program);
        for (const option of program.options) assert.ok(table.includes(option.flags), `${option.flags} missing`);
        const samplers = samplersMarkdown();
        for (const def of SAMPLER_REGISTRY) {
            assert.ok(samplers.includes(`\`${def.name}`), `${def.name} missing`);
            if (def.flag !== undefined) assert.ok(samplers.includes(`\`${def.flag}\``), `${def.flag} missing`);
        }
    });

    test("a stale block is detected, and `npm run docs -- --check` agrees with the test", () => {
        const doc = "a\n<!-- generated: x (npm run docs) -->\nold\n<!-- end generated: x -->\nb\n";
        assert.equal(replaceGenerated(doc, "x", "new"), "a\n<!-- generated: x (npm run docs) -->\nnew\n<!-- end generated: x -->\nb\n");
        assert.throws(() => replaceGenerated("no markers", "x", "new"), /no generated block "x"/);
        const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "update-docs.mjs"), "--check"], {encoding: "utf8"});
        assert.equal(r.status, 0, r.stderr);
    });
});
