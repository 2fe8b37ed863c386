/**
 * Automatic removal (run -d --rm): once a container created with autoRemove
 * has exited and its policy owes no restart, the daemon removes it through
 * the command path, so the removal is a request in the journal like a
 * user's, and the container is buried and its exit file discarded as after
 * `rm`.
 */
import { randomUUID } from "node:crypto";
import { autoRemoveDue, type RequestMeta } from "../machines/index.js";
import { recordOf, settled, type ActorPool } from "./actor-pool.js";
import type { CommandPath } from "./command-path.js";

/** The removal is berth's doing on the creator's behalf; history names it so. */
export const autoRemoveMeta = (): RequestMeta => ({
  actor: "autoremove",
  requestId: randomUUID(),
});

export class AutoRemoval {
  constructor(
    private readonly pool: ActorPool,
    private readonly commands: Pick<CommandPath, "apply">,
  ) {}

  /**
   * Removes container `id` if it is due, in its queue, so no command runs
   * between the check and the removal. Never rejects: it runs after the
   * request or observation that ended the container has been answered, so
   * there is no one to tell; a failed removal is journaled as a failure with
   * actor `autoremove`, and the container stays for a user's `rm`.
   */
  async check(id: string): Promise<void> {
    const entry = this.pool.byId(id);
    // Set at create and never changed: other containers never wait in their queue for this check.
    if (!entry || recordOf(entry).autoRemove !== true) return;
    await entry.queue
      .run(async () => {
        await settled(entry);
        if (!this.pool.isLive(entry) || !autoRemoveDue(recordOf(entry))) return;
        await this.commands.apply(entry, { type: "REMOVE", force: false }, autoRemoveMeta());
      })
      .catch(() => undefined);
  }
}
