/**
 * Attach as service operations: the commands an attach needs, the terminal
 * size and the connection to the container's monitor, so that transports
 * never touch the runtime. Start-and-attach holds the container's queue for
 * its whole sequence, so no other request runs between its steps.
 */
import type { AttachSession, ContainerRuntime, TerminalSize } from "../effects/index.js";
import { InvalidArgError } from "../errors.js";
import {
  rejection,
  resizeRefusal,
  type ContainerRecord,
  type RequestMeta,
} from "../machines/index.js";
import { recordOf, settled, type ActorPool } from "./actor-pool.js";
import type { CommandPath } from "./command-path.js";
import type { ContainerQueries } from "./queries.js";

/** A container attached to: its record once the commands are durable, and the live session. */
export interface Attached {
  record: ContainerRecord;
  session: AttachSession;
}

/** The runtime calls an attach makes outside the machine: they change no state. */
export type AttachRuntime = Pick<ContainerRuntime, "attach" | "resize">;

export class AttachOperations {
  constructor(
    private readonly pool: ActorPool,
    private readonly commands: CommandPath,
    private readonly queries: ContainerQueries,
    private readonly runtime: AttachRuntime,
  ) {}

  /** The ATTACH command (which checks the state), the terminal size, then the session. */
  async attach(ref: string, meta: RequestMeta, size?: TerminalSize): Promise<Attached> {
    const record = await this.commands.command(ref, { type: "ATTACH" }, meta);
    // Like Podman, the size is set before connecting, so the first output already fits it.
    if (size && record.terminal) await this.runtime.resize(record.id, size);
    return { record, session: await this.runtime.attach(record.id) };
  }

  /**
   * The seed's StartAndAttach. The attach socket exists once conmon has
   * created the container, so a container that is not created yet is
   * initialized first (a stopped one is cleaned up before, as libpod's reinit
   * does). The `attach` event precedes `start`: a process that exits at once
   * would otherwise leave nothing to attach to by the time the event is
   * checked. START's rule is asked up front, so a container that cannot start
   * is refused before it is initialized or attached.
   */
  async startAndAttach(ref: string, meta: RequestMeta, size?: TerminalSize): Promise<Attached> {
    if (meta.idempotencyKey) {
      // Its answer is a live stream, which a retry could not be given from the journal.
      throw new InvalidArgError("a start with attach does not take an idempotency key");
    }
    const refused = rejection(this.queries.live(ref), { type: "START" });
    if (refused) throw refused;
    const entry = this.pool.entry(ref);
    return entry.queue.run(async () => {
      // Decided on the state the sequence really starts from, after whatever was queued before it.
      await settled(entry);
      let record = recordOf(entry);
      // If-Match names the version the whole request was built on, so only its first step checks it.
      let stepMeta = meta;
      const step = async (type: "CLEANUP" | "INIT" | "ATTACH" | "START") => {
        record = await this.commands.apply(entry, { type }, stepMeta);
        const { expectedVersion: _checked, ...rest } = stepMeta;
        stepMeta = rest;
      };
      if (record.state === "stopped") await step("CLEANUP");
      if (record.state !== "created") await step("INIT");
      await step("ATTACH");
      const session = await this.runtime.attach(record.id);
      try {
        if (size && record.terminal) await this.runtime.resize(record.id, size);
        await step("START");
      } catch (err) {
        session.close();
        throw err;
      }
      return { record, session };
    });
  }

  /**
   * The seed's AttachResize: only created or running containers, and only
   * those with a terminal, as there is nothing to resize otherwise.
   */
  async resize(ref: string, size: TerminalSize): Promise<void> {
    const record = this.queries.live(ref);
    const refused = resizeRefusal(record);
    if (refused) throw refused;
    await this.runtime.resize(record.id, size);
  }
}
