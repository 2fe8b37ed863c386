/**
 * A client for the daemon's unix-socket API: JSON requests, typed errors back,
 * and the event feed as an async iterator over NDJSON.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { userInfo } from "node:os";
import type { Readable } from "node:stream";
import { DaemonUnreachableError, errorFromWire, InternalError } from "../errors.js";
import type { CloudEvent } from "../events/index.js";
import { toSearchParams, type EventQuery } from "../events/index.js";
import { ndjsonEvents } from "./ndjson.js";

export interface ClientOptions {
  socketPath: string;
  /** Who the requests are on behalf of; recorded as declared. */
  actor?: string;
}

function defaultActor(): string {
  const u = userInfo();
  return `uid=${u.uid}(${u.username})`;
}

/** A raw request body streamed from a file: a tar archive of `size` bytes. */
interface Upload {
  stream: Readable;
  size: number;
}

export class BerthClient {
  private readonly actor: string;

  constructor(private readonly options: ClientOptions) {
    this.actor = options.actor ?? defaultActor();
  }

  /** A request whose answer is raw bytes (artifacts); errors still come back typed. */
  async raw(method: string, path: string): Promise<Buffer> {
    const res = await this.open(method, path);
    const data = await readBuffer(res);
    if ((res.statusCode ?? 500) >= 400) throw wireError(res.statusCode, data.toString("utf8"));
    return data;
  }

  /**
   * A container's root filesystem as a tar stream (`GET /containers/<ref>/export`).
   * The caller writes it where it wants, as its own user; the daemon writes nothing outside its root.
   */
  async exportRootfs(ref: string): Promise<Readable> {
    const res = await this.open("GET", `/containers/${encodeURIComponent(ref)}/export`);
    if ((res.statusCode ?? 500) >= 400) throw wireError(res.statusCode, await readAll(res));
    return res;
  }

  /** Uploads a tar archive of `size` bytes and imports it, naming its images `name` when given. */
  async importImage<T>(name: string | undefined, stream: Readable, size: number): Promise<T> {
    const query = name !== undefined ? `?name=${encodeURIComponent(name)}` : "";
    const res = await this.open("POST", `/images${query}`, {
      stream,
      size,
    });
    const text = await readAll(res);
    if ((res.statusCode ?? 500) >= 400) throw wireError(res.statusCode, text);
    return JSON.parse(text) as T;
  }

  /** The lines of an NDJSON answer (exports, replay progress, a pull's progress), as they arrive. */
  async *lines(path: string, method = "GET", body?: unknown): AsyncGenerator<string> {
    const res = await this.open(method, path, body);
    if ((res.statusCode ?? 500) >= 400)
      throw wireError(res.statusCode, (await readBuffer(res)).toString("utf8"));
    res.setEncoding("utf8");
    let rest = "";
    for await (const chunk of res as AsyncIterable<string>) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) if (line.trim() !== "") yield line;
    }
    if (rest.trim() !== "") yield rest;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.open(method, path, body);
    const text = await readAll(res);
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch (err) {
      throw new InternalError(`daemon answered ${res.statusCode} with malformed JSON`, {
        cause: err,
      });
    }
    if ((res.statusCode ?? 500) >= 400) {
      const wire = (parsed as { error?: { code: string; message: string } } | undefined)?.error;
      throw wire ? errorFromWire(wire) : new InternalError(`daemon answered ${res.statusCode}`);
    }
    return parsed as T;
  }

  /**
   * Streams journal events (history, then live unless `follow` is false), in
   * batches as they arrive. An error the daemon ends the stream with is thrown
   * typed; aborting `signal` ends the stream.
   */
  async *eventBatches(query: EventQuery = {}, signal?: AbortSignal): AsyncGenerator<CloudEvent[]> {
    const res = await this.open(
      "GET",
      `/events?${toSearchParams(query).toString()}`,
      undefined,
      signal,
    );
    if ((res.statusCode ?? 500) >= 400) throw wireError(res.statusCode, await readAll(res));
    res.setEncoding("utf8");
    yield* ndjsonEvents(res as AsyncIterable<string>);
  }

  /** Streams journal events one by one; see `eventBatches`. */
  async *events(query: EventQuery = {}, signal?: AbortSignal): AsyncGenerator<CloudEvent> {
    for await (const batch of this.eventBatches(query, signal)) yield* batch;
  }

  private open(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    const upload = isUpload(body) ? body : undefined;
    const payload =
      body === undefined || upload
        ? undefined
        : Buffer.isBuffer(body)
          ? body
          : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          socketPath: this.options.socketPath,
          ...(signal ? { signal } : {}),
          method,
          path,
          headers: {
            "x-berth-actor": this.actor,
            "user-agent": "berth-cli",
            ...(upload
              ? { "content-type": "application/x-tar", "content-length": upload.size }
              : {}),
            ...(payload
              ? {
                  "content-type": Buffer.isBuffer(payload)
                    ? "application/octet-stream"
                    : "application/json",
                  "content-length": Buffer.byteLength(payload),
                }
              : {}),
          },
        },
        resolve,
      );
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT" || err.code === "ECONNREFUSED") {
          reject(
            new DaemonUnreachableError(
              `cannot connect to the berth daemon at ${this.options.socketPath}: is 'berth serve' running?`,
              { cause: err },
            ),
          );
        } else reject(err);
      });
      if (upload) {
        upload.stream.once("error", (err) => req.destroy(err));
        upload.stream.pipe(req);
      } else req.end(payload);
    });
  }
}

const isUpload = (body: unknown): body is Upload =>
  typeof body === "object" && body !== null && "stream" in body && "size" in body;

async function readBuffer(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

const readAll = async (res: IncomingMessage) => (await readBuffer(res)).toString("utf8");

function wireError(status: number | undefined, text: string) {
  try {
    const wire = (JSON.parse(text) as { error?: { code: string; message: string } }).error;
    if (wire) return errorFromWire(wire);
  } catch {
    // Not JSON: fall through to a generic error.
  }
  return new InternalError(`daemon answered ${status}`);
}
