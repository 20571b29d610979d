/**
 * Positions of the candidates ordered by token id — what the final draw walks, so that the token
 * drawn does not depend on how selection permuted the buffers. IdOrder owns its scratch (sized once
 * to the vocabulary): insertion sort for a few candidates, else a stable two-pass LSD radix sort on
 * the 21-bit ids (11 bits per pass), O(n + 2048) with no comparisons.
 */

/** Radix digit size (11 bits; two passes cover the 21-bit ids). */
const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;

export class IdOrder {
    /** The result (positions in id order); valid until the next call. */
    private readonly order: Int32Array;
    /** The positions after the first (low-digit) pass. */
    private readonly order2: Int32Array;
    private readonly radixCount = new Int32Array(RADIX);

    constructor(capacity: number) {
        this.order = new Int32Array(capacity);
        this.order2 = new Int32Array(capacity);
    }

    /** The positions [0, n) ordered by ids[position], in a reused buffer (valid until the next call). */
    positions(ids: Int32Array, n: number): Int32Array {
        const a = this.order;
        if (n <= 32) {
            for (let i = 0; i < n; i++) {
                const id = ids[i];
                let j = i - 1;
                while (j >= 0 && ids[a[j]] > id) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = i;
            }
            return a.subarray(0, n);
        }
        // Each long loop sits in its own function, so that none runs after a loop V8 compiled on-stack.
        const b = this.order2;
        const count = this.radixCount;
        count.fill(0);
        countLowDigits(ids, n, count);
        prefixSums(count);
        scatterByLowDigit(ids, n, count, b);
        count.fill(0);
        countHighDigits(ids, b, n, count);
        prefixSums(count);
        scatterByHighDigit(ids, b, n, count, a);
        return a.subarray(0, n);
    }
}

function countLowDigits(ids: Int32Array, n: number, count: Int32Array): void {
    for (let i = 0; i < n; i++) count[ids[i] & (RADIX - 1)]++;
}

function scatterByLowDigit(ids: Int32Array, n: number, count: Int32Array, out: Int32Array): void {
    for (let i = 0; i < n; i++) out[count[ids[i] & (RADIX - 1)]++] = i;
}

function countHighDigits(ids: Int32Array, positions: Int32Array, n: number, count: Int32Array): void {
    for (let k = 0; k < n; k++) count[ids[positions[k]] >>> RADIX_BITS]++;
}

function scatterByHighDigit(ids: Int32Array, positions: Int32Array, n: number, count: Int32Array, out: Int32Array): void {
    for (let k = 0; k < n; k++) {
        const p = positions[k];
        out[count[ids[p] >>> RADIX_BITS]++] = p;
    }
}

/** Exclusive prefix sums in place. */
function prefixSums(count: Int32Array): void {
    let sum = 0;
    for (let d = 0; d < count.length; d++) {
        const c = count[d];
        count[d] = sum;
        sum += c;
    }
}
