/**
 * berth/client: everything a subscriber or an operator's tool needs.
 *
 * - `subscribe`: typed events over the daemon's unix socket, history then
 *   live, resuming after a sequence, reconnecting on its own.
 * - `natsSubscribe`: the same events from JetStream, for one host or a fleet.
 * - `FleetClient`: the control API over NATS request/reply.
 * - `BerthClient`: the control API over the unix socket.
 * - The attach stream's wire format (frames, detach keys), which the CLI
 *   speaks and the daemon's attach route answers in.
 */
export { BerthClient, type ClientOptions } from "./berth-client.js";
export type { EventQuery } from "../events/index.js";
export {
  BerthError,
  DaemonUnreachableError,
  errorFromWire,
  NatsUnavailableError,
  SlowConsumerError,
  type ErrorCode,
} from "../errors.js";
export { actionOf, CloudEventSchema, type CloudEvent } from "../events/index.js";
export type { NatsAuth, NatsEndpoint, NatsTls } from "../nats/index.js";
export { apiSubject } from "../events/index.js";
export { FleetClient, type CallOptions, type FleetOptions } from "./fleet.js";
export { natsSubscribe, type NatsDelivery, type NatsSubscribeOptions } from "./nats-subscribe.js";
export { subscribe, type SubscribeOptions } from "./subscribe.js";
export { openAttachConnection, type AttachConnection } from "./attach-client.js";
export {
  DEFAULT_DETACH_KEYS,
  DetachScanner,
  parseDetachKeys,
  type ScanResult,
} from "./detach-keys.js";
export {
  MULTIPLEXED_STREAM,
  muxFrame,
  MuxDecoder,
  RAW_STREAM,
  type MuxFrame,
  type MuxStream,
} from "./mux-frames.js";
