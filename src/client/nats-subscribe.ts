/**
 * Subscribing through NATS JetStream: an ordered consumer on the event stream,
 * across every host of a fleet or only some. Nothing is skipped or repeated:
 * the consumer restarts at the stream sequence after the last delivery when
 * the library sees a gap, and also after a reconnect or when the server
 * holding it goes silent (a dead cluster node), which the library alone may
 * wait on forever.
 * Resume a later subscription with the `streamSeq` of the last delivery.
 */
import type { ConsumerMessages } from "@nats-io/jetstream";
import { CloudEventSchema, eventSubjects, hostSubjects, type CloudEvent } from "../events/index.js";
import type { NatsEndpoint } from "../nats/index.js";

export interface NatsSubscribeOptions extends NatsEndpoint {
  /** Stream name (default BERTH). */
  stream?: string;
  /** Subject prefix (default berth). */
  prefix?: string;
  /** Only these hosts' events (default: every host). */
  hosts?: string[];
  /** Start after this stream sequence (default: the stream's first message). */
  afterStreamSeq?: number;
  /** Check every event against CloudEventSchema (default true). */
  validate?: boolean;
  /**
   * How often the server shows life while no event flows (default 5 s). Two
   * missed beats restart the consumer, on a surviving server if one died.
   */
  heartbeatMs?: number;
  /** Told what the consumer goes through: the library's notifications, and each restart here. */
  onStatus?: (status: { type: string; [key: string]: unknown }) => void;
  signal?: AbortSignal;
}

export interface NatsDelivery {
  event: CloudEvent;
  /** The host id, from the subject. */
  host: string;
  subject: string;
  /** The stream sequence: resume after it with `afterStreamSeq`. */
  streamSeq: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function* natsSubscribe(options: NatsSubscribeOptions): AsyncGenerator<NatsDelivery> {
  const prefix = options.prefix ?? "berth";
  const hosts = options.hosts;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const validate = options.validate ?? true;
  const { signal } = options;
  // Loaded here, not at import: the CLI imports berth/client's folder on every verb (see fleet.ts).
  const { connect } = await import("@nats-io/transport-node");
  const { DeliverPolicy, jetstream } = await import("@nats-io/jetstream");
  const { connectionOptions } = await import("../nats/index.js");
  const nc = await connect(
    connectionOptions(options, {
      reconnect: true,
      maxReconnectAttempts: -1,
      name: "berth-subscriber",
    }),
  );
  let messages: ConsumerMessages | undefined;
  const abort = () => {
    void messages?.close();
    void nc.close();
  };
  signal?.addEventListener("abort", abort);
  let after = options.afterStreamSeq ?? 0;
  // After a reconnect the consumer may have lived on the server that went away, and
  // the library does not always notice: start a fresh one after the last delivery.
  void (async () => {
    for await (const st of nc.status()) {
      options.onStatus?.(st);
      if (st.type === "reconnect" && messages) {
        options.onStatus?.({ type: "restart", reason: "reconnect", afterStreamSeq: after });
        await messages.close().catch(() => undefined);
      }
    }
  })().catch(() => undefined);
  try {
    const js = jetstream(nc);
    while (!signal?.aborted && !nc.isClosed()) {
      try {
        const consumer = await js.consumers.get(options.stream ?? "BERTH", {
          // One host: the server filters. Several: NATS 2.9 takes one filter, so filter here.
          filter_subjects:
            hosts?.length === 1 ? hostSubjects(prefix, hosts[0]!) : eventSubjects(prefix),
          ...(after > 0
            ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 }
            : { deliver_policy: DeliverPolicy.All }),
        });
        messages = await consumer.consume({
          idle_heartbeat: heartbeatMs,
          expires: Math.max(30_000, heartbeatMs * 4),
        });
      } catch (err) {
        // The stream has no leader yet (a node just died) or is not there: try again.
        options.onStatus?.({ type: "consumer_failed", error: String(err), afterStreamSeq: after });
        await pause(Math.min(heartbeatMs, 1_000));
        continue;
      }
      const current = messages;
      void (async () => {
        for await (const s of current.status()) {
          options.onStatus?.(s);
          if (s.type === "heartbeats_missed" && s.count >= 2) {
            options.onStatus?.({ type: "restart", reason: "heartbeats", afterStreamSeq: after });
            await current.close();
            break;
          }
        }
      })().catch(() => undefined);
      for await (const m of current) {
        after = m.seq;
        const host = m.subject.split(".")[1] ?? "";
        if (hosts && hosts.length > 1 && !hosts.includes(host)) continue;
        const raw = m.json<CloudEvent>();
        yield {
          event: validate ? CloudEventSchema.parse(raw) : raw,
          host,
          subject: m.subject,
          streamSeq: m.seq,
        };
      }
    }
  } finally {
    signal?.removeEventListener("abort", abort);
    await messages?.close().catch(() => undefined);
    await nc.close().catch(() => undefined);
  }
}
