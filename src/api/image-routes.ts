/**
 * The image routes: the operation table's image verbs, plus two that only a
 * byte stream can carry: an archive upload (`POST /images`, body the tar) and
 * a pull whose progress is streamed (`POST /images/pull`, NDJSON).
 */
import { localName } from "../images/index.js";
import { PayloadTooLargeError } from "../errors.js";
import type { ContainerService } from "../service/index.js";
import { readJson, sendJson } from "./http-io.js";
import { errorAnswer } from "./operation.js";
import { operationTable } from "./operation-table.js";
import { body, bodyOnly, flag, pathAndQuery, serve } from "./route-input.js";
import type { Handler } from "./router.js";
import { ImagePruneBody, ImagePullBody, ImageTagBody, ImportImageBody } from "./schemas.js";

/** How large an uploaded image archive may be, unless the daemon says otherwise (4 GiB). */
export const DEFAULT_MAX_IMPORT_BYTES = 4 * 1024 ** 3;

/** What the image routes may be told by the daemon's options. */
export interface ImageRouteOptions {
  /** The largest image archive `POST /images` accepts, in bytes. */
  maxImportBytes?: number;
}

/**
 * `POST /images[?name=NAME]` with the archive as the body imports it; a JSON
 * body is the admin's import of a file on the daemon's own host (forceLocal).
 */
export function importRoute(service: ContainerService, local: Handler, limit: number): Handler {
  return async (ctx) => {
    const type = ctx.req.headers["content-type"] ?? "";
    if (type.startsWith("application/json")) return local(ctx);
    const name = ctx.url.searchParams.get("name") ?? undefined;
    const declared = Number(ctx.req.headers["content-length"] ?? 0);
    try {
      if (name !== undefined) localName(name);
      if (declared > limit) {
        throw new PayloadTooLargeError(
          `archive of ${declared} bytes is larger than the daemon's --max-import-bytes ${limit}`,
        );
      }
    } catch (err) {
      // Refused before any of it is stored; the body is read and dropped so the
      // client, still sending, gets this answer rather than a broken pipe.
      ctx.req.resume();
      throw err;
    }
    sendJson(ctx.res, 201, await service.importUpload(ctx.req, name, limit, ctx.meta));
  };
}

/**
 * `POST /images/pull`: the answer is NDJSON, one `{"progress": …}` line per
 * blob update (at most every 100 ms per blob) and a last line `{"image": …}`
 * or `{"error": …}`. A refusal before the pull starts (a bad reference) is a
 * plain JSON error. A client that goes away cancels the pull; what it stored
 * stays unreferenced until a prune, and nothing is journaled.
 */
function pullRoute(service: ContainerService): Handler {
  return async ({ req, res, meta }) => {
    const request = await readJson(req, ImagePullBody);
    const stop = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) stop.abort();
    });
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    const last = new Map<string, number>();
    const line = (value: unknown) => {
      if (!res.destroyed) res.write(`${JSON.stringify(value)}\n`);
    };
    try {
      const image = await service.images.pull(
        {
          ...request,
          signal: stop.signal,
          onProgress: (p) => {
            const now = Date.now();
            const done = p.skipped || p.received >= p.size;
            if (!done && now - (last.get(p.digest) ?? 0) < 100) return;
            last.set(p.digest, now);
            line({ progress: p });
          },
        },
        meta,
      );
      line({ image });
    } catch (err) {
      line(errorAnswer(err));
    }
    res.end();
  };
}

/** Every image route. */
export function imageRoutes(
  service: ContainerService,
  options: ImageRouteOptions = {},
): Record<string, Handler> {
  const ops = operationTable(service);
  return {
    "POST /images": importRoute(
      service,
      serve(ops.import, bodyOnly(ImportImageBody)),
      options.maxImportBytes ?? DEFAULT_MAX_IMPORT_BYTES,
    ),
    "GET /images": serve(ops.images, () => ({})),
    "POST /images/pull": pullRoute(service),
    "POST /images/prune": serve(ops["image-prune"], bodyOnly(ImagePruneBody)),
    "GET /images/:ref": serve(ops["image-inspect"], pathAndQuery()),
    "POST /images/:ref/tag": serve(ops.tag, body(ImageTagBody)),
    "POST /images/:ref/untag": serve(ops.untag, body(ImageTagBody)),
    "DELETE /images/:ref": serve(
      ops.rmi,
      pathAndQuery((url) => ({ force: flag(url, "force") })),
    ),
  };
}
