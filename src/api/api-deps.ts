/**
 * What the HTTP API is built from. A file of its own because both the server
 * and the attach route need it, and the server imports the attach route:
 * declared in either, it would tie the two into an import cycle.
 */
import type { RelayStatus } from "../nats/index.js";
import type { AuditCheckpoints, ContainerService } from "../service/index.js";
import type { Journal } from "../store/index.js";
import type { EventsRouteOptions } from "./events-route.js";

export interface ApiDeps {
  service: ContainerService;
  journal: Journal;
  version: string;
  relay?: { status(): RelayStatus };
  /** The NATS request/reply API, when the daemon serves one. */
  natsApi?: { status(): { connected: boolean; subject: string } };
  /** Slow-consumer and keep-alive settings of `GET /events`. */
  events?: EventsRouteOptions;
  /** The largest image archive a client may upload, in bytes. */
  maxImportBytes?: number;
  /** Signed checkpoints and proofs (`/audit/key`, `/audit/checkpoint`, `/audit/prove`). */
  checkpoints?: AuditCheckpoints;
}
