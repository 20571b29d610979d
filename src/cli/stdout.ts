/**
 * Writing the product to stdout. A closed pipe (`llmgen … | head -c 20`) ends the process quietly
 * with exit 0: the reader has what it wanted.
 */
let installed = false;

function installPipeHandler(): void {
    if (installed) return;
    installed = true;
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "EPIPE") process.exit(0);
        throw err;
    });
}

export function writeOut(text: string): void {
    installPipeHandler();
    if (text.length > 0) process.stdout.write(text);
}

/** Resolve once everything written to stdout has been handed to the OS. */
export function drainStdout(): Promise<void> {
    return new Promise((resolve) => {
        if (process.stdout.writableLength === 0) resolve();
        else process.stdout.write("", () => resolve());
    });
}
