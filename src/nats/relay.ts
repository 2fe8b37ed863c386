/**
 * The outbox relay: NATS is fed only from the journal. It publishes the events
 * after the persisted cursor with the event id as Nats-Msg-Id, many in flight
 * at once (see publish-window.ts for how the stream keeps them in order), and
 * advances the cursor as they are acknowledged. NATS being down delays
 * delivery; it never loses an event. Nothing lands twice: after each
 * (re)connect the relay asks the stream for its host's last event and moves
 * the cursor past it, and a copy sent within the same connection is dropped
 * by JetStream's duplicate window.
 */
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { CloudEvent } from "../events/index.js";
import { actionOf, hostSubjects } from "../events/index.js";
import type { Journal } from "../store/index.js";
import { connectionOptions, type NatsAuth } from "./options.js";
import { PublishWindow } from "./publish-window.js";
import { ensureStream, RELAY_TIMING } from "./stream.js";

export interface RelayOptions {
  journal: Journal;
  /** NATS server URL(s). */
  servers: string | string[];
  /** Subject prefix; events go to <prefix>.<host>.<containerId>.<action>. */
  prefix: string;
  host: string;
  stream: string;
  /** Stream replicas in a JetStream cluster (unset: 1 for a new stream, unchanged otherwise). */
  replicas?: number;
  /** User and password, token or credentials file, and TLS. */
  auth?: NatsAuth;
  /** Called on each connection failure; the relay keeps retrying. */
  onError?: (err: unknown) => void;
}

export interface RelayStatus {
  connected: boolean;
  /** Global sequence of the last event JetStream acknowledged. */
  cursor: number;
  /** Events published and not yet acknowledged. */
  inFlight: number;
  head: number;
  lag: number;
  stream: string;
  /** The NATS server the relay is connected to. */
  server?: string;
  lastError?: string;
}

const CURSOR_KEY = "relay.cursor";
const BATCH = 256;
/** Most publishes in flight: enough to keep a drain off the round trip, small enough to resend cheaply. */
const WINDOW = 1_024;
/** Appended events kept in memory for the relay; past this it reads them from the journal. */
const LIVE_MAX = 4_096;
/** The cursor is written at most this often; see `saveCursor`. */
const CURSOR_SAVE_MS = 1_000;

/** The NATS subject of an event. */
export const subjectOf = (prefix: string, host: string, e: CloudEvent) =>
  `${prefix}.${host}.${e.subject}.${actionOf(e.type)}`;

export class NatsRelay {
  private stopped = false;
  private nc: NatsConnection | undefined;
  private cursor = 0;
  /** The last event handed to the publish window; ahead of the cursor by what is in flight. */
  private sent = 0;
  private window: PublishWindow | undefined;
  private lastError: string | undefined;
  /** Ends the wait for appends (or for news from the publish window) early. */
  private wake: (() => void) | undefined;
  /** Ends any wait early, the backoff included; for `stop`. */
  private interrupt: (() => void) | undefined;
  /** Set by every append and window change, so one that comes while the relay reads is not slept through. */
  private poked = false;
  private readonly off: () => void;
  private loop: Promise<void> | undefined;
  /** Events heard from the journal as they were appended, not yet published. */
  private live: CloudEvent[] = [];
  /** The cursor write in flight; writes are chained so the stored cursor only moves forward. */
  private saving: Promise<void> = Promise.resolve();
  private saveTimer: NodeJS.Timeout | undefined;
  private saved = 0;

  constructor(private readonly options: RelayOptions) {
    this.off = options.journal.subscribe((events) => {
      if (this.live.length + events.length > LIVE_MAX) this.live = [];
      else for (const e of events) this.live.push(e);
      this.poke();
    });
  }

  start(): void {
    this.loop ??= this.run();
  }

  status(): RelayStatus {
    const head = this.options.journal.head().seq;
    return {
      connected: this.nc !== undefined && !this.nc.isClosed(),
      cursor: this.cursor,
      inFlight: this.window?.inFlight ?? 0,
      head,
      lag: head - this.cursor,
      stream: this.options.stream,
      ...(this.nc && !this.nc.isClosed() ? { server: this.nc.getServer() } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** Resolves once every event up to `seq` is acknowledged by JetStream. */
  async drained(seq = this.options.journal.head().seq, timeoutMs = 10_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.cursor < seq && Date.now() < until) await sleep(20);
    return this.cursor >= seq;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.off();
    this.interrupt?.();
    await this.nc?.close().catch(() => undefined);
    await this.loop;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.flushCursor();
    await this.saving;
  }

  private async run(): Promise<void> {
    this.cursor = Number((await this.options.journal.getMeta(CURSOR_KEY)) ?? 0);
    this.saved = this.cursor;
    let backoff = 100;
    while (!this.stopped) {
      try {
        const nc = await this.connectAndEnsure();
        this.lastError = undefined;
        await this.publishLoop(nc, () => (backoff = 100));
      } catch (err) {
        if (this.stopped) break;
        this.lastError = err instanceof Error ? err.message : String(err);
        this.options.onError?.(err);
        await this.nc?.close().catch(() => undefined);
        this.nc = undefined;
        await this.pause(backoff, false);
        backoff = Math.min(backoff * 2, RELAY_TIMING.maxBackoffMs);
      }
    }
  }

  private async connectAndEnsure(): Promise<NatsConnection> {
    const { servers, auth, host, stream, prefix, replicas } = this.options;
    const nc = await connect(
      connectionOptions(
        { ...auth, servers },
        { reconnect: false, timeout: RELAY_TIMING.connectMs, name: `berth-relay-${host}` },
      ),
    );
    this.nc = nc;
    const jsm = await jetstreamManager(nc, { timeout: RELAY_TIMING.apiMs });
    await ensureStream(jsm, { name: stream, prefix, replicas });
    await this.skipPublished(jsm);
    return nc;
  }

  /**
   * Moves the cursor past this host's last event in the stream: it landed,
   * though its acknowledgement (or the cursor write after it) may have been
   * lost. So a republish cannot duplicate it, however long NATS was away.
   */
  private async skipPublished(jsm: JetStreamManager): Promise<void> {
    const { journal, stream, prefix, host } = this.options;
    const last = await jsm.streams.getMessage(stream, { last_by_subj: hostSubjects(prefix, host) });
    if (!last) return;
    const stored = last.json<CloudEvent>();
    if (stored.seq <= this.cursor) return;
    let mine: CloudEvent | undefined;
    for await (const e of journal.read({ afterSeq: stored.seq - 1, limit: 1 })) mine = e;
    if (mine?.id !== stored.id) {
      this.options.onError?.(
        new Error(
          `stream ${stream} holds event seq ${stored.seq} for host ${host} that is not in this journal (another daemon with the same host id?); publishing from seq ${this.cursor + 1}`,
        ),
      );
      return;
    }
    this.cursor = stored.seq;
    this.saveCursor();
  }

  private async publishLoop(nc: NatsConnection, progressed: () => void): Promise<void> {
    const { prefix, host } = this.options;
    const window = new PublishWindow(nc, {
      subjectOf: (e) => subjectOf(prefix, host, e),
      size: WINDOW,
      timeoutMs: RELAY_TIMING.publishMs,
      onAck: (e) => {
        this.cursor = e.seq;
        progressed();
        this.saveCursor();
      },
      onChange: () => this.poke(),
    });
    this.window = window;
    this.sent = this.cursor;
    try {
      while (!this.stopped) {
        if (nc.isClosed()) throw new Error("NATS connection closed");
        if (window.failure) throw window.failure;
        if (window.broken) {
          // Refused after a gap or another host's event: send again after the last acknowledged.
          await window.settle();
          this.sent = this.cursor;
          continue;
        }
        this.poked = false;
        const batch = await this.nextBatch();
        if (batch.length === 0) {
          // Connected, stream checked, nothing owed: a later failure starts its backoff afresh.
          if (window.inFlight === 0) progressed();
          await this.pause(1_000, true);
          continue;
        }
        for (const e of batch) {
          if (!(await window.send(e))) break;
          this.sent = e.seq;
        }
      }
    } finally {
      window.close();
      this.window = undefined;
    }
  }

  /**
   * The events after the last one sent: straight from memory when the appends
   * heard live follow on from it (the usual case, and no disk read on the way
   * to NATS), otherwise from the journal (after an outage, a restart, a burst).
   */
  private async nextBatch(): Promise<CloudEvent[]> {
    const stale = this.live.findIndex((e) => e.seq > this.sent);
    this.live = stale < 0 ? [] : stale > 0 ? this.live.slice(stale) : this.live;
    if (this.live[0]?.seq === this.sent + 1) return this.live.splice(0, BATCH);
    const batch: CloudEvent[] = [];
    const { journal } = this.options;
    for await (const e of journal.read({ afterSeq: this.sent, limit: BATCH })) batch.push(e);
    return batch;
  }

  /**
   * Persists the cursor off the publishing path and at most once a second: a
   * synced write per batch would add a disk flush to the events' latency. A
   * cursor that lags after a crash costs nothing, since `skipPublished` finds
   * what already landed.
   */
  private saveCursor(): void {
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      this.flushCursor();
    }, CURSOR_SAVE_MS);
    this.saveTimer.unref();
  }

  private flushCursor(): void {
    this.saving = this.saving.then(async () => {
      const cursor = this.cursor;
      if (cursor <= this.saved) return;
      try {
        await this.options.journal.setMeta(CURSOR_KEY, String(cursor));
        this.saved = cursor;
      } catch (err) {
        this.options.onError?.(err);
      }
    });
  }

  private poke(): void {
    this.poked = true;
    this.wake?.();
  }

  /** Sleeps `ms`; `stop` ends it early, and so does a `poke` when `wakeOnAppend`. */
  private pause(ms: number, wakeOnAppend: boolean): Promise<void> {
    if (this.stopped || (wakeOnAppend && this.poked)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.interrupt = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.interrupt = done;
      if (wakeOnAppend) this.wake = done;
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
