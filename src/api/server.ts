/**
 * The daemon's HTTP API on a unix socket (mode 0600). The operations come
 * from the shared operation table (see container-routes.ts); the daemon's own
 * routes (ping, status, events, audit, attach, health) are served here.
 */
import { chmod, lstat, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { resolve as resolvePath } from "node:path";
import { InvalidArgError, SocketInUseError, SocketPathError } from "../errors.js";
import type { ApiDeps } from "./api-deps.js";
import { attachHandler, installAttach, resizeHandler } from "./attach-route.js";
import { execHandler, execInspectHandler, execResizeHandler } from "./exec-route.js";
import { auditRoutes } from "./audit-routes.js";
import { proofRoutes } from "./proof-routes.js";
import { containerRoutes } from "./container-routes.js";
import { imageRoutes } from "./image-routes.js";
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
    "POST /containers/:ref/exec": execHandler(deps),
    "GET /containers/:ref/exec/:name": execInspectHandler(deps),
    "POST /containers/:ref/exec/:name/resize": execResizeHandler(deps),
    ...containerRoutes(service),
    ...imageRoutes(
      service,
      deps.maxImportBytes !== undefined ? { maxImportBytes: deps.maxImportBytes } : {},
    ),
    ...auditRoutes(service, journal, deps.checkpoints),
    ...proofRoutes(deps.checkpoints),
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

/** A scheme such as `tcp://` or `http://`. */
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * The socket as an absolute path. Node's `listen` takes a string of digits as
 * a TCP port, so `--socket 9999` once served the whole API on `*:9999`; a
 * socket must therefore name a folder (`/run/berth.sock`, `./berth.sock`):
 * a bare word, a number, `host:port` or a URL is refused. berth offers no TCP.
 */
export function checkedSocketPath(value: string, flag = "--socket"): string {
  if (!value.includes("/") || URL_SCHEME.test(value) || value.includes("\0")) {
    throw new SocketPathError(
      `${flag} ${JSON.stringify(value)} is not a path: berth serves only a unix socket (no TCP); give a path such as /run/berth/berth.sock or ./berth.sock`,
    );
  }
  return resolvePath(value);
}

/**
 * Makes sure `socketPath` may be served: nothing there, or a socket nobody
 * answers on (a daemon that died). A live daemon's socket is never unlinked
 * (it would run on, unreachable), and a path that is not a socket is never
 * deleted: the operator named it as a socket, not as a file to remove.
 */
export async function claimSocketPath(socket: string, flag = "--socket"): Promise<void> {
  const socketPath = checkedSocketPath(socket, flag);
  const found = await lstat(socketPath).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  });
  if (!found) return;
  if (!found.isSocket()) {
    throw new InvalidArgError(
      `${flag} ${socketPath} exists and is not a socket; refusing to replace it`,
    );
  }
  if (await answers(socketPath)) {
    throw new SocketInUseError(
      `a daemon already serves ${socketPath}: stop it, or give this one another ${flag}`,
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

/** Listens on a unix socket only the daemon's user can open. */
export async function listenOnSocket(server: Server, socket: string): Promise<void> {
  const path = checkedSocketPath(socket);
  await claimSocketPath(path);
  // The socket is born 0600 (umask), so no one else can connect before the chmod below.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  try {
    await chmod(path, 0o600);
  } catch (err) {
    // Never serve on a socket whose mode is not known to be private.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
}
export type { Handler, RouteContext } from "./router.js";
