/**
 * The constraint stage, engine-free: a set-based constraint stands in for a grammar. The stage
 * removes exactly the rejected tokens, the draw renormalises over the accepted ones, the samplers
 * after it see only accepted tokens (top-p keeps a share of the grammatical mass), end tokens are
 * accepted only where the constraint says so, and each clone keeps its own state.
 */
import assert from "node:assert/strict";
import {describe, it} from "node:test";
import {ConstraintStage, constrainedChains, type TokenConstraint} from "../../../src/sampling/constraint.js";
import {createChain, createRng, parseStrategy, SamplerChain, type SampleStrategy} from "../../../src/sampling/index.js";

/** Accepts, at step k, the ids of steps[k] (the last entry repeats). */
class ScriptedConstraint implements TokenConstraint {
    readonly kind = "grammar";
    readonly stopTexts: readonly string[] = [];
    step = 0;
    accepted: number[] = [];
    constructor(private readonly steps: ReadonlyArray<ReadonlySet<number>>) {}
    private now(): ReadonlySet<number> {
        return this.steps[Math.min(this.step, this.steps.length - 1)]!;
    }
    mask(logits: Float32Array): number {
        const allowed = this.now();
        for (let i = 0; i < logits.length; i++) if (!allowed.has(i)) logits[i] = -Infinity;
        return allowed.size;
    }
    accept(token: number): void {
        assert.ok(this.now().has(token), `accepted a rejected token ${token}`);
        this.accepted.push(token);
        this.step++;
    }
    clone(): ScriptedConstraint {
        const c = new ScriptedConstraint(this.steps);
        c.step = this.step;
        c.accepted = [...this.accepted];
        return c;
    }
}

const LOGITS = Float32Array.from([2, 1, 0.5, 0, -1, 3, -2, 1.5]);
const EOS = 7;
const ctx = {history: [1], promptLength: 1, rng: createRng(1), trueLogits: true};
const sample = (spec: string): SampleStrategy => parseStrategy(spec) as SampleStrategy;

function softmaxOver(ids: number[]): Map<number, number> {
    const m = Math.max(...ids.map((i) => LOGITS[i]!));
    const w = ids.map((i) => Math.exp(LOGITS[i]! - m));
    const z = w.reduce((a, b) => a + b, 0);
    return new Map(ids.map((id, k) => [id, w[k]! / z]));
}

describe("ConstraintStage", () => {
    it("keeps exactly the accepted tokens, renormalised (q = p / Σ p over the accepted set)", () => {
        const allowed = [0, 2, 3, 6];
        const stage = new ConstraintStage(new ScriptedConstraint([new Set(allowed)]), {isEnd: (id) => id === EOS});
        const kept = new SamplerChain([stage], LOGITS.length).keep(LOGITS, ctx);
        const expected = softmaxOver(allowed);
        assert.deepEqual(kept.map((k) => k.id).sort(), [...allowed].sort());
        for (const k of kept) assert.ok(Math.abs(k.q - expected.get(k.id)!) < 1e-12, `q(${k.id}) = ${k.q}, expected ${expected.get(k.id)}`);
        assert.equal(stage.allowed, 4);
        assert.equal(stage.complete, false);
    });

    it("comes first: top-p=0.8 keeps 80 % of the grammatical mass, not of the model's", () => {
        // Accepted: 0 (logit 2), 1 (1), 4 (−1). Over those: q0 = 0.705, q1 = 0.259, q4 = 0.035.
        const allowed = [0, 1, 4];
        const q = softmaxOver(allowed);
        assert.ok(q.get(0)! < 0.8 && q.get(0)! + q.get(1)! > 0.8);
        const stage = new ConstraintStage(new ScriptedConstraint([new Set(allowed)]), {isEnd: (id) => id === EOS});
        const chain = createChain(sample("top-p=0.8"), LOGITS.length, [stage]);
        const kept = chain.keep(LOGITS, ctx).map((k) => k.id).sort();
        // Without the grammar top-p=0.8 keeps tokens 5, 0 and 7 (p = 0.531, 0.195, 0.118); under it, 0 and 1.
        assert.deepEqual(kept, [0, 1]);
        assert.deepEqual(new SamplerChain(sample("top-p=0.8").samplers, LOGITS.length).keep(LOGITS, ctx).map((k) => k.id).sort(), [0, 5, 7]);
    });

    it("draws only accepted tokens, with frequencies p / Σ p over the accepted set", () => {
        const allowed = [1, 3, 5];
        const expected = softmaxOver(allowed);
        const stage = new ConstraintStage(new ScriptedConstraint([new Set(allowed)]), {isEnd: (id) => id === EOS});
        const chain = new SamplerChain([stage], LOGITS.length);
        const rng = createRng(7);
        const n = 40_000;
        const counts = new Map<number, number>();
        for (let i = 0; i < n; i++) {
            const id = chain.sample(LOGITS, {...ctx, rng});
            counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        assert.deepEqual([...counts.keys()].sort(), allowed);
        // χ² with 2 degrees of freedom below 13.8 (p = 0.001).
        let chi = 0;
        for (const id of allowed) chi += (counts.get(id)! - n * expected.get(id)!) ** 2 / (n * expected.get(id)!);
        assert.ok(chi < 13.8, `χ² = ${chi}`);
    });

    it("is complete when it accepts nothing but end tokens; --ignore-eos drops end tokens only while others remain", () => {
        const onlyEnd = new ConstraintStage(new ScriptedConstraint([new Set([EOS])]), {isEnd: (id) => id === EOS, dropEnd: true});
        assert.deepEqual(new SamplerChain([onlyEnd], LOGITS.length).keep(LOGITS, ctx).map((k) => k.id), [EOS]);
        assert.equal(onlyEnd.complete, true);
        const mixed = new ConstraintStage(new ScriptedConstraint([new Set([2, EOS])]), {isEnd: (id) => id === EOS, dropEnd: true});
        assert.deepEqual(new SamplerChain([mixed], LOGITS.length).keep(LOGITS, ctx).map((k) => k.id), [2]);
        assert.equal(mixed.complete, false);
        const kept = new ConstraintStage(new ScriptedConstraint([new Set([2, EOS])]), {isEnd: (id) => id === EOS});
        assert.deepEqual(new SamplerChain([kept], LOGITS.length).keep(LOGITS, ctx).map((k) => k.id).sort(), [2, EOS]);
    });

    it("accept advances the chain's own clone only (constrainedChains: the constraint's column, then each strategy)", () => {
        const base = new ScriptedConstraint([new Set([0, 1]), new Set([2, 3])]);
        const chains = constrainedChains(base, [{spec: "greedy", strategy: sample("greedy")}], LOGITS.length, (id) => id === EOS);
        assert.deepEqual(chains.map((c) => c.spec), ["grammar", "greedy"]);
        assert.deepEqual(chains[1]!.chain.keep(LOGITS, ctx).map((k) => k.id), [0]);
        for (const c of chains) c.chain.accept(0);
        assert.deepEqual(chains[0]!.chain.keep(LOGITS, ctx).map((k) => k.id).sort(), [2, 3]);
        assert.deepEqual(chains[1]!.chain.keep(LOGITS, ctx).map((k) => k.id), [2]);
        assert.equal(base.step, 0, "the original state is never advanced");
    });
});
