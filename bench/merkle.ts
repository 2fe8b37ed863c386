/**
 * The journal's Merkle tree (issue 16), in memory, without the daemon:
 *   - what keeping the tree costs per appended event: the O(log n) frontier
 *     (what the daemon needs for checkpoints) and the in-memory tree with
 *     every perfect subtree (what proofs need), against the plain SHA-256 of
 *     the same 32-byte leaves as the baseline, in interleaved rounds;
 *   - producing and checking an inclusion and a consistency proof in a tree
 *     of BENCH_LEAVES leaves (target: under 10 ms each), and `check-proof`'s
 *     whole path (JSON parse, checkpoint signature, proof);
 *   - the same proofs as the daemon makes them, from the tree nodes the
 *     journal stores in LevelDB (read in one getMany per proof), on a journal
 *     of BENCH_LEAVES events' nodes.
 *
 *   node dist/bench/merkle.js
 *     BENCH_LEAVES   leaves (default 1,000,000)
 *     BENCH_ROUNDS   rounds of the append rows (default 3)
 *     BENCH_PROOFS   proofs timed, each at a random position (default 201)
 */
import { hash } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import {
  buildConsistencyProof,
  buildInclusionProof,
  checkProof,
  consistencyProof,
  generateCheckpointKey,
  hashHex,
  hashLeaf,
  inclusionProof,
  MemoryMerkleTree,
  MerkleFrontier,
  parseProof,
  signCheckpoint,
  verifyConsistency,
  verifyInclusion,
  consistencyRanges,
  extendTree,
  inclusionRanges,
  readSubtrees,
  type Hash,
} from "../src/audit/index.js";
import { tempDir } from "../src/harness/index.js";
import { LevelJournal } from "../src/store/index.js";
import { median, percentile, printTable } from "./stats.js";

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const LEAVES = num("BENCH_LEAVES", 1_000_000);
const ROUNDS = num("BENCH_ROUNDS", 3);
const PROOFS = num("BENCH_PROOFS", 201);

// Stand-ins for event hashes, in one buffer: a million small Buffers would
// make the baseline measure the allocator as much as SHA-256.
const data = new Uint8Array(LEAVES * 32);
for (let i = 0; i < LEAVES; i++) {
  data.set(hash("sha256", `event ${i}`, "buffer"), i * 32);
}
const leaf = (i: number) => data.subarray(i * 32, (i + 1) * 32);

/** Deterministic positions, so two runs time the same proofs. */
let seed = 0x9e3779b9;
const random = (below: number) => {
  seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
  return seed % below;
};

const contenders: Record<string, () => void> = {
  "SHA-256 of each leaf (baseline)": () => {
    for (let i = 0; i < LEAVES; i++) hash("sha256", leaf(i), "buffer");
  },
  "frontier append (O(log n) memory)": () => {
    const frontier = new MerkleFrontier();
    for (let i = 0; i < LEAVES; i++) frontier.append(hashLeaf(leaf(i)));
    frontier.root();
  },
  "in-memory tree append (every perfect subtree)": () => {
    const tree = new MemoryMerkleTree();
    for (let i = 0; i < LEAVES; i++) tree.append(hashLeaf(leaf(i)));
  },
};

function appendRows(): void {
  const samples = new Map<string, number[]>();
  const names = Object.keys(contenders);
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order, so no contender always runs first on a cold cache.
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      const t0 = performance.now();
      contenders[name]!();
      samples.set(name, [...(samples.get(name) ?? []), performance.now() - t0]);
    }
  }
  const base = median(samples.get(names[0]!)!);
  process.stdout.write(`\nappending ${LEAVES.toLocaleString("en")} leaves, ${ROUNDS} rounds\n`);
  printTable(
    ["", "median ms", "leaves/s", "µs/leaf", "× baseline"],
    names.map((name) => {
      const ms = median(samples.get(name)!);
      return [
        name,
        ms.toFixed(0),
        Math.round((LEAVES / ms) * 1000).toLocaleString("en"),
        ((ms * 1000) / LEAVES).toFixed(2),
        (ms / base).toFixed(2),
      ];
    }),
  );
}

function timeEach(run: () => void): number[] {
  const out: number[] = [];
  for (let k = 0; k < PROOFS; k++) {
    const t0 = performance.now();
    run();
    out.push(performance.now() - t0);
  }
  return out;
}

function proofRows(): void {
  const tree = new MemoryMerkleTree();
  for (let i = 0; i < LEAVES; i++) tree.append(hashLeaf(leaf(i)));
  const root = tree.root();
  const key = generateCheckpointKey();
  const checkpointAt = (size: number) =>
    signCheckpoint(
      {
        host: "bench",
        size,
        root: hashHex(tree.root(size)),
        head: hashHex(leaf(size - 1)),
        time: new Date().toISOString(),
      },
      key.privateKey,
    );
  const head = checkpointAt(LEAVES);

  const inclusion: { index: number; path: Hash[] }[] = [];
  const consistency: { from: number; fromRoot: Hash; path: Hash[] }[] = [];
  const rows: [string, number[]][] = [
    [
      "inclusion proof: produce",
      timeEach(() => {
        const index = random(LEAVES);
        inclusion.push({ index, path: inclusionProof(tree, index, LEAVES) });
      }),
    ],
    [
      "inclusion proof: verify",
      timeEach(() => {
        const { index, path } = inclusion.pop()!;
        verifyInclusion(tree.subtreeHash(index, index + 1), index, LEAVES, path, root);
      }),
    ],
    [
      "consistency proof: produce",
      timeEach(() => {
        const from = 1 + random(LEAVES - 1);
        consistency.push({
          from,
          fromRoot: tree.root(from),
          path: consistencyProof(tree, from, LEAVES),
        });
      }),
    ],
    [
      "consistency proof: verify",
      timeEach(() => {
        const { from, fromRoot, path } = consistency.pop()!;
        verifyConsistency(from, LEAVES, path, fromRoot, root);
      }),
    ],
  ];
  const inclusionJson = Array.from({ length: PROOFS }, () =>
    JSON.stringify(buildInclusionProof(tree, random(LEAVES), head)),
  );
  const from = checkpointAt(1 + random(LEAVES - 1));
  const consistencyJson = JSON.stringify(buildConsistencyProof(tree, from, head));
  rows.push(
    [
      "check-proof, inclusion (JSON, signature, proof)",
      timeEach(() => void checkProof(parseProof(inclusionJson.pop()!), key.publicKey)),
    ],
    [
      "check-proof, consistency (JSON, 2 signatures, proof)",
      timeEach(() => void checkProof(parseProof(consistencyJson), key.publicKey)),
    ],
  );
  process.stdout.write(
    `\nproofs in a tree of ${LEAVES.toLocaleString("en")} leaves, ${PROOFS} each at random positions\n`,
  );
  printTable(
    ["", "median ms", "p99 ms", "× the 10 ms target"],
    rows.map(([name, ms]) => [
      name,
      median(ms).toFixed(3),
      percentile(ms, 99).toFixed(3),
      (median(ms) / 10).toFixed(4),
    ]),
  );
}

/**
 * A LevelDB journal holding only the tree's nodes and a head of LEAVES events
 * (the proofs read nothing else), written as the journal writes them, then
 * opened as the daemon opens it.
 */
async function storedProofRows(): Promise<void> {
  const dir = join(await tempDir("berth-bench-merkle-"), "journal");
  const db = new ClassicLevel<string, string>(dir, { keyEncoding: "utf8", valueEncoding: "utf8" });
  await db.open();
  let frontier = new MerkleFrontier();
  const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");
  for (let i = 0; i < LEAVES; i += 10_000) {
    const leaves = Array.from({ length: Math.min(10_000, LEAVES - i) }, (_, k) =>
      hashLeaf(leaf(i + k)),
    );
    const grown = extendTree(frontier, leaves);
    await db.batch(
      grown.nodes.map((n) => ({
        type: "put" as const,
        key: `t:${hex(n.level, 2)}:${hex(n.index, 13)}`,
        value: Buffer.from(n.hash).toString("hex"),
      })),
    );
    frontier = grown.frontier;
  }
  await db.put("m:head", JSON.stringify({ seq: LEAVES, hash: hashHex(leaf(LEAVES - 1)) }));
  await db.close();
  const journal = await LevelJournal.open(dir);
  const read = (p: Parameters<typeof journal.treeNodes>[0]) => journal.treeNodes(p);
  const times = async (run: () => Promise<unknown>) => {
    const out: number[] = [];
    for (let k = 0; k < PROOFS; k++) {
      const t0 = performance.now();
      await run();
      out.push(performance.now() - t0);
    }
    return out;
  };
  const rows: [string, number[]][] = [
    [
      "inclusion proof from LevelDB nodes",
      await times(async () => {
        const index = random(LEAVES);
        const ranges = [{ start: index, end: index + 1 }, ...inclusionRanges(index, LEAVES)];
        const tree = await readSubtrees(ranges, read);
        inclusionProof(tree, index, LEAVES);
      }),
    ],
    [
      "consistency proof from LevelDB nodes",
      await times(async () => {
        const from = 1 + random(LEAVES - 1);
        const tree = await readSubtrees(consistencyRanges(from, LEAVES), read);
        consistencyProof(tree, from, LEAVES);
      }),
    ],
  ];
  await journal.close();
  await rm(join(dir, ".."), { recursive: true, force: true });
  process.stdout.write(
    `
proofs as the daemon makes them, from a LevelDB journal's stored nodes (${LEAVES.toLocaleString("en")} events)
`,
  );
  printTable(
    ["", "median ms", "p99 ms", "× the 10 ms target"],
    rows.map(([name, ms]) => [
      name,
      median(ms).toFixed(3),
      percentile(ms, 99).toFixed(3),
      (median(ms) / 10).toFixed(4),
    ]),
  );
}

appendRows();
proofRows();
await storedProofRows();
