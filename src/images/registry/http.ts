/**
 * One HTTP(S) exchange with a registry, on node:http / node:https: keep-alive
 * agents, a per-socket idle timeout (a stalled layer counts as a dropped
 * one), redirects (blobs are often served from a CDN), and which failures
 * are worth another attempt.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { RegistryUnavailableError } from "../../errors.js";

/** How the client may talk to one registry. */
export interface TransportOptions {
  /** Verify the registry's certificate (default true). False also allows plain HTTP. */
  tlsVerify?: boolean;
  /** Extra trusted CA certificates (PEM), for a registry with a private CA. */
  ca?: string | Buffer;
  /** A socket silent this long is dropped and the request retried (default 30 s). */
  idleTimeoutMs?: number;
}

const MAX_REDIRECTS = 5;

/** Network error codes after which the same request may succeed. */
const RETRYABLE = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/** True for a dropped or refused connection (not an abort, not a protocol answer). */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && RETRYABLE.has(code);
}

/** True when `err` says the peer does not speak TLS (a plain-HTTP registry). */
export function isNotTls(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "EPROTO" || code === "ERR_SSL_WRONG_VERSION_NUMBER";
}

/**
 * The media type of a Content-Type header, its parameters (`; charset=…`)
 * dropped and lowercased (media types are case-insensitive; berth compares
 * them as strings).
 */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  return type === "" ? undefined : type;
}

export class Transport {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;
  private readonly idleMs: number;
  readonly tlsVerify: boolean;

  constructor(options: TransportOptions = {}) {
    this.tlsVerify = options.tlsVerify !== false;
    this.idleMs = options.idleTimeoutMs ?? 30_000;
    this.http = new HttpAgent({ keepAlive: true, maxSockets: 16 });
    this.https = new HttpsAgent({
      keepAlive: true,
      maxSockets: 16,
      rejectUnauthorized: this.tlsVerify,
      ...(options.ca !== undefined && { ca: options.ca }),
    });
  }

  /**
   * GETs `url` and resolves with the response once its headers arrive,
   * following redirects. Authorization is sent only to the first host: a
   * redirect elsewhere (a CDN) must not receive the registry's credentials.
   */
  async get(
    url: URL,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<IncomingMessage> {
    let target = url;
    let sent = headers;
    for (let hop = 0; ; hop++) {
      const res = await this.once(target, sent, signal);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(status) || location === undefined) return res;
      res.resume();
      if (hop >= MAX_REDIRECTS)
        throw new RegistryUnavailableError(`too many redirects fetching ${url.pathname}`);
      const next = new URL(location, target);
      if (next.protocol !== "https:" && (next.protocol !== "http:" || this.tlsVerify))
        throw new RegistryUnavailableError(`refused a redirect to ${next.protocol}//${next.host}`);
      if (next.host !== url.host) {
        const { authorization: _dropped, ...rest } = sent;
        sent = rest;
      }
      target = next;
    }
  }

  private once(
    url: URL,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<IncomingMessage> {
    const secure = url.protocol === "https:";
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: "GET",
        headers: { "user-agent": "berth", ...headers },
        agent: secure ? this.https : this.http,
        ...(signal !== undefined && { signal }),
      });
      req.setTimeout(this.idleMs, () =>
        req.destroy(Object.assign(new Error("the registry went silent"), { code: "ETIMEDOUT" })),
      );
      req.once("response", resolve);
      req.once("error", reject);
      req.end();
    });
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** Reads a whole response body, refusing one longer than `max` bytes. */
export async function readBody(res: IncomingMessage, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers["content-length"] ?? 0);
  if (declared > max) {
    res.destroy();
    throw new RegistryUnavailableError(`${what} is ${declared} bytes, more than ${max}`);
  }
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) {
      res.destroy();
      throw new RegistryUnavailableError(`${what} is more than ${max} bytes`);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
