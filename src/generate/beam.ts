/**
 * Beam search of width K over K sequences of one context, all live beams evaluated in one batch
 * per step. Running beams are ranked by the sum of their token log-probabilities; a hypothesis that
 * picks an end-of-generation token among the top K candidates of a step is finished and scored
 * sum / length^α (length = generated tokens including the end token). Stops when K hypotheses are
 * finished or at max tokens (then the running beams are scored too). Width 1 is greedy decoding.
 */
import type {Engine, EngineSequence} from "../engine/engine.js";
import {Candidates} from "../sampling/index.js";
import {expShiftedSum} from "../sampling/exp.js";
import {firstStop} from "./stop.js";
import type {StopReason, TokenEvent} from "./sample.js";

export interface BeamOptions {
    promptTokens: readonly number[];
    width: number;
    lengthPenalty: number;
    maxTokens: number;
    ignoreEos?: boolean;
    stops?: readonly string[];
    signal?: AbortSignal;
    /** Sequences to use (at least `width`; defaults to the engine's). */
    sequences?: EngineSequence[];
    /** Called once per step with the number of live beams (progress). */
    onStep?(step: number, live: number): void;
}

export interface BeamHypothesis {
    /** Generated token ids (an end token, when it finished on one, is not included). */
    ids: number[];
    logprobs: number[];
    sumLogprob: number;
    /** sumLogprob / length^α. */
    score: number;
    stopReason: StopReason;
    text: string;
}

export interface BeamResult {
    /** Every finished hypothesis (and the running ones at max tokens), best first. */
    beams: BeamHypothesis[];
    spec: string;
    tokensPerSecond: number;
    steps: number;
}

interface Beam {
    ids: number[];
    logprobs: number[];
    sum: number;
    sequence: EngineSequence;
}

export async function runBeamSearch(engine: Engine, opts: BeamOptions): Promise<BeamResult> {
    const width = opts.width;
    const sequences = opts.sequences ?? engine.sequences;
    if (sequences.length < width) throw new Error(`beam width ${width} needs ${width} sequences, got ${sequences.length}`);
    const stops = opts.stops ?? [];
    const finished: BeamHypothesis[] = [];
    const prompt = opts.promptTokens;
    const textOf = (ids: readonly number[]): string => engine.detokenize(ids, prompt);
    const finish = (ids: number[], logprobs: number[], sum: number, length: number, reason: StopReason, text?: string): void => {
        finished.push({
            ids, logprobs, sumLogprob: sum,
            score: length > 0 ? sum / Math.pow(length, opts.lengthPenalty) : 0,
            stopReason: reason,
            text: text ?? textOf(ids)
        });
    };
    let beams: Beam[] = [{ids: [], logprobs: [], sum: 0, sequence: sequences[0]!}];
    let scratch: Candidates | undefined;
    let spare = sequences.slice(1, width);
    let endReason: StopReason = "max-tokens";
    let step = 0;
    const started = performance.now();
    while (beams.length > 0) {
        if (step >= opts.maxTokens) break;
        if (opts.signal?.aborted) {
            endReason = "interrupted";
            break;
        }
        if (prompt.length + step >= beams[0]!.sequence.contextSize) {
            endReason = "context-full";
            break;
        }
        const all = await Promise.all(beams.map((b) => b.sequence.logitsFor([...prompt, ...b.ids])));
        // Candidates: the 2K best continuations of each beam (enough to fill K after end tokens).
        // Per beam: one heap scan for the 2K best (its first is the max), one pass for Σ e^(l − max).
        const candidates: Array<{beam: number; id: number; lp: number; total: number}> = [];
        for (let b = 0; b < beams.length; b++) {
            const logits = all[b]!;
            const n = logits.length;
            scratch ??= new Candidates(n);
            scratch.load(logits);
            const top = Math.min(2 * width, n);
            scratch.selectTop(top);
            const max = scratch.logits[0]!;
            if (max === -Infinity) continue;
            const lse = max === Infinity ? Infinity : max + Math.log(expShiftedSum(logits, max, 0, n));
            for (let i = 0; i < top; i++) {
                const lp = scratch.logits[i]! - lse;
                if (lp === -Infinity || Number.isNaN(lp)) continue;
                candidates.push({beam: b, id: scratch.ids[i]!, lp, total: beams[b]!.sum + lp});
            }
        }
        candidates.sort((x, y) => y.total - x.total || x.beam - y.beam || x.id - y.id);
        const next: Array<{parent: Beam; id: number; lp: number}> = [];
        for (let rank = 0; rank < candidates.length && next.length < width; rank++) {
            const c = candidates[rank]!;
            const parent = beams[c.beam]!;
            if (!opts.ignoreEos && engine.isEndOfGeneration(c.id)) {
                if (rank < width) finish(parent.ids, [...parent.logprobs, c.lp], c.total, parent.ids.length + 1, "eos");
                continue;
            }
            next.push({parent, id: c.id, lp: c.lp});
        }
        step++;
        // Give each new beam a sequence: the first child keeps its parent's; the others take the
        // sequences of parents that have no child (their KV is rewound to the common prefix).
        const used = new Set<EngineSequence>();
        const newBeams: Beam[] = [];
        const needSequence: number[] = [];
        for (const n of next) {
            const beam: Beam = {ids: [...n.parent.ids, n.id], logprobs: [...n.parent.logprobs, n.lp], sum: n.parent.sum + n.lp, sequence: n.parent.sequence};
            if (used.has(n.parent.sequence)) needSequence.push(newBeams.length);
            else used.add(n.parent.sequence);
            newBeams.push(beam);
        }
        const free = [...beams.map((b) => b.sequence).filter((s) => !used.has(s)), ...spare];
        for (const i of needSequence) newBeams[i]!.sequence = free.shift()!;
        spare = free;
        beams = [];
        for (const b of newBeams) {
            if (stops.length > 0) {
                const text = textOf(b.ids);
                const at = firstStop(text, stops);
                if (at >= 0) {
                    finish(b.ids, b.logprobs, b.sum, b.ids.length, "stop", text.slice(0, at));
                    spare.push(b.sequence);
                    continue;
                }
            }
            beams.push(b);
        }
        opts.onStep?.(step, beams.length);
        if (finished.length >= width) {
            endReason = "eos";
            beams = [];
            break;
        }
    }
    for (const b of beams) finish(b.ids, b.logprobs, b.sum, b.ids.length, endReason);
    finished.sort((x, y) => y.score - x.score);
    const seconds = (performance.now() - started) / 1000;
    return {
        beams: finished,
        spec: `beam=${width}`,
        tokensPerSecond: seconds > 0 ? (finished[0]?.ids.length ?? 0) / seconds : 0,
        steps: step
    };
}

/** Token events for a finished hypothesis (for --json and renderers). */
export function beamTokenEvents(engine: Engine, prompt: readonly number[], hyp: BeamHypothesis, sample = 0): TokenEvent[] {
    const decoder = engine.streamDecoder(prompt);
    const events = hyp.ids.map((id, index) => ({sample, index, id, text: decoder.push(id), logprob: hyp.logprobs[index]!}));
    const rest = decoder.flush();
    if (rest && events.length > 0) events[events.length - 1]!.text += rest;
    return events;
}

