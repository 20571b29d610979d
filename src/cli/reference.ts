/**
 * Reference tables generated from the declarations themselves — the commander options (declared
 * once, in options.ts and each command) and the sampler registry — so the manual cannot drift from
 * the code. `npm run docs` (scripts/update-docs.mjs) writes them into docs/ between
 * `<!-- generated: … -->` markers; test/standalone/cli/docs.test.ts fails when docs/ is out of date.
 */
import type {Command, Option} from "commander";
import {BEAM_DEF, formatNumber, SAMPLER_REGISTRY, usageOf, type SamplerDef} from "../sampling/index.js";
import {routeText} from "./samplers.js";

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function defaultOf(option: Option): string {
    const value = option.defaultValue as unknown;
    if (value === undefined || (Array.isArray(value) && value.length === 0)) return option.negate ? "on" : "—";
    if (typeof value === "boolean") return value ? "on" : "off";
    return `\`${String(value)}\``;
}

/** Every option of a command, one table per help group, in declaration order. */
export function optionsMarkdown(cmd: Command): string {
    const groups = new Map<string, Option[]>();
    for (const option of cmd.options as Option[]) {
        if (option.hidden) continue;
        const heading = (option as Option & {helpGroupHeading?: string}).helpGroupHeading ?? "Options:";
        groups.set(heading, [...(groups.get(heading) ?? []), option]);
    }
    const out: string[] = [];
    for (const [heading, options] of groups) {
        out.push(`**${heading.replace(/:$/, "")}**`, "", "| flag | meaning | default |", "| --- | --- | --- |");
        for (const o of options) {
            const choices = o.argChoices ? ` (${o.argChoices.map((c) => `\`${c}\``).join(", ")})` : "";
            out.push(`| \`${cell(o.flags)}\` | ${cell(o.description)}${choices} | ${defaultOf(o)} |`);
        }
        out.push("");
    }
    return out.join("\n");
}

function flagsOf(def: SamplerDef): string[] {
    return [...new Set([def.flag, ...def.params.map((p) => p.flag), def.list?.flag].filter((f): f is string => f !== undefined))];
}

/** Every sampler of the registry: usage in -s, flags, parameters (range, default), route, reference. */
export function samplersMarkdown(): string {
    const out = ["| in `-s` | flags | parameters (range, default) | logits route | reference |", "| --- | --- | --- | --- | --- |"];
    for (const def of SAMPLER_REGISTRY) {
        const params = def.params.map((p) => `${p.key.toUpperCase()} ${p.range}${p.default !== undefined ? ` (${formatNumber(p.default)})` : ""}`);
        if (def.list) params.push(`${def.list.key.toUpperCase()}: JSON list (${JSON.stringify(def.list.default)})`);
        const aliases = def.aliases.length > 0 ? ` (also ${def.aliases.map((a) => `\`${a}\``).join(", ")})` : "";
        out.push(`| \`${cell(usageOf(def))}\`${aliases} | ${flagsOf(def).map((f) => `\`${f}\``).join(", ") || "—"} | ${cell(params.join("; ")) || "—"} | ${cell(routeText(def))} | ${cell(def.reference)} |`);
    }
    out.push(`| \`${usageOf(BEAM_DEF)}\` | \`--beams\` | ${cell(BEAM_DEF.description)} | — | — |`);
    return out.join("\n") + "\n";
}

/** Replace the block between `<!-- generated: name -->` and `<!-- end generated: name -->`. */
export function replaceGenerated(doc: string, name: string, content: string): string {
    const begin = `<!-- generated: ${name} (npm run docs) -->`;
    const end = `<!-- end generated: ${name} -->`;
    const i = doc.indexOf(begin);
    const j = doc.indexOf(end);
    if (i < 0 || j < i) throw new Error(`no generated block "${name}" in the document`);
    return doc.slice(0, i + begin.length) + "\n" + content.trimEnd() + "\n" + doc.slice(j);
}
