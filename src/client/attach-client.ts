/**
 * The client side of an HTTP attach: an upgrade request over the daemon's
 * unix socket that turns the connection into the container's stdio.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { userInfo } from "node:os";
import { DaemonUnreachableError, errorFromWire, InternalError } from "../errors.js";
import { RAW_STREAM } from "./mux-frames.js";

/** An upgraded attach connection. */
export interface AttachConnection {
  socket: Socket;
  /** Raw terminal bytes when true; multiplexed frames otherwise. */
  raw: boolean;
  /** Stream bytes that arrived with the 101 answer; they come before anything the socket emits. */
  head: Buffer;
  /** The 101 answer's headers (an exec's session id rides in `x-berth-exec-id`). */
  headers: IncomingMessage["headers"];
}

/** The same declared actor BerthClient sends. */
function defaultActor(): string {
  const u = userInfo();
  return `uid=${u.uid}(${u.username})`;
}

async function errorOf(res: IncomingMessage): Promise<Error> {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  try {
    const wire = (
      JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        error?: { code: string; message: string };
      }
    ).error;
    if (wire) return errorFromWire(wire);
  } catch {
    // Not JSON: fall through to the status.
  }
  return new InternalError(`daemon answered ${res.statusCode} to an attach request`);
}

/**
 * Sends the upgrade request for `path` (`/containers/:ref/attach?...`) and
 * resolves once the daemon switched protocols; a refusal rejects with the
 * daemon's typed error.
 */
export function openAttachConnection(
  socketPath: string,
  path: string,
  actor = defaultActor(),
  /** A JSON body sent ahead of the stream (an exec's configuration). */
  body?: string,
): Promise<AttachConnection> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      socketPath,
      method: "POST",
      path,
      headers: {
        connection: "Upgrade",
        upgrade: "tcp",
        "x-berth-actor": actor,
        ...(body !== undefined
          ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
          : {}),
      },
    });
    req.on("upgrade", (res: IncomingMessage, socket: Socket, head: Buffer) => {
      resolve({
        socket,
        raw: res.headers["content-type"] === RAW_STREAM,
        head,
        headers: res.headers,
      });
    });
    req.on("response", (res: IncomingMessage) => {
      void errorOf(res).then(reject);
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "ENOENT" || err.code === "ECONNREFUSED"
          ? new DaemonUnreachableError(
              `cannot connect to the berth daemon at ${socketPath}: is 'berth serve' running?`,
              { cause: err },
            )
          : err,
      );
    });
    req.end(body);
  });
}
