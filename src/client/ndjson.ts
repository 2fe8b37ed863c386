/**
 * Reading the NDJSON event stream: one CloudEvent per line, blank lines are
 * keep-alives, and an `{"error": {...}}` line is the daemon ending the stream
 * with a typed error (such as SLOW_CONSUMER), thrown here as that error.
 */
import { errorFromWire } from "../errors.js";
import type { CloudEvent } from "../events/index.js";

type WireLine = CloudEvent | { error: { code: string; message: string }; specversion?: undefined };

function parseLine(line: string): CloudEvent {
  const value = JSON.parse(line) as WireLine;
  if (value.specversion === undefined && "error" in value) throw errorFromWire(value.error);
  return value;
}

/** Events from a stream of text chunks (set the stream's encoding so characters are whole). */
export async function* ndjsonEvents(input: AsyncIterable<string>): AsyncGenerator<CloudEvent[]> {
  let rest = "";
  for await (const chunk of input) {
    const text = rest + chunk;
    const end = text.lastIndexOf("\n");
    if (end < 0) {
      rest = text;
      continue;
    }
    rest = text.slice(end + 1);
    const batch: CloudEvent[] = [];
    let start = 0;
    while (start < end) {
      const nl = text.indexOf("\n", start);
      if (nl > start) batch.push(parseLine(text.slice(start, nl)));
      start = nl + 1;
    }
    if (batch.length > 0) yield batch;
  }
  if (rest.trim() !== "") yield [parseLine(rest)];
}
