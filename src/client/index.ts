/**
 * berth/client: everything a subscriber or an operator's tool needs.
 *
 * - `subscribe`: typed events over the daemon's unix socket, history then
 *   live, resuming after a sequence, reconnecting on its own.
 * - `natsSubscribe`: the same events from JetStream, for one host or a fleet.
 * - `FleetClient`: the control API over NATS request/reply.
 * - `BerthClient`: the control API over the unix socket.
 */
export { BerthClient, type ClientOptions } from "../api/client.js";
export type { EventQuery } from "../api/event-query.js";
export {
  BerthError,
  DaemonUnreachableError,
  errorFromWire,
  NatsUnavailableError,
  SlowConsumerError,
  type ErrorCode,
} from "../errors.js";
export { actionOf, CloudEventSchema, type CloudEvent } from "../events/envelope.js";
export type { NatsAuth, NatsEndpoint, NatsTls } from "../store/nats-options.js";
export { apiSubject } from "../store/nats-stream.js";
export { FleetClient, type CallOptions, type FleetOptions } from "./fleet.js";
export { natsSubscribe, type NatsDelivery, type NatsSubscribeOptions } from "./nats-subscribe.js";
export { subscribe, type SubscribeOptions } from "./subscribe.js";
