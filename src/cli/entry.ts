#!/usr/bin/env node
/**
 * The CLI's entry, bundled as dist/src/cli/berth.cjs: it turns on the code
 * cache (code-cache.ts) before the rest of the bundle is compiled, then runs
 * main.ts.
 */
import { useCodeCache } from "./code-cache.js";

// The bundle is CommonJS (scripts/bundle-cli.ts): `module` and `__dirname` are this file's.
useCodeCache(__dirname, module.constructor as unknown as Parameters<typeof useCodeCache>[1]);
void import("./main.js");
