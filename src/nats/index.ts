/**
 * NATS plumbing shared by the daemon and the client library: connection
 * options (auth, TLS), the JetStream stream and its subjects, and the relay
 * that publishes the journal to it. The request/reply API is a transport and
 * lives with the others in src/api.
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
  apiSubject,
  DUPLICATE_WINDOW_MS,
  ensureStream,
  eventSubjects,
  hostSubjects,
  newStreamConfig,
  RELAY_TIMING,
  RETRY_HORIZON_MS,
  streamChanges,
  type StreamSpec,
} from "./stream.js";
export { NatsRelay, subjectOf, type RelayOptions, type RelayStatus } from "./relay.js";
