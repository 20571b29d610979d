/**
 * The state of `llmgen explore` (src/generate/explore.ts) without a terminal: the tree and its
 * branches, what each action evaluates (on a fake model whose sequences count evaluated tokens the
 * way EngineSequence does, and on stories260K through the real engine, where a new branch forks
 * the KV cache of the sequence holding its prefix), strategy picks from seeded streams, and the
 * renderers of the saved tree and of the side panel.
 */
import assert from "node:assert/strict";
import {after, before, describe, test} from "node:test";
import {Chalk} from "chalk";
import {Engine} from "../../../src/engine/engine.js";
import {BY_YOU, ExploreRefusal, ExploreSession, ExploreTree, type ExploreSequence} from "../../../src/generate/explore.js";
import {logSumExp, topIds} from "../../../src/generate/logprobs.js";
import {engineVocabulary} from "../../../src/generate/vocabulary.js";
import {explainStep} from "../../../src/metrics/distribution.js";
import {exploreDocument, renderExploreHtml, textLines, treeLines} from "../../../src/report/explore.js";
import {createRng, deriveSeed, parseStrategy, SamplerChain, type SampleStrategy} from "../../../src/sampling/index.js";
import {STORIES} from "../../support/paths.js";

const plain = new Chalk({level: 0});
const REQUIRED = process.env.CI === "true" || process.env.LLMGEN_REQUIRE_FAST_ROUTE === "1";
const V = 8;

/** A made-up model: the logits depend on the whole history. */
function fakeLogits(history: readonly number[]): Float32Array {
    let h = 17;
    for (const t of history) h = (h * 31 + t + 1) % 1009;
    return Float32Array.from({length: V}, (_, i) => ((h * (i + 3)) % 13) / 4);
}

/** Counts evaluated tokens exactly like EngineSequence.logitsFor (common prefix reused, no fork). */
class FakeSequence implements ExploreSequence {
    state: number[] = [];
    evaluatedTokens = 0;
    async logitsFor(history: readonly number[]): Promise<Float32Array> {
        let common = 0;
        while (common < Math.min(this.state.length, history.length) && this.state[common] === history[common]) common++;
        if (common === history.length) common--;
        this.evaluatedTokens += history.length - common;
        this.state = [...history];
        return fakeLogits(history);
    }
}

function strategies(specs: string[], seed: number, vocab = V) {
    return specs.map((spec, k) => {
        const s = parseStrategy(spec) as SampleStrategy;
        return {spec: s.spec, chain: new SamplerChain(s.samplers, vocab), rng: createRng(deriveSeed(seed, k))};
    });
}

async function fakeSession(opts: {sequences?: number; contextSize?: number; end?: number; cacheBytes?: number} = {}) {
    const sequences = Array.from({length: opts.sequences ?? 2}, () => new FakeSequence());
    const session = await ExploreSession.open({
        promptTokens: [1, 2, 3],
        sequences,
        strategies: strategies(["greedy", "top-k=3", "random"], 5),
        top: 4,
        textOf: (id) => `t${id}`,
        isEnd: (id) => id === opts.end,
        contextSize: opts.contextSize ?? 64,
        trueLogits: true,
        logitsCacheBytes: opts.cacheBytes
    });
    return {session, sequences};
}

const argmax = (l: Float32Array): number => topIds(l, 1)[0]!;

describe("explore tree", () => {
    test("extend reuses an existing child; back removes a node no branch holds; branches share prefixes", () => {
        const tree = new ExploreTree();
        const a = tree.extend(5, {text: "a", p: 0.5, by: BY_YOU, end: false});
        const b = tree.extend(6, {text: "b", p: 0.25, by: BY_YOU, end: false});
        assert.equal(a.created && b.created, true);
        assert.deepEqual(tree.tokens(), [5, 6]);
        const second = tree.branch();
        assert.equal(second.number, 2);
        assert.equal(second.from, 1);
        assert.equal(tree.back(), true, "node 6 is still held by branch 1");
        assert.deepEqual(tree.tokens(), [5]);
        tree.extend(7, {text: "c", p: 0.1, by: "greedy", end: false});
        assert.deepEqual(tree.root.children[0]!.children.map((n) => n.token), [6, 7]);
        tree.select(0);
        assert.deepEqual(tree.tokens(), [5, 6]);
        const removed = tree.back();
        assert.equal(typeof removed, "object");
        assert.deepEqual(tree.root.children[0]!.children.map((n) => n.token), [7], "node 6 was held by branch 1 alone");
        // Going forward again with the same token makes a new node; taking 7 reuses branch 2's node.
        const again = tree.extend(7, {text: "c", p: 0.1, by: BY_YOU, end: false});
        assert.equal(again.created, false);
        assert.equal(again.node, tree.branches[1]!.tip);
        tree.back();
        tree.back();
        assert.equal(tree.back(), false, "at the prompt");
        assert.deepEqual(tree.nodes().map((n) => n.token), [-1, 5, 7]);
        assert.equal(tree.select(-1).number, 2, "select wraps");
    });

    test("the side panel: runs of tokens between forks, branch tips marked, the current one with ◀", () => {
        const tree = new ExploreTree();
        for (const [t, text] of [[1, " Once"], [2, " upon"]] as const) tree.extend(t, {text, p: 0.5, by: BY_YOU, end: false});
        tree.branch();
        tree.extend(3, {text: " a", p: 0.5, by: BY_YOU, end: false});
        tree.extend(4, {text: " time", p: 0.5, by: BY_YOU, end: false});
        tree.select(0);
        tree.branch();
        tree.back();
        tree.extend(9, {text: "\n", p: 0.5, by: BY_YOU, end: true});
        assert.deepEqual(treeLines(tree, {width: 40, height: 10, chalk: plain}), [
            "prompt",
            "└ \" Once\"",
            "  ├ \" upon\" [1]",
            "  │ └ \" a time\" [2]",
            "  └ \"\\n\" ‹end› [3]◀"
        ]);
        assert.deepEqual(treeLines(tree, {width: 12, height: 2, chalk: plain}), ["  │ └ \" … [2]", "  └ \"\\… [3]◀"], "cut to the width; the current line kept in view");
        assert.deepEqual(textLines("Hi", tree.path(), {width: 10, height: 5, chalk: plain}), ["Hi Once‹", "›"]);
    });
});

describe("explore session on a fake model", () => {
    test("each node's distribution is computed once: taking evaluates one token, back and switching evaluate none", async () => {
        const {session, sequences} = await fakeSession();
        assert.equal(session.evaluatedTokens, 3, "the prompt");
        assert.deepEqual(sequences.map((s) => s.state), [[1, 2, 3], []]);
        const g = argmax(fakeLogits([1, 2, 3]));
        const node = await session.pick(0);
        assert.equal(node.token, g, "greedy takes the argmax");
        const l = fakeLogits([1, 2, 3]);
        assert.ok(Math.abs(node.p - Math.exp(l[g]! - logSumExp(l))) < 1e-12);
        assert.equal(node.by, "greedy");
        assert.equal(session.evaluatedTokens, 4);
        session.moveSelection(1);
        const second = session.tip.step!.candidates[1]!;
        const taken = await session.takeSelected();
        assert.equal(taken.token, second.id);
        assert.equal(taken.by, BY_YOU);
        assert.equal(session.evaluatedTokens, 5);
        session.back();
        session.back();
        assert.equal(session.evaluatedTokens, 5, "stepping back evaluates nothing");
        assert.deepEqual(session.tip.step, (await fakeSession()).session.tip.step, "the prompt's distribution as it was");
        session.branch();
        await session.take(second.id, BY_YOU);
        assert.equal(session.evaluatedTokens, 5 + 4, "branch 2 takes the free sequence, which holds nothing (the fake cannot fork): prompt and token");
        session.switchBranch(1);
        assert.equal(session.tree.current.number, 1);
        assert.equal(session.evaluatedTokens, 9, "switching evaluates nothing");
        await session.take(session.tip.step!.candidates[0]!.id, BY_YOU);
        assert.equal(session.evaluatedTokens, 10, "branch 1 continues on its own sequence, which holds the prompt: one token");
    });

    test("a token already in the tree is not evaluated again; refusals change nothing", async () => {
        const {session} = await fakeSession({contextSize: 5, end: 99});
        assert.throws(() => session.back(), ExploreRefusal);
        const first = session.tip.step!.candidates[0]!.id;
        await session.take(first, BY_YOU);
        session.branch();
        session.back();
        const before = session.evaluatedTokens;
        await session.take(first, BY_YOU);
        assert.equal(session.evaluatedTokens, before, "the node exists: its distribution is kept");
        await session.take(0, BY_YOU);
        assert.equal(session.history().length, 5);
        await assert.rejects(session.pick(0), /context is full \(5 tokens\)/);
        await assert.rejects(session.pick(7), /no strategy 8/);
    });

    test("after an end-of-generation token nothing is evaluated and nothing can be taken", async () => {
        const l = fakeLogits([1, 2, 3]);
        const end = argmax(l);
        const {session} = await fakeSession({end});
        const before = session.evaluatedTokens;
        const node = await session.pick(0);
        assert.equal(node.end, true);
        assert.equal(node.step, undefined);
        assert.equal(session.evaluatedTokens, before);
        await assert.rejects(session.takeSelected(), ExploreRefusal);
        await assert.rejects(session.pick(1), /end of generation/);
    });

    test("strategy picks come from each strategy's own seeded stream: the same keys give the same tree", async () => {
        const keys = [2, 1, 2, 2, 1, 2];
        const run = async () => {
            const {session} = await fakeSession();
            for (const k of keys) await session.pick(k);
            return session.tree.tokens();
        };
        const a = await run();
        assert.deepEqual(await run(), a);
        // Strategy 3 (random) alone, replayed with its stream: the draws match SamplerChain.sample.
        const {session} = await fakeSession();
        const [, , random] = strategies(["greedy", "top-k=3", "random"], 5);
        const history = [1, 2, 3];
        for (let i = 0; i < 5; i++) {
            const expected = random!.chain.sample(fakeLogits(history), {history, promptLength: 3, rng: random!.rng, trueLogits: true});
            const node = await session.pick(2);
            assert.equal(node.token, expected);
            history.push(expected);
        }
    });

    test("logits kept within the byte budget: a pick at a node whose logits were dropped evaluates its last token again", async () => {
        const {session} = await fakeSession({sequences: 1, cacheBytes: 2 * 4 * V});
        await session.pick(0);
        await session.pick(0);
        await session.pick(0);
        session.back();
        session.back();
        const before = session.evaluatedTokens;
        await session.pick(1);
        assert.equal(session.evaluatedTokens, before + 2, "one token to get the dropped logits back, one for the new token");
    });

    test("the saved document: every branch with its tokens, their p and the distribution each came from", async () => {
        const {session} = await fakeSession();
        await session.pick(0);
        session.branch();
        await session.pick(1);
        const doc = exploreDocument(session.tree, {
            prompt: "p", promptText: "p", promptTokens: [1, 2, 3], model: "m", vocabSize: V, seed: 5, top: 4, strategies: [{key: "1", spec: "greedy"}]
        }, (tokens) => tokens.map((t) => `t${t}`).join(""));
        assert.equal(doc.current, 2);
        assert.deepEqual(doc.branches.map((b) => [b.branch, b.from, b.tokens.length]), [[1, null, 1], [2, 1, 2]]);
        const [b1, b2] = doc.branches;
        assert.deepEqual(b2!.tokens[0], b1!.tokens[0], "shared prefix, same record");
        const t = b2!.tokens[1]!;
        assert.equal(t.by, "top-k=3");
        assert.ok(Math.abs(t.logprob - Math.log(t.p)) < 1e-12);
        const history = [1, 2, 3, b2!.tokens[0]!.id];
        const l = fakeLogits(history);
        const expected = explainStep(l, strategies(["greedy", "top-k=3", "random"], 5), {history, promptLength: 3, rng: createRng(0), trueLogits: true}, {position: 1, top: 4, textOf: (id) => `t${id}`});
        assert.deepEqual(t.distribution.candidates, expected.candidates);
        assert.deepEqual(t.distribution.strategies.map((s) => [s.spec, s.size]), expected.strategies.map((s) => [s.spec, s.size]));
        // The kept tokens among the candidates only (the whole kept set is not sorted): the same q; the
        // mass summed in another order.
        for (const [i, s] of t.distribution.strategies.entries()) assert.ok(Math.abs(s.mass - expected.strategies[i]!.mass) < 1e-12);
        const listed = new Set(expected.candidates.map((c) => c.id));
        assert.deepEqual(t.distribution.strategies.map((s) => s.kept), expected.strategies.map((s) => s.kept.filter((k) => listed.has(k.id))));
        assert.equal(b2!.text, b2!.tokens.map((x) => `t${x.id}`).join(""));
        const html = renderExploreHtml(doc);
        assert.match(html, /^<!doctype html>/);
        assert.doesNotMatch(html, /<script src|<link |https?:\/\//, "self-contained");
        assert.equal(html.match(/class="branch/g)?.length, 2);
        assert.equal(html.match(/class="tok( shared)?"/g)?.length, 3);
        assert.equal(html.match(/class="tok shared"/g)?.length, 1, "branch 2's first token is branch 1's");
        assert.match(html, /<h2>branch 2 \(current\)<\/h2>/);
    });
});

describe("explore session on stories260K (the real engine)", () => {
    let engine: Engine;
    let unforked: Engine;
    before(async () => {
        engine = await Engine.load({modelPath: STORIES(), gpu: "cpu", sequences: 3, ctxSize: 128});
        unforked = await Engine.load({modelPath: STORIES(), gpu: "cpu", sequences: 3, ctxSize: 128, forkMinGain: Infinity});
    });
    after(async () => {
        await engine?.dispose();
        await unforked?.dispose();
    });

    const open = (e: Engine, prompt: number[]) => ExploreSession.open({
        promptTokens: prompt, sequences: e.sequences, strategies: strategies(["greedy", "top-p=0.9"], 1, e.vocabSize), top: 10,
        textOf: (id, before) => e.tokenText(id, before), isEnd: (id) => e.isEndOfGeneration(id),
        contextSize: e.info.contextSize, trueLogits: e.route.trueLogits, vocabulary: engineVocabulary(e)
    });

    test("stepping back and switching evaluate nothing; a new branch forks the KV cache instead of evaluating its prefix", async (t) => {
        if (!engine.route.name.startsWith("fast")) {
            const why = "needs the fast route (npm run build:fast) to fork";
            if (REQUIRED) throw new Error(`${why} — required here (CI=true or LLMGEN_REQUIRE_FAST_ROUTE=1)`);
            return t.skip(why);
        }
        const prompt = engine.tokenize("Lily went to the park and");
        const session = await open(engine, prompt);
        assert.equal(session.evaluatedTokens, prompt.length);
        for (let i = 0; i < 8; i++) await session.pick(0);
        assert.equal(session.evaluatedTokens, prompt.length + 8, "one evaluated token per greedy step");
        for (let i = 0; i < 3; i++) session.back();
        assert.equal(session.evaluatedTokens, prompt.length + 8, "three steps back: nothing evaluated");
        session.branch();
        await session.take(session.tip.step!.candidates[1]!.id, BY_YOU);
        const afterFork = session.evaluatedTokens;
        assert.equal(afterFork, prompt.length + 9, "branch 2 (another sequence) forks branch 1's cache: one token");
        session.switchBranch(-1);
        assert.equal(session.tree.tip.depth, 5);
        session.switchBranch(1);
        assert.equal(session.evaluatedTokens, afterFork, "switching evaluates nothing");
        await session.pick(0);
        assert.equal(session.evaluatedTokens, afterFork + 1);

        // The same keys without forking: branch 2 evaluates its whole prefix on its own sequence.
        const plainSession = await open(unforked, prompt);
        for (let i = 0; i < 8; i++) await plainSession.pick(0);
        for (let i = 0; i < 3; i++) plainSession.back();
        plainSession.branch();
        await plainSession.take(plainSession.tip.step!.candidates[1]!.id, BY_YOU);
        assert.equal(plainSession.evaluatedTokens, prompt.length + 8 + prompt.length + 5 + 1);
        assert.deepEqual(plainSession.tree.tokens(), session.tree.tokens().slice(0, -1), "same path either way");
        // Forked or evaluated from scratch, the distributions agree (batching changes the last digits only).
        const forked = session.tree.path()[5]!.step!;
        const fresh = plainSession.tip.step!;
        assert.deepEqual(forked.candidates.map((c) => c.id), fresh.candidates.map((c) => c.id));
        for (const [i, c] of forked.candidates.entries()) assert.ok(Math.abs(c.p - fresh.candidates[i]!.p) < 1e-4, `${c.p} vs ${fresh.candidates[i]!.p}`);
    });
});
