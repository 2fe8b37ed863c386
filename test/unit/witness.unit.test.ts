import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  CHECKPOINT_EVENT_TYPE,
  generateCheckpointKey,
  signCheckpoint,
} from "../../src/audit/checkpoint.js";
import { MemoryMerkleTree } from "../../src/audit/memory-tree.js";
import { eventLeafHash, hashHex } from "../../src/audit/merkle.js";
import {
  compareWithWitness,
  type WitnessEventDigest,
  type WitnessReport,
} from "../../src/audit/witness.js";
import { InvalidArgError } from "../../src/errors.js";

const HOST = "h1";
const hostKey = generateCheckpointKey();
const otherKey = generateCheckpointKey();
const ZERO = "0".repeat(64);

type Ev = WitnessEventDigest;

/**
 * A journal of `contents.length` events, hash-chained the way berth's is
 * (each hash covers the content and the previous hash); a "checkpoint" entry
 * becomes a checkpoint event over the events before it, signed with `key`.
 */
function journal(contents: string[], key = hostKey.privateKey, host = HOST): Ev[] {
  const out: Ev[] = [];
  let prev = ZERO;
  for (const [i, content] of contents.entries()) {
    const seq = i + 1;
    let type = "io.berth.container.start";
    let data: unknown = { content };
    if (content === "checkpoint") {
      type = CHECKPOINT_EVENT_TYPE;
      const tree = new MemoryMerkleTree();
      for (const e of out) tree.append(eventLeafHash(e.hash));
      data = signCheckpoint(
        {
          host,
          size: out.length,
          root: hashHex(tree.root()),
          head: out.at(-1)?.hash ?? ZERO,
          time: "2026-12-02T18:00:00.000Z",
        },
        key,
      );
    }
    const hash = createHash("sha256")
      .update(`${prev}|${seq}|${JSON.stringify(data)}`)
      .digest("hex");
    out.push({ seq, hash, type, data });
    prev = hash;
  }
  return out;
}

const CONTENTS = ["a", "b", "c", "checkpoint", "d", "e", "f", "g", "checkpoint", "h", "i"];
const original = journal(CONTENTS);
const local = (events: Ev[]) => events.map(({ seq, hash, type }) => ({ seq, hash, type }));

function compare(localEvents: Ev[], witness: Ev[], publicKey = hostKey.publicKey): WitnessReport {
  return compareWithWitness({ local: local(localEvents), witness, publicKey, host: HOST });
}

/** `events` with the hash of seq `seq` replaced, the chain left as it was. */
const rewrittenAt = (events: Ev[], seq: number) =>
  events.map((e) => (e.seq === seq ? { ...e, hash: "f".repeat(64) } : e));

describe("comparing the local journal with the witness", () => {
  it("finds nothing when both hold the same events, and verifies every checkpoint", () => {
    expect(compare(original, original)).toEqual({
      ok: true,
      matched: 11,
      checkpoints: 2,
      lag: 0,
      unwitnessed: 0,
      duplicates: 0,
    });
  });

  it.each([1, 2, 6, 11])(
    "names position %i when that one local event's hash was rewritten",
    (k) => {
      const r = compare(rewrittenAt(original, k), original);
      expect(r.ok).toBe(false);
      expect(r.first).toMatchObject({ kind: "hash", position: k, seq: k });
      expect(r.matched).toBe(10);
    },
  );

  it("names position 1 and the first checkpoint's root when the whole journal was rewritten with a recomputed chain", () => {
    // Root on the host has the key too: the rewritten journal carries freshly signed checkpoints.
    const forged = journal(["A", ...CONTENTS.slice(1)]);
    const r = compare(forged, original);
    expect(r.first).toMatchObject({ kind: "hash", position: 1, seq: 1 });
    expect(r.first?.reason).toMatch(/local event \(io\.berth\.container\.start\) has hash/);
    expect(r.checkpoint).toMatchObject({ kind: "root", position: 3, seq: 4 });
    expect(r.checkpoint?.reason).toMatch(/checkpoint at seq 4: the signed root over events 1\.\.3/);
    expect(r.matched).toBe(0);
    expect(r.checkpoints).toBe(0);
  });

  it("names the checkpoint's root alone when the stream no longer holds the rewritten events", () => {
    const forged = journal(["A", ...CONTENTS.slice(1)]);
    const agedOut = original.filter((e) => e.seq >= 4);
    const r = compare(forged, agedOut);
    expect(r.first).toMatchObject({ kind: "root", position: 3, seq: 4 });
    expect(r.unwitnessed).toBe(3);
  });

  it("names the position after the local end when the local journal lost its last events", () => {
    const r = compare(original.slice(0, 7), original);
    expect(r.first).toMatchObject({ kind: "truncated", position: 8 });
    expect(r.first?.reason).toMatch(
      /witness holds events up to seq 11, the local journal ends at seq 7/,
    );
    // The checkpoint at seq 9 covers 8 events: the local journal has 7.
    expect(r.checkpoint).toMatchObject({ kind: "truncated", position: 8, seq: 9 });
    expect(r.matched).toBe(7);
  });

  it("counts local events past the witness's last one as relay lag, not a difference", () => {
    const r = compare(original, original.slice(0, 8));
    expect(r).toMatchObject({ ok: true, matched: 8, lag: 3, checkpoints: 1 });
    expect(r.first).toBeUndefined();
  });

  it("names a checkpoint signed by another key first, before an earlier event difference", () => {
    const witness = journal(CONTENTS, otherKey.privateKey);
    const r = compare(rewrittenAt(original, 1), witness);
    expect(r.first).toMatchObject({ kind: "key", position: 4, seq: 4 });
    expect(r.first?.reason).toMatch(
      /signed by key [0-9a-f]{16}, not by [0-9a-f]{16}: the key was replaced/,
    );
  });

  it("names a checkpoint whose signed fields were changed in the stream", () => {
    const witness = original.map((e) =>
      e.seq === 9 ? { ...e, data: { ...(e.data as object), size: 7 } } : e,
    );
    const r = compare(original, witness);
    expect(r.first).toMatchObject({ kind: "signature", seq: 9 });
  });

  it("names a checkpoint event whose data is not a signed checkpoint", () => {
    const witness = original.map((e) => (e.seq === 4 ? { ...e, data: { size: 3 } } : e));
    expect(compare(original, witness).first).toMatchObject({ kind: "malformed", seq: 4 });
  });

  it("names a checkpoint of another host", () => {
    const witness = journal(CONTENTS, hostKey.privateKey, "h2");
    expect(compare(witness, witness).first).toMatchObject({ kind: "host", seq: 4 });
  });

  it("takes an identical repeat in the stream as a relay retry, not a difference", () => {
    const witness = [...original.slice(0, 6), original[4]!, original[5]!, ...original.slice(6)];
    const r = compare(original, witness);
    expect(r).toMatchObject({ ok: true, matched: 11, duplicates: 2, checkpoints: 2 });
  });

  it("names a seq the stream holds twice with different content", () => {
    const witness = [...original.slice(0, 6), { ...original[4]!, hash: "e".repeat(64) }];
    expect(compare(original, witness).first).toMatchObject({ kind: "conflict", position: 5 });
  });

  it("counts local events the stream lacks before its last one as unwitnessed", () => {
    const r = compare(
      original,
      original.filter((e) => e.seq !== 2),
    );
    expect(r).toMatchObject({ ok: true, matched: 10, unwitnessed: 1 });
  });

  it("finds nothing, all lag, against an empty witness", () => {
    expect(compare(original, [])).toMatchObject({ ok: true, matched: 0, lag: 11, checkpoints: 0 });
  });

  it("names a local journal that does not hold seq p at position p", () => {
    const gap = [...original.slice(0, 2), ...original.slice(3)];
    expect(compare(gap, original).first).toMatchObject({ kind: "local", position: 3, seq: 4 });
  });

  it("needs no key when the witness holds no checkpoint", () => {
    const plain = journal(["a", "b"]);
    expect(compareWithWitness({ local: local(plain), witness: plain }).ok).toBe(true);
  });

  it("refuses to judge checkpoints without a key, or with one that is not an Ed25519 public key", () => {
    expect(() => compareWithWitness({ local: local(original), witness: original })).toThrow(
      /the witness holds 2 checkpoints: the host's public key is needed/,
    );
    expect(() => compare(original, original, "not a pem" as never)).toThrow(InvalidArgError);
  });

  it("refuses a witness event without a positive seq", () => {
    expect(() => compare(original, [{ ...original[0]!, seq: 0 }])).toThrow(InvalidArgError);
  });
});
