/**
 * Part of `npm run build`: bundles the CLI into dist/src/cli/berth.cjs.
 *
 * Why: as separate ES modules, `berth ps` loaded about 70 files (the client's
 * barrels reach the machines, xstate, zod, the image store and tar-stream),
 * and resolving, reading and compiling them cost most of its start-up.
 * Bundled and tree-shaken, a verb loads the entry (commander and the verb
 * table) and one chunk of what it calls.
 *
 * Why CommonJS: node 20 starts its ES module loader only for an ES module
 * entry, and that loader, with the ESM facade of every builtin it imports,
 * cost `berth ps` about 40 ms more than the same bundle as CommonJS
 * (bench/cli.ts, one run: +96 against +51 ms over `node -e 0`). tsc's
 * unbundled main.js and entry.js are removed, so nothing runs the slow entry.
 *
 * `berth serve` stays tsc's output, loaded from dist/src/cli/serve.js: the
 * daemon's start-up does not matter, and bundling it would put a second copy
 * of every module in the process next to the library's (dist/src/index.js).
 */
import { chmod, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { build } from "rolldown";
import { repoRoot } from "../src/harness/repo.js";

const root = repoRoot();
const { version } = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
  version: string;
};
const src = join(root, "src") + "/";
const outDir = join(root, "dist", "src", "cli");

await rm(join(outDir, "chunks"), { recursive: true, force: true });
/**
 * commander loads node:child_process up front for executable subcommands,
 * which berth does not have; loading it (and dgram behind it) cost every verb
 * a few ms. commander gets a stand-in that loads it on first use.
 */
const LAZY_CHILD_PROCESS = "\0lazy-child-process";
const resolveLazily = (source: string, importer: string | undefined) =>
  importer?.includes("/node_modules/commander/") && /^(node:)?child_process$/.test(source)
    ? LAZY_CHILD_PROCESS
    : null;
const lazyChildProcess = {
  name: "lazy-child-process",
  resolveId: resolveLazily,
  load: (id: string) =>
    id === LAZY_CHILD_PROCESS
      ? // The bundle is CommonJS, so this `require` is the module's own.
        `export const spawn = (...args) => require("node:child_process").spawn(...args);`
      : null,
};

await build({
  input: join(src, "cli", "entry.ts"),
  plugins: [lazyChildProcess],
  platform: "node",
  transform: { define: { BERTH_VERSION: JSON.stringify(version) } },
  tsconfig: join(root, "tsconfig.json"),
  // Native addons cannot be bundled; serve.js is the daemon (see above).
  external: (id, importer) =>
    (/^node:/.test(id) && resolveLazily(id, importer) === null) ||
    ["classic-level", "node-unix-socket"].includes(id) ||
    /\/serve\.js$/.test(id),
  treeshake: {
    // berth's own modules do nothing when imported, so a module none of whose
    // exports a verb uses is left out, and with it what it imports (xstate,
    // zod, tar-stream). Packages keep their own sideEffects declarations.
    // main.ts is the exception: running is all it does.
    moduleSideEffects: (id) => !id.startsWith(src) || id === join(src, "cli", "main.ts"),
  },
  output: {
    dir: outDir,
    format: "cjs",
    entryFileNames: "berth.cjs",
    chunkFileNames: "chunks/[name]-[hash].cjs",
    sourcemap: true,
    minify: true,
    // Error classes and commander name themselves after their constructor.
    keepNames: true,
  },
});
await Promise.all(
  ["main", "entry"]
    .flatMap((name) => [`${name}.js`, `${name}.js.map`, `${name}.d.ts`])
    .map((f) => rm(join(outDir, f), { force: true })),
);
// Caches of the last build's files (src/cli/code-cache.ts): V8 would refuse them, but not at once.
await rm(join(outDir, ".code-cache"), { recursive: true, force: true });
await chmod(join(outDir, "berth.cjs"), 0o755);
