import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  BerthError,
  CheckpointKeyMismatchError,
  CheckpointSignatureError,
  ConsistencyProofError,
  InclusionProofError,
  InvalidArgError,
  ProofMalformedError,
} from "../../src/errors.js";
import {
  checkpointBody,
  generateCheckpointKey,
  keyId,
  privateKeyPem,
  publicKeyPem,
  signCheckpoint,
  verifyCheckpoint,
  type Checkpoint,
  type SignedCheckpoint,
} from "../../src/audit/checkpoint.js";
import { MemoryMerkleTree } from "../../src/audit/memory-tree.js";
import { hashHex, hashLeaf } from "../../src/audit/merkle.js";
import {
  buildConsistencyProof,
  buildInclusionProof,
  checkConsistencyProof,
  checkInclusionProof,
  checkProof,
  parseProof,
} from "../../src/audit/proof.js";

const hostKey = generateCheckpointKey();
const otherKey = generateCheckpointKey();

const leafData = (i: number) => createHash("sha256").update(`event ${i}`).digest();
const tree = new MemoryMerkleTree();
for (let i = 0; i < 20; i++) tree.append(hashLeaf(leafData(i)));

function checkpointAt(size: number, host = "host-a"): Checkpoint {
  return {
    host,
    size,
    root: hashHex(tree.root(size)),
    head: size === 0 ? "0".repeat(64) : leafData(size - 1).toString("hex"),
    time: `2026-12-02T15:${String(size).padStart(2, "0")}:00.000Z`,
  };
}

/** Every single-character change of `text` that keeps it different: a hex digit to another, anything else to 'x' or 'y'. */
function* oneCharChanges(text: string): Generator<[number, string]> {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const to = /[0-9a-f]/.test(c) ? (c === "0" ? "1" : "0") : c === "x" ? "y" : "x";
    yield [i, text.slice(0, i) + to + text.slice(i + 1)];
  }
}

describe("signed checkpoints", () => {
  it("sign a fixed-order text form and verify under the host's public key", () => {
    const checkpoint = checkpointAt(7);
    expect(checkpointBody(checkpoint).toString()).toBe(
      [
        "berth-checkpoint/v1",
        "host-a",
        "7",
        checkpoint.root,
        checkpoint.head,
        "2026-12-02T15:07:00.000Z",
        "",
      ].join("\n"),
    );
    const signed = signCheckpoint(checkpoint, hostKey.privateKey);
    expect(signed.keyId).toBe(keyId(hostKey.publicKey));
    expect(verifyCheckpoint(signed, hostKey.publicKey)).toEqual(checkpoint);
  });

  it("name a public key by the first 16 hex digits of SHA-256 over its SPKI DER, and print it as stable PEM", () => {
    const der = hostKey.publicKey.export({ type: "spki", format: "der" });
    expect(keyId(hostKey.publicKey)).toBe(
      createHash("sha256").update(der).digest("hex").slice(0, 16),
    );
    const pem = publicKeyPem(hostKey.privateKey);
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    expect(publicKeyPem(pem)).toBe(pem);
    expect(keyId(pem)).toBe(keyId(hostKey.publicKey));
  });

  it("sign with a PEM private key and verify with a PEM public key", () => {
    const signed = signCheckpoint(checkpointAt(3), privateKeyPem(hostKey.privateKey));
    expect(verifyCheckpoint(signed, publicKeyPem(hostKey.publicKey)).size).toBe(3);
  });

  it("fail with CheckpointKeyMismatchError against another key's public key", () => {
    const signed = signCheckpoint(checkpointAt(5), otherKey.privateKey);
    expect(() => verifyCheckpoint(signed, hostKey.publicKey)).toThrow(CheckpointKeyMismatchError);
    expect(() => verifyCheckpoint(signed, hostKey.publicKey)).toThrow(
      `signed by key ${keyId(otherKey.publicKey)}, not by ${keyId(hostKey.publicKey)}`,
    );
  });

  it("fail with CheckpointSignatureError when another key signs and the key id is forged", () => {
    const forged = {
      ...signCheckpoint(checkpointAt(5), otherKey.privateKey),
      keyId: keyId(hostKey.publicKey),
    };
    expect(() => verifyCheckpoint(forged, hostKey.publicKey)).toThrow(CheckpointSignatureError);
  });

  it("fail when any field is altered", () => {
    const signed = signCheckpoint(checkpointAt(9), hostKey.privateKey);
    const other = signCheckpoint(checkpointAt(10), hostKey.privateKey);
    const altered: [keyof SignedCheckpoint, unknown, new (m: string) => BerthError][] = [
      ["host", "host-b", CheckpointSignatureError],
      ["size", 10, CheckpointSignatureError],
      ["size", 0, CheckpointSignatureError],
      ["root", other.root, CheckpointSignatureError],
      ["head", other.head, CheckpointSignatureError],
      ["time", "2026-12-02T15:09:00.001Z", CheckpointSignatureError],
      ["signature", other.signature, CheckpointSignatureError],
      ["keyId", keyId(otherKey.publicKey), CheckpointKeyMismatchError],
      ["size", -1, ProofMalformedError],
      ["root", signed.root.toUpperCase(), ProofMalformedError],
      ["time", "yesterday", ProofMalformedError],
    ];
    for (const [field, value, Err] of altered) {
      expect(
        () => verifyCheckpoint({ ...signed, [field]: value }, hostKey.publicKey),
        field,
      ).toThrow(Err);
    }
  });

  it("fail when any character of its JSON is changed", () => {
    const text = JSON.stringify(signCheckpoint(checkpointAt(12), hostKey.privateKey));
    for (const [i, changed] of oneCharChanges(text)) {
      let value: unknown;
      try {
        value = JSON.parse(changed);
      } catch {
        continue; // no longer JSON, so nothing a reader could take for a checkpoint
      }
      expect(() => verifyCheckpoint(value, hostKey.publicKey), `char ${i}`).toThrow(BerthError);
    }
  });

  it("refuse a signature spelled in non-canonical base64, though it decodes to the same bytes", () => {
    const signed = signCheckpoint(checkpointAt(4), hostKey.privateKey);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const last = alphabet.indexOf(signed.signature[85]!);
    // The 86th character carries 2 bits of the signature and 4 that decoders ignore.
    const respelled = signed.signature.slice(0, 85) + alphabet[last | 1]! + "==";
    expect(Buffer.from(respelled, "base64")).toEqual(Buffer.from(signed.signature, "base64"));
    expect(() => verifyCheckpoint({ ...signed, signature: respelled }, hostKey.publicKey)).toThrow(
      ProofMalformedError,
    );
  });

  it("refuse a key that is not Ed25519 and a checkpoint with a malformed field", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(() => signCheckpoint(checkpointAt(1), rsa.privateKey)).toThrow(InvalidArgError);
    expect(() =>
      signCheckpoint({ ...checkpointAt(1), host: "two\nlines" }, hostKey.privateKey),
    ).toThrow(InvalidArgError);
    expect(() => verifyCheckpoint({ host: "host-a" }, hostKey.publicKey)).toThrow(
      ProofMalformedError,
    );
  });
});

describe("proofs as JSON", () => {
  const at = (size: number) => signCheckpoint(checkpointAt(size), hostKey.privateKey);
  const roundTrip = (value: unknown) => parseProof(JSON.stringify(value));

  it("check an inclusion proof of every leaf with only the proof and the public key", () => {
    const checkpoint = at(20);
    for (let i = 0; i < 20; i++) {
      const proof = roundTrip(buildInclusionProof(tree, i, checkpoint));
      expect(proof).toMatchObject({ version: 1, kind: "inclusion", index: i, size: 20 });
      expect(checkProof(proof, publicKeyPem(hostKey.publicKey))).toEqual(checkpointAt(20));
    }
  });

  it("check a consistency proof between every pair of checkpoints of a small journal", () => {
    for (let n = 0; n <= 20; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = roundTrip(buildConsistencyProof(tree, at(m), at(n)));
        expect(proof).toMatchObject({ kind: "consistency", from: { size: m }, to: { size: n } });
        expect(checkProof(proof, hostKey.publicKey)).toEqual({
          from: checkpointAt(m),
          to: checkpointAt(n),
        });
      }
    }
  });

  it("fail when any character of an inclusion or a consistency proof is changed", () => {
    const proofs = [
      JSON.stringify(buildInclusionProof(tree, 6, at(13))),
      JSON.stringify(buildConsistencyProof(tree, at(6), at(13))),
    ];
    for (const text of proofs) {
      checkProof(parseProof(text), hostKey.publicKey);
      for (const [i, changed] of oneCharChanges(text)) {
        expect(() => checkProof(parseProof(changed), hostKey.publicKey), `char ${i}`).toThrow(
          BerthError,
        );
      }
    }
  });

  it("fail an inclusion proof under another key's checkpoint or a checkpoint of another size", () => {
    const proof = buildInclusionProof(tree, 4, at(13));
    const stolen = signCheckpoint(checkpointAt(13), otherKey.privateKey);
    expect(() => checkInclusionProof({ ...proof, checkpoint: stolen }, hostKey.publicKey)).toThrow(
      CheckpointKeyMismatchError,
    );
    expect(() => checkInclusionProof({ ...proof, checkpoint: at(14) }, hostKey.publicKey)).toThrow(
      InclusionProofError,
    );
    expect(() =>
      checkInclusionProof({ ...proof, size: 14, checkpoint: at(14) }, hostKey.publicKey),
    ).toThrow(InclusionProofError);
  });

  it("fail a consistency proof whose checkpoints are swapped, of two hosts, or not its trees", () => {
    const proof = buildConsistencyProof(tree, at(6), at(13));
    expect(() =>
      checkConsistencyProof(
        { ...proof, checkpoints: { from: at(13), to: at(6) } },
        hostKey.publicKey,
      ),
    ).toThrow(ConsistencyProofError);
    const elsewhere = signCheckpoint(checkpointAt(13, "host-b"), hostKey.privateKey);
    expect(() =>
      checkConsistencyProof(
        { ...proof, checkpoints: { from: at(6), to: elsewhere } },
        hostKey.publicKey,
      ),
    ).toThrow(/two hosts/);
    expect(() =>
      checkConsistencyProof(
        { ...proof, to: { size: 14, root: hashHex(tree.root(14)) } },
        hostKey.publicKey,
      ),
    ).toThrow(/is not its checkpoint's/);
  });

  it("refuse malformed input with ProofMalformedError naming the problem", () => {
    const good = buildInclusionProof(tree, 1, at(3));
    expect(() => parseProof("{not json")).toThrow(ProofMalformedError);
    expect(() => parseProof({ ...good, version: 2 })).toThrow(ProofMalformedError);
    expect(() => parseProof({ ...good, kind: "exclusion" })).toThrow(ProofMalformedError);
    expect(() => parseProof({ ...good, path: ["zz"] })).toThrow(/path/);
    expect(() => parseProof({ ...good, extra: true })).toThrow(ProofMalformedError);
    const { leafHash: _dropped, ...missing } = good;
    expect(() => parseProof(missing)).toThrow(/leafHash/);
  });
});
