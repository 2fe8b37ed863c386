/**
 * Routes for container operations beyond create/list: each parses and
 * validates its input, then hands a command to the service.
 */
import { InvalidArgError } from "../errors.js";
import type { CommandBody, ContainerState } from "../machines/index.js";
import { CONTAINER_STATES } from "../machines/index.js";
import type { ContainerService } from "../service/index.js";
import { signalName } from "../service/index.js";
import { readBytes, readJson, sendJson } from "./http-io.js";
import type { Handler } from "./router.js";
import { BatchBody, CheckpointBody, EmptyBody, ExportBody, KillBody, StopBody } from "./schemas.js";

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

/** Turns a batch entry into a command body, validating what it carries. */
export function toBody(entry: {
  type: string;
  timeout?: number;
  signal?: string | number;
  force?: boolean;
}): CommandBody {
  switch (entry.type) {
    case "INIT":
    case "START":
    case "PAUSE":
    case "UNPAUSE":
    case "CLEANUP":
    case "MOUNT":
    case "SYNC":
      return { type: entry.type };
    case "STOP":
    case "RESTART":
      return { type: entry.type, timeout: entry.timeout };
    case "KILL":
      return { type: "KILL", signal: signalName(entry.signal ?? "SIGKILL") };
    case "UNMOUNT":
      return { type: "UNMOUNT", force: entry.force ?? false };
    default:
      throw new InvalidArgError(`command ${JSON.stringify(entry.type)} cannot be batched`);
  }
}

export function containerRoutes(service: ContainerService): Record<string, Handler> {
  const simple =
    (type: "INIT" | "PAUSE" | "UNPAUSE" | "CLEANUP" | "SYNC"): Handler =>
    async ({ req, res, ref, meta }) => {
      await readJson(req, EmptyBody);
      sendJson(res, 200, await service.command(ref, { type }, meta));
    };
  return {
    "POST /containers/:ref/init": simple("INIT"),
    "POST /containers/:ref/pause": simple("PAUSE"),
    "POST /containers/:ref/unpause": simple("UNPAUSE"),
    "POST /containers/:ref/cleanup": simple("CLEANUP"),
    "POST /containers/:ref/sync": simple("SYNC"),
    "POST /containers/:ref/start": async ({ req, res, ref, url, meta }) => {
      await readJson(req, EmptyBody);
      sendJson(
        res,
        200,
        await service.command(ref, { type: "START" }, meta, { recursive: flag(url, "recursive") }),
      );
    },
    "POST /containers/:ref/stop": async ({ req, res, ref, meta }) => {
      const { timeout } = await readJson(req, StopBody);
      sendJson(res, 200, await service.command(ref, { type: "STOP", timeout }, meta));
    },
    "POST /containers/:ref/restart": async ({ req, res, ref, meta }) => {
      const { timeout } = await readJson(req, StopBody);
      sendJson(res, 200, await service.command(ref, { type: "RESTART", timeout }, meta));
    },
    "POST /containers/:ref/kill": async ({ req, res, ref, meta }) => {
      const { signal } = await readJson(req, KillBody);
      const body = { type: "KILL" as const, signal: signalName(signal ?? "SIGKILL") };
      sendJson(res, 200, await service.command(ref, body, meta));
    },
    "POST /containers/:ref/mount": async ({ req, res, ref, meta }) => {
      await readJson(req, EmptyBody);
      const record = await service.command(ref, { type: "MOUNT" }, meta);
      sendJson(res, 200, { path: service.rootfsPath(record.id), record });
    },
    "POST /containers/:ref/unmount": async ({ req, res, ref, url, meta }) => {
      await readJson(req, EmptyBody);
      sendJson(
        res,
        200,
        await service.command(ref, { type: "UNMOUNT", force: flag(url, "force") }, meta),
      );
    },
    "POST /containers/:ref/export": async ({ req, res, ref, meta }) => {
      const { path } = await readJson(req, ExportBody);
      sendJson(res, 200, await service.command(ref, { type: "EXPORT", path }, meta));
    },
    "POST /containers/:ref/checkpoint": async ({ req, res, ref, meta }) => {
      const options = await readJson(req, CheckpointBody);
      sendJson(res, 200, await service.command(ref, { type: "CHECKPOINT", options }, meta));
    },
    "POST /containers/:ref/restore": async ({ req, res, ref, meta }) => {
      const options = await readJson(req, CheckpointBody);
      sendJson(res, 200, await service.command(ref, { type: "RESTORE", options }, meta));
    },
    "POST /containers/:ref/batch": async ({ req, res, ref, meta }) => {
      const { commands } = await readJson(req, BatchBody);
      sendJson(res, 200, await service.batch(ref, commands.map(toBody), meta));
    },
    "DELETE /containers/:ref": async ({ res, ref, url, meta }) => {
      const body = {
        type: "REMOVE" as const,
        force: flag(url, "force"),
        timeout: number(url, "timeout"),
      };
      sendJson(res, 200, await service.command(ref, body, meta));
    },
    "POST /containers/:ref/wait": async ({ res, ref, url }) => {
      const exitCode = await service.wait(ref, {
        conditions: conditions(url),
        intervalMs: number(url, "interval"),
      });
      sendJson(res, 200, { exitCode });
    },
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
