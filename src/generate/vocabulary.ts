/**
 * The engine's vocabulary behind the sampling core's engine-free Vocabulary interface (DRY's
 * sequence breakers and logit bias by text need token texts and the tokenizer). One adapter per
 * engine, so the core's per-vocabulary caches (processed DRY breakers) are built once per model.
 */
import type {Engine} from "../engine/engine.js";
import type {Vocabulary} from "../sampling/index.js";

const adapters = new WeakMap<Engine, Vocabulary>();

export function engineVocabulary(engine: Engine): Vocabulary {
    let v = adapters.get(engine);
    if (v === undefined) {
        v = {
            size: engine.vocabSize,
            // The token alone, special tokens rendered: llama.cpp's detokenize({id}, true) used by its DRY.
            piece: (id) => engine.tokenPiece(id),
            // No BOS, no special-token parsing: llama.cpp's tokenize(text, false, false).
            tokenize: (text) => engine.model.tokenize(text, false) as number[],
        };
        adapters.set(engine, v);
    }
    return v;
}
