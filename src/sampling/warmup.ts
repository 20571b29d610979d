/**
 * JIT warm-up for the sampling hot loops, run once when the sampling module is first imported.
 *
 * Why: V8 allocates a function's type feedback only after its first few calls, and compiles a long
 * loop on-stack while it runs. When the first calls of a vocabulary-sized loop are long ones, the
 * loop is therefore optimised without feedback, and V8 keeps generic, slow code: a 128k softmax pass
 * was measured at 3.0 ms instead of 1.2 ms. Calling every hot path a dozen times on tiny inputs
 * first (a few milliseconds, once per process) gives the compiler the feedback it needs. Results are
 * discarded; no state that a later call could observe is changed.
 */
import {bucketize, MassSelector, newMassHistogram, splitAtBucket} from "./candidates/mass.js";
import {KeySelector} from "./candidates/select.js";
import {Candidates} from "./candidates/set.js";
import {SamplerChain} from "./chain.js";
import {createRng} from "./rng.js";
import {GreedySampler} from "./samplers/greedy.js";
import {MinPSampler} from "./samplers/min-p.js";
import {TemperatureSampler} from "./samplers/temperature.js";
import {TopKSampler} from "./samplers/top-k.js";
import {TopPSampler} from "./samplers/top-p.js";
import type {Sampler, StepContext} from "./types.js";

let done = false;

export function warmUpSampling(): void {
    if (done) return;
    done = true;
    warmUpCandidates();
    const rng = createRng(1);
    const ctx: StepContext = {history: [], promptLength: 0, rng, trueLogits: true};
    const vectors = [3, 8, 40, 70].map((n) => {
        const v = new Float32Array(n);
        for (let i = 0; i < n; i++) v[i] = rng.next() < 0.05 ? -Infinity : rng.next() * (i % 7 === 0 ? 12 : 4);
        return v;
    });
    const chains: Sampler[][] = [
        [],
        [new TemperatureSampler(0.7), new TopKSampler(20), new TopPSampler(0.9), new MinPSampler(0.05)],
        [new TopPSampler(0.95)],
        [new TemperatureSampler(1e-40), new TopPSampler(0.5)],
        [new TemperatureSampler(1.3), new MinPSampler(0.1)],
        [new TopKSampler(30), new TemperatureSampler(1e46)],
        [new GreedySampler()],
        [new TemperatureSampler(0)],
    ];
    for (const samplers of chains) {
        const chain = new SamplerChain(samplers, 70);
        for (let round = 0; round < 12; round++) for (const v of vectors) chain.sample(v, ctx);
    }
}

/**
 * Run every loop of the candidate set and of its helper modules (selection, id order, deferred
 * temperature, mass selection) a dozen times on tiny inputs, calling the long loops that only large
 * inputs reach through the public API directly.
 */
function warmUpCandidates(): void {
    const c = new Candidates(48);
    const mass = new MassSelector();
    const keys = new Float64Array(48);
    const hist = newMassHistogram();
    const v = new Float32Array(48);
    for (let round = 0; round < 12; round++) {
        for (let i = 0; i < 48; i++) v[i] = i % 11 === 0 ? -Infinity : ((i * 37 + round * 11) % 23) / 4;
        const n = 40 + (round % 8);
        c.load(n === 48 ? v : v.subarray(0, n));
        c.maxLogit();
        c.argmaxIndex();
        c.checkSorted();
        c.draw(0.37);
        c.softmax();
        c.selectTop(5);
        c.selectTop(9, 5);
        c.weights(c.logits[0]);
        mass.selectMass(c, 9, 0.5, c.logits[0], true);
        c.load(v);
        const max = c.maxLogit();
        c.weights(max);
        hist.fill(0);
        bucketize(c.logits, c.probs, hist, 0, 48, max);
        splitAtBucket(c.ids, c.logits, c.logitBits, keys, 0, 48, max, 20 + round);
        c.load(v);
        mass.selectMass(c, 0, 0.8 * c.weights(max), max, true);
        c.load(v);
        const keySelector = new KeySelector(c.ids, c.logitBits, keys);
        keySelector.select(48, 0, 17);
        keySelector.sortRange(17, 48);
        c.load(v);
        c.sortAll();
        c.checkSorted();
        c.load(v);
        c.idOrder();
        c.divideLogits(0.7 + round / 10);
        c.argmaxIndex();
        c.selectTop(7);
        void c.logits;
        c.load(v);
        const top = c.maxLogit();
        mass.massProfile(c, top);
        mass.selectMass(c, 0, 0.9 * mass.massProfile(c, top), top, "profiled");
    }
}
