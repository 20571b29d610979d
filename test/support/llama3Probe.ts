/**
 * Engine-level facts about one model, printed as JSON (a separate process: getLlama forks a child
 * with process.execArgv, which must not carry the test runner's flags).
 * Usage: node llama3Probe.js <model> <text>   (without arguments it exits at once).
 */
import {Engine} from "../../src/engine/engine.js";

const [modelPath, text] = process.argv.slice(2);
if (modelPath !== undefined && text !== undefined) {
    const engine = await Engine.load({modelPath, ctxSize: 256});
    try {
        const tokens = engine.tokenize(text);
        // Stream the tokens after BOS one at a time, as generation does.
        const decoder = engine.streamDecoder(tokens.slice(0, 1));
        const pieces = tokens.slice(1).map((id) => decoder.push(id));
        pieces.push(decoder.flush());
        const display = (ids: number[]) => ids.map((id) => engine.tokenText(id));
        process.stdout.write(JSON.stringify({tokens, pieces, bos: engine.bos, eog: [128001, 128009, 128008, 13].map((t) => [t, engine.isEndOfGeneration(t)]),
            display: display([172, 9468, 279, 198, 165]),
            // vocabulary entries that hold a real U+FFFD (bytes EF BF BD = "ï¿½" in GPT-2's byte map)
            replacementInVocab: (engine.model.fileInfo.metadata.tokenizer.ggml.tokens as string[]).flatMap((s, id) => (s.includes("ï¿½") ? [id] : []))}) + "\n");
    } finally {
        await engine.dispose();
    }
}
