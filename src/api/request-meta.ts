/**
 * Who asked, under which request id: read from the headers of any request,
 * including the upgrade requests that never reach the router.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { RequestMeta } from "../machines/index.js";

/** The client declares who it is; berth records it as declared, not proven. */
export function requestMeta(req: IncomingMessage): RequestMeta {
  const declared = req.headers["x-berth-actor"];
  const requestId = req.headers["x-request-id"];
  return {
    actor: typeof declared === "string" && declared !== "" ? `declared:${declared}` : "anonymous",
    requestId: typeof requestId === "string" && requestId !== "" ? requestId : randomUUID(),
  };
}
