/**
 * Container logs in conmon's k8s-file format: one record per line,
 * `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`, where `P` marks a
 * fragment of a longer line (or a line cut at the buffer size) that continues
 * in the next record of the same stream, up to the one marked `F`.
 *
 * A log can be as large as conmon's `--log-size-max` allows, so it is read as
 * a stream of lines, never whole.
 */
import { createReadStream } from "node:fs";
import { errnoCode } from "./fsutil.js";
import type { LogLine } from "./types.js";

const RECORD = /^(\S+) (stdout|stderr) ([FP])(?: (.*))?$/;

type Stream = LogLine["stream"];

/**
 * Turns records into lines, one record at a time. Fragments are joined per
 * stream (stdout and stderr interleave freely) and the joined line takes the
 * time of its first fragment. Malformed records are skipped.
 */
export class LineJoiner {
  private readonly pending = new Map<Stream, LogLine>();

  /** The line this record completes, if it completes one. */
  push(record: string): LogLine | undefined {
    const match = RECORD.exec(record);
    if (!match) return undefined;
    const [, time = "", streamName, tag, content = ""] = match;
    const stream = streamName as Stream;
    const head = this.pending.get(stream);
    const line = head ? { ...head, text: head.text + content } : { time, stream, text: content };
    if (tag === "P") {
      this.pending.set(stream, line);
      return undefined;
    }
    this.pending.delete(stream);
    return line;
  }

  /** Lines still waiting for their final record (the process wrote no newline yet). */
  rest(): LogLine[] {
    return [...this.pending.values()];
  }
}

/**
 * The lines of a k8s-file log. A trailing fragment with no final record yet
 * is still returned. Every record ends with a newline: a torn last record is
 * skipped, and so are malformed ones.
 */
export function parseK8sLog(text: string): LogLine[] {
  const joiner = new LineJoiner();
  const lines: LogLine[] = [];
  const records = text.split("\n");
  // Whatever follows the last newline is a record still being written.
  records.pop();
  for (const record of records) {
    const line = joiner.push(record);
    if (line) lines.push(line);
  }
  lines.push(...joiner.rest());
  return lines;
}

/**
 * The lines of the log at `file`, read a chunk at a time, with the same rules
 * as `parseK8sLog`; no file yet means no lines. Only the current chunk and
 * any unfinished line are held in memory.
 */
export async function* streamK8sLog(file: string): AsyncGenerator<LogLine> {
  const joiner = new LineJoiner();
  let partial = "";
  try {
    for await (const chunk of createReadStream(file, {
      encoding: "utf8",
    }) as AsyncIterable<string>) {
      const records = (partial + chunk).split("\n");
      partial = records.pop() ?? "";
      for (const record of records) {
        const line = joiner.push(record);
        if (line) yield line;
      }
    }
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return;
    throw err;
  }
  yield* joiner.rest();
}

/** The parsed log at `file`, whole; for small logs and callers that need an array. */
export async function readK8sLog(file: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of streamK8sLog(file)) lines.push(line);
  return lines;
}
