/**
 * Writing by hand on a connection the HTTP server handed over for an
 * upgrade (attach and attached exec): the 101 answer and error answers.
 */
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { asBerthError } from "../errors.js";
import { MULTIPLEXED_STREAM, RAW_STREAM } from "../client/index.js";

export const contentType = (terminal: boolean) => (terminal ? RAW_STREAM : MULTIPLEXED_STREAM);

/** The 101 answer; the content type tells the client whether frames follow. */
export function upgradeHead(terminal: boolean, requestId: string): string {
  return [
    "HTTP/1.1 101 UPGRADED",
    `Content-Type: ${contentType(terminal)}`,
    "Connection: Upgrade",
    "Upgrade: tcp",
    `X-Request-Id: ${requestId}`,
    "",
    "",
  ].join("\r\n");
}

/**
 * A JSON error response written onto a socket the HTTP server no longer
 * manages. An answer to HEAD carries no body: the client would read it as
 * the start of a next response.
 */
export function writeError(socket: Duplex, err: unknown, requestId: string, method?: string): void {
  const e = asBerthError(err);
  const body = JSON.stringify({ error: e.toJSON() });
  const head = [
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? "Error"}`,
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    "Connection: close",
    "",
    "",
  ].join("\r\n");
  socket.end(method === "HEAD" ? head : head + body);
}
