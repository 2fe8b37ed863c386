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
export {
  API_ROLES,
  keyActor,
  loadApiKeys,
  parseApiKeys,
  roleAllows,
  type ApiKey,
  type ApiRole,
} from "./api-keys.js";
export { ReplayGuard, type ReplayVerdict } from "./replay-guard.js";
export { SIGNATURE_HEADERS, SIGNED_META_HEADERS, signedText } from "./request-signature.js";
export { RequestSigner } from "./request-signer.js";
export { DEFAULT_SKEW_MS, RequestVerifier } from "./request-verifier.js";
export {
  claimHostLease,
  DEFAULT_LEASE_TTL_MS,
  HostLease,
  type HostLeaseOptions,
  type LeaseHolder,
  type LeaseState,
} from "./host-lease.js";
export { readWitness, type WitnessMessage, type WitnessReadOptions } from "./witness-reader.js";
