/** Checks on model files: sha256, and "is this a complete GGUF model?" with a one-line fix. */
import {createHash} from "node:crypto";
import {createReadStream} from "node:fs";
import {inspectGgufFile, type GgufInspection, type GgufSummary} from "../engine/modelFiles.js";
import {RuntimeError} from "../errors.js";
import type {CatalogueEntry} from "./catalogue.js";
import {displayPath} from "./dir.js";

export {inspectGgufFile};
export type {GgufInspection, GgufSummary};

/** Streaming sha256 of a file, lower-case hex. */
export async function sha256File(filePath: string, signal?: AbortSignal): Promise<string> {
    const hash = createHash("sha256");
    const stream = createReadStream(filePath, {highWaterMark: 1 << 20, signal});
    for await (const chunk of stream) hash.update(chunk as Buffer);
    return hash.digest("hex");
}

export function isSha256(value: string): boolean {
    return /^[0-9a-f]{64}$/i.test(value);
}

/** What to do about a bad file, as the end of a one-line message. */
export function fixFor(inspection: Extract<GgufInspection, {ok: false}>, entry?: CatalogueEntry): string {
    const refetch = entry != null ? `fetch it again with: llmgen pull ${entry.name} --force` : "delete it and download it again";
    switch (inspection.problem) {
        case "missing":
            return "check the path, or list what is there with: llmgen models";
        case "not-a-file":
            return "pass a .gguf file";
        case "unreadable":
            return "check its permissions";
        case "not-gguf":
            return inspection.detail.includes("Git LFS") ? "fetch the real file (git lfs pull)" : refetch;
        case "unsupported-version":
            return "download a current GGUF conversion of the model";
        case "no-tensors":
            return "use a GGUF file that contains the model weights";
        case "empty":
        case "truncated":
        case "corrupt":
            return refetch;
    }
}

/**
 * Check that `filePath` is a complete GGUF model (and, for a catalogue file, of the catalogue's
 * size); throw a one-line RuntimeError naming the file and the fix otherwise.
 */
export async function validateModelFile(filePath: string, entry?: CatalogueEntry): Promise<{fileSize: number; summary: GgufSummary}> {
    const inspection = await inspectGgufFile(filePath);
    if (!inspection.ok) {
        const what = inspection.problem === "missing" ? "no such model file" : `not a usable model: ${inspection.detail}`;
        throw new RuntimeError(`${displayPath(filePath)}: ${what} — ${fixFor(inspection, entry)}`);
    }
    if (entry?.sizeBytes != null && inspection.fileSize !== entry.sizeBytes)
        throw new RuntimeError(
            `${displayPath(filePath)}: ${inspection.fileSize} bytes, but ${entry.name} has ${entry.sizeBytes} — fetch it again with: llmgen pull ${entry.name} --force`
        );
    return {fileSize: inspection.fileSize, summary: inspection.summary};
}
