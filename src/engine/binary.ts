/** What llama.cpp binary node-llama-cpp loaded: build type, backend, and whether it has llmgen's fast route. */
import {getLlama, LlamaLogLevel, type Llama} from "node-llama-cpp";

export interface BinaryInfo {
    buildType: string;
    backend: string;
    fastRouteInBinary: boolean;
    cpuMathCores: number;
    maxThreads: number;
}

export function llamaBinaryInfo(llama: Llama): BinaryInfo {
    const bindings = (llama as unknown as {_bindings?: {AddonContext?: {prototype?: Record<string, unknown>}}})._bindings;
    return {
        buildType: llama.buildType,
        backend: llama.gpu === false ? "cpu" : String(llama.gpu),
        fastRouteInBinary: typeof bindings?.AddonContext?.prototype?.llmgenCopyLogits === "function",
        cpuMathCores: llama.cpuMathCores,
        maxThreads: llama.maxThreads
    };
}

/** Start llama.cpp without a model (never building anything), report its binary, and stop it. */
export async function probeLlamaBinary(gpu: "auto" | "cuda" | "vulkan" | "cpu"): Promise<BinaryInfo> {
    const llama = await getLlama({
        build: "never",
        gpu: gpu === "cpu" ? false : gpu,
        logLevel: LlamaLogLevel.disabled,
        logger: () => undefined,
        progressLogs: false
    });
    try {
        return llamaBinaryInfo(llama);
    } finally {
        await llama.dispose().catch(() => undefined);
    }
}
