/**
 * Docker's exec: `POST /containers/{id}/exec` creates (201 `{Id}`), `POST
 * /exec/{id}/start` runs, upgraded to a stream (`101 UPGRADED`) unless
 * detached, `GET /exec/{id}/json` inspects and `POST /exec/{id}/resize`
 * sizes the terminal. berth creates and starts in one step, so a created
 * exec waits in a DockerExecStore until its start runs berth's exec with the
 * start request's metadata: exec_create, exec_start and exec_died are
 * journaled as for berth's own exec, with the client `docker-api:<UA>`.
 */
import { liveRecord } from "./container-routes.js";
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex, Readable, Writable } from "node:stream";
import {
  decodeSegment,
  pumpAttach,
  requiredTerminalSize,
  upgradeBody,
  type ApiDeps,
  type AttachOptions,
} from "../api/index.js";
import {
  DEFAULT_DETACH_KEYS,
  MULTIPLEXED_STREAM,
  parseDetachKeys,
  RAW_STREAM,
} from "../client/index.js";
import { asBerthError, CtrStateInvalidError, CtrStoppedError, InvalidArgError } from "../errors.js";
import type { RequestMeta } from "../machines/index.js";
import type { ExecHandle } from "../service/index.js";
import { readDockerJson, sendDockerJson } from "./docker-io.js";
import type { DockerRoutes } from "./docker-router.js";
import { dockerExecConfig, dockerExecStart } from "./exec-body.js";
import type { DockerExecStore } from "./exec-store.js";
import { type DockerExec } from "./exec-store.js";

/** The path of an exec start, the one exec request that is upgraded. */
export const DOCKER_EXEC_START = /^\/exec\/([^/]+)\/start$/;

/** The largest start body read off an upgraded connection. */
const MAX_START_BODY = 64 * 1024;

/** The container an exec is created in: it must exist and run, as dockerd requires. */
function runningContainer(deps: ApiDeps, ref: string): string {
  const record = liveRecord(deps.service, ref);
  if (record.state === "paused")
    throw new CtrStateInvalidError(
      `container ${record.id} is paused, unpause the container before exec`,
    );
  if (record.state !== "running")
    throw new CtrStoppedError(`container ${record.id} is not running`);
  return record.id;
}

/** moby's ExecInspect for an exec still waiting for its start. */
function pendingJson(exec: DockerExec) {
  const { config } = exec;
  return {
    ID: exec.id,
    Running: false,
    ExitCode: null,
    ProcessConfig: {
      tty: config.tty,
      entrypoint: config.command[0] ?? "",
      arguments: config.command.slice(1),
      privileged: false,
      ...(config.user !== undefined ? { user: config.user } : {}),
    },
    OpenStdin: config.attachStdin,
    OpenStdout: config.attachStdout,
    OpenStderr: config.attachStderr,
    CanRemove: false,
    ContainerID: exec.containerId,
    DetachKeys: config.detachKeys ?? "",
    Pid: 0,
  };
}

/** What `pumpAttach` needs of the container: the session's terminal and stdin. */
const streamOf = (h: ExecHandle) => ({
  record: { ...h.record, terminal: h.session.tty, stdin: h.session.stdin },
  ...(h.attach ? { session: h.attach } : {}),
});

const pumpOptions = (exec: DockerExec, stdin: boolean): AttachOptions => ({
  stream: true,
  logs: false,
  stdin,
  stdout: exec.config.attachStdout,
  stderr: exec.config.attachStderr,
  detachKeys: parseDetachKeys(exec.config.detachKeys ?? DEFAULT_DETACH_KEYS),
  start: false,
});

/** Runs a claimed exec with berth's service, sizing its terminal if create asked. */
async function run(
  deps: ApiDeps,
  store: DockerExecStore,
  exec: DockerExec,
  how: { detach: boolean; stdin: boolean },
  meta: RequestMeta,
): Promise<ExecHandle> {
  const { config } = exec;
  const handle = await deps.service.exec(
    exec.containerId,
    {
      command: config.command,
      env: config.env,
      ...(config.user !== undefined ? { user: config.user } : {}),
      ...(config.workingDir !== undefined ? { workingDir: config.workingDir } : {}),
      tty: config.tty,
      stdin: how.stdin,
      detach: how.detach,
    },
    meta,
  );
  store.markStarted(exec, handle.session.id);
  if (config.tty && config.consoleSize) {
    // A size the terminal could not take leaves the default one: not worth failing the exec.
    await deps.service
      .execResize(exec.containerId, handle.session.id, config.consoleSize)
      .catch(() => undefined);
  }
  return handle;
}

/**
 * Streams an attached exec until it ends, then waits for its exit to be
 * journaled: the CLI inspects the exec for its code as soon as the stream
 * closes, and must find it there.
 */
async function stream(
  handle: ExecHandle,
  io: { input: Readable; head?: Buffer; output: Writable },
  options: AttachOptions,
): Promise<void> {
  const end = await pumpAttach(io, streamOf(handle), options, () => (async function* () {})());
  if (end === "exited") await handle.exitCode.catch(() => undefined);
}

/**
 * The exec routes; `store` holds created execs between create and start and
 * is shared with `upgradeDockerExec`.
 */
export function execRoutes(deps: ApiDeps, store: DockerExecStore): DockerRoutes {
  return {
    "POST /containers/{id}/exec": async ({ req, res, id }) => {
      const config = dockerExecConfig(await readDockerJson(req));
      const exec = store.create(runningContainer(deps, id), config);
      sendDockerJson(res, 201, { Id: exec.id });
    },
    // A start without an upgrade: detached (200, no body, as dockerd), or output only.
    "POST /exec/{id}/start": async ({ req, res, id, meta }) => {
      const { detach } = dockerExecStart(await readDockerJson(req));
      const exec = store.claim(id);
      const handle = await run(deps, store, exec, { detach, stdin: false }, meta);
      if (detach) {
        res.writeHead(200, { "content-length": 0 });
        res.end();
        return;
      }
      res.writeHead(200, {
        "content-type": exec.config.tty ? RAW_STREAM : MULTIPLEXED_STREAM,
      });
      res.flushHeaders();
      await stream(handle, { input: req, output: res }, pumpOptions(exec, false));
      res.end();
    },
    "GET /exec/{id}/json": async ({ res, id }) => {
      const exec = store.get(id);
      if (exec.sessionId === undefined) return sendDockerJson(res, 200, pendingJson(exec));
      const session = await deps.service.execInspect(exec.containerId, exec.sessionId);
      sendDockerJson(res, 200, {
        ...pendingJson(exec),
        Running: session.running,
        ExitCode: session.exitCode ?? null,
        Pid: session.pid ?? 0,
      });
    },
    "POST /exec/{id}/resize": async ({ res, url, id }) => {
      const size = requiredTerminalSize(url.searchParams);
      const exec = store.get(id);
      if (exec.sessionId === undefined)
        throw new CtrStateInvalidError(`exec ${id} is not running, so it cannot be resized`);
      await deps.service.execResize(exec.containerId, exec.sessionId, size);
      res.writeHead(200, { "content-length": 0 });
      res.end();
    },
  };
}

/** Reads the start body that follows an upgrade request's head; what is left is stdin. */
async function startBody(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<{ body: unknown; rest: Buffer }> {
  if (req.headers["transfer-encoding"] !== undefined)
    throw new InvalidArgError("an upgraded exec start needs a Content-Length body");
  const length = Number(req.headers["content-length"] ?? "0");
  if (!Number.isInteger(length) || length < 0 || length > MAX_START_BODY)
    throw new InvalidArgError(`an exec start body takes 0 to ${MAX_START_BODY} bytes`);
  const { body: bytes, rest } = await upgradeBody(socket, head, length);
  const text = bytes.toString("utf8");
  let body: unknown = {};
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text) as unknown;
    } catch (err) {
      throw new InvalidArgError(`malformed JSON body: ${(err as Error).message}`, { cause: err });
    }
  }
  return { body, rest };
}

/** An answer written by hand on a connection the HTTP server handed over. */
function answer(socket: Duplex, status: number, body?: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
      ...(body === undefined ? [] : ["Content-Type: application/json"]),
      `Content-Length: ${Buffer.byteLength(text)}`,
      "Connection: close",
      "",
      text,
    ].join("\r\n"),
  );
}

/**
 * `POST /exec/{id}/start` with `Upgrade: tcp`, as `docker exec` sends it:
 * `101 UPGRADED`, then the session's stdio both ways (multiplexed frames
 * without a terminal, raw bytes with one). Errors before the upgrade are
 * Docker's `{message}` answers; a detached start over an upgrade request
 * answers 200 and runs the exec, as dockerd does.
 */
export async function upgradeDockerExec(
  deps: ApiDeps,
  store: DockerExecStore,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  meta: RequestMeta,
): Promise<void> {
  // A client that vanishes mid-stream is not the daemon's error; 'close' ends the session.
  socket.on("error", () => undefined);
  let upgraded = false;
  try {
    const id = DOCKER_EXEC_START.exec((req.url ?? "").split("?")[0] ?? "")?.[1];
    if (req.method !== "POST" || id === undefined)
      throw new InvalidArgError(`no upgrade route ${req.method} ${req.url}`);
    const { body, rest } = await startBody(req, socket, head);
    const { detach } = dockerExecStart(body);
    const exec = store.claim(decodeSegment(id));
    const stdin = !detach && exec.config.attachStdin;
    const handle = await run(deps, store, exec, { detach, stdin }, meta);
    if (detach) return answer(socket, 200);
    socket.write(
      [
        "HTTP/1.1 101 UPGRADED",
        `Content-Type: ${exec.config.tty ? RAW_STREAM : MULTIPLEXED_STREAM}`,
        "Connection: Upgrade",
        "Upgrade: tcp",
        `X-Request-Id: ${meta.requestId}`,
        "",
        "",
      ].join("\r\n"),
    );
    upgraded = true;
    await stream(handle, { input: socket, head: rest, output: socket }, pumpOptions(exec, stdin));
  } catch (err) {
    if (!upgraded) {
      const e = asBerthError(err);
      answer(socket, e.status, { message: e.message });
    }
  } finally {
    // Half-close first so everything written reaches the client, then let go of the socket.
    if (upgraded) socket.end(() => socket.destroy());
  }
}
