import {randomInt} from "node:crypto";
import {xoroshiro128plusFromState} from "pure-rand/generator/xoroshiro128plus";
import type {Rng} from "./types.js";

/** Seeds are integers in [0, MAX_SEED]. */
export const MAX_SEED = 0xffffffff;

/** A seeded Rng that remembers its seed. */
export interface SeededRng extends Rng {
    readonly seed: number;
    /** Uniform double in [0, 1) with 53 random bits. */
    next(): number;
    /** Uniform integer in [0, 2^32). */
    nextUint32(): number;
}

/** Is `seed` a valid seed (integer in [0, 2^32 − 1])? */
export function isValidSeed(seed: number): boolean {
    return Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED;
}

function checkSeed(seed: number, what = "seed"): void {
    if (!isValidSeed(seed)) throw new RangeError(`${what} must be an integer in [0, ${MAX_SEED}], got ${seed}`);
}

/** A 32-bit bijective mixer ("lowbias32", C. Wellons' hash prospector): avalanches every input bit. */
function mix32(x: number): number {
    x = x >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x21f0aaad);
    x ^= x >>> 15;
    x = Math.imul(x, 0x735a2d97);
    x ^= x >>> 15;
    return x >>> 0;
}

const GOLDEN = 0x9e3779b9;

/**
 * xoroshiro128+ (pure-rand) seeded through a splitmix-style expansion of the 32-bit seed into the
 * 128-bit state (never all-zero, and nearby seeds give unrelated states — pure-rand's own seeding
 * puts the seed directly into the state). Doubles are built from the high bits of two outputs
 * (27 + 26 bits), the way the reference implementations do, because the lowest bits of
 * xoroshiro128+ are its weakest.
 */
class XoroshiroRng implements SeededRng {
    private readonly gen;

    constructor(readonly seed: number) {
        const state = [0, 1, 2, 3].map((k) => mix32(seed + Math.imul(k + 1, GOLDEN)) | 0);
        this.gen = xoroshiro128plusFromState(state);
    }

    next(): number {
        const hi = this.gen.next() >>> 5; // 27 bits
        const lo = this.gen.next() >>> 6; // 26 bits
        return (hi * 67108864 + lo) / 9007199254740992;
    }

    nextUint32(): number {
        return this.gen.next() >>> 0;
    }
}

/** A reproducible generator for `seed` (integer in [0, 2^32 − 1]). */
export function createRng(seed: number): SeededRng {
    checkSeed(seed);
    return new XoroshiroRng(seed);
}

/**
 * The seed of stream `streamIndex` (e.g. sample i of N) under a run seed: a 32-bit hash of both.
 * For a fixed seed it is a bijection of the stream index (streams 0..2^32−1 all get different seeds),
 * and there is no simple relation between the streams of different seeds. The result is itself a
 * valid seed, so any single sample can be reproduced with createRng(deriveSeed(seed, i)).
 */
export function deriveSeed(seed: number, streamIndex: number): number {
    checkSeed(seed);
    checkSeed(streamIndex, "stream index");
    const a = mix32(seed ^ 0x6a09e667);
    const b = mix32(Math.imul(streamIndex + 1, GOLDEN));
    return mix32(a ^ b);
}

/** A fresh seed from the OS's cryptographic generator. */
export function randomSeed(): number {
    return randomInt(0, MAX_SEED + 1);
}
