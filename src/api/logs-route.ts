/**
 * `GET /containers/:ref/logs`: the container's log lines as a JSON array,
 * streamed from the log file with the socket's backpressure, never read whole.
 * Each element is on a line of its own (`[`, then `{...}`, then one `,{...}`
 * per line, then `]`), so a client may parse the body whole or read it line by
 * line as it arrives, the way `berth logs` does. The comma leads the element so
 * that a followed line is whole, newline included, as soon as it is written. A read error after the first bytes cuts
 * the connection, so a partial answer never looks complete (it lacks the `]`).
 *
 * The query selects lines (`tail`, `since`, `until`) and `follow=1` keeps the
 * answer open for new lines until the container can write no more
 * (`src/api/logs-query.ts`, `ContainerService.logWindow`).
 */
import type { ServerResponse } from "node:http";
import { setImmediate } from "node:timers/promises";
import type { ContainerService } from "../service/index.js";
import { logsQuery } from "./logs-query.js";
import type { Handler } from "./router.js";

/** Characters gathered before a write: large enough for few writes, small enough to bound memory. */
const CHUNK = 64 * 1024;

/** Resolves when the socket took what was written, or the client went away. */
function writable(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

const WAITING = Symbol("waiting");

export function logsRoute(service: ContainerService): Handler {
  return async ({ res, ref, url }) => {
    const query = logsQuery(url);
    const gone = new AbortController();
    res.once("close", () => gone.abort());
    // Resolving the reference (and, unfollowed, reading the first line) comes before the
    // status line, so a bad reference or an unreadable log is still a typed error answer.
    const lines = service.logWindow(ref, query, gone.signal)[Symbol.asyncIterator]();
    let pending = lines.next();
    if (!query.follow) await pending;
    res.writeHead(200, { "content-type": "application/json" });
    let chunk = "[\n";
    let first = true;
    const flush = async () => {
      const more = res.write(chunk);
      chunk = "";
      if (!more) await writable(res);
    };
    try {
      if (query.follow) await flush();
      for (;;) {
        // A follower waits for lines that may be long in coming: what it holds goes out first.
        if (query.follow && chunk !== "") {
          const ready = await Promise.race([pending, setImmediate(WAITING)]);
          if (ready === WAITING) await flush();
        }
        const next = await pending;
        if (next.done) break;
        chunk += `${first ? "" : ","}${JSON.stringify(next.value)}\n`;
        first = false;
        if (chunk.length >= CHUNK) await flush();
        if (res.destroyed) return;
        pending = lines.next();
      }
    } finally {
      await lines.return?.();
    }
    res.end(`${chunk}]\n`);
  };
}
