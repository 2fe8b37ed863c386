/**
 * The container endpoints of the Docker Engine API, each a call to the same
 * operation table the berth API and the NATS API use (src/api), so every
 * request is checked by the same rules and journaled with its actor and
 * client. What is Docker's alone lives here: its JSON shapes, status codes,
 * wait conditions, and the multiplexed log stream.
 */
import type { ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { operationTable, resizeHandler, attachHandler, type ApiDeps } from "../api/index.js";
import { muxFrame } from "../client/index.js";
import { InvalidArgError, NoSuchCtrError } from "../errors.js";
import type { ContainerRecord, RequestMeta } from "../machines/index.js";
import { isTombstone } from "../service/index.js";
import { dockerInspect, dockerListFilters, dockerSummary } from "./container-json.js";
import { createBodyFromDocker } from "./create-body.js";
import { queryFlag, readDockerJson, sendDockerJson, sendNoContent } from "./docker-io.js";
import type { DockerContext, DockerRoutes } from "./docker-router.js";
import { dockerLogWindow } from "./docker-logs.js";

const RUNNING: ContainerRecord["state"][] = ["running", "paused"];

/**
 * The container as Docker sees it: berth answers for a removed container by
 * its id (history stays readable), but to Docker a removed container is no
 * container, a 404.
 */
export function liveRecord(service: ApiDeps["service"], id: string): ContainerRecord {
  const record = service.lookup(id);
  if (isTombstone(record)) throw new NoSuchCtrError(`No such container: ${id}`);
  return record;
}

/** `t` of stop and restart: whole seconds, as dockerd reads it. */
function seconds(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^-?\d+$/.test(raw)) throw new InvalidArgError(`invalid ${name}: ${JSON.stringify(raw)}`);
  return Number(raw);
}

export function containerRoutes(deps: ApiDeps): DockerRoutes {
  const { service } = deps;
  const ops = operationTable(service);
  const now = () => Date.now();
  // berth's own handlers for what is already Docker's wire format (attach, resize).
  const viaBerth =
    (handler: ReturnType<typeof attachHandler>) =>
    ({ req, res, url, id, meta }: DockerContext) =>
      handler({ req, res, url, ref: id, name: "", meta });
  return {
    "GET /containers/json": ({ res, url }) => {
      const query = (name: string) => url.searchParams.get(name) ?? undefined;
      // The query is checked before anything is listed: a bad filter is a 400 and nothing else.
      const select = dockerListFilters({
        ...(query("all") !== undefined ? { all: query("all") } : {}),
        ...(query("limit") !== undefined ? { limit: query("limit") } : {}),
        ...(query("filters") !== undefined ? { filters: query("filters") } : {}),
      });
      const at = now();
      sendDockerJson(
        res,
        200,
        select(service.list(true)).map((r) => dockerSummary(r, at)),
      );
      return Promise.resolve();
    },
    "POST /containers/create": async ({ req, res, url, meta }) => {
      const query = url.searchParams.get("name") ?? "";
      const raw = await readDockerJson(req);
      // dockerode sends the name in the body as well as in the query; dockerd reads the query.
      const { name: bodyName, ...config } =
        typeof raw === "object" && raw !== null ? (raw as { name?: unknown }) : { name: undefined };
      if (bodyName !== undefined && bodyName !== query && query !== "")
        throw new InvalidArgError("the name in the body differs from the name in the query");
      const name = query !== "" ? query : typeof bodyName === "string" ? bodyName : undefined;
      const body = createBodyFromDocker(
        typeof raw === "object" && raw !== null ? config : raw,
        name === "" ? undefined : name,
      );
      const record = (await ops.create.run(body, meta)) as ContainerRecord;
      sendDockerJson(res, 201, { Id: record.id, Warnings: [] });
    },
    "GET /containers/{id}/json": ({ res, id }) => {
      sendDockerJson(res, 200, dockerInspect(liveRecord(service, id), now()));
      return Promise.resolve();
    },
    "POST /containers/{id}/start": async ({ res, id, meta }) => {
      // Docker answers 304 to a start of a running container; berth journals it as unchanged.
      const before = liveRecord(service, id);
      await ops.start.run({ ref: id, ifNeeded: true }, meta);
      sendNoContent(res, RUNNING.includes(before.state) ? 304 : 204);
    },
    "POST /containers/{id}/stop": async ({ res, url, id, meta }) => {
      const before = liveRecord(service, id);
      const timeout = seconds(url, "t") ?? seconds(url, "timeout");
      await ops.stop.run(
        { ref: id, ifNeeded: true, ...(timeout !== undefined ? { timeout } : {}) },
        meta,
      );
      sendNoContent(res, RUNNING.includes(before.state) ? 204 : 304);
    },
    "POST /containers/{id}/restart": async ({ res, url, id, meta }) => {
      const timeout = seconds(url, "t") ?? seconds(url, "timeout");
      await ops.restart.run({ ref: id, ...(timeout !== undefined ? { timeout } : {}) }, meta);
      sendNoContent(res);
    },
    "POST /containers/{id}/kill": async ({ res, url, id, meta }) => {
      const signal = url.searchParams.get("signal");
      await ops.kill.run({ ref: id, ...(signal ? { signal } : {}) }, meta);
      sendNoContent(res);
    },
    "POST /containers/{id}/pause": async ({ res, id, meta }) => {
      await ops.pause.run({ ref: id }, meta);
      sendNoContent(res);
    },
    "POST /containers/{id}/unpause": async ({ res, id, meta }) => {
      await ops.unpause.run({ ref: id }, meta);
      sendNoContent(res);
    },
    "DELETE /containers/{id}": async ({ res, url, id, meta }) => {
      // Docker's rm -f kills at once (SIGKILL), with no stop timeout.
      const force = queryFlag(url, "force");
      await ops.rm.run({ ref: id, force, ...(force ? { timeout: 0 } : {}) }, meta);
      sendNoContent(res);
    },
    "POST /containers/{id}/wait": (ctx) => dockerWait(deps, ctx),
    "GET /containers/{id}/logs": (ctx) => dockerLogs(deps, ctx),
    "POST /containers/{id}/attach": async (ctx) => {
      await readyToAttach(deps, ctx.id, ctx.meta);
      await viaBerth(attachHandler(deps))(ctx);
    },
    "POST /containers/{id}/resize": viaBerth(resizeHandler(deps)),
  };
}

/**
 * Docker attaches to a container before it starts (`docker run` attaches,
 * then starts), and berth attaches through the container's monitor, which
 * exists from `init` on. So, as Podman's Docker-compatible attach does, a
 * container that was never initialized, or has stopped, is initialized first;
 * the init is journaled as a request of its own, by the same client.
 */
export async function readyToAttach(deps: ApiDeps, id: string, meta: RequestMeta): Promise<void> {
  const record = liveRecord(deps.service, id);
  if (["configured", "stopped", "exited"].includes(record.state))
    await operationTable(deps.service).init.run({ ref: record.id }, meta);
}

/**
 * `POST /containers/{id}/wait`. The 200 and its headers go out before the
 * wait: `docker run` sends start only once they arrived (a held header
 * deadlocks it). Conditions: `not-running` (the default) answers at once
 * for a container that is not running; `next-exit` waits for an exit;
 * `removed` waits for the exit, then the removal, and gives the exit code.
 */
async function dockerWait({ service }: ApiDeps, { res, url, id }: DockerContext): Promise<void> {
  const condition = url.searchParams.get("condition") ?? "not-running";
  if (!["not-running", "next-exit", "removed"].includes(condition))
    throw new InvalidArgError(`invalid condition: ${JSON.stringify(condition)}`);
  const record = service.lookup(id);
  res.writeHead(200, { "content-type": "application/json" });
  res.flushHeaders();
  let answer: { StatusCode: number; Error?: { Message: string } };
  try {
    const idle = !RUNNING.includes(record.state) && condition === "not-running";
    const exitCode = idle ? (record.exitCode ?? 0) : await service.wait(record.id);
    if (condition === "removed") await removal(service, record.id, res);
    answer = { StatusCode: exitCode };
  } catch (err) {
    answer = {
      StatusCode: -1,
      Error: { Message: err instanceof Error ? err.message : String(err) },
    };
  }
  res.end(JSON.stringify(answer));
}

/**
 * Resolves once the container is removed, or the client has gone. berth's
 * own wait counts `removed` among the exit states (the seed's), so the
 * removal itself is watched here, at the pace of `wait`'s safety net.
 */
async function removal(service: ApiDeps["service"], id: string, res: ServerResponse) {
  while (!res.destroyed) {
    if (service.lookup(id).state === "removed") return;
    await delay(REMOVAL_POLL_MS);
  }
}
const REMOVAL_POLL_MS = 50;

/**
 * `GET /containers/{id}/logs`: the lines as Docker frames them, 8-byte
 * multiplexed frames without a terminal, raw bytes with one; the 200 goes
 * out at once so a follower sees its headers before the first line.
 */
async function dockerLogs({ service }: ApiDeps, { res, url, id }: DockerContext): Promise<void> {
  const { window, follow, stdout, stderr, timestamps } = dockerLogWindow(url);
  const record = liveRecord(service, id);
  const gone = new AbortController();
  res.once("close", () => gone.abort());
  const lines = service.logWindow(record.id, { ...window, follow }, gone.signal);
  res.writeHead(200, {
    "content-type": record.terminal
      ? "application/vnd.docker.raw-stream"
      : "application/vnd.docker.multiplexed-stream",
  });
  res.flushHeaders();
  for await (const line of lines) {
    if (line.stream === "stdout" ? !stdout : !stderr) continue;
    const text = `${timestamps ? `${line.time} ` : ""}${line.text}\n`;
    const data = Buffer.from(text, "utf8");
    if (!write(res, record.terminal ? data : muxFrame(line.stream, data))) await drained(res);
    if (res.destroyed) return;
  }
  res.end();
}

const write = (res: ServerResponse, data: Buffer) => res.write(data);
const drained = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    res.once("drain", resolve);
    res.once("close", resolve);
  });
