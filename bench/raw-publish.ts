/**
 * The floor for bench/events.ts: plain JetStream publishes of ready events,
 * up to `window` in flight, each acknowledgement read off one reply inbox.
 * No journal, no order check: what a client can get out of this nats-server.
 */
import { createInbox, headers, type NatsConnection } from "@nats-io/transport-node";

export class RawPublisher {
  private readonly inbox = createInbox();
  private inFlight = 0;
  private next = 0;
  /** Publishes waiting for room, first come first served: `publish` is called without awaiting. */
  private readonly forRoom: (() => void)[] = [];
  private readonly forFlush: (() => void)[] = [];
  private failed: Error | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly window = 1_024,
  ) {
    nc.subscribe(`${this.inbox}.*`, {
      callback: (_err, m) => {
        this.inFlight -= 1;
        const ack = m.data.length > 0 ? m.json<{ seq?: number }>() : {};
        if (typeof ack.seq !== "number") this.failed = new Error(`publish refused: ${m.string()}`);
        this.forRoom.shift()?.();
        if (this.inFlight === 0) for (const wake of this.forFlush.splice(0)) wake();
      },
    });
  }

  /** Sends once fewer than `window` publishes are in flight. */
  async publish(subject: string, id: string, body: string): Promise<void> {
    while (this.inFlight >= this.window) await new Promise<void>((r) => this.forRoom.push(r));
    if (this.failed) throw this.failed;
    const h = headers();
    h.set("content-type", "application/cloudevents+json");
    h.set("Nats-Msg-Id", id);
    this.inFlight += 1;
    this.nc.publish(subject, body, { reply: `${this.inbox}.${this.next++}`, headers: h });
  }

  /** Resolves once every publish is acknowledged. */
  async flush(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((r) => this.forFlush.push(r));
    if (this.failed) throw this.failed;
  }
}
