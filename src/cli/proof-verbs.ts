/**
 * `berth audit key | checkpoint | prove | check-proof`: the host's signing
 * key, checkpoints on demand, proofs from the daemon, and the check an
 * auditor runs anywhere, with the proof and the public key alone.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  checkProof,
  eventLeafHash,
  hashHex,
  keyId,
  parseProof,
  publicKeyPem,
  type AuditProofJson,
  type Checkpoint,
} from "../audit/index.js";
import { BerthClient } from "../client/index.js";
import { asBerthError, InvalidArgError, ProofMalformedError } from "../errors.js";
import { CloudEventSchema, eventHash, type CloudEvent } from "../events/index.js";

const client = (socket: string) => new BerthClient({ socketPath: socket });
const out = (s: string) => process.stdout.write(s);

/** The public key auditors pin, as PEM; `--root` reads a stopped daemon's key file. */
export async function auditKey(socket: string, opts: { root?: string }) {
  if (opts.root) {
    const { checkpointKeyPath } = await import("../daemon/index.js");
    const key = createPrivateKey(await readFile(checkpointKeyPath(opts.root), "utf8"));
    process.stderr.write(`key id ${keyId(key)}\n`);
    return out(publicKeyPem(key));
  }
  const info = await client(socket).call<{ keyId: string; publicKey: string }>("GET", "/audit/key");
  process.stderr.write(`key id ${info.keyId}\n`);
  out(info.publicKey);
}

/** Signs a checkpoint now; prints it as JSON. */
export async function auditCheckpoint(socket: string) {
  out(`${JSON.stringify(await client(socket).call("POST", "/audit/checkpoint"))}\n`);
}

/** An inclusion proof of one event, or a consistency proof between two checkpoints. */
export async function auditProve(
  socket: string,
  seq: string | undefined,
  opts: { checkpoint?: string; from?: string; to?: string },
) {
  const q = new URLSearchParams();
  if (seq !== undefined) {
    if (opts.from !== undefined || opts.to !== undefined)
      throw new InvalidArgError("prove takes a seq, or --from and --to, not both");
    q.set("seq", seq);
    if (opts.checkpoint !== undefined) q.set("checkpoint", opts.checkpoint);
  } else {
    if (opts.from === undefined || opts.to === undefined)
      throw new InvalidArgError("prove needs an event's seq, or --from and --to checkpoint sizes");
    q.set("from", opts.from);
    q.set("to", opts.to);
  }
  out(`${JSON.stringify(await client(socket).call("GET", `/audit/prove?${q.toString()}`))}\n`);
}

/** One proof to check, with the event it is for when the file holds it too. */
interface Item {
  proof: AuditProofJson;
  event?: CloudEvent;
}

/**
 * What a file holds: one proof (`audit prove`), or JSON lines of
 * `{event, proof}` (`audit export --proofs`). An event given apart (`--event`)
 * is bound to a lone inclusion proof.
 */
function itemsOf(text: string, event: CloudEvent | undefined): Item[] {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new ProofMalformedError("the proof file is empty");
  let whole: unknown;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    whole = undefined;
  }
  if (whole !== undefined && !isExportLine(whole))
    return [{ proof: parseProof(whole), ...(event ? { event } : {}) }];
  return trimmed.split("\n").map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new ProofMalformedError(`line ${i + 1} is not JSON`, { cause: err });
    }
    if (!isExportLine(value))
      throw new ProofMalformedError(`line ${i + 1} is not an {event, proof} line`);
    const event = CloudEventSchema.safeParse(value.event);
    if (!event.success)
      throw new ProofMalformedError(`line ${i + 1}: its event is not a berth event`);
    return { proof: parseProof(value.proof), event: event.data };
  });
}

const isExportLine = (v: unknown): v is { event: unknown; proof: unknown } =>
  typeof v === "object" && v !== null && "event" in v && "proof" in v;

/**
 * That the event is the proof's leaf: its content hashes to its `hash`, that
 * hash is the leaf, and its seq is the leaf's position.
 */
function bindEvent(event: CloudEvent, proof: AuditProofJson): void {
  if (proof.kind !== "inclusion")
    throw new InvalidArgError("an event goes with an inclusion proof, not a consistency proof");
  const { hash, ...unhashed } = event;
  if (eventHash(unhashed) !== hash)
    throw new ProofMalformedError(`event seq ${event.seq}: its content does not hash to its hash`);
  if (hashHex(eventLeafHash(hash)) !== proof.leafHash || proof.index !== event.seq - 1)
    throw new ProofMalformedError(
      `event seq ${event.seq} is not the proof's leaf (leaf ${proof.index + 1})`,
    );
}

const describe = (c: Checkpoint) =>
  `host ${c.host}'s journal of ${c.size} events (root ${c.root.slice(0, 16)}…, signed ${c.time})`;

/** Checks proofs offline with the public key only; exit 1 names the first that fails. */
export async function auditCheckProof(
  _socket: string,
  file: string,
  opts: { key: string; event?: string },
) {
  const read = (f: string) => (f === "-" ? readStdin() : readFile(f, "utf8"));
  const publicKey = await pinnedKey(opts.key);
  const event = opts.event ? eventOf(await read(opts.event), opts.event) : undefined;
  const items = itemsOf(await read(file), event);
  for (const [i, item] of items.entries()) {
    try {
      if (item.event) bindEvent(item.event, item.proof);
      const held = checkProof(item.proof, publicKey);
      if (items.length > 1) continue;
      if ("from" in held) {
        out(`ok: ${describe(held.to)} extends ${describe(held.from)}\n`);
      } else if (item.proof.kind === "inclusion") {
        const what = item.event ? `event seq ${item.event.seq}` : `leaf ${item.proof.index + 1}`;
        out(`ok: ${what} is in ${describe(held)}\n`);
      }
    } catch (err) {
      const e = asBerthError(err);
      const where = items.length > 1 ? `line ${i + 1}: ` : "";
      out(`FAILS: ${where}${e.code}: ${e.message}\n`);
      return 1;
    }
  }
  if (items.length > 1) out(`ok: ${items.length} events, each proven in its checkpoint\n`);
  return 0;
}

/** The pinned public key, refused up front when it is not one: a key problem is no verdict. */
async function pinnedKey(file: string): Promise<KeyObject> {
  try {
    const key = createPublicKey(await readFile(file, "utf8"));
    if (key.asymmetricKeyType !== "ed25519") throw new Error("not an Ed25519 key");
    return key;
  } catch (err) {
    throw new InvalidArgError(
      `--key ${file} is not a public key \`audit key\` printed: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The event an auditor holds: a berth event, or a clear error. */
function eventOf(text: string, file: string): CloudEvent {
  try {
    return CloudEventSchema.parse(JSON.parse(text));
  } catch (err) {
    throw new InvalidArgError(`--event ${file} is not one berth event as JSON`, { cause: err });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
