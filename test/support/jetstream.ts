/**
 * Reads what actually landed in the JetStream stream, through an ordered
 * consumer, the way a subscriber would.
 */
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { CloudEvent } from "../../src/events/index.js";
import { connectionOptions, type NatsAuth } from "../../src/nats/index.js";

export interface Delivered {
  event: CloudEvent;
  msgId: string | undefined;
  contentType: string | undefined;
  subject: string;
  streamSeq: number;
}

/** Every message in the stream, in stream order (waits up to `timeoutMs` for `atLeast`). */
export async function readJetStream(
  url: string,
  atLeast: number,
  timeoutMs = 10_000,
  stream = "BERTH",
  auth: NatsAuth = {},
): Promise<Delivered[]> {
  const nc = await connect(connectionOptions({ ...auth, servers: url }));
  try {
    const js = jetstream(nc);
    const end = Date.now() + timeoutMs;
    let got: Delivered[] = [];
    while (Date.now() < end) {
      got = [];
      const consumer = await js.consumers.get(stream);
      const info = await consumer.info(true);
      const pending = info.num_pending;
      if (pending >= atLeast) {
        const msgs = await consumer.fetch({ max_messages: pending, expires: 5_000 });
        for await (const m of msgs) {
          got.push({
            event: m.json<CloudEvent>(),
            msgId: m.headers?.get("Nats-Msg-Id"),
            contentType: m.headers?.get("content-type"),
            subject: m.subject,
            streamSeq: m.seq,
          });
          if (got.length === pending) break;
        }
        return got;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`stream ${stream} has fewer than ${atLeast} messages after ${timeoutMs} ms`);
  } finally {
    await nc.close();
  }
}
