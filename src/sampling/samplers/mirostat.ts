import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler} from "../types.js";
import {compact, marksFor, type TokenMarks} from "./shared.js";

/** Tokens used to estimate the Zipf exponent (the paper's m = 100, as llama.cpp). */
export const MIROSTAT_M = 100;
const LN2 = Math.LN2;

/**
 * Mirostat (Basu, Ramachandran, Keskar & Varshney, ICLR 2021, "Mirostat: A Neural Text Decoding
 * Algorithm that Directly Controls Perplexity", arXiv 2007.14966), target surprise τ (bits) and
 * learning rate η; μ starts at 2τ and is reset per sample.
 *
 * In the references mirostat draws the token itself. Here it is a truncation unit and the chain's
 * final draw samples from what it keeps — which is exactly the paper's step "sample X from the
 * truncated, renormalised distribution" — and `accept(X)` performs the paper's feedback:
 *
 *   S(X) = −log2 P(X)   (P: the distribution this unit received, before its truncation)
 *   μ ← μ − η · (S(X) − τ)
 *
 * Version 1 (the paper's Algorithm 1): estimate the Zipf exponent ŝ from the m = 100 most probable
 * tokens, ŝ = Σ tᵢbᵢ / Σ tᵢ² with tᵢ = ln((i+1)/i), bᵢ = ln(pᵢ/pᵢ₊₁) (i = 1…m−1); ε̂ = ŝ − 1;
 * k = (ε̂·2^μ / (1 − N^(−ε̂)))^(1/ŝ), N the vocabulary size; keep the top round(k) tokens (≥ 1).
 * Version 2 (the simplified "Mirostat 2.0" of the authors and llama.cpp): keep the tokens with
 * surprise −log2 p ≤ μ (at least the most probable one).
 *
 * Differences from llama.cpp, on purpose: llama.cpp measures S(X) under the truncated, renormalised
 * distribution, the paper (and the authors' code) under the model's distribution, which is what
 * makes the average surprise of the text track τ; llama.cpp floors k where the paper's code rounds.
 * Depends only on probabilities, so it is exact on the public logits route — except that version 1's
 * Zipf estimate stops at the first −∞ among the top 100, and the public route turns a probability
 * that underflows float32 (≈104 nats under the max) into −∞ where the raw logit is finite.
 */
export class MirostatSampler implements Sampler {
    static readonly NAME = "mirostat";
    readonly name = MirostatSampler.NAME;
    readonly spec: string;
    /** The current maximum surprise μ (bits). */
    mu: number;
    /** The last k (version 1) or kept count (version 2), for tests and inspection. */
    lastKept = 0;

    private marks?: TokenMarks;
    private received = new Float32Array(0);
    private receivedMax = 0;
    private receivedLogZ = 0;
    private seen = false;

    constructor(readonly version: 1 | 2, readonly tau: number, readonly eta: number) {
        if (version !== 1 && version !== 2) throw new RangeError(`mirostat version must be 1 or 2, got ${String(version)}`);
        if (!(tau > 0 && Number.isFinite(tau))) throw new RangeError(`mirostat tau must be a finite number > 0, got ${tau}`);
        if (!(eta > 0 && eta <= 1)) throw new RangeError(`mirostat eta must be in (0, 1], got ${eta}`);
        this.spec = formatSpec(MirostatSampler.NAME, [version, tau, eta]);
        this.mu = 2 * tau;
    }

    apply(c: Candidates): void {
        const n = c.size;
        const max = c.maxLogit();
        const total = c.weights(max);
        this.remember(c, max, total);
        if (n <= 1) {
            this.lastKept = n;
            return;
        }
        if (this.version === 2) this.truncateBySurprise(c, total);
        else this.truncateTopK(c);
    }

    /** The paper's update, from the surprise of `token` under the distribution this unit last received. */
    accept(token: number): void {
        if (!this.seen || this.marks === undefined || !(token >= 0 && token < this.marks.capacity) || !this.marks.has(token)) return;
        const surprise = this.surprise(token);
        if (!Number.isFinite(surprise)) return;
        this.mu -= this.eta * (surprise - this.tau);
    }

    /** −log2 P(token) under the distribution received at the last step (Infinity if it had probability 0). */
    surprise(token: number): number {
        const l = this.received[token];
        const max = this.receivedMax;
        if (max === Infinity || max === -Infinity) return l === max ? this.receivedLogZ / LN2 : Infinity;
        return (this.receivedLogZ - (l - max)) / LN2;
    }

    reset(): void {
        this.mu = 2 * this.tau;
        this.seen = false;
    }

    private remember(c: Candidates, max: number, total: number): void {
        const capacity = c.capacity;
        this.marks = marksFor(this.marks, capacity);
        if (this.received.length !== capacity) this.received = new Float32Array(capacity);
        const marks = this.marks;
        marks.next();
        const ids = c.ids;
        const lg = c.logits;
        const received = this.received;
        for (let i = 0; i < c.size; i++) {
            const id = ids[i];
            received[id] = lg[i];
            marks.stamp[id] = marks.epoch;
        }
        this.receivedMax = max;
        this.receivedLogZ = Math.log(total);
        this.seen = true;
    }

    private truncateBySurprise(c: Candidates, total: number): void {
        // −log2(w/Z) ≤ μ  ⟺  w ≥ Z · 2^(−μ)
        const threshold = total * Math.pow(2, -this.mu);
        const w = c.probs;
        let any = false;
        for (let i = 0; i < c.size; i++) {
            if (w[i] >= threshold && w[i] > 0) {
                any = true;
                break;
            }
        }
        if (!any) {
            c.keepOnly(c.argmaxIndex());
            this.lastKept = 1;
            return;
        }
        this.lastKept = compact(c, (i) => w[i] >= threshold && w[i] > 0);
    }

    private truncateTopK(c: Candidates): void {
        const n = c.size;
        const m = Math.min(MIROSTAT_M, n);
        c.selectTop(m);
        const lg = c.logits;
        let num = 0;
        let den = 0;
        for (let i = 0; i + 1 < m; i++) {
            const a = lg[i];
            const b = lg[i + 1];
            if (b === -Infinity || a === Infinity) break;
            const t = Math.log((i + 2) / (i + 1));
            num += t * (a - b); // ln(pᵢ/pᵢ₊₁) = lᵢ − lᵢ₊₁
            den += t * t;
        }
        let k = 1;
        if (den > 0) {
            const s = num / den;
            const eps = s - 1;
            const vocab = c.capacity;
            const scale = Math.abs(eps) < 1e-12 ? Math.pow(2, this.mu) / Math.log(vocab) : (eps * Math.pow(2, this.mu)) / (1 - Math.pow(vocab, -eps));
            const raw = Math.pow(scale, 1 / s);
            k = raw >= 1 ? Math.round(raw) : 1; // NaN → 1
        }
        if (k >= n) {
            this.lastKept = n;
            return;
        }
        if (k > m) c.selectTop(k, m);
        c.keepSortedPrefix(k);
        this.lastKept = k;
    }
}
