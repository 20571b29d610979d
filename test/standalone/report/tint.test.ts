import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {Chalk} from "chalk";
import {stripVTControlCharacters as stripAnsi} from "node:util";
import {PROBABILITY_BANDS, probabilityBand, probabilityLegend, ProbabilityTinter, tintByProbability} from "../../../src/report/tint.js";

const colour = new Chalk({level: 2});
const none = new Chalk({level: 0});

describe("probability tint", () => {
    test("bands cover [0, 1] from most to least probable", () => {
        assert.equal(probabilityBand(1).label, "≥80%");
        assert.equal(probabilityBand(0.8).label, "≥80%");
        assert.equal(probabilityBand(0.5).label, "50–80%");
        assert.equal(probabilityBand(0.049).label, "<5%");
        assert.equal(probabilityBand(0).label, "<5%");
        assert.equal(PROBABILITY_BANDS.length, 5);
    });

    test("no colour: text unchanged and no legend", () => {
        assert.equal(tintByProbability(none, " the", Math.log(0.9)), " the");
        assert.equal(probabilityLegend(none), "");
        assert.notEqual(tintByProbability(colour, " the", Math.log(0.9)), " the");
        assert.notEqual(tintByProbability(colour, "x", Math.log(0.9)), tintByProbability(colour, "x", Math.log(0.01)));
        assert.ok(stripAnsi(probabilityLegend(colour)).includes("<5%"));
    });

    test("the streaming tinter colours text released in other pieces than the tokens", () => {
        const t = new ProbabilityTinter(colour);
        t.token("Hello", Math.log(0.9));
        t.token(" wor", Math.log(0.01));
        t.token("ld", Math.log(0.6));
        const out = t.text("Hel") + t.text("lo w") + t.text("orld") + t.text("!");
        assert.equal(stripAnsi(out), "Hello world!");
        assert.ok(out.startsWith(tintByProbability(colour, "Hel", Math.log(0.9))));
        assert.ok(out.includes(tintByProbability(colour, " w", Math.log(0.01))));
        assert.ok(out.endsWith(tintByProbability(colour, "ld", Math.log(0.6)) + "!"));
        const off = new ProbabilityTinter(none);
        off.token("a", 0);
        assert.equal(off.text("ab"), "ab");
    });
});
