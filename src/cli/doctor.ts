/**
 * `llmgen doctor`: what llmgen runs on — node-llama-cpp version, the fast-route patch and build
 * (cached? installed? loaded?), the llama.cpp binary in use (prebuilt or local build), the backend
 * (CPU/CUDA/Vulkan), threads, and with a model: the logits route the engine picks and why.
 */
import {Command} from "commander";
import type {BinaryInfo} from "../engine/binary.js";
import type {FastBuildStatus} from "../engine/fastBuild.js";
import type {Engine} from "../engine/engine.js";
import {resolveModel} from "../models/resolve.js";
import {info, outputStyle} from "./io.js";
import {addModelOptions, addOutputOptions, engineSettings, type ModelFlags} from "./options.js";
import {writeOut} from "./stdout.js";
import {noticeText} from "./fixes.js";
import {llamaLog} from "./session.js";

interface DoctorFlags extends ModelFlags {
    json?: boolean;
}

export interface DoctorReport {
    node: string;
    platform: string;
    physicalCores: number;
    nodeLlamaCpp?: string;
    fastBuild?: FastBuildStatus;
    binary?: BinaryInfo;
    /** The smoke test (F32, F16, Q8_0, Q4_0 models in child processes) on the binary llmgen uses. */
    binaryCheck?: {ok: boolean; results: Array<{type: string; ok: boolean; signal?: string; error?: string; buildType?: string}>};
    /** A local build llmgen refuses (it failed the smoke test), with why. */
    localBuildRefused?: string;
    routeRequested: string;
    model?: {path: string; route: string; fork: boolean; threads: number; backend: string; buildType: string; vocabSize: number; contextSize: number};
    modelSkipped?: string;
    problems: string[];
    advice: string[];
}

export function doctorCommand(): Command {
    const cmd = new Command("doctor")
        .description("report the llama.cpp build in use, the backend (CPU/CUDA/Vulkan), threads and the logits route (fast or public), with advice");
    addOutputOptions(addModelOptions(cmd), "one JSON document");
    return cmd.action(async (flags: DoctorFlags) => {
        const style = outputStyle({color: flags.color});
        const report = await diagnose(flags);
        if (flags.json) {
            writeOut(JSON.stringify(report, null, 2) + "\n");
            return;
        }
        for (const line of renderDoctor(report)) writeOut(line + "\n");
        if (report.problems.length > 0) info(style.err.yellow(`llmgen doctor: ${report.problems.length} problem(s) found`));
    });
}

export async function diagnose(flags: DoctorFlags): Promise<DoctorReport> {
    const settings = engineSettings(flags);
    // The engine (and node-llama-cpp, ~0.7 s to import) is loaded only when the command runs.
    const {Engine, physicalCores} = await import("../engine/engine.js");
    const {FastLogitsRoute} = await import("../engine/fastRoute.js");
    const {llamaBinaryInfo, localBuildVerdict, probeLlamaBinary} = await import("../engine/binary.js");
    const {describeFailure, smokeTestBinary} = await import("../engine/smoke.js");
    const problems: string[] = [];
    const advice: string[] = [];
    const {fastBuildStatus} = await import("../engine/fastBuild.js");
    const fastBuild = await fastBuildStatus();
    const report: DoctorReport = {
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        physicalCores: physicalCores(),
        nodeLlamaCpp: fastBuild?.nodeLlamaCpp,
        fastBuild,
        routeRequested: settings.logitsRoute,
        problems,
        advice
    };
    if (fastBuild) {
        if (fastBuild.nodeLlamaCpp !== "3.21.1") problems.push(`node-llama-cpp ${fastBuild.nodeLlamaCpp ?? "missing"}: llmgen's fast route is made for 3.21.1 exactly`);
        if (!fastBuild.patchApplied) {
            problems.push("the node-llama-cpp patch is not applied to node_modules");
            advice.push("run `npx patch-package` (npm ci runs it at postinstall)");
        }
        const installed = fastBuild.localBuilds.some((b) => b.fast && b.upToDate);
        if (!installed) advice.push(fastBuild.cached
            ? "the fast build is cached but not installed: run `npm run build:fast` (restores it in seconds)"
            : `build the fast route once: \`npm run build:fast\` (compiles llmgen's addon against the prebuilt llama.cpp, under a minute; cached in ${fastBuild.cacheRoot})`);
    }
    const verdict = await localBuildVerdict();
    if (verdict.usePrebuilt) {
        report.localBuildRefused = verdict.reason;
        problems.push(verdict.reason ?? "a local llama.cpp build failed llmgen's check");
    }
    const check = await smokeTestBinary("in-use");
    report.binaryCheck = {ok: check.ok, results: check.results.map((r) => ({type: r.type, ok: r.ok, signal: r.signal, error: r.error, buildType: r.buildType}))};
    if (!check.ok) problems.push(`the llama.cpp binary in use cannot run every model type: ${describeFailure(check)}`);

    let modelPath: string | undefined;
    try {
        modelPath = (await resolveModel(flags.model, {modelsDir: flags.modelsDir, interactive: false, envModel: process.env.LLMGEN_MODEL, env: process.env})).path;
    } catch (err) {
        report.modelSkipped = `no model to check the route with (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); pass -m <model>`;
    }
    if (modelPath !== undefined) {
        let engine: Engine | undefined;
        try {
            engine = await Engine.load({
                modelPath, gpu: settings.gpu, threads: settings.threads, ctxSize: settings.ctxSize ?? 256, sequences: 1,
                verbose: settings.verbose, debug: settings.debug, logitsRoute: settings.logitsRoute, onLog: llamaLog,
                onNotice: (notice) => {
                    if (notice.kind === "route-fallback") problems.push(noticeText(notice));
                }
            });
            report.binary = llamaBinaryInfo(engine.llama);
            report.model = {
                path: modelPath,
                route: engine.info.route,
                fork: engine.route instanceof FastLogitsRoute && engine.route.canFork,
                threads: engine.info.threads,
                backend: engine.info.backend,
                buildType: engine.info.buildType,
                vocabSize: engine.vocabSize,
                contextSize: engine.info.contextSize
            };
        } catch (err) {
            problems.push(`cannot load ${modelPath}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
        } finally {
            await engine?.dispose();
        }
    }
    if (report.binary === undefined) {
        try {
            report.binary = await probeLlamaBinary(settings.gpu);
        } catch (err) {
            problems.push(`cannot start llama.cpp: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
        }
    }
    if (report.binary && !report.binary.fastRouteInBinary && report.routeRequested !== "public")
        problems.push(`the loaded llama.cpp binary (${report.binary.buildType}, ${report.binary.backend}) has no fast route: llmgen reads logits through the slow public route`);
    if (report.binary && report.binary.backend !== "cpu" && fastBuild && !fastBuild.localBuilds.some((b) => b.fast && b.folder.includes(report.binary!.backend)))
        advice.push(`GPU (${report.binary.backend}) in use: \`npm run build:fast\` builds the fast route for CPU only; pass --gpu cpu to use it`);
    return report;
}

export function renderDoctor(r: DoctorReport): string[] {
    const lines = [
        `node ${r.node} on ${r.platform}, ${r.physicalCores} physical core(s)`,
        `node-llama-cpp ${r.nodeLlamaCpp ?? "?"}`
    ];
    const f = r.fastBuild;
    if (f) {
        lines.push(`fast-route patch: ${f.patchFile} ${f.patchFileExists ? "" : "(missing) "}— ${f.patchApplied ? "applied" : "NOT applied"}`);
        lines.push(`fast-route build: key ${f.key}, ${f.cached ? "cached" : "not cached"} in ${f.cacheRoot}`);
        for (const b of f.localBuilds)
            lines.push(`  installed local build ${b.folder}: ${b.fast ? "fast route" : "stock"}${b.upToDate ? " (up to date)" : b.key ? ` (other key ${b.key})` : ""}` +
                `${b.smoke === undefined ? ", not smoke-tested yet" : b.smoke.ok ? ", smoke test passed" : ", smoke test FAILED (not used)"}`);
        if (f.localBuilds.length === 0) lines.push("  no local build installed (node-llama-cpp's prebuilt binary is used)");
    }
    if (r.binary)
        lines.push(`llama.cpp binary in use: ${r.binary.buildType}, backend ${r.binary.backend}, fast route ${r.binary.fastRouteInBinary ? "present" : "absent"}; cpu math cores ${r.binary.cpuMathCores}, max threads ${r.binary.maxThreads}`);
    if (r.binaryCheck)
        lines.push(`model types on the binary in use${r.binaryCheck.results[0]?.buildType ? ` (${r.binaryCheck.results[0].buildType})` : ""}: ` +
            r.binaryCheck.results.map((x) => `${x.type} ${x.ok ? "runs" : x.signal ? `CRASHES (${x.signal})` : `FAILS (${x.error ?? "?"})`}`).join(", "));
    lines.push(`logits route requested: ${r.routeRequested} (--logits-route / LLMGEN_LOGITS_ROUTE)`);
    if (r.model)
        lines.push(`with ${r.model.path}: route ${r.model.route}${r.model.fork ? " with KV fork" : ""}, backend ${r.model.backend}, build ${r.model.buildType}, threads ${r.model.threads}, vocabulary ${r.model.vocabSize}`);
    if (r.modelSkipped) lines.push(r.modelSkipped);
    for (const p of r.problems) lines.push(`problem: ${p}`);
    for (const a of r.advice) lines.push(`advice: ${a}`);
    if (r.problems.length === 0) lines.push("ok");
    return lines;
}
