/**
 * The HTTP adapter of the operation table: each route names its operation and
 * gathers the operation's raw input from the path, the query and the JSON
 * body; the table validates and runs it. Artifacts (raw bytes) and refresh
 * are HTTP-only and stay plain routes.
 */
import type { z } from "zod";
import { InvalidArgError } from "../errors.js";
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
  ExportBody,
  ImportImageBody,
  KillBody,
  StopBody,
} from "./schemas.js";

const flag = (url: URL, name: string) => ["1", "true"].includes(url.searchParams.get(name) ?? "");

function number(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgError(`invalid ${name} ${JSON.stringify(raw)}`);
  return n;
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
 * The body, checked against what this route's body may carry (so a body
 * field the route never read is still ignored, as before), plus the path's
 * container and any query values.
 */
const body =
  (schema: z.ZodType<object>, query: (url: URL) => object = () => ({})): RawInput =>
  async ({ req, ref, url }) => ({ ...(await readJson(req, schema)), ref, ...query(url) });

/** The container in the path and the query values; the body is not read. */
const pathAndQuery =
  (query: (url: URL) => object = () => ({})): RawInput =>
  ({ ref, url }) => ({ ref, ...query(url) });

/** Routes for every operation of the table, and the HTTP-only artifact routes. */
export function containerRoutes(service: ContainerService): Record<string, Handler> {
  const ops = operationTable(service);
  const bodyOnly =
    (schema: z.ZodType<object>): RawInput =>
    ({ req }) =>
      readJson(req, schema);
  return {
    "POST /images": serve(ops.import, bodyOnly(ImportImageBody)),
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
    "POST /containers/:ref/export": serve(ops.export, body(ExportBody)),
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
  };
}
