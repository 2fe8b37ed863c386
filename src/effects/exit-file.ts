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
  return readExitAt(files.exitFile, path.join(files.persist, "oom"));
}

/**
 * The exit that `clearExitFiles` set aside: how the previous run ended. It is
 * the only evidence of that exit code until its `died` event is journaled, so
 * a reconcile after a crash between clearing and journaling reads it here.
 */
export function readPreviousExitFile(files: ExitFiles): Promise<ExitInfo | undefined> {
  return readExitAt(previousExit(files), path.join(files.persist, "oom.prev"));
}

const previousExit = (files: ExitFiles) => path.join(files.persist, "exit.prev");

async function readExitAt(file: string, oomMarker: string): Promise<ExitInfo | undefined> {
  let text: string;
  let mtime: Date;
  try {
    const handle = await fs.open(file, "r");
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
    exitCode: parseExitCode(text, file),
    exitedAt: mtime.toISOString(),
    oomKilled: await pathExists(oomMarker),
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

/**
 * Clears the way for a new run: the exit file and OOM marker are set aside
 * (see `readPreviousExitFile`), not deleted, because the caller journals the
 * old run's death only after the new run started. Idempotent.
 */
export async function clearExitFiles(files: ExitFiles): Promise<void> {
  await fs.mkdir(files.persist, { recursive: true });
  const oom = path.join(files.persist, "oom");
  if (await pathExists(files.exitFile)) {
    await fs.rm(path.join(files.persist, "oom.prev"), { force: true });
    // rename keeps the mtime, which is the exit time.
    await fs.rename(files.exitFile, previousExit(files));
    if (await pathExists(oom)) await fs.rename(oom, path.join(files.persist, "oom.prev"));
  }
  await Promise.all([path.join(files.persist, "exit"), oom].map((f) => fs.rm(f, { force: true })));
}
