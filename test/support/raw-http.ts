/**
 * Raw HTTP requests on the daemon's unix socket, for tests that must send what
 * no well-behaved client would: bad percent-encoding, unknown fields, odd
 * methods, upgrade requests. The path goes out exactly as given.
 */
import { request } from "node:http";

export interface RawAnswer {
  status: number;
  body: string;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Gives up on the request (the promise rejects) when aborted. */
  signal?: AbortSignal;
}

/** Sends one request and reads the whole answer; an upgrade that succeeds is closed at once. */
export function rawRequest(socketPath: string, r: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method: r.method,
        path: r.path,
        headers: r.headers ?? {},
        ...(r.signal ? { signal: r.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, body: "" });
    });
    req.on("error", reject);
    req.end(r.body);
  });
}
