/**
 * The actor pool: one XState actor and one serial queue per live container;
 * spawning, burying, sending a command and waiting for the actor to settle.
 */
import { randomUUID } from "node:crypto";
import { createActor, waitFor, type Actor } from "xstate";
import { InternalError, type BerthError } from "../errors.js";
import {
  committed,
  rejection,
  type ContainerCommand,
  type ContainerRecord,
  type Peers,
  type RequestMeta,
} from "../machines/index.js";
import type { Journal } from "../store/index.js";
import type { ProvidedMachine } from "./actor-machine.js";
import { Registry } from "./registry.js";
import { SerialQueue } from "./serial-queue.js";

/** A live container's actor and the queue its commands wait in. */
export interface Entry {
  /** Replaced only when a journal failure leaves it ahead of or behind the journal. */
  actor: Actor<ProvidedMachine>;
  queue: SerialQueue;
}

/** What the machine reports once it rests again after a command. */
export interface Settled {
  record: ContainerRecord;
  /** The failure as thrown, class and cause intact. */
  error?: BerthError;
  journalFailed?: boolean;
}

/** Reconcile is berth's own observation, not a user's request. */
export const reconcileMeta = (): RequestMeta => ({
  actor: "berth:reconcile",
  requestId: randomUUID(),
});

/** A container's current record, as its actor holds it. */
export const recordOf = (e: Entry): ContainerRecord => e.actor.getSnapshot().context.record;

/** Resolves once the actor rests (no effect or write in flight). */
export const settled = (e: Entry) =>
  waitFor(e.actor, (s) => s.hasTag("settled"), { timeout: Infinity });

/** Journal failures are retried this many times by a reconcile before berth gives up. */
const MAX_RECONCILE_ATTEMPTS = 20;

export class ActorPool {
  private readonly entries = new Map<string, Entry>();
  /** Live containers are the pool's; removed ones are tombstones kept by the registry. */
  readonly registry = new Registry(() => this.records());
  /** What each machine's dependency rules read about the other containers. */
  private readonly peers: Peers = {
    find: (id) => this.registry.find(id),
    live: () => this.records(),
  };

  constructor(
    private readonly machine: ProvidedMachine,
    private readonly journal: Journal,
  ) {}

  /** Every live container's record, in no particular order. */
  records(): ContainerRecord[] {
    return [...this.entries.values()].map(recordOf);
  }

  /** Every live container's entry. */
  all(): Entry[] {
    return [...this.entries.values()];
  }

  /** The entry of a live container id, if it still has one. */
  byId(id: string): Entry | undefined {
    return this.entries.get(id);
  }

  /** The entry a user's ref names; a removed or unknown ref throws the registry's error. */
  entry(ref: string): Entry {
    const entry = this.entries.get(this.registry.live(ref).id);
    if (!entry) throw new InternalError(`container ${ref} has no actor`);
    return entry;
  }

  /** Whether `entry` is still the container's live entry (not removed while it waited). */
  isLive(entry: Entry): boolean {
    return this.entries.get(recordOf(entry).id) === entry;
  }

  /** Starts an actor at `record` without running any effect. */
  spawn(record: ContainerRecord): Entry {
    const entry = { actor: this.actorAt(record), queue: new SerialQueue() };
    this.entries.set(record.id, entry);
    return entry;
  }

  /** Moves a removed container to the tombstones and stops its actor. */
  bury(record: ContainerRecord): void {
    // The tombstone first, so whoever hears the actor stop finds the container removed.
    this.registry.bury(record);
    const entry = this.entries.get(record.id);
    this.entries.delete(record.id);
    entry?.actor.stop();
  }

  /** Waits for every queue to drain, then stops every actor. */
  async close(): Promise<void> {
    await Promise.all(this.all().map((e) => e.queue.run(() => Promise.resolve())));
    for (const e of this.entries.values()) e.actor.stop();
  }

  /** Runtime and policy observations go through the same queue; a stale one is dropped. */
  observe(entry: Entry, command: ContainerCommand): Promise<void> {
    return entry.queue
      .run(async () => {
        await settled(entry);
        if (rejection(recordOf(entry), command)) return;
        await this.send(entry, command);
      })
      .catch(() => undefined);
  }

  /**
   * Sends one command and waits until the machine rests again. Whoever sent it,
   * a journal failure on the way resets the actor to the journal and schedules
   * a reconcile (`attempt` counts those retries).
   */
  async send(entry: Entry, command: ContainerCommand, attempt = 1): Promise<Settled> {
    const done = await sendOnce(entry, command);
    // The journal's own version conflict sets journalFailed; a VERSION_CONFLICT error alone is
    // the machine refusing a stale If-Match, which leaves actor and journal in step.
    if (done.journalFailed) {
      await this.afterJournalFailure(entry, attempt);
    }
    return done;
  }

  private actorAt(record: ContainerRecord): Entry["actor"] {
    const actor = createActor(this.machine, {
      snapshot: this.machine.resolveState(committed(record, this.peers)),
      input: { record },
    });
    actor.start();
    return actor;
  }

  /**
   * A failed journal write may still have landed (a failed sync is ambiguous),
   * and the effect before it may have changed the runtime. The actor is reset
   * to what the journal holds, and a reconcile journals whatever the runtime
   * did, retried until the journal takes writes again.
   */
  private async afterJournalFailure(entry: Entry, attempt: number) {
    const id = recordOf(entry).id;
    const stored = (await this.journal.projection(id).catch(() => undefined)) as
      ContainerRecord | undefined;
    if (stored && stored.version !== recordOf(entry).version) {
      entry.actor.stop();
      entry.actor = this.actorAt(stored);
    }
    if (attempt <= MAX_RECONCILE_ATTEMPTS) this.reconcileLater(id, attempt);
  }

  /** A reconcile after a backoff; if the journal still fails, `send` schedules the next one. */
  private reconcileLater(id: string, attempt: number) {
    const delay = Math.min(250 * 2 ** attempt, 10_000);
    setTimeout(() => {
      const entry = this.entries.get(id);
      if (!entry) return;
      void entry.queue.run(async () => {
        await settled(entry);
        if (rejection(recordOf(entry), { type: "RECONCILE" })) return;
        await this.send(entry, { type: "RECONCILE", meta: reconcileMeta() }, attempt + 1);
      });
    }, delay).unref();
  }
}

/** Sends a command and resolves with the context once the actor has left and re-entered rest. */
function sendOnce(entry: Entry, command: ContainerCommand): Promise<Settled> {
  const { actor } = entry;
  return new Promise<Settled>((resolve, reject) => {
    let left = false;
    const sub = actor.subscribe({
      next: (s) => {
        if (!left && !s.hasTag("settled")) left = true;
        if (left && s.hasTag("settled")) {
          sub.unsubscribe();
          const { record, error, journalFailed } = s.context;
          resolve({ record, error, journalFailed });
        }
      },
      error: (err) =>
        reject(new InternalError(`container actor failed: ${String(err)}`, { cause: err })),
    });
    actor.send(command);
    if (!left) {
      sub.unsubscribe();
      const where = JSON.stringify(actor.getSnapshot().value);
      reject(new InternalError(`the machine ignored ${command.type} in ${where}`));
    }
  });
}
