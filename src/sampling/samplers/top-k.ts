import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler} from "../types.js";

/**
 * Top-k: keep the k highest logits (ties at the boundary: lower id wins). k ≥ the current number of
 * candidates keeps all. Partial selection only (O(n + k log k)); leaves the kept set sorted.
 */
export class TopKSampler implements Sampler {
    static readonly NAME = "top-k";
    readonly name = TopKSampler.NAME;
    readonly spec: string;

    constructor(readonly k: number) {
        if (!Number.isSafeInteger(k) || k < 1) throw new RangeError(`top-k must be an integer >= 1, got ${k}`);
        this.spec = formatSpec(TopKSampler.NAME, [k]);
    }

    apply(candidates: Candidates): void {
        if (this.k >= candidates.size) return;
        const k = this.k | 0; // < size ≤ 2^21
        candidates.selectTop(k);
        candidates.keepSortedPrefix(k);
    }
}
