/**
 * Who asked, under which request id, through which client, with which
 * idempotency key: read from the headers of any request, including the
 * upgrade requests that never reach the router.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { RequestMeta } from "../machines/index.js";

/** The client declares who it is; berth records it as declared, not proven. */
export function requestMeta(req: IncomingMessage): RequestMeta {
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const declared = header("x-berth-actor");
  const key = header("idempotency-key");
  // If-Match carries the container version the client saw; quotes and W/ are tolerated.
  const ifMatch = header("if-match")?.replace(/^W\//, "").replace(/"/g, "");
  return {
    ...(ifMatch === undefined
      ? {}
      : { expectedVersion: /^\d+$/.test(ifMatch) ? Number(ifMatch) : NaN }),
    actor: declared ? `declared:${declared}` : "anonymous",
    requestId: header("x-request-id") ?? randomUUID(),
    client: `http:${header("user-agent") ?? "unknown"}`,
    ...(key ? { idempotencyKey: key } : {}),
  };
}
