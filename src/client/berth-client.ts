/**
 * A client for the daemon's unix-socket API: JSON requests, typed errors back,
 * and the event feed as an async iterator over NDJSON.
 */
import type { IncomingMessage, RequestOptions } from "node:http";
import { userInfo } from "node:os";
import type { Readable } from "node:stream";
import { DaemonUnreachableError, errorFromWire, InternalError } from "../errors.js";
import type { CloudEvent } from "../events/index.js";
import { toSearchParams, type EventQuery } from "../events/index.js";
import { ndjsonEvents } from "./ndjson.js";
import { unaryRequest } from "./unix-request.js";

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
    const { status, body } = await this.unary(method, path);
    if (status >= 400) throw wireError(status, body.toString("utf8"));
    return body;
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
    const { status, body: answer } = await this.unary(method, path, body);
    const text = answer.toString("utf8");
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch (err) {
      throw new InternalError(`daemon answered ${status} with malformed JSON`, { cause: err });
    }
    if (status >= 400) {
      const wire = (parsed as { error?: { code: string; message: string } } | undefined)?.error;
      throw wire ? errorFromWire(wire) : new InternalError(`daemon answered ${status}`);
    }
    return parsed as T;
  }

  /** A request answered whole; see unix-request.ts for why it does not use node:http. */
  private async unary(method: string, path: string, body?: unknown) {
    const payload =
      body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body);
    try {
      return await unaryRequest({
        socketPath: this.options.socketPath,
        method,
        path,
        headers: this.headers(payload),
        ...(payload !== undefined ? { body: payload } : {}),
      });
    } catch (err) {
      throw this.unreachable(err as Error);
    }
  }

  private headers(payload?: Buffer | string): Record<string, string> {
    return {
      "x-berth-actor": this.actor,
      "user-agent": "berth-cli",
      ...(payload === undefined
        ? {}
        : {
            "content-type": Buffer.isBuffer(payload)
              ? "application/octet-stream"
              : "application/json",
          }),
    };
  }

  /** The socket's ENOENT and ECONNREFUSED mean no daemon listens there; other errors pass as they are. */
  private unreachable(err: Error): Error {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ECONNREFUSED"
      ? new DaemonUnreachableError(
          `cannot connect to the berth daemon at ${this.options.socketPath}: is 'berth serve' running?`,
          { cause: err },
        )
      : err;
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

  private async open(
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
    // Loaded here, not at the top: a verb that makes only unary requests never needs it.
    const { httpRequest } = await import("./streaming-http.js");
    return new Promise((resolve, reject) => {
      const options: RequestOptions & AgentServerName = {
        socketPath: this.options.socketPath,
        servername: NO_TLS_NAME,
        ...(signal ? { signal } : {}),
        method,
        path,
        headers: {
          ...this.headers(payload),
          ...(upload ? { "content-type": "application/x-tar", "content-length": upload.size } : {}),
          ...(payload !== undefined ? { "content-length": Buffer.byteLength(payload) } : {}),
        },
      };
      const req = httpRequest(options, resolve);
      req.on("error", (err) => reject(this.unreachable(err)));
      if (upload) {
        upload.stream.once("error", (err) => req.destroy(err));
        upload.stream.pipe(req);
      } else req.end(payload);
    });
  }
}

/**
 * A unix socket has no TLS name, but without one node's agent derives it
 * through net.isIP, whose first call compiles a regex that cost the CLI about
 * 13 ms of its start-up. The agent reads `servername`; the type leaves it out.
 */
type AgentServerName = { servername: string };
const NO_TLS_NAME = "berth";

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
