/**
 * The journal: its port, the LevelDB and in-memory adapters (both group
 * commit appends into one synced batch), the key layout, the sequencer that
 * places events, and the hash-chain check. The contract suite both adapters
 * pass is in test/support/journal-contract.ts.
 */
export type { AppendInput, Journal, JournalHead, ReadOptions } from "./journal.js";
export { LevelJournal } from "./level-journal.js";
export { MemoryJournal } from "./memory-journal.js";
export { verifyChain, type ChainReport } from "./chain-verify.js";
export { STORED_TREE_LEVEL } from "./keys.js";
