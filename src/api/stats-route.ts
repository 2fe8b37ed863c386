/**
 * `GET /containers/:ref/stats`: one sample through the operation table, or
 * with `?stream=1` one JSON line a second (NDJSON) until the client goes away
 * or the container stops running. An error after the first line ends the
 * stream with an `{"error": {code, message}}` line, so a reader knows why it ended.
 */
import type { ContainerService } from "../service/index.js";
import { errorAnswer } from "./operation.js";
import type { OperationTable } from "./operation-table.js";
import { flag, pathAndQuery, serve } from "./route-input.js";
import type { Handler } from "./router.js";

export function statsRoute(service: ContainerService, ops: OperationTable): Handler {
  const once = serve(ops.stats, pathAndQuery());
  return async (ctx) => {
    if (!flag(ctx.url, "stream")) return once(ctx);
    const { res, ref } = ctx;
    const abort = new AbortController();
    res.once("close", () => abort.abort());
    const samples = service.looks.statsStream(ref, abort.signal)[Symbol.asyncIterator]();
    // The first sample comes before the status line, so a refusal is still a typed error answer.
    let next = await samples.next();
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    try {
      while (!next.done && !res.destroyed) {
        res.write(`${JSON.stringify(next.value)}\n`);
        next = await samples.next();
      }
    } catch (err) {
      res.write(`${JSON.stringify(errorAnswer(err))}\n`);
    } finally {
      abort.abort();
      await samples.return?.(undefined);
    }
    res.end();
  };
}
