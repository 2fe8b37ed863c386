/**
 * One HTTP/1.1 request and its whole answer over a unix socket, on node:net
 * alone.
 *
 * Why not node:http: a CLI verb makes one request and exits, and loading
 * node:http with its agent, then building a ClientRequest, was the largest
 * part of what `berth ps` spent before it printed (about 10 ms of its
 * start-up, bench/cli.ts). Streams (events, logs, uploads, NDJSON progress)
 * still go through node:http, which is loaded only when one is asked for.
 *
 * The request says `Connection: close`, so the answer is everything the
 * daemon sends until it closes; the body is then framed by
 * `Transfer-Encoding: chunked`, `Content-Length`, or the close itself.
 */
import { connect } from "node:net";
import { InternalError } from "../errors.js";

export interface UnaryRequest {
  socketPath: string;
  method: string;
  path: string;
  headers: Record<string, string | number>;
  body?: Buffer | string;
}

export interface UnaryAnswer {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Sends one request; rejects with the socket's own error (ENOENT, ECONNREFUSED) when it cannot. */
export async function unaryRequest(req: UnaryRequest): Promise<UnaryAnswer> {
  const bytes = requestBytes(req);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(req.socketPath);
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => {
      // The answer is whole; nothing more is owed either way.
      socket.destroy();
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (err) {
        reject(err instanceof Error ? err : new InternalError(String(err)));
      }
    });
    // write, not end: a half-closed socket makes node's HTTP server drop a
    // request whose answer is not ready yet. The daemon closes after answering.
    socket.write(bytes);
  });
}

function requestBytes(req: UnaryRequest): Buffer {
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  const lines = [`${req.method} ${req.path} HTTP/1.1`, "host: localhost", "connection: close"];
  for (const [name, value] of Object.entries(req.headers)) {
    if (/[\r\n]/.test(`${name}${value}`)) throw new TypeError(`header ${name} holds a line break`);
    lines.push(`${name}: ${value}`);
  }
  if (body) lines.push(`content-length: ${body.length}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  return body ? Buffer.concat([head, body]) : head;
}

/** Parses a complete HTTP/1.x answer (status line, headers, framed body); exported for its tests. */
export function parseAnswer(raw: Buffer): UnaryAnswer {
  const headEnd = raw.indexOf("\r\n\r\n");
  if (headEnd < 0) throw malformed("the daemon closed before the end of the headers");
  const [statusLine = "", ...headerLines] = raw
    .subarray(0, headEnd)
    .toString("latin1")
    .split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  if (status === undefined) throw malformed(`not an HTTP answer: ${statusLine.slice(0, 80)}`);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const rest = raw.subarray(headEnd + 4);
  const body = /\bchunked\b/i.test(headers.get("transfer-encoding") ?? "")
    ? dechunk(rest)
    : headers.has("content-length")
      ? rest.subarray(0, Number(headers.get("content-length")))
      : rest;
  return { status: Number(status), headers, body };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) throw malformed("a chunked answer ended inside a chunk size");
    const size = Number.parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size < 0) throw malformed("a chunk size is not hexadecimal");
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (start + size > data.length) throw malformed("a chunked answer ended inside a chunk");
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}

const malformed = (what: string) => new InternalError(`the daemon's answer is not HTTP: ${what}`);
