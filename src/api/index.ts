/**
 * The transports: the HTTP API on the unix socket and the NATS request/reply
 * API, both adapters over one operation table (operation-table.ts), plus the
 * daemon's own routes (status, events, audit, attach, health).
 */
export { apiServer, claimSocketPath, listenOnSocket } from "./server.js";
export { attachHandler, resizeHandler, upgradeAttach } from "./attach-route.js";
export { pumpAttach, type AttachEnd, type AttachIo } from "./attach-pump.js";
export { requiredTerminalSize, type AttachOptions } from "./attach-options.js";
export { buildRequestMeta, HTTP_META_HEADERS, type HeaderReader } from "./request-meta.js";
export type { ApiDeps } from "./api-deps.js";
export type { Handler, RouteContext } from "./router.js";
export { decodeSegment } from "./router.js";
export { eventsRoute, MIN_BUFFER_BYTES, type EventsRouteOptions } from "./events-route.js";
export type { SubscriberStats } from "./event-subscribers.js";
export { NatsApi, natsRequestMeta, type NatsApiDeps } from "./nats-api.js";
export {
  OPERATION_NAMES,
  operationTable,
  type OperationName,
  type OperationTable,
} from "./operation-table.js";
export type { AnswerKind, Operation } from "./operation.js";
export { exportRoute } from "./container-routes.js";
export { DEFAULT_MAX_IMPORT_BYTES } from "./image-routes.js";
export { upgradeBody } from "./exec-route.js";
export { readBytes } from "./http-io.js";
