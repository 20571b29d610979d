/**
 * The state of `llmgen explore`, engine-free and UI-free: a tree of tokens grown from the prompt,
 * the branches (named tips) that run through it, and at every node the model's next-token
 * distribution with what each strategy keeps (explain's ExplainStep).
 *
 * The model is reached through ExploreSequence (EngineSequence fits): `logitsFor(history)` reuses the
 * prefix a sequence already holds and, on the fast route, forks a sibling's KV cache when the sibling
 * holds a longer prefix. Every node's distribution is computed once, when the node is created, so
 * stepping back and switching branches evaluate nothing; taking a token evaluates that one token on
 * the branch's own sequence (or forks from the sequence holding its prefix). Logits are kept for
 * recent nodes (a strategy picking at a node needs them) within a byte budget.
 */
import {explainStep, type ExplainStep, type KeepingChain} from "../metrics/distribution.js";
import {createRng} from "../sampling/rng.js";
import type {Rng, StepContext, Vocabulary} from "../sampling/types.js";
import {logSumExp} from "./logprobs.js";

/** What explore needs of a model sequence (EngineSequence). */
export interface ExploreSequence {
    /** Tokens the sequence's KV cache holds. */
    readonly state: readonly number[];
    /** Tokens evaluated on the sequence so far. */
    readonly evaluatedTokens: number;
    /** Logits after the last token of `history` (the returned buffer may be reused by the next call). */
    logitsFor(history: readonly number[]): Promise<Float32Array>;
}

/** A sampler chain as explore uses it (SamplerChain). */
export interface ExploreChain extends KeepingChain {
    sample(logits: Float32Array, ctx: StepContext): number;
}

export interface ExploreStrategy {
    spec: string;
    chain: ExploreChain;
    /** The strategy's own seeded stream: its picks, in the order asked for. */
    rng: Rng;
}

/** Who chose a token: "you" (Enter on a listed token) or a strategy's spec. */
export const BY_YOU = "you";

export interface ExploreNode {
    readonly id: number;
    readonly parent: ExploreNode | undefined;
    /** The token id (-1 at the root, which stands for the prompt). */
    readonly token: number;
    /** The token's text after the tokens before it. */
    readonly text: string;
    /** Its probability under the model's distribution at the parent (1 at the root). */
    readonly p: number;
    /** Who chose it (BY_YOU or a strategy's spec; "" at the root). */
    readonly by: string;
    /** Tokens after the prompt. */
    readonly depth: number;
    /** An end-of-generation token: nothing follows it. */
    readonly end: boolean;
    readonly children: ExploreNode[];
    /** The next-token distribution after this node (absent at an end node). */
    step?: ExplainStep;
}

export interface ExploreBranch {
    /** 1, 2, 3… in the order created. */
    readonly number: number;
    /** The branch it was made from (undefined for branch 1). */
    readonly from: number | undefined;
    tip: ExploreNode;
}

/**
 * The tree and its branches, synchronous and model-free. A node lives while some branch runs
 * through it: stepping a branch back past a node no other branch holds removes that node.
 */
export class ExploreTree {
    readonly root: ExploreNode;
    readonly branches: ExploreBranch[];
    private currentIndex = 0;
    private nextId = 1;

    constructor(rootStep?: ExplainStep) {
        this.root = {id: 0, parent: undefined, token: -1, text: "", p: 1, by: "", depth: 0, end: false, children: [], step: rootStep};
        this.branches = [{number: 1, from: undefined, tip: this.root}];
    }

    get current(): ExploreBranch {
        return this.branches[this.currentIndex]!;
    }

    get tip(): ExploreNode {
        return this.current.tip;
    }

    /** The token ids from the root to `node` (the root excluded). */
    tokens(node: ExploreNode = this.tip): number[] {
        const out: number[] = [];
        for (let n: ExploreNode | undefined = node; n !== undefined && n.parent !== undefined; n = n.parent) out.push(n.token);
        return out.reverse();
    }

    /** The nodes from the root's child to `node`. */
    path(node: ExploreNode = this.tip): ExploreNode[] {
        const out: ExploreNode[] = [];
        for (let n: ExploreNode | undefined = node; n !== undefined && n.parent !== undefined; n = n.parent) out.push(n);
        return out.reverse();
    }

    /** Move the current branch's tip to its child with `token`, creating it (reused when it exists). */
    extend(token: number, make: {text: string; p: number; by: string; end: boolean}): {node: ExploreNode; created: boolean} {
        const tip = this.tip;
        if (tip.end) throw new Error("cannot extend past an end-of-generation token");
        let node = tip.children.find((c) => c.token === token);
        const created = node === undefined;
        if (node === undefined) {
            node = {id: this.nextId++, parent: tip, token, text: make.text, p: make.p, by: make.by, depth: tip.depth + 1, end: make.end, children: []};
            tip.children.push(node);
        }
        this.current.tip = node;
        return {node, created};
    }

    /**
     * Step the current branch back one token: false at the prompt. Returns the node removed (the old
     * tip when no other branch holds it), else true.
     */
    back(): ExploreNode | boolean {
        const tip = this.tip;
        if (tip.parent === undefined) return false;
        this.current.tip = tip.parent;
        if (this.held(tip)) return true;
        tip.parent.children.splice(tip.parent.children.indexOf(tip), 1);
        return tip;
    }

    /** A new branch at the current tip, made current. */
    branch(): ExploreBranch {
        const b: ExploreBranch = {number: this.branches.length + 1, from: this.current.number, tip: this.tip};
        this.branches.push(b);
        this.currentIndex = this.branches.length - 1;
        return b;
    }

    /** Make branch `index` (0-based, wrapping) current. */
    select(index: number): ExploreBranch {
        const n = this.branches.length;
        this.currentIndex = ((index % n) + n) % n;
        return this.current;
    }

    get currentPosition(): number {
        return this.currentIndex;
    }

    /** Does some branch run through `node` (its tip at or below it)? */
    held(node: ExploreNode): boolean {
        return this.branches.some((b) => {
            for (let n: ExploreNode | undefined = b.tip; n !== undefined; n = n.parent) if (n === node) return true;
            return false;
        });
    }

    /** Every node, depth first, children in the order created. */
    nodes(): ExploreNode[] {
        const out: ExploreNode[] = [];
        const walk = (n: ExploreNode): void => {
            out.push(n);
            for (const c of n.children) walk(c);
        };
        walk(this.root);
        return out;
    }
}

export interface ExploreOptions {
    /** What the model was fed (BOS and chat template included). */
    promptTokens: readonly number[];
    /** The model's sequences; branches are spread over them (more sequences: fewer re-evaluations). */
    sequences: readonly ExploreSequence[];
    strategies: readonly ExploreStrategy[];
    /** Candidates listed per node. */
    top: number;
    /** A token's text after `before` (the history). */
    textOf: (id: number, before: readonly number[]) => string;
    /** End-of-generation tokens. */
    isEnd: (id: number) => boolean;
    /** The longest history a sequence holds. */
    contextSize: number;
    trueLogits: boolean;
    vocabulary?: Vocabulary;
    /** Bytes of logits kept for strategy picks at nodes already left (default 64 MiB). */
    logitsCacheBytes?: number;
}

/** An action that cannot be done here (at the prompt, after an end token, context full): a message, nothing changed. */
export class ExploreRefusal extends Error {}

export const DEFAULT_LOGITS_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * The tree plus the model: every action of the explore view. Async actions evaluate at most what
 * is new (see the module comment).
 */
export class ExploreSession {
    readonly tree: ExploreTree;
    /** The listed candidate under the cursor (index into the tip's candidates). */
    selected = 0;
    private readonly owner = new Map<ExploreSequence, number>();
    private readonly used = new Map<ExploreSequence, number>();
    private clock = 0;
    private readonly logits = new Map<number, Float32Array>();
    private logitsCapacity = 0;

    private constructor(private readonly opts: ExploreOptions) {
        if (opts.sequences.length === 0) throw new Error("explore needs at least one sequence");
        this.tree = new ExploreTree();
    }

    /** Evaluate the prompt and open the session with branch 1 at the prompt. */
    static async open(opts: ExploreOptions): Promise<ExploreSession> {
        const s = new ExploreSession(opts);
        s.tree.root.step = s.stepOf(s.tree.root, await s.evaluate(s.tree.root));
        return s;
    }

    get strategies(): readonly ExploreStrategy[] {
        return this.opts.strategies;
    }

    get promptTokens(): readonly number[] {
        return this.opts.promptTokens;
    }

    get tip(): ExploreNode {
        return this.tree.tip;
    }

    /** Tokens evaluated on all sequences so far. */
    get evaluatedTokens(): number {
        let n = 0;
        for (const s of this.opts.sequences) n += s.evaluatedTokens;
        return n;
    }

    /** Prompt tokens plus the path to `node`. */
    history(node: ExploreNode = this.tip): number[] {
        return [...this.opts.promptTokens, ...this.tree.tokens(node)];
    }

    /** Move the cursor over the tip's candidates (clamped). */
    moveSelection(delta: number): void {
        const n = this.tip.step?.candidates.length ?? 0;
        this.selected = Math.max(0, Math.min(n - 1, this.selected + delta));
    }

    /** Take the candidate under the cursor. */
    async takeSelected(): Promise<ExploreNode> {
        const c = this.tip.step?.candidates[this.selected];
        if (c === undefined) throw this.refusalAtTip();
        return this.take(c.id, BY_YOU);
    }

    /** Let strategy `k` (0-based) pick the next token with its own seeded stream. */
    async pick(k: number): Promise<ExploreNode> {
        const s = this.opts.strategies[k];
        if (s === undefined) throw new ExploreRefusal(`there is no strategy ${k + 1} (1 to ${this.opts.strategies.length})`);
        this.checkExtensible();
        const tip = this.tip;
        const logits = await this.logitsAt(tip);
        const history = this.history(tip);
        const id = s.chain.sample(logits, {history, promptLength: this.opts.promptTokens.length, rng: s.rng, trueLogits: this.opts.trueLogits, vocabulary: this.opts.vocabulary});
        return this.take(id, s.spec);
    }

    /** Append token `id` to the current branch (its distribution is evaluated when the node is new). */
    async take(id: number, by: string): Promise<ExploreNode> {
        this.checkExtensible();
        const tip = this.tip;
        const before = this.history(tip);
        const listed = tip.step?.candidates.find((c) => c.id === id);
        let p: number;
        if (listed !== undefined) {
            p = listed.p;
        } else {
            const logits = await this.logitsAt(tip);
            p = Math.exp(logits[id]! - logSumExp(logits));
        }
        const end = this.opts.isEnd(id);
        const {node, created} = this.tree.extend(id, {text: this.opts.textOf(id, before), p, by, end});
        if (created && !end) {
            try {
                node.step = this.stepOf(node, await this.evaluate(node));
            } catch (err) {
                this.tree.back();
                throw err;
            }
        }
        this.selected = 0;
        return node;
    }

    /** Step the current branch back one token (nothing is evaluated). */
    back(): void {
        const removed = this.tree.back();
        if (removed === false) throw new ExploreRefusal("at the prompt: nothing to step back over");
        if (typeof removed === "object") this.logits.delete(removed.id);
        this.selected = 0;
    }

    /** A new branch at the current tip. */
    branch(): ExploreBranch {
        const b = this.tree.branch();
        this.selected = 0;
        return b;
    }

    /** Switch to the branch `delta` places after the current one (wrapping; nothing is evaluated). */
    switchBranch(delta: number): ExploreBranch {
        const b = this.tree.select(this.tree.currentPosition + delta);
        this.selected = 0;
        return b;
    }

    private checkExtensible(): void {
        const tip = this.tip;
        if (tip.end || tip.step === undefined) throw this.refusalAtTip();
        if (this.opts.promptTokens.length + tip.depth + 1 > this.opts.contextSize)
            throw new ExploreRefusal(`the context is full (${this.opts.contextSize} tokens): step back, or restart with a larger --ctx-size`);
    }

    private refusalAtTip(): ExploreRefusal {
        return new ExploreRefusal("end of generation here: step back (Backspace) or switch branch");
    }

    private stepOf(node: ExploreNode, logits: Float32Array): ExplainStep {
        const history = this.history(node);
        // The kept sets are listed for inspection only: a throw-away stream, so that showing them
        // never moves a strategy's own stream (explain does the same).
        const ctx = {history, promptLength: this.opts.promptTokens.length, rng: createRng(0), trueLogits: this.opts.trueLogits, vocabulary: this.opts.vocabulary};
        return explainStep(logits, this.opts.strategies, ctx, {position: node.depth, top: this.opts.top, textOf: (id) => this.opts.textOf(id, history), keptAmong: "candidates"});
    }

    /** The logits after `node`: kept ones, else evaluated on the current branch's sequence. */
    private async logitsAt(node: ExploreNode): Promise<Float32Array> {
        const kept = this.logits.get(node.id);
        if (kept !== undefined) {
            this.logits.delete(node.id);
            this.logits.set(node.id, kept);
            return kept;
        }
        return this.evaluate(node);
    }

    private async evaluate(node: ExploreNode): Promise<Float32Array> {
        const sequence = this.sequenceFor(this.tree.current.number);
        const buffer = await sequence.logitsFor(this.history(node));
        const copy = Float32Array.from(buffer);
        this.remember(node.id, copy);
        return copy;
    }

    private remember(id: number, logits: Float32Array): void {
        if (this.logitsCapacity === 0)
            this.logitsCapacity = Math.max(2, Math.min(4096, Math.floor((this.opts.logitsCacheBytes ?? DEFAULT_LOGITS_CACHE_BYTES) / (4 * Math.max(1, logits.length)))));
        this.logits.delete(id);
        this.logits.set(id, logits);
        while (this.logits.size > this.logitsCapacity) this.logits.delete(this.logits.keys().next().value!);
    }

    /**
     * The sequence a branch evaluates on: its own, else a free one, else the least recently used
     * (whose branch then loses it; what it held can still be forked from while no one overwrites it).
     */
    private sequenceFor(branch: number): ExploreSequence {
        let chosen: ExploreSequence | undefined;
        for (const [s, b] of this.owner) if (b === branch) chosen = s;
        if (chosen === undefined) {
            chosen = this.opts.sequences.find((s) => !this.owner.has(s));
            if (chosen === undefined) {
                let oldest = Infinity;
                for (const s of this.opts.sequences) {
                    const t = this.used.get(s) ?? -1;
                    if (t < oldest) {
                        oldest = t;
                        chosen = s;
                    }
                }
            }
            this.owner.set(chosen!, branch);
        }
        this.used.set(chosen!, ++this.clock);
        return chosen!;
    }
}
