/**
 * The remedies library errors and notices point to (errors.ts `Fix`), in the CLI's terms.
 */
import type {Fix, Notice} from "../errors.js";

const FIX_TEXT: Record<Fix, string> = {
    "build-fast-route": "build the fast route once with `npm run build:fast` (under a minute, then cached), and run with --logits-route fast or auto",
    "use-public-route": "run with --logits-route public",
    "list-models": "check the path, or run `llmgen models`",
    "pull-again": "is it a complete GGUF file? try `llmgen pull` again",
    "other-backend": "try --gpu auto or --gpu cpu",
    "debug": "run with --debug for details",
};

export function fixText(fix: Fix): string {
    return FIX_TEXT[fix];
}

/** A notice as one line, with its remedy. */
export function noticeText(notice: Notice): string {
    return withFix(notice.message, notice.fix);
}

/** "message: fix" — a library message completed with its remedy, when it has one. */
export function withFix(message: string, fix: Fix | undefined): string {
    return fix === undefined ? message : `${message}: ${fixText(fix)}`;
}
