/**
 * The HTTP adapter of the operation table: each route names its operation and
 * gathers the operation's raw input from the path, the query and the JSON
 * body; the table validates and runs it. Artifacts (raw bytes), export
 * streams and refresh are HTTP-only and stay plain routes; images have theirs
 * in image-routes.ts.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { ContainerService } from "../service/index.js";
import { readBytes, sendJson } from "./http-io.js";
import { logsRoute } from "./logs-route.js";
import { statsRoute } from "./stats-route.js";
import { operationTable } from "./operation-table.js";
import { body, bodyOnly, conditions, flag, number, pathAndQuery, serve } from "./route-input.js";
import type { Handler } from "./router.js";
import {
  BatchBody,
  CheckpointBody,
  CreateBody,
  EmptyBody,
  IfNeededFlag,
  KillBody,
  StopBody,
  StopIfNeededBody,
} from "./schemas.js";
import { VolumeCreateBody } from "./volume-schemas.js";

/**
 * `GET /containers/<ref>/export`: the root filesystem as a tar stream. The
 * daemon exports into a private staging file, streams it, and removes it
 * when the stream ends, fails or the client goes away.
 */
export function exportRoute(service: ContainerService): Handler {
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
export function containerRoutes(service: ContainerService): Record<string, Handler> {
  const ops = operationTable(service);
  return {
    "POST /containers": serve(ops.create, bodyOnly(CreateBody)),
    "GET /containers": serve(ops.ps, ({ url }) => ({ all: url.searchParams.get("all") === "1" })),
    "GET /containers/:ref": serve(ops.inspect, pathAndQuery()),
    "GET /containers/:ref/logs": logsRoute(service),
    "GET /containers/:ref/history": serve(
      ops.history,
      pathAndQuery((url) => ({ all: flag(url, "all") })),
    ),
    "GET /containers/:ref/top": serve(ops.top, pathAndQuery()),
    "GET /containers/:ref/stats": statsRoute(service, ops),
    "POST /containers/:ref/init": serve(ops.init, body(EmptyBody)),
    "POST /containers/:ref/pause": serve(ops.pause, body(EmptyBody)),
    "POST /containers/:ref/unpause": serve(ops.unpause, body(EmptyBody)),
    "POST /containers/:ref/cleanup": serve(ops.cleanup, body(EmptyBody)),
    "POST /containers/:ref/sync": serve(ops.sync, body(EmptyBody)),
    "POST /containers/:ref/start": serve(
      ops.start,
      body(IfNeededFlag, (url) => ({ recursive: flag(url, "recursive") })),
    ),
    "POST /containers/:ref/stop": serve(ops.stop, body(StopIfNeededBody)),
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
    "POST /containers/:ref/healthcheck": serve(ops.healthcheck, body(EmptyBody)),
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
