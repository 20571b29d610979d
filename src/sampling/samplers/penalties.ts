import {RuntimeError} from "../../errors.js";
import type {Candidates} from "../candidates/set.js";
import {formatSpec} from "../spec.js";
import type {Sampler, StepContext} from "../types.js";
import {marksFor, type TokenMarks, visitTokens, WindowCounts} from "./shared.js";

/** Default window of the penalties: the last 64 tokens (llama.cpp's --repeat-last-n default). */
export const DEFAULT_REPEAT_LAST_N = 64;

/** The one-line refusal of the CTRL penalty on logits known only up to a constant (its fix: "build-fast-route"). */
export const TRUE_LOGITS_REQUIRED =
    "repeat-penalty needs the model's raw logits (it divides positive logits and multiplies negative ones), " +
    "but the public logits route only gives them up to an additive constant (presence and frequency penalties are exact on both routes)";

function checkWindow(what: string, lastN: number): void {
    if (!Number.isInteger(lastN) || lastN < -1) throw new RangeError(`${what} last_n must be an integer >= -1, got ${lastN}`);
}

/**
 * The window the penalties look at: the last `lastN` tokens of ctx.history — the prompt (BOS
 * included) and the generated tokens, as llama.cpp's penalty window (its hosts accept the prompt
 * tokens) and Hugging Face's input_ids (which always include the prompt). −1 = the whole history
 * (Hugging Face), 0 = nothing (the unit is a no-op). Stateless: recounted per step in O(window).
 */
abstract class WindowPenalty implements Sampler {
    abstract readonly name: string;
    abstract readonly spec: string;
    protected readonly window: WindowCounts;
    private marks?: TokenMarks;

    constructor(readonly lastN: number) {
        this.window = new WindowCounts(lastN);
    }

    protected abstract inactive(): boolean;
    protected abstract adjust(logit: number, count: number): number;
    protected check(_ctx: StepContext): void {}

    apply(c: Candidates, ctx: StepContext): void {
        if (this.inactive() || this.lastN === 0) return;
        this.check(ctx);
        const w = this.window;
        w.update(ctx.history, c.capacity);
        if (w.size === 0) return;
        this.marks = marksFor(this.marks, c.capacity);
        const lg = c.logits;
        const counts = w.counts;
        const distinct = w.distinct;
        visitTokens(c, distinct, w.size, this.marks, (i, k) => {
            lg[i] = this.adjust(lg[i], counts[distinct[k]]);
        });
        c.markUnsorted();
    }
}

/**
 * The CTRL repetition penalty θ (Keskar et al. 2019, "CTRL: A Conditional Transformer Language
 * Model for Controllable Generation", arXiv 1909.05858), as llama.cpp and Hugging Face apply it:
 * every token present in the window (once, whatever its count) gets l/θ if l > 0 and l·θ if l ≤ 0.
 * θ > 1 discourages repeats, θ < 1 encourages them, θ = 1 is a no-op.
 *
 * Needs the sign of the raw logit, so it refuses (RuntimeError) when ctx.trueLogits is false: on
 * log-probabilities l − c every token would count as negative and the scaling would not commute
 * with the shift — there is no exact equivalent. It reads the logit as it reaches it in the chain
 * (after a logit bias or another penalty placed before it, as in llama.cpp; a temperature before it
 * commutes with it).
 */
export class RepeatPenaltySampler extends WindowPenalty {
    static readonly NAME = "repeat-penalty";
    readonly name = RepeatPenaltySampler.NAME;
    readonly spec: string;

    constructor(readonly penalty: number, lastN: number = DEFAULT_REPEAT_LAST_N) {
        super(lastN);
        if (!(penalty > 0 && Number.isFinite(penalty))) throw new RangeError(`repeat-penalty must be a finite number > 0, got ${penalty}`);
        checkWindow("repeat-penalty", lastN);
        this.spec = formatSpec(RepeatPenaltySampler.NAME, [penalty, lastN]);
    }

    /** Does this unit need raw logits? (Not when it is a no-op.) */
    get needsTrueLogits(): boolean {
        return !this.inactive() && this.lastN !== 0;
    }

    protected inactive(): boolean {
        return this.penalty === 1;
    }

    protected override check(ctx: StepContext): void {
        if (!ctx.trueLogits) throw new RuntimeError(TRUE_LOGITS_REQUIRED, {fix: "build-fast-route"});
    }

    protected adjust(logit: number): number {
        return logit <= 0 ? logit * this.penalty : logit / this.penalty;
    }
}

/**
 * Presence penalty α (OpenAI's API; llama.cpp `--presence-penalty`): l − α for every token present
 * in the window. Additive, so exact on both logits routes. α may be negative (encourages repeats).
 */
export class PresencePenaltySampler extends WindowPenalty {
    static readonly NAME = "presence-penalty";
    readonly name = PresencePenaltySampler.NAME;
    readonly spec: string;

    constructor(readonly alpha: number, lastN: number = DEFAULT_REPEAT_LAST_N) {
        super(lastN);
        if (!Number.isFinite(alpha)) throw new RangeError(`presence-penalty must be a finite number, got ${alpha}`);
        checkWindow("presence-penalty", lastN);
        this.spec = formatSpec(PresencePenaltySampler.NAME, [alpha, lastN]);
    }

    protected inactive(): boolean {
        return this.alpha === 0;
    }

    protected adjust(logit: number): number {
        return logit - this.alpha;
    }
}

/**
 * Frequency penalty α (OpenAI's API; llama.cpp `--frequency-penalty`): l − α·count, count the
 * token's occurrences in the window. Additive, so exact on both logits routes.
 */
export class FrequencyPenaltySampler extends WindowPenalty {
    static readonly NAME = "frequency-penalty";
    readonly name = FrequencyPenaltySampler.NAME;
    readonly spec: string;

    constructor(readonly alpha: number, lastN: number = DEFAULT_REPEAT_LAST_N) {
        super(lastN);
        if (!Number.isFinite(alpha)) throw new RangeError(`frequency-penalty must be a finite number, got ${alpha}`);
        checkWindow("frequency-penalty", lastN);
        this.spec = formatSpec(FrequencyPenaltySampler.NAME, [alpha, lastN]);
    }

    protected inactive(): boolean {
        return this.alpha === 0;
    }

    protected adjust(logit: number, count: number): number {
        return logit - this.alpha * count;
    }
}
