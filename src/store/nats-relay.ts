/**
 * The outbox relay: NATS is fed only from the journal. It publishes each
 * event after the persisted cursor with the event id as Nats-Msg-Id, then
 * advances the cursor. NATS being down delays delivery; it never loses an
 * event, and a retry after a half-acknowledged publish is dropped by
 * JetStream's duplicate window.
 */
import { jetstream, jetstreamManager, StorageType, type JetStreamClient } from "@nats-io/jetstream";
import { connect, headers, nanos, type NatsConnection } from "@nats-io/transport-node";
import type { CloudEvent } from "../events/index.js";
import { actionOf } from "../events/index.js";
import type { Journal } from "./journal.js";

export interface RelayOptions {
  journal: Journal;
  /** NATS server URL(s). */
  servers: string | string[];
  /** Subject prefix; events go to <prefix>.<host>.<containerId>.<action>. */
  prefix: string;
  host: string;
  stream: string;
  /** Called on each connection failure; the relay keeps retrying. */
  onError?: (err: unknown) => void;
}

export interface RelayStatus {
  connected: boolean;
  /** Global sequence of the last event JetStream acknowledged. */
  cursor: number;
  head: number;
  lag: number;
  lastError?: string;
}

const CURSOR_KEY = "relay.cursor";
const BATCH = 256;
/** Must stay longer than the longest retry horizon, so a republish is recognised. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;
const MAX_BACKOFF_MS = 5_000;

/** The NATS subject of an event. */
export const subjectOf = (prefix: string, host: string, e: CloudEvent) =>
  `${prefix}.${host}.${e.subject}.${actionOf(e.type)}`;

export class NatsRelay {
  private stopped = false;
  private nc: NatsConnection | undefined;
  private cursor = 0;
  private lastError: string | undefined;
  private wake: (() => void) | undefined;
  private readonly off: () => void;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: RelayOptions) {
    this.off = options.journal.subscribe(() => this.wake?.());
  }

  start(): void {
    this.loop ??= this.run();
  }

  status(): RelayStatus {
    const head = this.options.journal.head().seq;
    return {
      connected: this.nc !== undefined && !this.nc.isClosed(),
      cursor: this.cursor,
      head,
      lag: head - this.cursor,
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
    this.wake?.();
    await this.nc?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    this.cursor = Number((await this.options.journal.getMeta(CURSOR_KEY)) ?? 0);
    let backoff = 100;
    while (!this.stopped) {
      try {
        const js = await this.connectAndEnsure();
        backoff = 100;
        this.lastError = undefined;
        await this.publishLoop(js);
      } catch (err) {
        if (this.stopped) break;
        this.lastError = err instanceof Error ? err.message : String(err);
        this.options.onError?.(err);
        await this.nc?.close().catch(() => undefined);
        this.nc = undefined;
        await this.sleepUnlessWoken(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async connectAndEnsure(): Promise<JetStreamClient> {
    const nc = await connect({ servers: this.options.servers, reconnect: false, timeout: 2_000 });
    this.nc = nc;
    const jsm = await jetstreamManager(nc);
    const subjects = [`${this.options.prefix}.>`];
    try {
      await jsm.streams.info(this.options.stream);
    } catch {
      await jsm.streams.add({
        name: this.options.stream,
        subjects,
        storage: StorageType.File,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      });
    }
    return jetstream(nc);
  }

  private async publishLoop(js: JetStreamClient): Promise<void> {
    const { journal, prefix, host } = this.options;
    while (!this.stopped) {
      if (this.nc?.isClosed()) throw new Error("NATS connection closed");
      const batch: CloudEvent[] = [];
      for await (const e of journal.read({ afterSeq: this.cursor, limit: BATCH })) batch.push(e);
      if (batch.length === 0) {
        await this.sleepUnlessWoken(1_000);
        continue;
      }
      // One at a time: a failed publish must not let a later event land before it.
      for (const e of batch) {
        const h = headers();
        h.set("content-type", "application/cloudevents+json");
        await js.publish(subjectOf(prefix, host, e), JSON.stringify(e), {
          msgID: e.id,
          headers: h,
        });
        this.cursor = e.seq;
      }
      await journal.setMeta(CURSOR_KEY, String(this.cursor));
    }
  }

  private sleepUnlessWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
