#!/usr/bin/env node
// The llmgen executable: runs the compiled CLI (npm install / npm ci build it via the prepare script).
import {main} from "../dist/src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
