/**
 * The grammar mask on real vocabularies: the one-call native mask (patched build, fast-route
 * version 3) accepts exactly the tokens node-llama-cpp's own per-token check accepts, and on a tiny
 * grammar exactly the tokens whose text continues a word of its language (end tokens only once a
 * word is complete). Also: node-llama-cpp's JSON number rules are rewritten as documented.
 */
import {withFix} from "../../../src/cli/fixes.js";
import type {UsageError} from "../../../src/errors.js";
import assert from "node:assert/strict";
import path from "node:path";
import {after, before, describe, test} from "node:test";
import type {Token} from "node-llama-cpp";
import {Engine} from "../../../src/engine/engine.js";
import {compileConstraint, fixNumberRules, hasNativeGrammarMask, type ConstraintSource, type GrammarConstraint} from "../../../src/engine/grammar.js";
import {largeFixturesFolder, largeFixturesSkip, STORIES, TINY_RANDOM} from "../../support/paths.js";

const GBNF = 'root ::= "yes" | "no" | "maybe" [0-9]{1,2}';
const LANGUAGE = ["yes", "no", ...Array.from({length: 10}, (_, d) => `maybe${d}`), ...Array.from({length: 100}, (_, n) => `maybe${String(n).padStart(2, "0")}`)];
const TINY: ConstraintSource = {kind: "grammar", text: GBNF, source: "test grammar"};
const SCHEMA: ConstraintSource = {
    kind: "json-schema", source: "test schema",
    schema: {type: "object", properties: {name: {type: "string", maxLength: 4}, n: {type: "integer"}, ok: {type: "boolean"}}, required: ["name", "n", "ok"]}
};

function allowedSet(c: GrammarConstraint): Set<number> {
    const logits = new Float32Array(c.vocabSize);
    const count = c.mask(logits);
    const out = new Set<number>();
    for (let id = 0; id < logits.length; id++) if (logits[id] !== -Infinity) out.add(id);
    assert.equal(count, out.size, "the returned count is the size of the accepted set");
    return out;
}

function sorted(s: Set<number>): number[] {
    return [...s].sort((a, b) => a - b);
}

const large = largeFixturesFolder();
const MODELS: Array<[string, () => string, string | false]> = [
    ["stories260K (512 vocab)", STORIES, false],
    ["tiny-random (32k vocab)", TINY_RANDOM, false],
    ["Llama 3 vocab (128k)", () => path.join(large ?? "", "llama-3-vocab-random-q8_0.gguf"), largeFixturesSkip(large !== undefined)]
];

for (const [name, model, skip] of MODELS) {
    describe(`grammar mask on ${name}`, {skip}, () => {
        let engine: Engine;
        before(async () => {
            engine = await Engine.load({modelPath: model(), gpu: "cpu", ctxSize: 64});
        });
        after(async () => engine?.dispose());

        test("the patched build carries the native mask", () => {
            assert.ok(hasNativeGrammarMask(engine.llama), "run npm run build:fast (fast-route version 3)");
        });

        test("tiny grammar: native mask = per-token check = the tokens that continue a word of the language", async () => {
            const native = await compileConstraint(engine.llama, engine.model, engine.vocabSize, TINY, "native");
            const perToken = await compileConstraint(engine.llama, engine.model, engine.vocabSize, TINY, "per-token");
            // Each token's own text, leading space included (after an ordinary token, not at the start of the text).
            const context = engine.tokenize("A");
            const pieces = Array.from({length: engine.vocabSize}, (_, id) => engine.tokenPiece(id, context));
            const isEog = (id: number): boolean => engine.model.isEogToken(id as Token);
            // Walk towards "maybe42", one token at a time (the longest piece that fits), checking every step.
            const target = "maybe42";
            let text = "";
            for (let step = 0; step < 12; step++) {
                const expected = new Set<number>();
                for (let id = 0; id < engine.vocabSize; id++) {
                    if (isEog(id)) {
                        if (LANGUAGE.includes(text)) expected.add(id);
                    } else if (engine.model.getTokenAttributes(id as Token).control) {
                        continue; // control tokens are never text to a grammar in llmgen
                    } else if (pieces[id]!.length > 0 && LANGUAGE.some((w) => w.startsWith(text + pieces[id]!))) expected.add(id);
                }
                const a = allowedSet(native);
                const b = allowedSet(perToken);
                assert.deepEqual(sorted(a), sorted(b), `step ${step} ("${text}"): native mask ≠ per-token check`);
                assert.deepEqual(sorted(a), sorted(expected), `step ${step} ("${text}"): accepted set`);
                if (text === target) break;
                let best = -1;
                for (const id of a) if (!isEog(id) && target.startsWith(text + pieces[id]!) && (best < 0 || pieces[id]!.length > pieces[best]!.length)) best = id;
                assert.ok(best >= 0, `no accepted token continues "${text}" towards "${target}"`);
                native.accept(best);
                perToken.accept(best);
                text += pieces[best]!;
            }
            assert.equal(text, target);
            // Complete: nothing but end tokens.
            for (const id of allowedSet(native)) assert.ok(isEog(id), `token ${id} accepted after a complete word`);
        });

        test("JSON schema: native mask = per-token check along a walk, and clones are independent", async () => {
            const native = await compileConstraint(engine.llama, engine.model, engine.vocabSize, SCHEMA, "native");
            const perToken = await compileConstraint(engine.llama, engine.model, engine.vocabSize, SCHEMA, "per-token");
            const steps = engine.vocabSize > 100_000 ? 3 : 8;
            for (let step = 0; step < steps; step++) {
                const a = allowedSet(native);
                assert.deepEqual(sorted(a), sorted(allowedSet(perToken)), `step ${step}`);
                const next = Math.max(...a); // the accepted token with the highest id: a walk off the usual path
                const before = allowedSet(native);
                const clone = native.clone();
                clone.accept(next);
                assert.deepEqual(sorted(allowedSet(native)), sorted(before), "accepting on a clone leaves the original as it was");
                native.accept(next);
                perToken.accept(next);
            }
        });
    });
}

describe("JSON number rules", () => {
    let engine: Engine;
    before(async () => {
        engine = await Engine.load({modelPath: STORIES(), gpu: "cpu", ctxSize: 64});
    });
    after(async () => engine?.dispose());

    test("integers lose node-llama-cpp's exponent and keep at most 15 digits, other numbers keep an exponent of at most two digits", async () => {
        const g = (await engine.llama.createGrammarForJsonSchema({type: "object", properties: {i: {type: "integer"}, x: {type: "number"}}})).grammar;
        const fixed = fixNumberRules(g).split("\n");
        assert.ok(fixed.includes('integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,14})'), g);
        assert.ok(fixed.includes('fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?'), g);
        assert.equal(fixed.length, g.split("\n").length);
        assert.equal(fixNumberRules(GBNF), GBNF, "other grammars are left as they are");
    });
});

describe("without the native mask (an older or stock binary)", () => {
    // A stand-in for node-llama-cpp's Llama whose addon has the per-token check but no llmgenGrammarMask.
    const stock = {_bindings: {AddonSampler: {canBeNextTokenForGrammarEvaluationState: () => true, acceptGrammarEvaluationStateToken: () => undefined}}};
    test("a vocabulary over 4096 tokens is refused with one line naming the build command", async () => {
        await assert.rejects(compileConstraint(stock as never, {} as never, 32000, SCHEMA),
            (e: UsageError) => e.name === "UsageError" && /^a JSON schema on a 32000-token vocabulary needs llmgen's patched llama.cpp build \(.*\)$/.test(e.message) &&
                e.fix === "build-fast-route" && /npm run build:fast/.test(withFix(e.message, e.fix)));
        assert.equal(hasNativeGrammarMask(stock as never), false);
    });
    test("asking for the native mask on it is refused the same way", async () => {
        await assert.rejects(compileConstraint(stock as never, {} as never, 512, TINY, "native"), (e: UsageError) => /needs llmgen's patched llama.cpp build \(fast-route version 3\)$/.test(e.message) && e.fix === "build-fast-route");
    });
});

