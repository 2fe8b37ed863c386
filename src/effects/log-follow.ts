/**
 * Following a container's k8s-file log as conmon writes it, the way
 * `tail -F` does: by the file's inode and size, not by its name alone.
 *
 * conmon appends to the same file when the container starts again, and at
 * `--log-size-max` it writes a fresh file and renames it over the old one
 * (a new inode). An in-place truncation shows as a size below the position
 * read. In each case the old file is read to its end before the new one is
 * opened, so nothing written before the switch is lost and nothing is read
 * twice.
 */
import { open, stat, type FileHandle } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { setTimeout as sleep } from "node:timers/promises";
import { errnoCode } from "./fsutil.js";
import { LineJoiner } from "./logs.js";
import type { FollowItem, FollowOptions } from "./types.js";

/** How often the file and the end condition are looked at while nothing new arrives. */
const DEFAULT_POLL_MS = 100;
const READ_SIZE = 64 * 1024;

async function inodeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).ino;
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw err;
  }
}

/** One open log file and how far it has been read. */
class OpenLog {
  private position = 0;
  private partial = "";
  private decoder = new StringDecoder("utf8");
  private readonly buffer = Buffer.alloc(READ_SIZE);

  private constructor(
    private readonly handle: FileHandle,
    readonly inode: number,
  ) {}

  static async open(file: string): Promise<OpenLog | undefined> {
    try {
      const handle = await open(file, "r");
      return new OpenLog(handle, (await handle.stat()).ino);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw err;
    }
  }

  /** The whole records written since the last read; starts over if the file shrank under it. */
  async *records(): AsyncGenerator<string> {
    if ((await this.handle.stat()).size < this.position) {
      this.position = 0;
      this.partial = "";
      this.decoder = new StringDecoder("utf8");
    }
    for (;;) {
      const { bytesRead } = await this.handle.read(this.buffer, 0, READ_SIZE, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      const records = (this.partial + this.decoder.write(this.buffer.subarray(0, bytesRead))).split(
        "\n",
      );
      this.partial = records.pop() ?? "";
      yield* records;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/**
 * The log's lines from its start, then each line as it is written, until
 * `ended()` and the file is drained, or the signal aborts. A `caughtUp` mark
 * comes once, after the lines that were there at the start.
 */
export async function* followK8sLog(
  file: string,
  options: FollowOptions,
): AsyncGenerator<FollowItem> {
  const { signal, pollMs = DEFAULT_POLL_MS } = options;
  const joiner = new LineJoiner();
  let log: OpenLog | undefined;
  let caughtUp = false;
  try {
    for (;;) {
      if (signal?.aborted) return;
      const ending = options.ended();
      const inode = await inodeOf(file);
      if (log && inode !== undefined && inode !== log.inode) {
        // Replaced: conmon finished the old file before the rename, so read it to its end first.
        for await (const record of log.records()) {
          const line = joiner.push(record);
          if (line) yield { line };
        }
        await log.close();
        log = undefined;
      }
      log ??= inode === undefined ? undefined : await OpenLog.open(file);
      if (log) {
        for await (const record of log.records()) {
          const line = joiner.push(record);
          if (line) yield { line };
        }
      }
      if (!caughtUp) {
        caughtUp = true;
        yield { caughtUp: true };
      }
      if (ending) break;
      // An abort rejects the sleep; the loop then sees the signal and returns.
      await sleep(pollMs, undefined, signal ? { signal } : {}).catch(() => undefined);
    }
    for (const line of joiner.rest()) yield { line };
  } finally {
    await log?.close();
  }
}
