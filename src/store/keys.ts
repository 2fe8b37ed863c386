/**
 * LevelDB key layout. Numbers are fixed-width hex so byte order is numeric order.
 *   e:<seq>                 -> event JSON
 *   s:<stream>:<version>    -> seq
 *   p:<stream>              -> projection JSON
 *   m:head                  -> {seq, hash}
 *   k:<name>                -> meta value
 *   t:<level>:<index>       -> Merkle tree node hash (hex): leaves [index·2^level, (index+1)·2^level),
 *                              only from level STORED_TREE_LEVEL up
 */
export const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

export const keys = {
  event: (seq: number) => `e:${hex(seq, 13)}`,
  eventsAfter: (seq: number) => ({ gt: `e:${hex(seq, 13)}`, lt: "e;" }),
  stream: (stream: string, version: number) => `s:${stream}:${hex(version, 8)}`,
  streamRange: (stream: string) => ({ gt: `s:${stream}:`, lt: `s:${stream};` }),
  projection: (stream: string) => `p:${stream}`,
  projections: { gt: "p:", lt: "p;" },
  head: "m:head",
  meta: (name: string) => `k:${name}`,
  node: (level: number, index: number) => `t:${hex(level, 2)}:${hex(index, 13)}`,
} as const;

/**
 * The lowest Merkle tree level the journal stores. A node below it covers at
 * most 2^(level) events, and each stored event carries the hash its leaf is
 * made from, so a proof recomputes those from a few events instead. Storing
 * every level put two more keys in every append (13 to 40% fewer appends/s
 * in bench:journal); from level 4 up it is one key per eight appends, and a
 * proof reads at most about 32 events more.
 */
export const STORED_TREE_LEVEL = 4;
