/**
 * Writing the product to stdout. A closed pipe (`llmgen … | head -c 20`) ends the process quietly
 * with exit 0: the reader has what it wanted. Any other write error (a full disk, an I/O error) is
 * one line on stderr and exit 1: the output is incomplete and the caller must know.
 */
let installed = false;

function describe(err: NodeJS.ErrnoException): string {
    const why: Record<string, string> = {ENOSPC: "no space left on the device", EIO: "an I/O error", EDQUOT: "disk quota exceeded", EFBIG: "file too large", EBADF: "stdout is closed"};
    return why[err.code ?? ""] !== undefined ? `${why[err.code!]} (${err.code})` : (err.code ?? err.message);
}

function onStdoutError(err: NodeJS.ErrnoException): never {
    if (err.code === "EPIPE") process.exit(0);
    process.stderr.write(`llmgen: cannot write the output to stdout: ${describe(err)}; the output is incomplete\n`);
    process.exit(1);
}

function installPipeHandler(): void {
    if (installed) return;
    installed = true;
    process.stdout.on("error", onStdoutError);
}

export function writeOut(text: string): void {
    installPipeHandler();
    if (text.length === 0) return;
    try {
        process.stdout.write(text);
    } catch (err) {
        // stdout on a file writes synchronously: the error is thrown here, not emitted
        onStdoutError(err as NodeJS.ErrnoException);
    }
}

/** Resolve once everything written to stdout has been handed to the OS. */
export function drainStdout(): Promise<void> {
    return new Promise((resolve) => {
        if (process.stdout.writableLength === 0) resolve();
        else process.stdout.write("", () => resolve());
    });
}
