/**
 * Container logs in conmon's k8s-file format: one record per line,
 * `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`, where `P` marks a
 * fragment of a longer line (or a line cut at the buffer size) that continues
 * in the next record of the same stream, up to the one marked `F`.
 */
import * as fs from "node:fs/promises";
import { errnoCode } from "./fsutil.js";
import type { LogLine } from "./types.js";

const RECORD = /^(\S+) (stdout|stderr) ([FP])(?: (.*))?$/;

type Stream = LogLine["stream"];

/**
 * The lines of a k8s-file log. Fragments are joined per stream (stdout and
 * stderr interleave freely) and the joined line takes the time of its first
 * fragment. A trailing fragment with no final record yet (the process wrote
 * no newline) is still returned. Every record ends with a newline: a torn
 * last record is skipped, and so are malformed ones.
 */
export function parseK8sLog(text: string): LogLine[] {
  const lines: LogLine[] = [];
  const pending = new Map<Stream, LogLine>();
  const records = text.split("\n");
  // Whatever follows the last newline is a record still being written.
  records.pop();
  for (const record of records) {
    const match = RECORD.exec(record);
    if (!match) continue;
    const [, time = "", streamName, tag, content = ""] = match;
    const stream = streamName as Stream;
    const head = pending.get(stream);
    const line = head ? { ...head, text: head.text + content } : { time, stream, text: content };
    if (tag === "P") {
      pending.set(stream, line);
    } else {
      pending.delete(stream);
      lines.push(line);
    }
  }
  lines.push(...pending.values());
  return lines;
}

/** The parsed log at `file`; no file yet means no lines. */
export async function readK8sLog(file: string): Promise<LogLine[]> {
  try {
    return parseK8sLog(await fs.readFile(file, "utf8"));
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return [];
    throw err;
  }
}
