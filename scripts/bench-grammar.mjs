#!/usr/bin/env node
// Cost of the structured-output mask per step: llmgen's native one-call mask (fast-route version 3,
// AddonSampler.llmgenGrammarMask) against node-llama-cpp's per-token check, one call per vocabulary
// entry. A JSON-schema grammar walked along a path that enters a string (where most tokens are
// accepted) on each model given (default: stories260K, tiny-random, and the Llama 3 q8_0 fixture
// when ../shared/models exists). Prints a table; needs `npm run build` and `npm run build:fast`.
//
//   node scripts/bench-grammar.mjs [model.gguf ...]
import fs from "node:fs";
import path from "node:path";
import {performance} from "node:perf_hooks";
import {fileURLToPath} from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const {Engine} = await import(path.join(ROOT, "dist/src/engine/engine.js"));
const {compileConstraint} = await import(path.join(ROOT, "dist/src/engine/grammar.js"));

const args = process.argv.slice(2);
const llama3 = path.resolve(ROOT, "..", "shared", "models", "llama-3-vocab-random-q8_0.gguf");
const models = args.length > 0 ? args : [
    path.join(ROOT, "assets", "stories260K.gguf"),
    path.join(ROOT, "test", "fixtures", "llama-2-tiny-random.gguf"),
    ...(fs.existsSync(llama3) ? [llama3] : [])
];
const source = {kind: "json-schema", source: "bench", schema: {type: "object", properties: {name: {type: "string"}, n: {type: "integer"}}, required: ["name", "n"]}};

function median(xs) {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

const rows = [];
for (const modelPath of models) {
    const engine = await Engine.load({modelPath, gpu: "cpu", ctxSize: 64});
    try {
        const native = await compileConstraint(engine.llama, engine.model, engine.vocabSize, source, "native");
        const perToken = await compileConstraint(engine.llama, engine.model, engine.vocabSize, source, "per-token");
        const logits = new Float32Array(engine.vocabSize);
        const nativeMs = [];
        const perTokenMs = [];
        const accepted = [];
        const perTokenSteps = engine.vocabSize > 100_000 ? 2 : 5;
        // Walk: "{", then into the name string, then a few characters of it.
        for (let step = 0; step < 12; step++) {
            for (let r = 0; r < 5; r++) {
                logits.fill(0);
                const t = performance.now();
                native.mask(logits);
                nativeMs.push(performance.now() - t);
            }
            let count = 0;
            let pick = -1;
            for (let id = 0; id < logits.length; id++) if (logits[id] !== -Infinity) {
                count++;
                // The accepted token with the longest text that does not close the string: deeper into the string.
                const piece = engine.tokenPiece(id);
                if (!engine.isEndOfGeneration(id) && !piece.includes("\"", step < 3 ? 99 : 0) && (pick < 0 || piece.length > engine.tokenPiece(pick).length)) pick = id;
            }
            if (pick < 0) for (let id = 0; id < logits.length && pick < 0; id++) if (logits[id] !== -Infinity) pick = id;
            accepted.push(count);
            if (step >= 12 - perTokenSteps) {
                logits.fill(0);
                const t = performance.now();
                perToken.mask(logits);
                perTokenMs.push(performance.now() - t);
            }
            native.accept(pick);
            perToken.accept(pick);
        }
        rows.push({model: path.basename(modelPath), vocab: engine.vocabSize, native: median(nativeMs), perToken: median(perTokenMs), accepted: `${Math.min(...accepted)}–${Math.max(...accepted)}`});
    } finally {
        await engine.dispose();
    }
}

const header = ["model", "vocab", "accepted", "native ms/step", "per-token ms/step", "ratio"];
const table = rows.map((r) => [r.model, String(r.vocab), r.accepted, r.native.toFixed(3), r.perToken.toFixed(1), `${(r.perToken / r.native).toFixed(0)}×`]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
for (const row of [header, ...table]) process.stdout.write(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ") + "\n");
