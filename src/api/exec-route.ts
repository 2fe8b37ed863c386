/**
 * Exec over HTTP. `POST /containers/:ref/exec` with a JSON body (ExecBody)
 * creates and starts a session: detached, the answer is the session; attached,
 * the connection is upgraded as for attach (the body rides ahead of the
 * stream, its length in Content-Length) and carries the session's stdio.
 * Without an upgrade the output streams as the response body (no stdin), and
 * the exit code follows as the `X-Berth-Exit-Code` trailer. `GET
 * /containers/:ref/exec/:id[?wait=1]` inspects a session; `POST
 * /containers/:ref/exec/:id/resize?h=&w=` resizes its terminal.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { InvalidArgError } from "../errors.js";
import { MULTIPLEXED_STREAM, RAW_STREAM } from "../client/index.js";
import { parseInput } from "./operation.js";
import type { ExecHandle } from "../service/index.js";
import type { ApiDeps } from "./api-deps.js";
import { attachOptions, requiredTerminalSize } from "./attach-options.js";
import { pumpAttach } from "./attach-pump.js";
import { upgradeHead, writeError } from "./upgrade-io.js";
import { readJson, sendJson } from "./http-io.js";
import { requestMeta } from "./request-meta.js";
import { decodeSegment, requestUrl, type Handler } from "./router.js";
import { EmptyBody, ExecBody } from "./schemas.js";

export const EXEC_PATH = /^\/containers\/([^/]+)\/exec$/;

/** The largest exec body an upgrade request may carry. */
const MAX_EXEC_BODY = 1 << 20;

/** The trailer that carries an attached exec's exit code on a plain (not upgraded) stream. */
export const EXIT_CODE_TRAILER = "X-Berth-Exit-Code";

/** Reads `length` bytes of body that follow an upgrade request's head; the rest is stdin. */
export async function upgradeBody(
  socket: Duplex,
  head: Buffer,
  length: number,
): Promise<{ body: Buffer; rest: Buffer }> {
  let got = head;
  if (got.length < length) {
    const chunks = [head];
    let total = head.length;
    for await (const chunk of socket.iterator({ destroyOnReturn: false })) {
      chunks.push(chunk as Buffer);
      total += (chunk as Buffer).length;
      if (total >= length) break;
    }
    got = Buffer.concat(chunks);
    if (got.length < length) throw new InvalidArgError("the exec body ended early");
  }
  return { body: got.subarray(0, length), rest: got.subarray(length) };
}

function execBody(text: string) {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgError(`malformed JSON body: ${(err as Error).message}`, { cause: err });
  }
  return parseInput(ExecBody, value);
}

/** What `pumpAttach` needs of the container, with the session's terminal and stdin. */
const streamOf = (h: ExecHandle) => ({
  record: { ...h.record, terminal: h.session.tty, stdin: h.session.stdin },
  ...(h.attach ? { session: h.attach } : {}),
});

/** The upgraded exec: an attached session with stdin (and a terminal) if asked. */
export async function upgradeExec(
  deps: ApiDeps,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const meta = requestMeta(req);
  let upgraded = false;
  try {
    const url = requestUrl(req.url);
    const ref = EXEC_PATH.exec(url.pathname)?.[1];
    if (req.method !== "POST" || ref === undefined) {
      throw new InvalidArgError(`no upgrade route ${req.method} ${url.pathname}`);
    }
    const length = Number(req.headers["content-length"] ?? "0");
    if (!Number.isInteger(length) || length <= 0 || length > MAX_EXEC_BODY) {
      throw new InvalidArgError(`an exec needs a JSON body of 1 to ${MAX_EXEC_BODY} bytes`);
    }
    const options = attachOptions(url.searchParams);
    const { body, rest } = await upgradeBody(socket, head, length);
    const input = execBody(body.toString("utf8"));
    if (input.detach) throw new InvalidArgError("a detached exec is not upgraded: send it plain");
    const handle = await deps.service.exec(decodeSegment(ref), input, meta);
    socket.write(
      upgradeHead(handle.session.tty, meta.requestId).replace(
        "\r\n\r\n",
        `\r\nX-Berth-Exec-Id: ${handle.session.id}\r\n\r\n`,
      ),
    );
    upgraded = true;
    const opts = { ...options, stdin: handle.session.stdin, logs: false };
    await pumpAttach({ input: socket, head: rest, output: socket }, streamOf(handle), opts, () =>
      (async function* () {})(),
    );
  } catch (err) {
    if (!upgraded) writeError(socket, err, meta.requestId, req.method);
  } finally {
    if (upgraded) socket.end(() => socket.destroy());
  }
}

/** `POST /containers/:ref/exec` without an upgrade: detached, or output only. */
export function execHandler(deps: ApiDeps): Handler {
  return async ({ req, res, ref, url, meta }) => {
    const input = await readJson(req, ExecBody);
    if (input.stdin) {
      throw new InvalidArgError("stdin needs an upgraded connection (Connection: Upgrade)");
    }
    const handle = await deps.service.exec(ref, input, meta);
    if (input.detach) {
      sendJson(res, 201, { ...handle.session, containerId: handle.record.id });
      return;
    }
    res.writeHead(200, {
      "content-type": handle.session.tty ? RAW_STREAM : MULTIPLEXED_STREAM,
      "x-berth-exec-id": handle.session.id,
      trailer: EXIT_CODE_TRAILER,
    });
    res.flushHeaders();
    const options = { ...attachOptions(url.searchParams), stdin: false, logs: false };
    const end = await pumpAttach({ input: req, output: res }, streamOf(handle), options, () =>
      (async function* () {})(),
    );
    if (end === "exited") res.addTrailers({ [EXIT_CODE_TRAILER]: String(await handle.exitCode) });
    res.end();
  };
}

/** `GET /containers/:ref/exec/:id`; with `wait=1`, answers once the session has ended. */
export function execInspectHandler(deps: ApiDeps): Handler {
  return async ({ res, ref, name, url }) => {
    const wait = ["1", "true"].includes(url.searchParams.get("wait") ?? "");
    sendJson(res, 200, await deps.service.execInspect(ref, name, wait));
  };
}

/** `POST /containers/:ref/exec/:id/resize?h=&w=`. */
export function execResizeHandler(deps: ApiDeps): Handler {
  return async ({ req, res, ref, name, url }) => {
    await readJson(req, EmptyBody);
    await deps.service.execResize(ref, name, requiredTerminalSize(url.searchParams));
    sendJson(res, 200, {});
  };
}
