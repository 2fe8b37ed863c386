/**
 * Synthetic container events written straight into a journal, for feed, relay
 * and route tests that need many events fast and no runtime.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { CloudEvent } from "../../src/events/index.js";
import type { Journal } from "../../src/store/index.js";

export const newId = () => randomBytes(32).toString("hex");

export class EventWriter {
  private readonly projections = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly journal: Journal,
    private readonly host = "test",
  ) {}

  /** Appends one event for `container` and resolves once it is durable. */
  async put(
    container: string,
    action: string,
    data: Record<string, unknown> = {},
    time = new Date().toISOString(),
  ): Promise<CloudEvent> {
    const version = await this.journal.version(container);
    const projection =
      action === "create"
        ? { id: container, name: data.name, image: data.image }
        : (this.projections.get(container) ?? { id: container });
    this.projections.set(container, projection);
    const [placed] = await this.journal.append({
      stream: container,
      expectedVersion: version,
      events: [
        {
          specversion: "1.0",
          id: randomUUID(),
          source: `berth://${this.host}`,
          type: `io.berth.container.${action}`,
          subject: container,
          time,
          datacontenttype: "application/json",
          data: { ...data, outcome: "success" },
          actor: "test",
          requestid: randomUUID(),
        },
      ],
      projection,
    });
    return placed!;
  }

  /** Creates a container named `name`; returns its id. */
  async create(name: string, image = "busybox", time?: string): Promise<string> {
    const id = newId();
    await this.put(id, "create", { name, image }, time);
    return id;
  }

  /** `count` sync events of one new container, 500 per append: history in bulk. */
  async bulk(count: number): Promise<void> {
    const id = await this.create(`bulk-${newId().slice(0, 8)}`);
    for (let left = count - 1; left > 0; left -= 500) {
      const version = await this.journal.version(id);
      const n = Math.min(500, left);
      await this.journal.append({
        stream: id,
        expectedVersion: version,
        events: Array.from({ length: n }, () => ({
          specversion: "1.0" as const,
          id: randomUUID(),
          source: `berth://${this.host}`,
          type: "io.berth.container.sync",
          subject: id,
          time: new Date().toISOString(),
          datacontenttype: "application/json" as const,
          data: { runtime: "running", state: "running", outcome: "success" },
          actor: "test",
          requestid: randomUUID(),
        })),
        projection: this.projections.get(id),
      });
    }
  }

  /** `count` start events spread over `containers` new containers, as fast as the journal takes them. */
  async many(count: number, containers = 8): Promise<void> {
    const n = Math.min(containers, count);
    const ids = await Promise.all(Array.from({ length: n }, (_, i) => this.create(`bulk${i}`)));
    let left = count - n;
    while (left > 0) {
      const round = ids.slice(0, Math.min(left, ids.length));
      await Promise.all(round.map((id) => this.put(id, "start")));
      left -= round.length;
    }
  }
}
