/**
 * `GET /containers/:ref/logs`: the container's log lines as a JSON array,
 * streamed from the log file with the socket's backpressure, never read whole.
 * Each element is on a line of its own (`[`, then one `{...},` per line, then
 * `]`), so a client may parse the body whole or read it line by line as it
 * arrives, the way `berth logs` does. A read error after the first bytes cuts
 * the connection, so a partial answer never looks complete (it lacks the `]`).
 */
import type { ServerResponse } from "node:http";
import type { ContainerService } from "../service/index.js";
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

export function logsRoute(service: ContainerService): Handler {
  return async ({ res, ref }) => {
    // Resolving the reference and reading the first line come before the status line,
    // so a bad reference or an unreadable log is still a typed error answer.
    const lines = service.logLines(ref)[Symbol.asyncIterator]();
    let next = await lines.next();
    res.writeHead(200, { "content-type": "application/json" });
    let chunk = "[";
    let first = true;
    try {
      while (!next.done) {
        chunk += `${first ? "\n" : ",\n"}${JSON.stringify(next.value)}`;
        first = false;
        if (chunk.length >= CHUNK) {
          const more = res.write(chunk);
          chunk = "";
          if (!more) await writable(res);
          if (res.destroyed) return;
        }
        next = await lines.next();
      }
    } finally {
      await lines.return?.();
    }
    res.end(`${chunk}\n]\n`);
  };
}
