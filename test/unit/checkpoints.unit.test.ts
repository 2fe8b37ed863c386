/**
 * Checkpoints and proofs served from the journal's stored tree: every proof
 * the service hands out checks with the public key alone, and a proof or
 * checkpoint changed anywhere, or signed with another key, does not.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  checkConsistencyProof,
  checkInclusionProof,
  generateCheckpointKey,
  publicKeyPem,
} from "../../src/audit/index.js";
import { CloudEventSchema, envelopeOf } from "../../src/events/index.js";
import { AuditCheckpoints, isCheckpointEvent } from "../../src/service/checkpoints.js";
import { MemoryJournal } from "../../src/store/index.js";

const meta = () => ({ actor: "uid:0", requestId: randomUUID() });
const stream = "0".repeat(63) + "1";

function setup() {
  const journal = new MemoryJournal();
  const { privateKey } = generateCheckpointKey();
  const checkpoints = new AuditCheckpoints({ journal, host: "h1", key: privateKey });
  let version = 0;
  const append = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await journal.append({
        stream,
        expectedVersion: version++,
        events: [
          envelopeOf(
            "io.berth.container.sync",
            { n: version },
            {
              host: "h1",
              subject: stream,
              time: new Date().toISOString(),
              meta: meta(),
            },
          ),
        ],
      });
    }
  };
  return { journal, checkpoints, append, publicKey: publicKeyPem(privateKey) };
}

describe("checkpoints of the journal", () => {
  it("sign the tree as it is and are journaled as the next event, found by size", async () => {
    const { journal, checkpoints, append, publicKey } = setup();
    await append(5);
    const before = journal.tree();
    const signed = await checkpoints.sign(meta());
    expect(signed).toMatchObject({ host: "h1", size: 5, root: before.root });
    expect(journal.head().seq).toBe(6);
    const [own] = await journal.readStream("audit");
    expect(own && isCheckpointEvent(own)).toBe(true);
    expect(own?.data).toEqual(signed);
    // A valid event like any other: `audit verify` and subscribers parse it.
    expect(CloudEventSchema.parse(own).subject).toBe(signed.root);
    expect(await checkpoints.bySize(5)).toEqual(signed);
    expect(await checkpoints.latest()).toEqual(signed);
    expect(await checkpoints.list()).toEqual([signed]);
    await expect(checkpoints.bySize(4)).rejects.toMatchObject({ code: "NO_SUCH_CHECKPOINT" });
    expect(checkpoints.key().publicKey).toBe(publicKey);
  });

  it("prove every event of journals of 1 to 1,000 events, each proof checking with the key alone", async () => {
    const { checkpoints, append, publicKey } = setup();
    let checked = 0;
    for (let size = 1; size <= 1_000;) {
      await append(1);
      const cp = await checkpoints.sign(meta());
      expect(cp.size).toBe(size);
      // Every position up to 64 events and at 1,000; the ends and the middle in between.
      const all = size <= 64 || cp.size >= 999;
      const seqs = all
        ? Array.from({ length: cp.size }, (_, i) => i + 1)
        : [1, Math.ceil(cp.size / 2), cp.size];
      for (const seq of seqs) {
        const proof = await checkpoints.proveInclusion(seq, meta(), cp.size);
        expect(checkInclusionProof(proof, publicKey).size).toBe(cp.size);
        checked += 1;
      }
      size = cp.size + 2; // its own event comes next
    }
    expect(checked).toBeGreaterThan(2_000);
  });

  it("prove that each checkpoint extends every earlier one", async () => {
    const { checkpoints, append, publicKey } = setup();
    const sizes: number[] = [];
    for (let i = 0; i < 12; i++) {
      await append(1 + (i % 4));
      sizes.push((await checkpoints.sign(meta())).size);
    }
    for (const [i, from] of sizes.entries()) {
      for (const to of sizes.slice(i)) {
        const proof = await checkpoints.proveConsistency(from, to);
        expect(checkConsistencyProof(proof, publicKey).to.size).toBe(to);
      }
    }
    await expect(checkpoints.proveConsistency(sizes[3]!, sizes[1]!)).rejects.toMatchObject({
      code: "INVALID_ARG",
    });
  });

  it("sign a new checkpoint when none covers the event to prove yet", async () => {
    const { journal, checkpoints, append, publicKey } = setup();
    await append(3);
    const proof = await checkpoints.proveInclusion(3, meta());
    expect(proof.checkpoint.size).toBe(3);
    expect(journal.head().seq).toBe(4);
    expect(checkInclusionProof(proof, publicKey).size).toBe(3);
    // Covered now: the same checkpoint serves the next proof, nothing more is journaled.
    await checkpoints.proveInclusion(2, meta());
    expect(journal.head().seq).toBe(4);
  });

  it("refuse a seq the journal does not hold, and a checkpoint too small for it", async () => {
    const { checkpoints, append } = setup();
    await append(2);
    await checkpoints.sign(meta());
    await append(2);
    for (const seq of [0, -1, 1.5, 99]) {
      await expect(checkpoints.proveInclusion(seq, meta())).rejects.toMatchObject({
        code: "INVALID_ARG",
      });
    }
    await expect(checkpoints.proveInclusion(4, meta(), 2)).rejects.toMatchObject({
      code: "INVALID_ARG",
    });
  });

  it("fail when the proof is changed in any byte, or checked against another key", async () => {
    const { checkpoints, append, publicKey } = setup();
    await append(9);
    const proof = await checkpoints.proveInclusion(4, meta());
    const text = JSON.stringify(proof);
    let failed = 0;
    let changed = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (!/[0-9a-f]/.test(c)) continue;
      const altered = text.slice(0, i) + (c === "0" ? "1" : "0") + text.slice(i + 1);
      changed += 1;
      try {
        checkInclusionProof(JSON.parse(altered), publicKey);
      } catch {
        failed += 1;
      }
    }
    expect(changed).toBeGreaterThan(300);
    expect(failed).toBe(changed);
    const stranger = publicKeyPem(generateCheckpointKey().publicKey);
    expect(() => checkInclusionProof(proof, stranger)).toThrow(
      expect.objectContaining({ code: "CHECKPOINT_KEY_MISMATCH" }),
    );
  });
});
