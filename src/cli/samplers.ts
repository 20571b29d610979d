/**
 * `llmgen samplers [--json]`: every sampler of the registry with its strategy-string usage, CLI
 * flags, parameters (range, default), a one-line description, its reference, whether it is exact
 * on the public logits route, and the default chain and flag orders. Needs no model.
 */
import {Command} from "commander";
import {wrap} from "../report/text.js";
import {
    BEAM_DEF, DEFAULT_ORDER, DEFAULT_STRATEGY_SPEC, ORDER_PRESETS, SAMPLER_REGISTRY, formatNumber, usageOf,
    type RouteExactness, type SamplerDef,
} from "../sampling/index.js";
import {outputStyle, outputWidth} from "./io.js";
import {addOutputOptions} from "./options.js";
import {writeOut} from "./stdout.js";

export const ROUTE_TEXT: Record<RouteExactness, string> = {
    "exact": "exact on both logits routes (it uses only differences of logits: probabilities or additive shifts)",
    "underflow": "exact on both routes, except where the public route has turned a probability below float32's range (a logit ≈104 nats under the max) into −∞",
    "true-logits": "needs the raw logits: refused on the public route (build the fast route with `npm run build:fast`, run with --logits-route fast)",
};

/** The route note of one sampler. */
export function routeText(def: SamplerDef): string {
    return ROUTE_TEXT[def.route] + (def.routeDetail ? `: ${def.routeDetail}` : "");
}

interface SamplersFlags {
    json?: boolean;
    color?: boolean;
}

export function samplersCommand(): Command {
    const cmd = new Command("samplers")
        .description("list every sampler: strategy-string usage, flags, parameters with ranges and defaults, reference, logits-route exactness; and the default chain and flag orders");
    return addOutputOptions(cmd, "one JSON document").action((flags: SamplersFlags) => {
        writeOut(flags.json ? samplersJson() : samplersText(outputWidth(outputStyle({color: flags.color}).stdoutTTY)));
    });
}

function flagsOf(def: SamplerDef): string[] {
    const flags = [def.flag, ...def.params.map((p) => p.flag), def.list?.flag].filter((f): f is string => f !== undefined);
    return [...new Set(flags)];
}

/** The JSON document of `llmgen samplers --json`. */
export function samplersJson(): string {
    const doc = {
        defaultChain: DEFAULT_STRATEGY_SPEC,
        defaultOrder: DEFAULT_ORDER,
        orders: ORDER_PRESETS,
        samplers: SAMPLER_REGISTRY.map((def) => ({
            name: def.name,
            aliases: def.aliases,
            usage: usageOf(def),
            description: def.description,
            flags: flagsOf(def),
            params: def.params.map((p) => ({
                key: p.key, range: p.range, example: p.example,
                ...(p.default !== undefined ? {default: p.default} : {}),
                ...(p.flag !== undefined ? {flag: p.flag} : {}),
                ...(p.description !== undefined ? {description: p.description} : {}),
            })),
            ...(def.list ? {list: {key: def.list.key, default: def.list.default, flag: def.list.flag, description: def.list.description}} : {}),
            reference: def.reference,
            route: def.route,
            routeNote: routeText(def),
            ...(def.state !== undefined ? {state: def.state} : {}),
        })),
        beam: {usage: usageOf(BEAM_DEF), description: BEAM_DEF.description, flag: "--beams"},
    };
    return JSON.stringify(doc, null, 2) + "\n";
}

/** The plain-text listing. */
export function samplersText(width = Infinity): string {
    const w = Number.isFinite(width) ? Math.max(40, width) : Infinity;
    const out: string[] = [];
    const para = (text: string, indent = ""): void => {
        for (const line of wrap(text, w === Infinity ? Infinity : w - indent.length)) out.push(indent + line);
    };
    para("Samplers: write them in -s in any order, e.g. -s \"repeat-penalty=1.1,top-k=40,temp=0.7\"; positional values name=A:B or named values name(key=A;key=B); parameters with a default may be left out.");
    out.push("");
    for (const def of SAMPLER_REGISTRY) {
        const flags = flagsOf(def);
        out.push(`${usageOf(def)}${flags.length ? `   [${flags.join(", ")}]` : ""}${def.aliases.length ? `   aliases: ${def.aliases.join(", ")}` : ""}`);
        para(def.description, "  ");
        const keyWidth = Math.max(0, ...def.params.map((p) => p.key.length), def.list ? def.list.key.length : 0);
        for (const p of def.params) {
            const dflt = p.default !== undefined ? `, default ${formatNumber(p.default)}` : ", required";
            const flag = p.flag !== undefined ? ` (${p.flag})` : "";
            para(`${p.key.toUpperCase().padEnd(keyWidth)}  ${p.range}${dflt}${flag}${p.description ? ` — ${p.description}` : ""}`, "    ");
        }
        if (def.list) {
            para(`${def.list.key.toUpperCase().padEnd(keyWidth)}  a JSON list of strings, default ${JSON.stringify(def.list.default)}${def.list.flag ? ` (${def.list.flag}, repeatable)` : ""} — ${def.list.description}`, "    ");
        }
        if (def.parseEntries) para(`TOKEN  a token id (29) or a text ("the", a JSON string; a bare word is text); BIAS a finite number or -inf (a ban); biases on one token add up`, "    ");
        para(`route: ${routeText(def)}`, "  ");
        if (def.state) para(`state: ${def.state}`, "  ");
        para(`reference: ${def.reference}`, "  ");
        out.push("");
    }
    out.push(`${usageOf(BEAM_DEF)}   [--beams]`);
    para(`${BEAM_DEF.description}; stands alone (not in a chain)`, "  ");
    out.push("");
    para(`Default chain (no sampling flag, no -s): ${DEFAULT_STRATEGY_SPEC}`);
    para("Sampler flags build exactly the samplers given, in this order (--samplers LIST sets another, like llama.cpp's --samplers):");
    for (const [name, slots] of Object.entries(ORDER_PRESETS)) {
        para(`--order ${name}${name === DEFAULT_ORDER ? " (default)" : ""}: ${slots.join(" → ")}`, "  ");
    }
    para("The temperature slot holds dynatemp when --dynatemp-range is given. Logits routes: fast = the model's raw logits; public = log-probabilities, i.e. logits up to an additive constant.");
    return out.join("\n") + "\n";
}
