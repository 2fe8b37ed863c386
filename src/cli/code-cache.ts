/**
 * A V8 code cache for the CLI's own bundle files, kept beside them.
 *
 * Why: node 20 has no compile cache (22's module.enableCompileCache), and
 * compiling the bundle's functions again on every run was about 6 ms of
 * `berth ps` (bench/cli.ts). A cache made before anything ran holds only the
 * top level and saved nothing, so each file's cache is written after the first
 * run that compiled it, when the process exits, and holds what that run
 * compiled. V8 refuses a cache made by another node or for another source;
 * that file is then compiled as usual and its cache written again.
 *
 * The cache lives in the bundle's own folder, so only whoever may change the
 * code may change its cache; where that folder is not writable, nothing is
 * written and every run compiles as before.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Script } from "node:vm";

/** The parts of node's CommonJS Module that the hook uses; `module.constructor` is that class. */
interface ModuleClass {
  prototype: { _compile: (this: CjsModule, content: string, filename: string) => unknown };
  wrap(source: string): string;
  createRequire(filename: string): NodeJS.Require;
}
interface CjsModule {
  exports: unknown;
}
type Wrapper = (
  exports: unknown,
  require: NodeJS.Require,
  module: CjsModule,
  filename: string,
  dirname: string,
) => unknown;

/** Compiles the `.cjs` files under `bundleDir` with their cache from now on. */
export function useCodeCache(bundleDir: string, moduleClass: ModuleClass): void {
  const cacheDir = join(bundleDir, ".code-cache");
  const original = moduleClass.prototype._compile;
  const fresh: { script: Script; file: string }[] = [];
  moduleClass.prototype._compile = function (this: CjsModule, content, filename) {
    // A vm.Script runs import() only with node 20's experimental loader option, which warns on
    // stderr, so a file that holds one (serve-loader.ts's) compiles as it would without the cache.
    if (
      !filename.startsWith(bundleDir + "/") ||
      !filename.endsWith(".cjs") ||
      content.includes("import(")
    )
      return original.call(this, content, filename);
    const file = join(cacheDir, `${basename(filename)}.v8`);
    const cachedData = readOrUndefined(file);
    const script = new Script(moduleClass.wrap(content.replace(/^#!.*/, "")), {
      filename,
      ...(cachedData ? { cachedData } : {}),
    });
    if (cachedData === undefined || script.cachedDataRejected === true)
      fresh.push({ script, file });
    const wrapper = script.runInThisContext() as Wrapper;
    const require = moduleClass.createRequire(filename);
    return wrapper.call(this.exports, this.exports, require, this, filename, dirname(filename));
  };
  process.once("exit", () => {
    for (const { script, file } of fresh) writeQuietly(file, script.createCachedData());
  });
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Whole or not at all (a rename over the old file); a folder we may not write is no error. */
function writeQuietly(file: string, data: Buffer): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch {
    // Read-only install, full disk: the next run compiles as this one did.
  }
}
