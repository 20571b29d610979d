/**
 * Errors that the CLI turns into one clear line on stderr and an exit code.
 * UsageError: the user asked for something invalid (exit 2).
 * RuntimeError: a valid request failed while running (exit 1).
 */
export class UsageError extends Error {
    override readonly name = "UsageError";
    readonly exitCode: number = 2;
}

export class RuntimeError extends Error {
    override readonly name = "RuntimeError";
    readonly exitCode: number = 1;
}
