/**
 * The streaming detokenizer on real tokenizers: feeding the tokens of a text one by one gives back
 * exactly the text (no U+FFFD for characters split across byte-fallback tokens, no lost leading
 * spaces), and equals detokenizing all tokens at once.
 */
import assert from "node:assert/strict";
import {after, before, describe, test} from "node:test";
import {Engine} from "../../../src/engine/engine.js";
import {STORIES, TINY_RANDOM} from "../../support/paths.js";

const TEXTS = [
    "héllo 😀 世界",
    " leading space, then  two spaces",
    "Привет, мир! ñandú — “quotes” … 🤖🦙",
    "Once upon a time, there was a little girl named Lily."
];

for (const [name, model] of [["tiny-random (32k vocab, byte fallback)", TINY_RANDOM], ["stories260K (512 vocab)", STORIES]] as const) {
    describe(`stream decoder on ${name}`, () => {
        let engine: Engine;
        before(async () => {
            engine = await Engine.load({modelPath: model(), gpu: "cpu", logitsRoute: "public"});
        });
        after(async () => engine?.dispose());

        for (const text of TEXTS) {
            test(JSON.stringify(text), () => {
                const prompt = engine.tokenize("A");
                const ids = engine.tokenize(text).slice(prompt.length - 1); // drop BOS, keep the text's tokens
                const decoder = engine.streamDecoder(prompt);
                const pieces = ids.map((id) => decoder.push(id));
                const streamed = pieces.join("") + decoder.flush();
                const whole = engine.detokenize(ids, prompt);
                assert.equal(streamed, whole);
                for (const p of pieces) assert.doesNotMatch(p, /\uFFFD/, `a piece was cut inside a character: ${JSON.stringify(pieces)}`);
                if ([...text].some((ch) => ch.charCodeAt(0) > 0x7f) && name.startsWith("tiny"))
                    assert.ok(pieces.some((p) => p === ""), "expected at least one held-back byte token");
            });
        }
    });
}
