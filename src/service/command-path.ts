/**
 * The command path: a user's command (or a batch of them) finds its
 * container, waits in the container's queue, is refused or sent to the actor,
 * and answers once its facts are durable.
 */
import type { ContainerRuntime } from "../effects/index.js";
import { CtrRemovedError, InvalidArgError } from "../errors.js";
import {
  argsOf,
  removedError,
  type CommandBody,
  type ContainerRecord,
  type RequestMeta,
} from "../machines/index.js";
import { recordOf, settled, type ActorPool, type Entry } from "./actor-pool.js";
import { startOrder } from "./dependencies.js";
import type { AppendDeps } from "./fact-append.js";
import type { IdempotentRequests } from "./idempotency.js";
import { journalRefusalOfRemoved } from "./refusal.js";

/** What the command path uses besides the pool. */
export interface CommandDeps extends AppendDeps {
  runtime: Pick<ContainerRuntime, "discardExit">;
}

export class CommandPath {
  constructor(
    private readonly pool: ActorPool,
    private readonly requests: IdempotentRequests,
    private readonly deps: CommandDeps,
  ) {}

  /** `ContainerService.command`, run once per idempotency key. */
  command(
    ref: string,
    body: CommandBody,
    meta: RequestMeta,
    options: { recursive?: boolean } = {},
  ): Promise<ContainerRecord> {
    // The container the key is for; an unknown ref keeps its text, which matches no stored id.
    const target = meta.idempotencyKey ? (this.pool.registry.find(ref)?.id ?? ref) : undefined;
    return this.requests.run(
      meta.idempotencyKey,
      meta.requestId,
      { command: body.type, args: argsOf(body), target },
      () => this.commandOnce(ref, body, meta, options),
    );
  }

  /** `ContainerService.batch`: the commands hold the container's queue from first to last. */
  batch(ref: string, bodies: CommandBody[], meta: RequestMeta): Promise<ContainerRecord> {
    if (meta.idempotencyKey) {
      // Each command of a batch is its own request in the journal; one key cannot answer for all.
      return Promise.reject(new InvalidArgError("a batch does not take an idempotency key"));
    }
    const entry = this.pool.entry(ref);
    return entry.queue.run(async () => {
      let record = recordOf(entry);
      for (const [i, body] of bodies.entries()) {
        try {
          record = await this.apply(entry, body, meta);
        } catch (err) {
          const e = err as Error;
          e.message = `batch command ${i + 1} (${body.type}): ${e.message}`;
          throw e;
        }
      }
      return record;
    });
  }

  /**
   * The live entry `ref` names. A removed container's refusal is journaled
   * into its tombstone's stream before the error is thrown.
   */
  async entryOrRefuse(ref: string, body: CommandBody, meta: RequestMeta): Promise<Entry> {
    try {
      return this.pool.entry(ref);
    } catch (err) {
      if (err instanceof CtrRemovedError) {
        await journalRefusalOfRemoved(this.pool, this.deps, ref, body, meta, err);
      }
      throw err;
    }
  }

  /** One command on an entry whose queue the caller holds. */
  async apply(entry: Entry, body: CommandBody, meta: RequestMeta): Promise<ContainerRecord> {
    // A restart the policy began on its own finishes before the next command looks at the state.
    await settled(entry);
    if (!this.pool.isLive(entry)) {
      // Removed while this request waited in the queue: refuse it against the tombstone.
      const err = removedError();
      await journalRefusalOfRemoved(this.pool, this.deps, recordOf(entry).id, body, meta, err);
      throw err;
    }
    // The machine refuses on its own: a refused request comes back with its error, journaled.
    const done = await this.pool.send(entry, { ...body, meta });
    if (done.error) throw done.error;
    if (done.record.state === "removed") {
      this.pool.bury(done.record);
      // Only now that the removal is durable may the evidence of how the container ended go.
      await this.deps.runtime.discardExit(done.record.id).catch(() => undefined);
    }
    return done.record;
  }

  private async commandOnce(
    ref: string,
    body: CommandBody,
    meta: RequestMeta,
    options: { recursive?: boolean },
  ): Promise<ContainerRecord> {
    const entry = await this.entryOrRefuse(ref, body, meta);
    if (options.recursive && body.type === "START") {
      for (const dep of startOrder(recordOf(entry), (id) => this.pool.registry.find(id))) {
        // The dependencies' starts are their own requests, not retries of this one.
        const { idempotencyKey: _key, ...depMeta } = meta;
        if (dep.state !== "running") await this.command(dep.id, { type: "START" }, depMeta);
      }
    }
    return entry.queue.run(() => this.apply(entry, body, meta));
  }
}
