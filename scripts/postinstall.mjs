#!/usr/bin/env node
// postinstall: apply llmgen's node-llama-cpp patch (patch-package; if it is missing or fails, e.g.
// when npm hoisted node-llama-cpp out of llmgen's folder, this step is skipped), then restore a
// cached fast-route build if there is one.
// Never fails the install: without the fast route llmgen runs on the public route.
import {spawnSync} from "node:child_process";
import {createRequire} from "node:module";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "package.json"));
let patchPackage;
try {
    patchPackage = require.resolve("patch-package/index.js");
} catch {
    patchPackage = undefined;
}
if (patchPackage !== undefined) {
    const r = spawnSync(process.execPath, [patchPackage], {cwd: root, stdio: "inherit"});
    if (r.status !== 0) process.stderr.write("llmgen postinstall: patch-package failed; llmgen will use the public logits route until `npm run build:fast`\n");
}
spawnSync(process.execPath, [path.join(root, "scripts", "build-fast.mjs"), "--restore-only"], {cwd: root, stdio: "inherit"});
process.exit(0);
