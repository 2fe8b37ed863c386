/**
 * The HTTP adapter of the operation table: each route names its operation and
 * gathers the operation's raw input from the path, the query and the JSON
 * body; the table validates and runs it. Artifacts (raw bytes), image
 * uploads, export streams and refresh are HTTP-only and stay plain routes.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { z } from "zod";
import { localName } from "../images/index.js";
import { InvalidArgError, PayloadTooLargeError } from "../errors.js";
import type { ContainerState } from "../machines/index.js";
import { CONTAINER_STATES } from "../machines/index.js";
import type { ContainerService } from "../service/index.js";
import { readBytes, readJson, sendJson } from "./http-io.js";
import { logsRoute } from "./logs-route.js";
import type { Operation } from "./operation.js";
import { operationTable } from "./operation-table.js";
import type { Handler, RouteContext } from "./router.js";
import {
  BatchBody,
  CheckpointBody,
  CreateBody,
  EmptyBody,
  ImportImageBody,
  KillBody,
  StopBody,
} from "./schemas.js";
import { VolumeCreateBody } from "./volume-schemas.js";

const flag = (url: URL, name: string) => ["1", "true"].includes(url.searchParams.get(name) ?? "");

/**
 * A whole number from the query, in plain digits: `1e21`, `0x10` or `1.0`
 * are refused here, and the operation's schema bounds the value.
 */
function number(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^\d{1,16}$/.test(raw))
    throw new InvalidArgError(`invalid ${name} ${JSON.stringify(raw)}: use a whole number`);
  return Number(raw);
}

function conditions(url: URL): ContainerState[] {
  return url.searchParams.getAll("condition").map((c) => {
    if (!(CONTAINER_STATES as readonly string[]).includes(c)) {
      throw new InvalidArgError(
        `invalid wait condition ${JSON.stringify(c)}: use one of ${CONTAINER_STATES.join(", ")}`,
      );
    }
    return c as ContainerState;
  });
}

type RawInput = (ctx: RouteContext) => Promise<object> | object;

/** Serves `op` over HTTP: 201 for an operation that creates, 200 otherwise. */
function serve(op: Operation, input: RawInput): Handler {
  return async (ctx) => {
    const answer = await op.run(await input(ctx), ctx.meta);
    sendJson(ctx.res, op.answer === "created" ? 201 : 200, answer);
  };
}

/**
 * The body, checked against what this route's body may carry (a field it
 * does not name is refused), plus the path's container and any query values.
 */
const body =
  (schema: z.ZodType<object>, query: (url: URL) => object = () => ({})): RawInput =>
  async ({ req, ref, url }) => ({ ...(await readJson(req, schema)), ref, ...query(url) });

/** The container in the path and the query values; the body is not read. */
const pathAndQuery =
  (query: (url: URL) => object = () => ({})): RawInput =>
  ({ ref, url }) => ({ ref, ...query(url) });

/** How large an uploaded image archive may be, unless the daemon says otherwise (4 GiB). */
export const DEFAULT_MAX_IMPORT_BYTES = 4 * 1024 ** 3;

/** What the routes may be told by the daemon's options. */
export interface ContainerRouteOptions {
  /** The largest image archive `POST /images` accepts, in bytes. */
  maxImportBytes?: number;
}

/**
 * `POST /images[?name=NAME]` with the archive as the body imports it; a JSON
 * body is the admin's import of a file on the daemon's own host (forceLocal).
 */
function importRoute(service: ContainerService, local: Handler, limit: number): Handler {
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
 * `GET /containers/<ref>/export`: the root filesystem as a tar stream. The
 * daemon exports into a private staging file, streams it, and removes it
 * when the stream ends, fails or the client goes away.
 */
function exportRoute(service: ContainerService): Handler {
  return async ({ res, ref, meta }) => {
    const { file, record } = await service.exportRootfs(ref, meta);
    try {
      const { size } = await stat(file);
      res.writeHead(200, {
        "content-type": "application/x-tar",
        "content-length": size,
        "x-berth-container": record.id,
      });
      await pipeline(createReadStream(file), res);
    } finally {
      await service.discardStaged(file);
    }
  };
}

/** Routes for every operation of the table, and the HTTP-only artifact and archive routes. */
export function containerRoutes(
  service: ContainerService,
  options: ContainerRouteOptions = {},
): Record<string, Handler> {
  const ops = operationTable(service);
  const bodyOnly =
    (schema: z.ZodType<object>): RawInput =>
    ({ req }) =>
      readJson(req, schema);
  return {
    "POST /images": importRoute(
      service,
      serve(ops.import, bodyOnly(ImportImageBody)),
      options.maxImportBytes ?? DEFAULT_MAX_IMPORT_BYTES,
    ),
    "POST /containers": serve(ops.create, bodyOnly(CreateBody)),
    "GET /containers": serve(ops.ps, ({ url }) => ({ all: url.searchParams.get("all") === "1" })),
    "GET /containers/:ref": serve(ops.inspect, pathAndQuery()),
    "GET /containers/:ref/logs": logsRoute(service),
    "GET /containers/:ref/history": serve(ops.history, pathAndQuery()),
    "POST /containers/:ref/init": serve(ops.init, body(EmptyBody)),
    "POST /containers/:ref/pause": serve(ops.pause, body(EmptyBody)),
    "POST /containers/:ref/unpause": serve(ops.unpause, body(EmptyBody)),
    "POST /containers/:ref/cleanup": serve(ops.cleanup, body(EmptyBody)),
    "POST /containers/:ref/sync": serve(ops.sync, body(EmptyBody)),
    "POST /containers/:ref/start": serve(
      ops.start,
      body(EmptyBody, (url) => ({ recursive: flag(url, "recursive") })),
    ),
    "POST /containers/:ref/stop": serve(ops.stop, body(StopBody)),
    "POST /containers/:ref/restart": serve(ops.restart, body(StopBody)),
    "POST /containers/:ref/kill": serve(ops.kill, body(KillBody)),
    "POST /containers/:ref/mount": serve(ops.mount, body(EmptyBody)),
    "POST /containers/:ref/unmount": serve(
      ops.unmount,
      body(EmptyBody, (url) => ({ force: flag(url, "force") })),
    ),
    "GET /containers/:ref/export": exportRoute(service),
    "POST /containers/:ref/checkpoint": serve(ops.checkpoint, body(CheckpointBody)),
    "POST /containers/:ref/restore": serve(ops.restore, body(CheckpointBody)),
    "POST /containers/:ref/batch": serve(ops.batch, body(BatchBody)),
    "DELETE /containers/:ref": serve(
      ops.rm,
      pathAndQuery((url) => ({ force: flag(url, "force"), timeout: number(url, "timeout") })),
    ),
    "POST /containers/:ref/wait": serve(
      ops.wait,
      pathAndQuery((url) => ({ conditions: conditions(url), interval: number(url, "interval") })),
    ),
    "PUT /containers/:ref/artifacts/:name": async ({ req, res, ref, name }) => {
      sendJson(res, 201, await service.addArtifact(ref, name, await readBytes(req)));
    },
    "GET /containers/:ref/artifacts/:name": async ({ res, ref, name }) => {
      const data = await service.getArtifact(ref, name);
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": data.length,
      });
      res.end(data);
    },
    "DELETE /containers/:ref/artifacts/:name": async ({ res, ref, name }) => {
      await service.removeArtifact(ref, name);
      sendJson(res, 200, { removed: name });
    },
    "POST /refresh": () => service.refresh(),
    "POST /volumes": serve(ops["volume-create"], bodyOnly(VolumeCreateBody)),
    "GET /volumes": serve(ops["volume-ls"], () => ({})),
    "GET /volumes/:name": serve(ops["volume-inspect"], ({ name }) => ({ name })),
    "DELETE /volumes/:name": serve(ops["volume-rm"], ({ name, url }) => ({
      name,
      force: flag(url, "force"),
    })),
    "POST /volumes/prune": serve(ops["volume-prune"], bodyOnly(EmptyBody)),
  };
}
