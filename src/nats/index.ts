/**
 * NATS plumbing shared by the daemon and the client library: connection
 * options (auth, TLS), the JetStream stream, and the relay that publishes
 * the journal to it. The subjects are named in src/events (subjects.ts); the
 * request/reply API is a transport and lives with the others in src/api.
 */
export {
  connectionOptions,
  natsServers,
  validateNatsAuth,
  type NatsAuth,
  type NatsEndpoint,
  type NatsTls,
} from "./options.js";
export {
  DUPLICATE_WINDOW_MS,
  ensureStream,
  newStreamConfig,
  RELAY_TIMING,
  RETRY_HORIZON_MS,
  streamChanges,
  type StreamSpec,
} from "./stream.js";
export { NatsRelay, subjectOf, type RelayOptions, type RelayStatus } from "./relay.js";
