/**
 * Part of `npm run build`: bundles the CLI over tsc's dist/src/cli/main.js.
 *
 * Why: as separate ES modules, `berth ps` loaded about 70 files (the client's
 * barrels reach the machines, xstate, zod, the image store and tar-stream),
 * and resolving, reading and compiling them cost most of its start-up.
 * Bundled and tree-shaken, a verb loads the entry (commander and the verb
 * table) and one chunk of what it calls.
 *
 * `berth serve` stays tsc's output, loaded from dist/src/cli/serve.js: the
 * daemon's start-up does not matter, and bundling it would put a second copy
 * of every module in the process next to the library's (dist/src/index.js).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { build } from "rolldown";
import { repoRoot } from "../src/harness/repo.js";

const root = repoRoot();
const src = join(root, "src") + "/";
const outDir = join(root, "dist", "src", "cli");

await rm(join(outDir, "chunks"), { recursive: true, force: true });
await build({
  input: join(src, "cli", "main.ts"),
  platform: "node",
  tsconfig: join(root, "tsconfig.json"),
  // Native addons cannot be bundled; serve.js is the daemon (see above).
  external: [/^node:/, "classic-level", "node-unix-socket", /\/serve\.js$/],
  treeshake: {
    // berth's own modules do nothing when imported, so a module none of whose
    // exports a verb uses is left out, and with it what it imports (xstate,
    // zod, tar-stream). Packages keep their own sideEffects declarations.
    moduleSideEffects: (id) => !id.startsWith(src),
  },
  output: {
    dir: outDir,
    format: "esm",
    entryFileNames: "main.js",
    chunkFileNames: "chunks/[name]-[hash].js",
    sourcemap: true,
    minify: true,
    // Error classes and commander name themselves after their constructor.
    keepNames: true,
  },
});
