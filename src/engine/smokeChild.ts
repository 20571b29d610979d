/**
 * Child process of the binary smoke test (src/engine/smoke.ts): load one llama.cpp binary, load one
 * model, evaluate a few tokens and check the logits. Run as
 *
 *   node smokeChild.js <binding path | "in-use"> <model.gguf>
 *
 * "in-use" loads what llmgen itself would load (binary.ts: a checked local build, else the prebuilt). Prints one JSON
 * line {"ok", "buildType", "fastRoute", "vocab", "argmax", "ms", "error"?} and exits 0 when the
 * model ran; a binary that cannot run this model's kernels dies here (SIGILL, SIGSEGV…) instead of
 * in the user's process.
 */
import {createRequire} from "node:module";
import path from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";
import {LlamaLogLevel, type Llama, type Token} from "node-llama-cpp";
import {loadLlama} from "./binary.js";

interface SmokeLine {
    ok: boolean;
    buildType?: string;
    fastRoute?: boolean;
    vocab?: number;
    argmax?: number;
    ms?: number;
    error?: string;
}

function say(line: SmokeLine): void {
    process.stdout.write(JSON.stringify(line) + "\n");
}

async function loadBinding(bindingPath: string): Promise<Llama> {
    if (bindingPath === "in-use")
        return loadLlama({gpu: false, logLevel: LlamaLogLevel.disabled, logger: () => undefined, maxThreads: 1});
    // Llama._create is node-llama-cpp's own loader for a binding it has found (pinned version 3.21.1).
    const nlcDist = path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp")));
    const {Llama: LlamaClass} = (await import(pathToFileURL(path.join(nlcDist, "bindings", "Llama.js")).href)) as {
        Llama: {_create(options: Record<string, unknown>): Promise<Llama>};
    };
    const require = createRequire(import.meta.url);
    const bindings = require(bindingPath) as unknown;
    let buildMetadata: unknown;
    try {
        buildMetadata = require(path.join(path.dirname(bindingPath), "_nlcBuildMetadata.json"));
    } catch {
        buildMetadata = {buildOptions: {customCmakeOptions: {}, gpu: false, llamaCpp: {repo: "ggml-org/llama.cpp", release: "unknown"}}};
    }
    return LlamaClass._create({
        bindings, bindingPath, buildType: "localBuild", buildMetadata, logLevel: LlamaLogLevel.disabled,
        logger: () => undefined, maxThreads: 1, vramPadding: 0, ramPadding: 0, debug: false, tempDir: false
    });
}

async function run(bindingPath: string, modelPath: string): Promise<void> {
    const started = Date.now();
    const llama = await loadBinding(bindingPath);
    const model = await llama.loadModel({modelPath, gpuLayers: 0});
    const context = await model.createContext({contextSize: 64, sequences: 1, threads: 1, flashAttention: false});
    const sequence = context.getSequence();
    const bos = model.tokens.bos;
    const prompt = [...(bos === null ? [] : [bos]), ...model.tokenize("hello world", false)] as Token[];
    // The public route: the whole distribution after the prompt (runs the matrix products).
    const items = await sequence.controlledEvaluate(prompt.map((t, i) =>
        i === prompt.length - 1 ? [t, {generateNext: {probabilities: true, options: {temperature: 0}}}] as const : t));
    const probs = items[items.length - 1]?.next?.probabilities;
    if (probs === undefined || probs.size === 0) throw new Error("no next-token distribution");
    let argmax = -1;
    let best = -Infinity;
    let total = 0;
    for (const [token, p] of probs) {
        if (!Number.isFinite(p)) throw new Error(`probability of token ${token} is ${p}`);
        total += p;
        if (p > best) {
            best = p;
            argmax = token;
        }
    }
    if (Math.abs(total - 1) > 1e-3) throw new Error(`next-token probabilities sum to ${total}`);
    // The fast route's raw logits, when the binary has llmgen's patch.
    const addon = (context as unknown as {_ctx?: {llmgenCopyLogits?: (i: number, out: Float32Array) => number}})._ctx;
    const fastRoute = typeof addon?.llmgenCopyLogits === "function";
    const vocab = probs.size;
    if (fastRoute) {
        const logits = new Float32Array(vocab);
        addon!.llmgenCopyLogits!(prompt.length - 1, logits);
        let fastArgmax = 0;
        for (let i = 1; i < vocab; i++) {
            if (!Number.isFinite(logits[i])) throw new Error(`fast route: logit of token ${i} is ${logits[i]}`);
            if (logits[i] > logits[fastArgmax]) fastArgmax = i;
        }
        if (probs.get(fastArgmax as Token) !== best) throw new Error(`fast route argmax ${fastArgmax} differs from the public route's ${argmax}`);
    }
    await context.dispose();
    await model.dispose();
    await llama.dispose();
    say({ok: true, buildType: llama.buildType, fastRoute, vocab, argmax, ms: Date.now() - started});
}

const [bindingPath, modelPath] = process.argv.slice(2);
if (bindingPath === undefined || modelPath === undefined) {
    say({ok: false, error: "usage: smokeChild.js <binding path | in-use> <model.gguf>"});
    process.exit(2);
}
try {
    await run(bindingPath, modelPath);
} catch (err) {
    say({ok: false, error: err instanceof Error ? err.message.split("\n")[0] : String(err)});
    process.exit(1);
}
