/**
 * A client for one repository of an OCI distribution registry: the `/v2/`
 * ping that learns how to authenticate, bearer tokens and basic auth,
 * manifests, and blobs as streams that resume after a dropped connection.
 */
import type { IncomingMessage } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import {
  RegistryAuthError,
  RegistryNotFoundError,
  RegistryUnavailableError,
} from "../../errors.js";
import type { Digest } from "../digest.js";
import { basicAuth, parseChallenge, type Challenge, type Credentials } from "./auth.js";
import {
  isNotTls,
  isRetryable,
  mediaTypeOf,
  readBody,
  Transport,
  type TransportOptions,
} from "./http.js";

/** How to reach and authenticate against one registry. */
export interface ClientOptions extends TransportOptions {
  /** Basic-auth credentials (also sent to a bearer token realm). */
  credentials?: Credentials;
  /** Attempts per request or blob before giving up (default 4). */
  attempts?: number;
  signal?: AbortSignal;
}

const MAX_TOKEN_BYTES = 64 * 1024;
const MAX_ERROR_BYTES = 64 * 1024;
// Docker Hub's registry host; `docker.io` itself serves no API.
const DOCKER_HUB = new Set(["docker.io", "index.docker.io"]);
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const REPOSITORY =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** What to try when a TLS handshake met a server that does not speak TLS. */
function tlsHint(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code === "EPROTO" || /wrong version number/.test(e.message ?? "")
    ? " (the registry does not answer TLS: if it serves plain HTTP, pull with --tls-verify=false)"
    : "";
}

/** True for a registry host[:port] berth will send a request to. */
export const isRegistryHost = (h: string): boolean => h.length <= 255 && HOST.test(h);
/** True for a repository path as the distribution spec defines it. */
export const isRepository = (r: string): boolean => r.length <= 255 && REPOSITORY.test(r);

/** A body the registry answered with, and what it said about it. */
export interface Fetched {
  body: Buffer;
  /** The Content-Type's media type, its parameters (`; charset=…`) dropped. */
  mediaType: string | undefined;
  /** The `Docker-Content-Digest` header, when the registry sent one. */
  digest: string | undefined;
}

export class RegistryClient {
  private readonly transport: Transport;
  private readonly host: string;
  private scheme: "https:" | "http:" = "https:";
  private authorization: string | undefined;
  private readonly attempts: number;

  /** `registry` is a host[:port]; `repository` a path such as `library/busybox`. */
  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly options: ClientOptions = {},
  ) {
    this.host = DOCKER_HUB.has(registry) ? "registry-1.docker.io" : registry;
    this.attempts = Math.max(1, options.attempts ?? 4);
    this.transport = new Transport(options);
  }

  /**
   * Checks that the registry speaks the API and authenticates up front when
   * it asks to. Without TLS verification a registry that does not speak TLS
   * is tried again over plain HTTP, as Podman does with --tls-verify=false.
   */
  async ping(): Promise<void> {
    let res: IncomingMessage;
    try {
      res = await this.retrying("/v2/", () => this.send("/v2/", {}));
    } catch (err) {
      if (this.transport.tlsVerify || !isNotTls((err as { cause?: unknown }).cause)) throw err;
      this.scheme = "http:";
      res = await this.retrying("/v2/", () => this.send("/v2/", {}));
    }
    res.resume();
    if (res.statusCode === 401) await this.authenticate(res);
  }

  /** The manifest `reference` (a tag or a digest), read whole (bounded). */
  async manifest(reference: string, accept: string, max: number): Promise<Fetched> {
    const path = `/v2/${this.repository}/manifests/${reference}`;
    const res = await this.authed(path, { accept });
    const body = await readBody(res, max, `the manifest ${reference}`);
    const digest = res.headers["docker-content-digest"];
    return { body, mediaType: mediaTypeOf(res.headers["content-type"]), digest: first(digest) };
  }

  /**
   * The blob `digest` as a stream of chunks. A connection that drops or
   * stalls mid-blob is reopened with `Range: bytes=<received>-`; a registry
   * that ignores the range sends the whole blob again and the part already
   * passed on is skipped, so the consumer sees each byte once either way.
   * Bytes are not verified here: the consumer (BlobStore.put) hashes them.
   * `size`, when known, lets a body that ends early count as a drop.
   */
  async *blob(
    digest: Digest,
    size?: number,
    onBytes?: (received: number) => void,
  ): AsyncGenerator<Buffer> {
    const path = `/v2/${this.repository}/blobs/${digest}`;
    let received = 0;
    for (let failure = 0; ;) {
      const res = await this.authed(path, received > 0 ? { range: `bytes=${received}-` } : {});
      let skip = 0;
      if (received > 0 && res.statusCode === 200) skip = received;
      else if (
        received > 0 &&
        !String(res.headers["content-range"]).startsWith(`bytes ${received}-`)
      ) {
        res.destroy();
        throw new RegistryUnavailableError(`the registry resumed ${digest} at the wrong offset`);
      }
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          if (skip >= chunk.length) {
            skip -= chunk.length;
            continue;
          }
          const part = skip > 0 ? chunk.subarray(skip) : chunk;
          skip = 0;
          received += part.length;
          onBytes?.(received);
          yield part;
        }
        // A body that ends short without an error (no Content-Length, a proxy
        // closing early) is a dropped connection too, not a bad blob.
        if (size === undefined || received >= size) return;
        throw Object.assign(new Error(`the body ended at ${received} bytes`), {
          code: "ECONNRESET",
        });
      } catch (err) {
        this.options.signal?.throwIfAborted();
        if (!isRetryable(err) || ++failure >= this.attempts)
          throw new RegistryUnavailableError(
            `the download of ${digest} failed after ${failure} attempt(s), at ${received} bytes`,
            { cause: err },
          );
        await this.backoff(failure);
      } finally {
        res.destroy();
      }
    }
  }

  /** Closes the client's idle connections. */
  close(): void {
    this.transport.close();
  }

  /** GETs `path` with the current authorization, authenticating once on a 401. */
  private async authed(path: string, headers: Record<string, string>): Promise<IncomingMessage> {
    for (let round = 0; ; round++) {
      const res = await this.retrying(path, () => this.send(path, headers));
      const status = res.statusCode ?? 0;
      if (status === 401 && round === 0) {
        await this.authenticate(res);
        continue;
      }
      if (status >= 200 && status < 300) return res;
      throw await this.failure(res, path);
    }
  }

  private send(path: string, headers: Record<string, string>): Promise<IncomingMessage> {
    const url = new URL(`${this.scheme}//${this.host}${path}`);
    const auth: Record<string, string> =
      this.authorization !== undefined ? { authorization: this.authorization } : {};
    return this.transport.get(url, { ...headers, ...auth }, this.options.signal);
  }

  /** Runs `request` until it yields a response that is not a 5xx or 429, or attempts run out. */
  private async retrying(
    path: string,
    request: () => Promise<IncomingMessage>,
  ): Promise<IncomingMessage> {
    for (let attempt = 1; ; attempt++) {
      let res: IncomingMessage;
      try {
        res = await request();
      } catch (err) {
        this.options.signal?.throwIfAborted();
        if (!isRetryable(err) || attempt >= this.attempts)
          throw new RegistryUnavailableError(
            `cannot reach ${this.registry} for ${path}: ${(err as Error).message}${tlsHint(err)}`,
            { cause: err },
          );
        await this.backoff(attempt);
        continue;
      }
      const status = res.statusCode ?? 0;
      if ((status < 500 && status !== 429) || attempt >= this.attempts) return res;
      res.resume();
      await this.backoff(attempt);
    }
  }

  private backoff(attempt: number): Promise<void> {
    return sleep(100 * 2 ** (attempt - 1), undefined, { signal: this.options.signal });
  }

  /** Answers a 401: basic credentials, or a bearer token from the challenge's realm. */
  private async authenticate(res: IncomingMessage): Promise<void> {
    res.resume();
    const challenge = parseChallenge(first(res.headers["www-authenticate"]));
    const creds = this.options.credentials;
    if (challenge?.scheme === "bearer") {
      this.authorization = `Bearer ${await this.token(challenge)}`;
      return;
    }
    if (challenge?.scheme === "basic" && creds !== undefined && this.authorization === undefined) {
      this.authorization = basicAuth(creds);
      return;
    }
    throw new RegistryAuthError(
      creds === undefined
        ? `${this.registry} requires credentials`
        : `${this.registry} refused the credentials of ${creds.username}`,
    );
  }

  /** Fetches a bearer token for pulling this repository. */
  private async token(challenge: Challenge): Promise<string> {
    const { realm, service } = challenge.params;
    let url: URL;
    try {
      url = new URL(realm ?? "");
    } catch {
      throw new RegistryUnavailableError(`${this.registry} sent a bad token realm`);
    }
    // A token realm over plain HTTP would expose the credentials sent to it.
    if (url.protocol !== "https:" && (url.protocol !== "http:" || this.transport.tlsVerify))
      throw new RegistryUnavailableError(`refused the token realm ${url.protocol}//${url.host}`);
    if (service !== undefined) url.searchParams.set("service", service);
    url.searchParams.set("scope", `repository:${this.repository}:pull`);
    const creds = this.options.credentials;
    const headers: Record<string, string> =
      creds !== undefined ? { authorization: basicAuth(creds) } : {};
    const res = await this.retrying("token", () =>
      this.transport.get(url, headers, this.options.signal),
    );
    if (res.statusCode === 401 || res.statusCode === 403) {
      res.resume();
      throw new RegistryAuthError(`${this.registry}'s token service refused the credentials`);
    }
    if (res.statusCode !== 200) throw await this.failure(res, "token");
    const body = await readBody(res, MAX_TOKEN_BYTES, "the token answer");
    let parsed: { token?: unknown; access_token?: unknown };
    try {
      parsed = JSON.parse(body.toString("utf8")) as typeof parsed;
    } catch {
      throw new RegistryUnavailableError(`${this.registry}'s token answer is not JSON`);
    }
    const token = parsed.token ?? parsed.access_token;
    if (typeof token !== "string" || token === "" || /[\r\n]/.test(token))
      throw new RegistryUnavailableError(`${this.registry}'s token answer has no token`);
    return token;
  }

  /** The typed error for a non-2xx answer, with the registry's error codes in the message. */
  private async failure(res: IncomingMessage, path: string): Promise<Error> {
    const status = res.statusCode ?? 0;
    const body = await readBody(res, MAX_ERROR_BYTES, "the error answer").catch(() => Buffer.of());
    let codes = "";
    try {
      const errors = (JSON.parse(body.toString("utf8")) as { errors?: { code?: unknown }[] })
        .errors;
      codes = (errors ?? []).map((e) => String(e.code)).join(", ");
    } catch {
      // Not JSON: the status says enough.
    }
    const what = `${this.registry}/${this.repository}: ${path} answered ${status}${codes && ` (${codes})`}`;
    if (status === 404) return new RegistryNotFoundError(what);
    if (status === 401 || status === 403) return new RegistryAuthError(what);
    return new RegistryUnavailableError(what);
  }
}

const first = (v: string | string[] | undefined): string | undefined =>
  Array.isArray(v) ? v[0] : v;
