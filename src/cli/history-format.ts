/**
 * `berth history C` as a table people can read: each request with the facts
 * it caused indented under it, exit codes on `died` rows, and errors in a
 * last column cut to a bounded width unless `--no-trunc` asks for all of it.
 */
import type { CloudEvent } from "../events/index.js";
import { actionLabel, byRequest, errorText, outcomeWord } from "./event-words.js";
import { printable, table } from "./format.js";

/** Wide enough for berth's own messages' gist; `--no-trunc` shows the rest. */
export const ERROR_WIDTH = 60;

/** `text` cut to `width` characters, ending with "…" when anything was cut. */
export function clip(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join("")}…`;
}

export interface HistoryOptions {
  /** Show each error whole. */
  noTrunc?: boolean;
}

/** The history table; `events` are one container's stream, in journal order. */
export function historyTable(events: CloudEvent[], opts: HistoryOptions = {}): string {
  const rows = byRequest(events).flatMap((group) =>
    group.map((e, i) => {
      const error = errorText(e);
      return [
        String(e.version),
        String(e.seq),
        e.time,
        // Indented: caused by the request (or first event) above it.
        `${i === 0 ? "" : "  "}${actionLabel(e)}`,
        outcomeWord(e),
        e.actor,
        // Cut after escaping, so an escape sequence cannot stretch the column.
        opts.noTrunc ? error : clip(printable(error), ERROR_WIDTH),
      ];
    }),
  );
  return table(["VERSION", "SEQ", "TIME", "ACTION", "OUTCOME", "ACTOR", "ERROR"], rows);
}
