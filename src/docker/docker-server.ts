/**
 * The Docker Engine API on a unix socket of its own (`berth serve
 * --docker-socket PATH`), a third adapter over the operation table beside
 * the berth API and the NATS API. Every answer carries `Api-Version` and
 * `Ostype`; paths may carry a version prefix from /v1.24 to /v1.47 or none.
 * Requests are journaled with the client `docker-api:<User-Agent>` and the
 * actor the client declares (the docker CLI declares none: `anonymous`).
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import {
  buildRequestMeta,
  HTTP_META_HEADERS,
  upgradeAttach,
  type ApiDeps,
  type HeaderReader,
} from "../api/index.js";
import { asBerthError, InvalidArgError } from "../errors.js";
import type { RequestMeta } from "../machines/index.js";
import { unversionedPath } from "./api-version.js";
import { containerExtraRoutes } from "./container-extra-routes.js";
import { containerRoutes, readyToAttach } from "./container-routes.js";
import { imageRoutes } from "./image-routes.js";
import { networkRoutes } from "./network-routes.js";
import { volumeRoutes } from "./volume-routes.js";
import { dockerEventsRoute } from "./events-route.js";
import { DOCKER_EXEC_START, execRoutes, upgradeDockerExec } from "./exec-routes.js";
import { DockerExecStore } from "./exec-store.js";
import { dockerHeaders, sendDockerError } from "./docker-io.js";
import { matchDocker, type DockerRoutes } from "./docker-router.js";
import { systemRoutes } from "./system-routes.js";

/** The metadata of a request on the Docker socket. */
export function dockerRequestMeta(req: IncomingMessage): RequestMeta {
  const read: HeaderReader = (name) => {
    const v = req.headers[name];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  return buildRequestMeta(read, HTTP_META_HEADERS, `docker-api:${read("user-agent") ?? "unknown"}`);
}

/** Creates the Docker API server; serve it with `listenOnSocket` from src/api. */
export function dockerServer(deps: ApiDeps, extra: DockerRoutes = {}): Server {
  // Docker's created, not yet started execs: per daemon, in memory.
  const execs = new DockerExecStore();
  const routes: DockerRoutes = {
    ...systemRoutes(deps.service, deps.version),
    ...containerRoutes(deps),
    ...containerExtraRoutes(deps),
    ...imageRoutes(deps),
    ...execRoutes(deps, execs),
    ...volumeRoutes(deps),
    ...networkRoutes(deps),
    // Served from the journal: `since` replays however far back, and a reconnect loses nothing.
    "GET /events": dockerEventsRoute({
      journal: deps.journal,
      ...(deps.events?.stallMs !== undefined ? { stallMs: deps.events.stallMs } : {}),
    }),
    ...extra,
  };
  const server = createServer((req, res) => {
    dockerHeaders(res);
    const meta = dockerRequestMeta(req);
    res.setHeader("x-request-id", meta.requestId);
    let url: URL;
    let target: ReturnType<typeof unversionedPath>;
    let found: ReturnType<typeof matchDocker>;
    try {
      url = new URL(req.url ?? "/", "http://docker");
      target = unversionedPath((req.url ?? "/").split("?")[0] ?? "/");
      found = matchDocker(routes, req.method ?? "GET", target.path);
    } catch (err) {
      // A malformed target or a version outside 1.24 to 1.47: the client's error, a 400.
      return sendDockerError(
        res,
        err instanceof InvalidArgError
          ? err
          : new InvalidArgError(`malformed request target: ${String(err)}`, { cause: err }),
      );
    }
    const { path, version } = target;
    if (!found) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `page not found: ${req.method} ${path}` }));
      return;
    }
    // A handler may throw before its first await: that is an answer too, never a crash.
    Promise.resolve()
      .then(() => found.handler({ req, res, url, id: found.id, version, meta }))
      .catch((err: unknown) => sendDockerError(res, err));
  });
  // `docker run` and `docker attach` upgrade the attach request; berth's attach speaks the same frames.
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const meta = dockerRequestMeta(req);
    try {
      const { path } = unversionedPath((req.url ?? "/").split("?")[0] ?? "/");
      const query = (req.url ?? "").includes("?")
        ? (req.url ?? "").slice((req.url ?? "").indexOf("?"))
        : "";
      req.url = `${path}${query}`;
    } catch (err) {
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ message: (err as Error).message })}`,
      );
      return;
    }
    if (DOCKER_EXEC_START.test((req.url ?? "").split("?")[0] ?? "")) {
      void upgradeDockerExec(deps, execs, req, socket, head, meta);
      return;
    }
    const id = /^\/containers\/([^/]+)\/attach$/.exec((req.url ?? "").split("?")[0] ?? "")?.[1];
    const ready =
      id !== undefined ? readyToAttach(deps, decodeURIComponent(id), meta) : Promise.resolve();
    ready.then(
      () => upgradeAttach(deps, req, socket, head, meta),
      (err: unknown) => {
        const e = asBerthError(err);
        const body = JSON.stringify({ message: e.message });
        socket.end(
          `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? "Error"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      },
    );
  });
  return server;
}
