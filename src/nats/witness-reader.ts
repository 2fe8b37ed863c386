/**
 * Reading the witness: every message the JetStream stream holds for one host,
 * in stream order, as `audit verify --witness` compares them with the local
 * journal. A snapshot: it reads as many messages as the host's subjects held
 * when it asked, through an ordered consumer, and stops there; events the
 * relay publishes meanwhile are the next check's.
 */
import { jetstream, JetStreamApiCodes, JetStreamApiError, type JsMsg } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { NatsUnavailableError, ProofMalformedError, StreamConfigError } from "../errors.js";
import { hostSubjects } from "../events/index.js";
import { connectionOptions, natsServers, type NatsEndpoint } from "./options.js";

export interface WitnessReadOptions extends NatsEndpoint {
  stream: string;
  prefix: string;
  host: string;
  /** Longest wait for the server: the connection, and each batch of messages (default 5 s). */
  timeoutMs?: number;
}

/** One event as the stream holds it: what the comparison needs, and where it was. */
export interface WitnessMessage {
  seq: number;
  hash: string;
  type: string;
  data: unknown;
  streamSeq: number;
  subject: string;
}

const BATCH = 1_000;
const HEX64 = /^[0-9a-f]{64}$/;

/** The fields the comparison reads; anything else in the message is the host's and not judged here. */
function parseMessage(m: JsMsg): WitnessMessage {
  let value: unknown;
  try {
    value = m.json();
  } catch (err) {
    throw new ProofMalformedError(`witness message ${m.seq} on ${m.subject} is not JSON`, {
      cause: err,
    });
  }
  const e = (value ?? {}) as Record<string, unknown>;
  if (
    typeof e.seq !== "number" ||
    !Number.isSafeInteger(e.seq) ||
    e.seq < 1 ||
    typeof e.hash !== "string" ||
    !HEX64.test(e.hash) ||
    typeof e.type !== "string"
  )
    throw new ProofMalformedError(
      `witness message ${m.seq} on ${m.subject} is not an event: it needs a positive seq, a 64-hex-digit hash and a type`,
    );
  return {
    seq: e.seq,
    hash: e.hash,
    type: e.type,
    data: e.data,
    streamSeq: m.seq,
    subject: m.subject,
  };
}

/**
 * Every message of `stream` on `<prefix>.<host>.*.*`, in stream order.
 * @throws NatsUnavailableError when no server answers, or one stops answering mid-read.
 * @throws StreamConfigError when the server has no such stream.
 * @throws ProofMalformedError when a message is not an event.
 */
export async function readWitness(options: WitnessReadOptions): Promise<WitnessMessage[]> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const where = natsServers(options.servers).join(",");
  let nc: NatsConnection;
  try {
    nc = await connect(
      connectionOptions(options, { reconnect: false, timeout: timeoutMs, name: "berth-witness" }),
    );
  } catch (err) {
    throw new NatsUnavailableError(
      `cannot reach the witness at ${where}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  try {
    const js = jetstream(nc, { timeout: timeoutMs });
    let consumer;
    let pending: number;
    try {
      consumer = await js.consumers.get(options.stream, {
        filter_subjects: hostSubjects(options.prefix, options.host),
      });
      pending = (await consumer.info(true)).num_pending;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)
        throw new StreamConfigError(
          `the witness at ${where} has no stream ${options.stream}: name it with --stream`,
          { cause: err },
        );
      throw new NatsUnavailableError(
        `cannot read stream ${options.stream} at ${where}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    const out: WitnessMessage[] = [];
    while (out.length < pending) {
      const before = out.length;
      const batch = await consumer.fetch({
        max_messages: Math.min(BATCH, pending - out.length),
        expires: timeoutMs,
      });
      for await (const m of batch) {
        out.push(parseMessage(m));
        if (out.length === pending) break;
      }
      if (out.length === before)
        throw new NatsUnavailableError(
          `the witness at ${where} sent no message for ${timeoutMs} ms after ${before} of ${pending}`,
        );
    }
    return out;
  } finally {
    await nc.close().catch(() => undefined);
  }
}
