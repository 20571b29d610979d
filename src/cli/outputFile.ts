/**
 * Output files named on the command line (--html …): checked before any work starts, written
 * through a temporary name and renamed, so a failed run never leaves a half-written file.
 */
import fs from "node:fs";
import path from "node:path";
import {RuntimeError, UsageError} from "../errors.js";

/** The absolute path of an output file, or a UsageError saying why it cannot be written. */
export function checkOutputFile(flag: string, file: string): string {
    if (file.trim() === "") throw new UsageError(`${flag} needs a file name, e.g. ${flag} report.html`);
    const full = path.resolve(file);
    let st: fs.Stats | undefined;
    try {
        st = fs.statSync(full);
    } catch {
        st = undefined;
    }
    if (st?.isDirectory()) throw new UsageError(`${flag} ${file}: that is a folder; give a file name, e.g. ${path.join(file, "report.html")}`);
    if (st !== undefined && !st.isFile()) throw new UsageError(`${flag} ${file}: not a regular file`);
    const dir = path.dirname(full);
    let dirStat: fs.Stats;
    try {
        dirStat = fs.statSync(dir);
    } catch {
        throw new UsageError(`${flag} ${file}: the folder ${dir} does not exist`);
    }
    if (!dirStat.isDirectory()) throw new UsageError(`${flag} ${file}: ${dir} is not a folder`);
    // access(2) says yes to root even where nothing can be created (/proc, read-only mounts): try it.
    const probe = path.join(dir, `.llmgen-write-test-${process.pid}`);
    try {
        fs.closeSync(fs.openSync(probe, "wx"));
        fs.rmSync(probe, {force: true});
        if (st !== undefined) fs.accessSync(full, fs.constants.W_OK);
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new UsageError(`${flag} ${file}: cannot write there (${code === "EROFS" ? "read-only file system" : code === "EACCES" || code === "EPERM" ? "permission denied" : code ?? "error"}); choose another path`);
    }
    return full;
}

/** Write a whole file atomically (temporary file in the same folder, then rename). */
export function writeOutputFile(flag: string, full: string, content: string): void {
    const tmp = path.join(path.dirname(full), `.${path.basename(full)}.tmp-${process.pid}`);
    try {
        fs.writeFileSync(tmp, content);
        fs.renameSync(tmp, full);
    } catch (err) {
        fs.rmSync(tmp, {force: true});
        const e = err as NodeJS.ErrnoException;
        throw new RuntimeError(`${flag}: cannot write ${full}: ${e.code ?? e.message}`);
    }
}
