import assert from "node:assert/strict";
import {describe, it} from "node:test";
import {UsageError} from "../../../src/errors.js";
import {
    closestName,
    createChain,
    DEFAULT_STRATEGY_SPEC,
    defaultStrategy,
    parseStrategy,
    SAMPLER_REGISTRY,
    strategyFromFlags,
    strategyHelp,
    type Strategy,
} from "../../../src/sampling/index.js";

function spec(text: string): string {
    return parseStrategy(text).spec;
}

function names(s: Strategy): string[] {
    assert.equal(s.kind, "sample");
    return s.kind === "sample" ? s.samplers.map((x) => x.name) : [];
}

/** Assert a UsageError whose message contains every fragment. */
function usageError(fn: () => unknown, ...fragments: string[]): void {
    assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
        assert.equal(e.exitCode, 2);
        assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
        for (const f of fragments) assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
        return true;
    });
}

describe("parseStrategy: valid strings", () => {
    it("normalises names and numbers", () => {
        assert.equal(spec("top-p=0.90"), "top-p=0.9");
        assert.equal(spec("top-k=40"), "top-k=40");
        assert.equal(spec("min-p=0.1"), "min-p=0.1");
        assert.equal(spec("temp=0.7"), "temperature=0.7");
        assert.equal(spec("top-p=.5"), "top-p=0.5");
        assert.equal(spec("top-k=4e1"), "top-k=40");
        assert.equal(spec("temp=1.0"), "temperature=1");
        assert.equal(spec("temp=-0"), "temperature=0");
        assert.equal(spec("min-p=1e-7"), "min-p=1e-7");
    });
    it("accepts every alias, case-insensitively", () => {
        for (const t of ["temperature", "temp", "t", "TEMP"]) assert.equal(spec(`${t}=0.5`), "temperature=0.5");
        for (const t of ["top-k", "topk", "top_k", "Top-K"]) assert.equal(spec(`${t}=3`), "top-k=3");
        for (const t of ["top-p", "topp", "top_p", "nucleus"]) assert.equal(spec(`${t}=0.5`), "top-p=0.5");
        for (const t of ["min-p", "minp", "min_p"]) assert.equal(spec(`${t}=0.5`), "min-p=0.5");
        for (const t of ["random", "pure", "sample", "RANDOM"]) assert.equal(spec(t), "random");
        assert.equal(spec("greedy"), "greedy");
    });
    it("keeps the written order", () => {
        assert.equal(spec("top-p=0.9,temp=0.7"), "top-p=0.9,temperature=0.7");
        assert.equal(spec("temp=0.7,top-p=0.9"), "temperature=0.7,top-p=0.9");
        assert.deepEqual(names(parseStrategy("min-p=0.1,top-k=5,temp=2,top-p=0.5")), ["min-p", "top-k", "temperature", "top-p"]);
    });
    it("tolerates whitespace", () => {
        assert.equal(spec("  temp = 0.7 ,\ttop-p= 0.9  "), "temperature=0.7,top-p=0.9");
        assert.equal(spec(" greedy "), "greedy");
        assert.equal(spec(" beam = 4 "), "beam=4");
    });
    it("accepts the named-parameter form", () => {
        assert.equal(spec("top-p(p=0.9)"), "top-p=0.9");
        assert.equal(spec("top-k( k = 40 ),temp(t=0.5)"), "top-k=40,temperature=0.5");
    });
    it("random is the empty chain and adds nothing to a chain", () => {
        const r = parseStrategy("random");
        assert.deepEqual(r, {kind: "sample", samplers: [], spec: "random"});
        assert.equal(spec("random,temp=0.7"), "temperature=0.7");
    });
    it("parses beam search", () => {
        assert.deepEqual(parseStrategy("beam=4"), {kind: "beam", width: 4, spec: "beam=4"});
        assert.deepEqual(parseStrategy("beam=1"), {kind: "beam", width: 1, spec: "beam=1"});
    });
    it("round-trips: parsing a normalised spec gives the same spec", () => {
        for (const s of ["temperature=0.7,top-p=0.9", "top-k=40,min-p=0.05", "greedy", "random", "beam=3", "temperature=0"]) {
            assert.equal(spec(s), s);
            if (s !== "random" && !s.startsWith("beam")) {
                const parsed = parseStrategy(s);
                assert.equal(parsed.kind === "sample" && parsed.samplers.map((x) => x.spec).join(","), s);
            }
        }
    });
    it("edge values inside the ranges are accepted", () => {
        assert.equal(spec("top-p=1"), "top-p=1");
        assert.equal(spec("top-p=1e-9"), "top-p=1e-9");
        assert.equal(spec("min-p=0"), "min-p=0");
        assert.equal(spec("min-p=1"), "min-p=1");
        assert.equal(spec("temp=0"), "temperature=0");
        assert.equal(spec("temp=100"), "temperature=100");
        assert.equal(spec("top-k=1"), "top-k=1");
    });
});

describe("parseStrategy: invalid strings are UsageErrors naming the culprit and its range", () => {
    it("out-of-range values", () => {
        usageError(() => parseStrategy("top-p=1.5"), "top-p", "(0, 1]", "1.5", "top-p=0.9");
        usageError(() => parseStrategy("top-p=0"), "top-p", "(0, 1]", "got 0");
        usageError(() => parseStrategy("top-p=-0.1"), "top-p", "(0, 1]");
        usageError(() => parseStrategy("min-p=1.1"), "min-p", "[0, 1]", "1.1");
        usageError(() => parseStrategy("min-p=-0.01"), "min-p", "[0, 1]");
        usageError(() => parseStrategy("top-k=0"), "top-k", "integer >= 1", "got 0");
        usageError(() => parseStrategy("top-k=2.5"), "top-k", "integer >= 1", "2.5");
        usageError(() => parseStrategy("top-k=-3"), "top-k", "integer >= 1");
        usageError(() => parseStrategy("temp=-0.5"), "temperature", ">= 0", "-0.5");
        usageError(() => parseStrategy("beam=0"), "beam", "integer >= 1", "got 0");
        usageError(() => parseStrategy("beam=1.5"), "beam", "integer >= 1");
    });
    it("non-numbers, NaN, infinities, hex", () => {
        usageError(() => parseStrategy("top-p=abc"), "top-p", "(0, 1]", "abc");
        usageError(() => parseStrategy("top-p=NaN"), "top-p", "NaN");
        usageError(() => parseStrategy("temp=Infinity"), "temperature", "finite");
        usageError(() => parseStrategy("temp=1e999"), "temperature", "finite");
        usageError(() => parseStrategy("top-k=0x10"), "top-k", "0x10");
        usageError(() => parseStrategy("top-p=0.9.1"), "top-p");
    });
    it("empty values and items", () => {
        usageError(() => parseStrategy(""), "empty strategy");
        usageError(() => parseStrategy("   "), "empty strategy");
        usageError(() => parseStrategy("top-p="), "top-p needs a value", "(0, 1]");
        usageError(() => parseStrategy("top-p"), "top-p needs a value");
        usageError(() => parseStrategy("beam"), "beam needs a value");
        usageError(() => parseStrategy("temp=0.7,,top-p=0.9"), "empty item");
        usageError(() => parseStrategy("temp=0.7,"), "empty item");
        usageError(() => parseStrategy(",greedy"), "empty item");
    });
    it("unknown names suggest the closest known one", () => {
        usageError(() => parseStrategy("tpo-p=0.9"), 'unknown sampler "tpo-p"', 'did you mean "top-p"');
        usageError(() => parseStrategy("temprature=0.7"), 'did you mean "temperature"');
        usageError(() => parseStrategy("topk=40,min-q=0.1"), 'unknown sampler "min-q"', 'did you mean "min-p"');
        usageError(() => parseStrategy("greddy"), 'did you mean "greedy"');
        usageError(() => parseStrategy("beams=4"), 'did you mean "beam"');
        assert.equal(closestName("nucleous"), "top-p");
    });
    it("beam twice, or beam mixed with samplers", () => {
        usageError(() => parseStrategy("beam=2,beam=4"), "beam", "2 times");
        usageError(() => parseStrategy("beam=4,top-k=40"), "beam", "samplers");
        usageError(() => parseStrategy("temp=0.7,beam=4"), "beam", "samplers");
        usageError(() => parseStrategy("greedy,beam=2"), "beam");
    });
    it("wrong value counts and unreadable items", () => {
        usageError(() => parseStrategy("greedy=1"), "greedy takes no value");
        usageError(() => parseStrategy("random=0.5"), "random takes no value");
        usageError(() => parseStrategy("top-p=0.9:0.8"), "top-p takes 1 value, got 2");
        usageError(() => parseStrategy("top-p(q=0.9)"), 'no parameter "q"');
        usageError(() => parseStrategy("top-p(p=0.9;p=0.8)"), "given twice");
        usageError(() => parseStrategy("top-p(0.9"), "parentheses");
        usageError(() => parseStrategy("top p 0.9"), "cannot read");
        usageError(() => parseStrategy("=0.9"), "cannot read");
    });
});

describe("strategyFromFlags", () => {
    it("builds exactly the given samplers in the order temperature → top-k → top-p → min-p", () => {
        assert.equal(strategyFromFlags({topK: "40"})?.spec, "top-k=40");
        assert.equal(strategyFromFlags({minP: 0.1, temp: "0.7", topP: "0.9", topK: 50})?.spec, "temperature=0.7,top-k=50,top-p=0.9,min-p=0.1");
        assert.equal(strategyFromFlags({topP: "0.95", temp: 1})?.spec, "temperature=1,top-p=0.95");
        assert.equal(strategyFromFlags({temp: "0"})?.spec, "temperature=0");
    });
    it("greedy alone is greedy; nothing given is undefined", () => {
        assert.equal(strategyFromFlags({greedy: true})?.spec, "greedy");
        assert.equal(strategyFromFlags({}), undefined);
        assert.equal(strategyFromFlags({greedy: false}), undefined);
    });
    it("validation errors name the flag form of the fix", () => {
        usageError(() => strategyFromFlags({topP: "1.5"}), "top-p must be in (0, 1], got 1.5 (e.g. --top-p 0.9)");
        usageError(() => strategyFromFlags({topK: "0"}), "top-k", "integer >= 1", "--top-k 40");
        usageError(() => strategyFromFlags({minP: "2"}), "min-p", "[0, 1]", "--min-p 0.05");
        usageError(() => strategyFromFlags({temp: "-1"}), "temperature", ">= 0", "--temp 0.7");
        usageError(() => strategyFromFlags({temp: Number.NaN}), "temperature", "NaN");
        usageError(() => strategyFromFlags({topP: ""}), "top-p needs a value");
        usageError(() => strategyFromFlags({topP: "x"}), "top-p", "got x");
    });
    it("--greedy with other sampler flags is a usage error", () => {
        usageError(() => strategyFromFlags({greedy: true, topK: "40"}), "--greedy", "--top-k");
    });
});

describe("defaults, chains, help", () => {
    it("the default is nucleus sampling at T = 1", () => {
        assert.equal(DEFAULT_STRATEGY_SPEC, "top-p=0.9");
        assert.equal(defaultStrategy().spec, "top-p=0.9");
        assert.deepEqual(names(defaultStrategy()), ["top-p"]);
    });
    it("createChain builds fresh sampler instances", () => {
        const s = parseStrategy("temp=0.7,top-p=0.9");
        assert.equal(s.kind, "sample");
        if (s.kind !== "sample") return;
        const a = createChain(s, 10);
        const b = createChain(s, 10);
        assert.equal(a.spec, "temperature=0.7,top-p=0.9");
        assert.notEqual(a.samplers[0], b.samplers[0]);
    });
    it("help lists every registry entry and beam", () => {
        const help = strategyHelp().join("\n");
        for (const def of SAMPLER_REGISTRY) assert.ok(help.includes(def.name), def.name);
        assert.ok(help.includes("beam=K"));
        assert.ok(help.includes("nucleus"));
    });
    it("registry names and aliases are unique", () => {
        const all = SAMPLER_REGISTRY.flatMap((d) => [d.name, ...d.aliases]);
        assert.equal(new Set(all).size, all.length);
    });
});
