/** What is in the models folder: every `.gguf` file with its GGUF metadata, and the catalogue. */
import {readdir, stat} from "node:fs/promises";
import path from "node:path";
import {CATALOGUE, DEFAULT_MODEL_NAME, findCatalogueEntryByFileName} from "./catalogue.js";
import {modelsFolderExists} from "./dir.js";
import {STAGING_DIR_NAME} from "./pull.js";
import {inspectGgufFile} from "./verify.js";

export interface LocalModel {
    file: string;
    path: string;
    sizeBytes: number;
    /** The catalogue name when the file is a catalogue model's file. */
    catalogueName: string | null;
    isDefault: boolean;
    valid: boolean;
    /** Why the file is not usable, when it is not. */
    error: string | null;
    architecture: string | null;
    /** general.name from the file. */
    modelName: string | null;
    parameterCount: number | null;
    quantisation: string | null;
    vocabularySize: number | null;
    contextLength: number | null;
    ggufVersion: number | null;
    /** [part, of] for a file split with gguf-split. */
    split: [number, number] | null;
}

export interface CatalogueStatus {
    name: string;
    fileName: string;
    pulled: boolean;
    isDefault: boolean;
    sizeBytes: number | null;
    approxBytes: number;
    parameters: string;
    quantisation: string;
    licence: string;
    uri: string;
    description: string;
}

export interface ModelsListing {
    dir: string;
    exists: boolean;
    models: LocalModel[];
    /** Files of interrupted downloads that the next pull resumes. */
    partialDownloads: string[];
    catalogue: CatalogueStatus[];
}

/** The `.gguf` files directly in `dir`, sorted by name; [] when the folder does not exist. */
export async function ggufFilesIn(dir: string): Promise<string[]> {
    let names: string[];
    try {
        names = await readdir(dir);
    } catch {
        return [];
    }
    const files: string[] = [];
    for (const name of names.filter((n) => n.toLowerCase().endsWith(".gguf")).sort()) {
        try {
            if ((await stat(path.join(dir, name))).isFile()) files.push(name);
        } catch {
            // dangling link: not a model
        }
    }
    return files;
}

/**
 * The models folder's contents. A folder that does not exist yet is an empty listing; a file where
 * the folder should be, or a folder that cannot be read, is a one-line RuntimeError.
 */
export async function listModels(dir: string): Promise<ModelsListing> {
    const dirExists = await modelsFolderExists(dir);
    const models: LocalModel[] = [];
    for (const file of await ggufFilesIn(dir)) {
        const filePath = path.join(dir, file);
        const entry = findCatalogueEntryByFileName(file);
        const inspection = await inspectGgufFile(filePath);
        const base = {
            file,
            path: filePath,
            sizeBytes: inspection.fileSize ?? 0,
            catalogueName: entry?.name ?? null,
            isDefault: entry?.name === DEFAULT_MODEL_NAME
        };
        if (!inspection.ok) {
            models.push({
                ...base,
                valid: false,
                error: inspection.detail,
                architecture: null,
                modelName: null,
                parameterCount: null,
                quantisation: null,
                vocabularySize: null,
                contextLength: null,
                ggufVersion: null,
                split: null
            });
            continue;
        }
        const s = inspection.summary;
        const sizeProblem = entry?.sizeBytes != null && inspection.fileSize !== entry.sizeBytes
            ? `${inspection.fileSize} bytes, but ${entry.name} has ${entry.sizeBytes}`
            : null;
        models.push({
            ...base,
            valid: sizeProblem == null,
            error: sizeProblem,
            architecture: s.architecture,
            modelName: s.name,
            parameterCount: s.parameterCount,
            quantisation: s.quantisation,
            vocabularySize: s.vocabularySize,
            contextLength: s.contextLength,
            ggufVersion: s.ggufVersion,
            split: s.split
        });
    }
    let partialDownloads: string[];
    try {
        partialDownloads = (await readdir(path.join(dir, STAGING_DIR_NAME))).filter((n) => n.endsWith(".ipull")).sort();
    } catch {
        partialDownloads = [];
    }
    const pulledFiles = new Set(models.map((m) => m.file));
    const catalogue = CATALOGUE.map((e) => ({
        name: e.name,
        fileName: e.fileName,
        pulled: pulledFiles.has(e.fileName),
        isDefault: e.name === DEFAULT_MODEL_NAME,
        sizeBytes: e.sizeBytes,
        approxBytes: e.approxBytes,
        parameters: e.parameters,
        quantisation: e.quantisation,
        licence: e.licence,
        uri: e.uri,
        description: e.description
    }));
    return {dir, exists: dirExists, models, partialDownloads, catalogue};
}
