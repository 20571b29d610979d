/**
 * Likelihood of generated text under the model's unmodified next-token distribution.
 * Natural logs: perplexity = exp(−mean log-probability).
 */

/** Mean of the log-probabilities (pooled over every token given); null for none. */
export function meanLogprob(logprobs: readonly number[]): number | null {
    if (logprobs.length === 0) return null;
    let sum = 0;
    for (const lp of logprobs) sum += lp;
    return sum / logprobs.length;
}

/** exp(−mean log-prob): the effective number of equally likely choices per token. */
export function perplexity(mean: number | null): number | null {
    return mean === null ? null : Math.exp(-mean);
}

export function mean(values: readonly number[]): number | null {
    if (values.length === 0) return null;
    let sum = 0;
    for (const v of values) sum += v;
    return sum / values.length;
}
