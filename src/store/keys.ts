/**
 * LevelDB key layout. Numbers are fixed-width hex so byte order is numeric order.
 *   e:<seq>                 -> event JSON
 *   s:<stream>:<version>    -> seq
 *   p:<stream>              -> projection JSON
 *   m:head                  -> {seq, hash}
 *   k:<name>                -> meta value
 *   t:<level>:<index>       -> Merkle tree node hash (hex): leaves [index·2^level, (index+1)·2^level)
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
