/**
 * conmon's record of how a container ended. When the container exits, conmon
 * writes the exit code as text to `<persist-dir>/exit` and then to
 * `<exit-dir>/<id>` (each atomically, via a temp file and rename), and on an
 * OOM kill it creates an empty `<persist-dir>/oom`.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { OciRuntimeError } from "../errors.js";
import { errnoCode, pathExists } from "./fsutil.js";
import type { ExitInfo } from "./types.js";

/** Where conmon writes one container's exit records. */
export interface ExitFiles {
  /** `<exit-dir>/<id>`. */
  exitFile: string;
  /** conmon's `--persist-dir` for the container. */
  persist: string;
}

/**
 * The exit recorded at `files.exitFile`, or undefined when there is none
 * (the process has not exited, or the exit was cleared). exitedAt is the
 * file's mtime: conmon writes the file as the process is reaped.
 */
export async function readExitFile(files: ExitFiles): Promise<ExitInfo | undefined> {
  let text: string;
  let mtime: Date;
  try {
    const handle = await fs.open(files.exitFile, "r");
    try {
      // Stat the open file so the time and the code come from the same file.
      mtime = (await handle.stat()).mtime;
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw err;
  }
  return {
    exitCode: parseExitCode(text, files.exitFile),
    exitedAt: mtime.toISOString(),
    oomKilled: await pathExists(path.join(files.persist, "oom")),
  };
}

/** conmon writes a decimal exit code, -1 when it could not get one. */
export function parseExitCode(text: string, source = "exit file"): number {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) {
    throw new OciRuntimeError(`${source}: malformed exit code ${JSON.stringify(text)}`);
  }
  return Number(trimmed);
}

/** Forgets a previous exit (exit file, persisted exit and OOM marker). Idempotent. */
export async function clearExitFiles(files: ExitFiles): Promise<void> {
  await Promise.all(
    [files.exitFile, path.join(files.persist, "exit"), path.join(files.persist, "oom")].map((f) =>
      fs.rm(f, { force: true }),
    ),
  );
}
