/**
 * Errors that the CLI turns into one clear line on stderr and an exit code.
 * UsageError: the user asked for something invalid (exit 2).
 * RuntimeError: a valid request failed while running (exit 1).
 *
 * Library layers describe the problem; when the remedy is something the user runs or passes (a
 * command, a flag), they name it with a `Fix`, and the CLI says it in its own terms
 * (src/cli/fixes.ts), so no library message names a CLI command or flag.
 */
export type Fix =
    /** llmgen's patched build is missing or stale: build it, then read the logits on the fast route. */
    | "build-fast-route"
    /** The fast route is impossible with this node-llama-cpp: read the logits on the public route. */
    | "use-public-route"
    /** A model path that does not exist: list the models there are. */
    | "list-models"
    /** A model file that does not load: download it again. */
    | "pull-again"
    /** The requested GPU backend is not available: choose another. */
    | "other-backend"
    /** An unexpected native failure: ask for the details. */
    | "debug";

/**
 * Something the engine wants the user to know (under --verbose, or always for warnings): a
 * message in library terms, what kind it is, and the remedy when there is one.
 */
export interface Notice {
    readonly kind: "route-fallback" | "route" | "context-beyond-training" | "local-build-refused";
    readonly message: string;
    readonly fix?: Fix;
}

export interface ErrorFix {
    readonly fix?: Fix;
}

/** An error with a message in library terms and, when there is one, the remedy's kind. */
abstract class ErrorWithFix extends Error {
    abstract readonly exitCode: number;
    readonly fix?: Fix;
    constructor(message: string, options: ErrorFix = {}) {
        super(message);
        if (options.fix !== undefined) this.fix = options.fix;
    }
}

export class UsageError extends ErrorWithFix {
    override readonly name = "UsageError";
    readonly exitCode: number = 2;
}

export class RuntimeError extends ErrorWithFix {
    override readonly name = "RuntimeError";
    readonly exitCode: number = 1;
}
