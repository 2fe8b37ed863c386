/**
 * Many JetStream publishes in flight at once, with one host's order kept by
 * the server itself.
 *
 * Why a chain on the shared stream, and not one stream per host sourced into
 * an aggregate: nats-server before 2.10.14 checks a sourced message's
 * `Nats-Expected-*` headers again, against the aggregate (the fix is upstream
 * commit 352b9090a). On nats-server 2.9 the aggregate's sourcing stalls at the
 * first event that carries one, and with no such header a per-host stream has
 * nothing to refuse a publish that lands after a lost one (a stream leader
 * change drops one publish and stores the next).
 *
 * So each publish names the event before it in `Nats-Expected-Last-Msg-Id`
 * whenever that event is still in flight, and goes without a condition when
 * everything before it is acknowledged. The stream stores a chained event only
 * right after its predecessor (it compares the header with the id of the last
 * message it stored, in the order it applies them, replicated or not), and an
 * unconditional one only follows an acknowledged one. An event thus never
 * lands before the one ahead of it, whatever fails: the server refuses
 * everything after a gap. Another host's event in between also breaks a chain
 * (the stream's last id is then that host's): the refused events are simply
 * sent again once the window has settled. `Nats-Msg-Id` still drops a copy of
 * an event that did land, and it is checked before the condition.
 */
import {
  createInbox,
  headers,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { NatsUnavailableError } from "../errors.js";
import type { CloudEvent } from "../events/index.js";

/** JetStream's error code for a `Nats-Expected-Last-Msg-Id` that is not the stream's last. */
const WRONG_LAST_MSG_ID = 10070;

export interface PublishWindowOptions {
  subjectOf: (e: CloudEvent) => string;
  /** Most publishes in flight. */
  size: number;
  /** A publish not acknowledged within this fails the window. */
  timeoutMs: number;
  /** Each event acknowledged (stored, or a duplicate of one stored), in journal order. */
  onAck: (e: CloudEvent) => void;
  /** The window broke its chain or failed; the sender should look. */
  onChange: () => void;
}

interface Pending {
  event: CloudEvent;
  sentAt: number;
  /** Undefined while unanswered; true acknowledged; false refused after a gap. */
  acked?: boolean;
}

/** What a JetStream publish acknowledgement holds. */
interface PubAck {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
}

/**
 * Sends events in journal order with up to `size` in flight. After a broken
 * chain (`broken`), nothing more is sent until `settle` resolves; the caller
 * then starts again after the last acknowledged event. Any other failure
 * (`failure`) is for the caller to throw: the connection is no longer trusted.
 */
export class PublishWindow {
  private readonly inbox = createInbox();
  private readonly sub: Subscription;
  private readonly pending = new Map<string, Pending>();
  private next = 0;
  /** The last event sent and whether it is acknowledged: it decides the next one's condition. */
  private last: Pending | undefined;
  /** Publishes allowed in flight now: back to 1 after a broken chain, one more per acknowledgement. */
  private limit: number;
  private room: (() => void) | undefined;
  private settled: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;
  /** An event was refused: nothing after it counts as acknowledged until `settle`. */
  private refused = false;
  broken = false;
  failure: Error | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: PublishWindowOptions,
  ) {
    this.limit = options.size;
    this.sub = nc.subscribe(`${this.inbox}.*`, {
      callback: (err, m) => (err ? this.fail(err) : this.answer(m)),
    });
    this.timer = setInterval(() => this.checkTimeouts(), Math.min(250, options.timeoutMs));
    this.timer.unref();
    void nc.closed().then(() => this.fail(new NatsUnavailableError("NATS connection closed")));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Publishes `e` once there is room; false if the window broke or failed first. */
  async send(e: CloudEvent): Promise<boolean> {
    while (this.pending.size >= this.limit && this.usable()) {
      await new Promise<void>((r) => (this.room = r));
    }
    if (!this.usable()) return false;
    const h = headers();
    h.set("content-type", "application/cloudevents+json");
    h.set("Nats-Msg-Id", e.id);
    if (this.last && this.last.acked !== true)
      h.set("Nats-Expected-Last-Msg-Id", this.last.event.id);
    const token = String(this.next++);
    const p: Pending = { event: e, sentAt: Date.now() };
    this.pending.set(token, p);
    this.last = p;
    this.nc.publish(this.options.subjectOf(e), JSON.stringify(e), {
      reply: `${this.inbox}.${token}`,
      headers: h,
    });
    return true;
  }

  /**
   * After a broken chain: resolves once every publish is answered (or the
   * window failed), and lets the next send go without a condition, its
   * predecessor being acknowledged. The window then grows again from one
   * publish in flight, so that hosts whose events keep interleaving do not
   * send whole windows only to have them refused.
   */
  async settle(): Promise<void> {
    while (this.pending.size > 0 && !this.failure) {
      await new Promise<void>((r) => (this.settled = r));
    }
    this.broken = false;
    this.refused = false;
    this.last = undefined;
    this.limit = 1;
  }

  close(): void {
    clearInterval(this.timer);
    this.sub.unsubscribe();
    this.fail(new NatsUnavailableError("publish window closed"));
  }

  private usable(): boolean {
    return !this.broken && !this.failure;
  }

  private answer(m: Msg): void {
    const token = m.subject.slice(this.inbox.length + 1);
    const p = this.pending.get(token);
    if (!p) return;
    let ack: PubAck = {};
    try {
      if (m.data.length > 0) ack = m.json<PubAck>();
    } catch {
      // Not JSON: handled as a failure below.
    }
    if (typeof ack.seq === "number" && !ack.error) {
      p.acked = true;
      if (this.limit < this.options.size) this.limit += 1;
    } else if (ack.error?.err_code === WRONG_LAST_MSG_ID) {
      p.acked = false;
      this.broken = true;
    } else {
      const why =
        ack.error?.description ?? (m.headers?.code === 503 ? "no responders" : "no answer");
      this.fail(new NatsUnavailableError(`publish of event ${p.event.seq} failed: ${why}`));
      return;
    }
    this.release();
  }

  /**
   * Hands on the answered head of the window, in order, and wakes whoever
   * waits. Nothing after a refused event is handed on: the chain makes that
   * impossible, and if it ever happened, sending those again is harmless
   * (their ids are known to the stream) where moving the cursor past the
   * refused one would lose it.
   */
  private release(): void {
    for (const [token, p] of this.pending) {
      if (p.acked === undefined) break;
      this.pending.delete(token);
      if (p.acked === false) this.refused = true;
      else if (!this.refused) this.options.onAck(p.event);
    }
    if (this.broken) this.options.onChange();
    this.wakeAll();
  }

  private checkTimeouts(): void {
    const oldest = this.pending.values().next().value;
    if (oldest && oldest.acked === undefined && Date.now() - oldest.sentAt > this.options.timeoutMs)
      this.fail(new NatsUnavailableError(`publish of event ${oldest.event.seq} timed out`));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    clearInterval(this.timer);
    this.options.onChange();
    this.wakeAll();
  }

  private wakeAll(): void {
    const room = this.room;
    const settled = this.settled;
    this.room = undefined;
    this.settled = undefined;
    room?.();
    if (this.pending.size === 0 || this.failure) settled?.();
    else this.settled = settled;
  }
}
