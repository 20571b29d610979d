/**
 * The built-in demo model: with no -m, no LLMGEN_MODEL and no model in the models folder, llmgen
 * runs assets/stories260K.gguf — piped without a word on stderr, on a terminal with one line that
 * says what it is and how to get a real model — and never touches the network (a local server
 * standing in for the model hub counts the requests it gets).
 */
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type {AddressInfo} from "node:net";
import os from "node:os";
import path from "node:path";
import {after, before, describe, test} from "node:test";
import {ndjson, runCli} from "../../support/cli.js";
import {BIN, ROOT, STORIES} from "../../support/paths.js";

describe("the built-in demo model", () => {
    let tmp: string;
    let server: http.Server;
    let requests = 0;
    let env: Record<string, string | undefined>;
    before(async () => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llmgen-builtin-"));
        fs.mkdirSync(path.join(tmp, "models"));
        server = http.createServer((_req, res) => {
            requests++;
            res.writeHead(500).end();
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as AddressInfo).port;
        env = {HOME: tmp, LLMGEN_MODELS_DIR: path.join(tmp, "models"), LLMGEN_MODEL: undefined, HF_ENDPOINT: `http://127.0.0.1:${port}/`,
            XDG_CACHE_HOME: undefined};
    });
    after(async () => {
        await new Promise((resolve) => server.close(resolve));
        fs.rmSync(tmp, {recursive: true, force: true});
    });

    test("piped: the main job runs on it, stderr stays empty, nothing is downloaded", async () => {
        const r = await runCli(["Once upon a time", "--top-p", "0.9", "-n", "16", "--seed", "1"], {env});
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, "");
        assert.ok(r.stdout.length > 10);
        const same = await runCli(["-m", STORIES(), "Once upon a time", "--top-p", "0.9", "-n", "16", "--seed", "1"], {env});
        assert.equal(r.stdout, same.stdout, "it is stories260K");
        const json = ndjson((await runCli(["Once upon a time", "-n", "2", "--json"], {env})).stdout);
        assert.equal(json[0]!.type, "prompt");
        assert.equal((json[0]!.tokens as number[])[0], 1, "stories260K's BOS");
        assert.equal(requests, 0);
    });

    test("a model in the models folder is preferred to the built-in one", async () => {
        fs.copyFileSync(path.join(ROOT, "test", "fixtures", "llama-2-tiny-random.gguf"), path.join(tmp, "models", "mine.gguf"));
        try {
            const r = await runCli(["-n", "2", "--json", "--verbose", "x"], {env});
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stderr, /mine\.gguf/);
        } finally {
            fs.rmSync(path.join(tmp, "models", "mine.gguf"));
        }
    });

    test("on a terminal: one stderr line says it is the demo model and how to get a real one; still no download",
        {skip: spawnSync("python3", ["--version"]).status !== 0 && "python3 is needed to drive a pseudo-terminal"}, () => {
            const r = spawnSync("python3", [path.join(ROOT, "test", "support", "ptyDrive.py"), "env", ...Object.entries(env).filter(([, v]) => v === undefined).flatMap(([k]) => ["-u", k]),
                ...Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`),
                process.execPath, BIN, "Once upon a time", "-n", "8"], {input: JSON.stringify([{expect: "tok/s", timeout: 60}]), encoding: "utf8"});
            const out = JSON.parse(r.stdout) as {ok: boolean; output: string; exit: number};
            assert.ok(out.ok, out.output);
            assert.equal(out.exit, 0);
            const lines = out.output.split("\n").filter((l) => /built-in 260K-parameter TinyStories demo model/.test(l));
            assert.equal(lines.length, 1, out.output);
            assert.match(lines[0]!, /llmgen pull llama3\.2-1b/);
            assert.equal(requests, 0, "no download on a terminal either");
        });
});
