/**
 * Signed checkpoints of the journal, and the proofs that hang from them.
 *
 * A checkpoint states the journal's size, its Merkle root, its head hash and
 * the time, under the host's Ed25519 key. It is journaled as an event of the
 * `audit` stream whose subject is the root it signs, so the relay publishes
 * it off the host like every event, on `<prefix>.<host>.<root>.signed_checkpoint`
 * (see CHECKPOINT_EVENT_TYPE). It is indexed by size in the same atomic batch,
 * so that a proof can name any earlier one. Its own event is the next one
 * after the size it signs: a checkpoint never covers itself.
 */
import { randomUUID, type KeyObject } from "node:crypto";
import {
  buildConsistencyProof,
  buildInclusionProof,
  CHECKPOINT_EVENT_TYPE,
  consistencyRanges,
  inclusionRanges,
  keyId,
  publicKeyPem,
  readSubtrees,
  SignedCheckpointSchema,
  signCheckpoint,
  type ConsistencyProofJson,
  type InclusionProofJson,
  type SignedCheckpoint,
} from "../audit/index.js";
import { InvalidArgError, NoSuchCheckpointError } from "../errors.js";
import { envelopeOf, type CloudEvent } from "../events/index.js";
import type { RequestMeta } from "../machines/index.js";
import type { Journal } from "../store/index.js";
import { SerialQueue } from "./serial-queue.js";

/** The journal stream checkpoints are appended to. */
export const AUDIT_STREAM = "audit";

/** Whether an event is a checkpoint (it folds into no container). */
export const isCheckpointEvent = (e: Pick<CloudEvent, "type">) => e.type === CHECKPOINT_EVENT_TYPE;

const LATEST = "checkpoint:latest";
const bySizeKey = (size: number) => `checkpoint:${size.toString(16).padStart(13, "0")}`;

export interface CheckpointDeps {
  journal: Journal;
  host: string;
  /** The host's Ed25519 private key. */
  key: KeyObject;
  /** How often a checkpoint is signed while events arrive; 0: only on demand. */
  intervalMs?: number;
  log?: (line: string) => void;
}

/** The host's checkpoint key as auditors pin it. */
export interface CheckpointKeyInfo {
  keyId: string;
  publicKey: string;
}

export class AuditCheckpoints {
  private readonly queue = new SerialQueue();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: CheckpointDeps) {}

  /** The public part of the signing key and its id, as checkpoints name it. */
  key(): CheckpointKeyInfo {
    return { keyId: keyId(this.deps.key), publicKey: publicKeyPem(this.deps.key) };
  }

  /** Signs a checkpoint every `intervalMs` while there is something new to sign. */
  start(): void {
    const every = this.deps.intervalMs ?? 0;
    if (every <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      void this.signIfNew().catch((err: unknown) =>
        this.deps.log?.(`checkpoint: ${(err as Error).message} (next interval retries)`),
      );
    }, every);
    this.timer.unref();
  }

  /** Stops the interval and waits for a checkpoint being written. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.queue.run(() => Promise.resolve());
  }

  /**
   * Signs the journal as it is now and journals the checkpoint; resolves once
   * that is synced. One at a time, so each is the audit stream's next version.
   */
  sign(meta: RequestMeta): Promise<SignedCheckpoint> {
    return this.queue.run(async () => {
      const { journal, host } = this.deps;
      // Read together, in one turn: the tree and the head change only together.
      const { size, root } = journal.tree();
      const head = journal.head();
      const signed = signCheckpoint(
        { host, size, root, head: head.hash, time: new Date().toISOString() },
        this.deps.key,
      );
      const text = JSON.stringify(signed);
      await journal.append({
        stream: AUDIT_STREAM,
        expectedVersion: await journal.version(AUDIT_STREAM),
        events: [
          envelopeOf(CHECKPOINT_EVENT_TYPE, signed, {
            host,
            subject: root,
            time: signed.time,
            meta,
          }),
        ],
        meta: { [LATEST]: text, [bySizeKey(size)]: text },
      });
      return signed;
    });
  }

  /** The newest checkpoint, if any was signed. */
  async latest(): Promise<SignedCheckpoint | undefined> {
    const raw = await this.deps.journal.getMeta(LATEST);
    return raw === undefined ? undefined : parse(raw);
  }

  /** The checkpoint of the journal at `size` events. */
  async bySize(size: number): Promise<SignedCheckpoint> {
    const raw = Number.isSafeInteger(size)
      ? await this.deps.journal.getMeta(bySizeKey(size))
      : undefined;
    if (raw === undefined) throw new NoSuchCheckpointError(`no checkpoint of size ${size}`);
    return parse(raw);
  }

  /** Every checkpoint, oldest first, as journaled. */
  async list(): Promise<SignedCheckpoint[]> {
    const events = await this.deps.journal.readStream(AUDIT_STREAM);
    return events.filter(isCheckpointEvent).map((e) => SignedCheckpointSchema.parse(e.data));
  }

  /**
   * That event `seq` is in the journal: under the checkpoint of size `atSize`,
   * or the newest one, or (when none covers `seq` yet) a new one signed now.
   */
  async proveInclusion(
    seq: number,
    meta: RequestMeta,
    atSize?: number,
  ): Promise<InclusionProofJson> {
    const { journal } = this.deps;
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > journal.head().seq) {
      throw new InvalidArgError(
        `no event seq ${seq}: the journal holds seq 1 to ${journal.head().seq}`,
      );
    }
    let checkpoint = atSize === undefined ? await this.latest() : await this.bySize(atSize);
    if (checkpoint === undefined || (atSize === undefined && checkpoint.size < seq)) {
      checkpoint = await this.sign(meta);
    }
    if (checkpoint.size < seq) {
      throw new InvalidArgError(
        `the checkpoint of size ${checkpoint.size} does not cover seq ${seq}: name a later one`,
      );
    }
    const index = seq - 1;
    const ranges = [{ start: index, end: index + 1 }, ...inclusionRanges(index, checkpoint.size)];
    const tree = await readSubtrees(ranges, (p) => journal.treeNodes(p));
    return buildInclusionProof(tree, index, checkpoint);
  }

  /** That the checkpoint of size `to` extends the one of size `from`. */
  async proveConsistency(from: number, to: number): Promise<ConsistencyProofJson> {
    if (from > to) {
      throw new InvalidArgError(`--from ${from} is after --to ${to}: the earlier checkpoint first`);
    }
    const [older, newer] = await Promise.all([this.bySize(from), this.bySize(to)]);
    const tree = await readSubtrees(consistencyRanges(from, to), (p) =>
      this.deps.journal.treeNodes(p),
    );
    return buildConsistencyProof(tree, older, newer);
  }

  /** A periodic checkpoint, unless nothing but the last checkpoint's own event came since. */
  private async signIfNew(): Promise<void> {
    const last = await this.latest();
    const size = this.deps.journal.head().seq;
    if (size === 0 || (last && size <= last.size + 1)) return;
    await this.sign({ actor: "berth:checkpoint", requestId: randomUUID(), client: "timer" });
  }
}

function parse(raw: string): SignedCheckpoint {
  return SignedCheckpointSchema.parse(JSON.parse(raw));
}
