/**
 * The daemon's HTTP API on a unix socket (mode 0600). The operations come
 * from the shared operation table (see container-routes.ts); the daemon's own
 * routes (ping, status, events, audit, attach, health) are served here.
 */
import { chmod, lstat, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { InvalidArgError, SocketInUseError } from "../errors.js";
import type { ApiDeps } from "./api-deps.js";
import { attachHandler, installAttach, resizeHandler } from "./attach-route.js";
import { auditRoutes } from "./audit-routes.js";
import { containerRoutes } from "./container-routes.js";
import { eventSubscribers, eventsRoute } from "./events-route.js";
import { healthRoute } from "./health-route.js";
import { sendError, sendJson } from "./http-io.js";
import { requestMeta } from "./request-meta.js";
import { match, type Handler } from "./router.js";

function routes(deps: ApiDeps): Record<string, Handler> {
  const { service, journal } = deps;
  const subscribers = eventSubscribers(deps.events);
  return {
    "GET /_ping": ({ res }) =>
      Promise.resolve(sendJson(res, 200, { ok: true, version: deps.version })),
    "GET /status": ({ res }) =>
      Promise.resolve(
        sendJson(res, 200, {
          version: deps.version,
          journal: journal.head(),
          relay: deps.relay?.status() ?? null,
          natsApi: deps.natsApi?.status() ?? null,
          events: subscribers.stats(),
        }),
      ),
    "POST /containers/:ref/resize": resizeHandler(deps),
    "POST /containers/:ref/attach": attachHandler(deps),
    ...containerRoutes(service),
    ...auditRoutes(service, journal),
    "GET /events": eventsRoute(journal, deps.events, subscribers),
    "GET /health": healthRoute(deps),
  };
}

/** Creates the API server; call `listenOnSocket` to serve. */
export function apiServer(deps: ApiDeps): Server {
  const table = routes(deps);
  const server = createServer((req, res) => {
    let url: URL;
    let found: ReturnType<typeof match>;
    // The raw path, not url.pathname: URL resolves "..", which would turn a bad artifact name into another route.
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const meta = requestMeta(req);
    res.setHeader("x-request-id", meta.requestId);
    try {
      url = new URL(req.url ?? "/", "http://berth");
      found = match(table, req.method ?? "GET", path);
    } catch (err) {
      // A malformed target (bad percent-encoding, say) is the client's error, never the daemon's end.
      return sendError(
        res,
        new InvalidArgError(`malformed request target: ${String(err)}`, { cause: err }),
      );
    }
    if (!found) return sendError(res, new InvalidArgError(`no route ${req.method} ${path}`));
    found
      .handler({ req, res, url, ref: found.ref, name: found.name, meta })
      .catch((err: unknown) => sendError(res, err));
  });
  installAttach(server, deps);
  return server;
}

/** Listens on a unix socket only the daemon's user can open. */
/**
 * Makes sure `socketPath` may be served: nothing there, or a socket nobody
 * answers on (a daemon that died). A live daemon's socket is never unlinked
 * (it would run on, unreachable), and a path that is not a socket is never
 * deleted: the operator named it as a socket, not as a file to remove.
 */
export async function claimSocketPath(socketPath: string): Promise<void> {
  const found = await lstat(socketPath).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  });
  if (!found) return;
  if (!found.isSocket()) {
    throw new InvalidArgError(
      `--socket ${socketPath} exists and is not a socket; refusing to replace it`,
    );
  }
  if (await answers(socketPath)) {
    throw new SocketInUseError(
      `a daemon already serves ${socketPath}: stop it, or give this one another --socket`,
    );
  }
  await rm(socketPath, { force: true });
}

const answers = (socketPath: string) =>
  new Promise<boolean>((resolve) => {
    const probe = connect(socketPath);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });

export async function listenOnSocket(server: Server, socketPath: string): Promise<void> {
  await claimSocketPath(socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o600);
}
export type { Handler, RouteContext } from "./router.js";
