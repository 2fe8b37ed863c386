/**
 * Attach over HTTP, as the Docker and Podman APIs do it: the client sends
 * `POST /containers/:ref/attach` with `Connection: Upgrade` and `Upgrade: tcp`,
 * and once the checks pass the daemon answers `101 UPGRADED` and the
 * connection carries the container's stdio both ways. Node hands such
 * requests to the server's 'upgrade' event with the bare socket, so the
 * responses here are written by hand. Also: the resize route, and a plain
 * (not upgraded) POST that streams output only.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { InvalidArgError } from "../errors.js";
import { attachOptions, requiredTerminalSize } from "./attach-options.js";
import { openAttach } from "./attach-open.js";
import { pumpAttach } from "./attach-pump.js";
import { readJson, sendJson } from "./http-io.js";
import { EXEC_PATH, upgradeExec } from "./exec-route.js";
import { contentType, upgradeHead, writeError } from "./upgrade-io.js";
import { requestMeta } from "./request-meta.js";
import { decodeSegment, requestUrl, type Handler } from "./router.js";
import { EmptyBody } from "./schemas.js";
import type { ApiDeps } from "./api-deps.js";

const ATTACH_PATH = /^\/containers\/([^/]+)\/attach$/;

/**
 * Serves an upgrade request (attach, attached exec) on the bare socket node
 * handed over. The Docker API socket serves its attach through this too,
 * with its own request metadata (client `docker-api`).
 */
export async function upgradeAttach(
  deps: ApiDeps,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  meta = requestMeta(req),
): Promise<void> {
  // A client that vanishes mid-stream is not the daemon's error; 'close' ends the session.
  socket.on("error", () => undefined);
  let upgraded = false;
  try {
    const url = requestUrl(req.url);
    // An attached exec upgrades the same way; its route lives with the other exec routes.
    if (EXEC_PATH.test(url.pathname)) return await upgradeExec(deps, req, socket, head);
    const ref = ATTACH_PATH.exec(url.pathname)?.[1];
    if (req.method !== "POST" || ref === undefined) {
      throw new InvalidArgError(`no upgrade route ${req.method} ${url.pathname}`);
    }
    const options = attachOptions(url.searchParams);
    const opened = await openAttach(deps.service, decodeSegment(ref), options, meta);
    socket.write(upgradeHead(opened.record.terminal, meta.requestId));
    upgraded = true;
    await pumpAttach({ input: socket, head, output: socket }, opened, options, () =>
      deps.service.logLines(opened.record.id),
    );
  } catch (err) {
    if (!upgraded) writeError(socket, err, meta.requestId, req.method);
  } finally {
    // Half-close first so everything written reaches the client, then let go of the socket.
    if (upgraded) socket.end(() => socket.destroy());
  }
}

/** Registers the upgrade handler for `POST /containers/:ref/attach`. */
export function installAttach(server: Server, deps: ApiDeps): void {
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void upgradeAttach(deps, req, socket, head);
  });
}

/**
 * Handler for a plain `POST /containers/:ref/attach` (no upgrade): the output
 * streams as the response body, framed as on an upgraded connection. Input
 * would need the request body to stay open, which HTTP clients rarely do, so
 * stdin is not attached.
 */
export function attachHandler(deps: ApiDeps): Handler {
  return async ({ req, res, url, ref, meta }) => {
    const options = { ...attachOptions(url.searchParams), stdin: false };
    const opened = await openAttach(deps.service, ref, options, meta);
    res.writeHead(200, { "content-type": contentType(opened.record.terminal) });
    res.flushHeaders();
    await pumpAttach({ input: req, output: res }, opened, options, () =>
      deps.service.logLines(opened.record.id),
    );
    res.end();
  };
}

/**
 * Handler for `POST /containers/:ref/resize?h=&w=`: the service writes the
 * size to conmon's control fifo (see `ContainerService.resizeTerminal`).
 */
export function resizeHandler(deps: ApiDeps): Handler {
  return async ({ req, res, url, ref }) => {
    await readJson(req, EmptyBody);
    const size = requiredTerminalSize(url.searchParams);
    await deps.service.resizeTerminal(ref, size);
    sendJson(res, 200, {});
  };
}
