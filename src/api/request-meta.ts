/**
 * Request metadata, defined once for every transport: who asked (actor), under
 * which request id, through which client, with which idempotency key, and based
 * on which container version (If-Match). Each transport only says where its
 * headers live; the rules for reading them are here.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { RequestMeta } from "../machines/index.js";

/** Reads one header by name: undefined when it is absent or empty. */
export type HeaderReader = (name: string) => string | undefined;

/** The header that carries each field of the metadata on one transport. */
export interface MetaHeaderNames {
  actor: string;
  requestId: string;
  idempotencyKey: string;
  ifMatch: string;
}

/** HTTP's headers (case does not matter to Node, which lowercases them). */
export const HTTP_META_HEADERS: MetaHeaderNames = {
  actor: "x-berth-actor",
  requestId: "x-request-id",
  idempotencyKey: "idempotency-key",
  ifMatch: "if-match",
};

/**
 * NATS's headers. Actor and request id keep the names NATS clients already
 * send; Idempotency-Key and If-Match are the same as over HTTP.
 */
export const NATS_META_HEADERS: MetaHeaderNames = {
  actor: "Berth-Actor",
  requestId: "Berth-Request-Id",
  idempotencyKey: "Idempotency-Key",
  ifMatch: "If-Match",
};

/**
 * Builds the metadata of one request. The actor is what the client declares,
 * recorded as `declared:<actor>` (neither transport proves it here), or
 * `anonymous`. A missing request id gets a fresh one.
 */
export function buildRequestMeta(
  read: HeaderReader,
  names: MetaHeaderNames,
  client: string,
): RequestMeta {
  const declared = read(names.actor);
  const key = read(names.idempotencyKey);
  // If-Match carries the container version the client saw; quotes and W/ are tolerated.
  const ifMatch = read(names.ifMatch)?.replace(/^W\//, "").replace(/"/g, "");
  return {
    // A malformed version can match no container: NaN makes the service answer VERSION_CONFLICT.
    ...(ifMatch === undefined
      ? {}
      : { expectedVersion: /^\d+$/.test(ifMatch) ? Number(ifMatch) : NaN }),
    actor: declared ? `declared:${declared}` : "anonymous",
    requestId: read(names.requestId) ?? randomUUID(),
    client,
    ...(key ? { idempotencyKey: key } : {}),
  };
}

/**
 * The metadata of an HTTP request, including the upgrade requests that never
 * reach the router. The client is `http:<user-agent>`.
 */
export function requestMeta(req: IncomingMessage): RequestMeta {
  const read: HeaderReader = (name) => {
    const v = req.headers[name];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  return buildRequestMeta(read, HTTP_META_HEADERS, `http:${read("user-agent") ?? "unknown"}`);
}
