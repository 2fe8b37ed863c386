export type { AppendInput, Journal, JournalHead, ReadOptions } from "./journal.js";
export { LevelJournal } from "./level-journal.js";
export { MemoryJournal } from "./memory-journal.js";
export { NatsRelay, subjectOf, type RelayOptions, type RelayStatus } from "./nats-relay.js";
export {
  connectionOptions,
  natsServers,
  validateNatsAuth,
  type NatsAuth,
  type NatsEndpoint,
  type NatsTls,
} from "./nats-options.js";
export {
  apiSubject,
  DUPLICATE_WINDOW_MS,
  ensureStream,
  eventSubjects,
  hostSubjects,
  RETRY_HORIZON_MS,
  streamChanges,
  type StreamSpec,
} from "./nats-stream.js";
export { verifyChain, type ChainReport } from "./chain-verify.js";
