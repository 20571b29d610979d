/** Index of the earliest occurrence of any stop string in `text`, or −1. */
export function firstStop(text: string, stops: readonly string[]): number {
    let cut = -1;
    for (const stop of stops) {
        const at = text.indexOf(stop);
        if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    return cut;
}

/**
 * Stop strings for streamed text: text that might be the start of a stop string is held back until
 * it is known not to be one, so a stop string is never printed, not even in part.
 */
export class StopMatcher {
    private held = "";
    private done = false;
    /** The stop string that ended the text (once stopped). */
    matched: string | undefined;

    constructor(private readonly stops: readonly string[]) {}

    get stopped(): boolean {
        return this.done;
    }

    /** Feed generated text; returns the text that is safe to emit now. */
    push(text: string): string {
        if (this.done) return "";
        this.held += text;
        const cut = firstStop(this.held, this.stops);
        if (cut >= 0) {
            this.done = true;
            this.matched = this.stops.find((s) => this.held.startsWith(s, cut));
            const out = this.held.slice(0, cut);
            this.held = "";
            return out;
        }
        const keep = this.partialSuffix();
        const out = this.held.slice(0, this.held.length - keep);
        this.held = this.held.slice(this.held.length - keep);
        return out;
    }

    /** At the end of generation: whatever was held back is not a stop string after all. */
    flush(): string {
        const out = this.done ? "" : this.held;
        this.held = "";
        return out;
    }

    /** Length of the longest suffix of `held` that is a proper prefix of some stop string. */
    private partialSuffix(): number {
        let best = 0;
        for (const stop of this.stops) {
            const max = Math.min(stop.length - 1, this.held.length);
            for (let n = max; n > best; n--) {
                if (this.held.endsWith(stop.slice(0, n))) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }
}
