export type { AppendInput, Journal, JournalHead, ReadOptions } from "./journal.js";
export { LevelJournal } from "./level-journal.js";
export { MemoryJournal } from "./memory-journal.js";
export { NatsRelay, subjectOf, type RelayOptions, type RelayStatus } from "./nats-relay.js";
