/**
 * One daemon per host id on a NATS: a lease in a JetStream key-value bucket
 * (`<prefix>_hosts`, key = host id). The stream is laid out as NATS KV lays
 * out a bucket (`KV_<bucket>`, subjects `$KV.<bucket>.<key>`, one message per
 * key), so `nats kv get berth_hosts h1` shows the holder. Its max age is the
 * lease's TTL: the holder rewrites its entry every third of it, and a dead
 * holder's entry simply expires.
 *
 * Every write names the sequence it expects to replace (0 for none), so of
 * two daemons racing for a host exactly one wins, and a daemon whose entry
 * expired and was taken finds out at its next renewal instead of overwriting.
 * nats-server 2.9 has bucket-wide TTLs (max_age) but no per-message TTL, so
 * the first daemon to create the bucket sets the TTL for all.
 */
import { hostname } from "node:os";
import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamManager,
  type StoredMsg,
} from "@nats-io/jetstream";
import { connect, headers, millis, nanos, type NatsConnection } from "@nats-io/transport-node";
import { HostInUseError } from "../errors.js";
import { connectionOptions, type NatsEndpoint } from "./options.js";

/** The default lease TTL: how long a crashed daemon keeps its host id. */
export const DEFAULT_LEASE_TTL_MS = 15_000;

/** Who holds a host id: enough for an operator to find the daemon. */
export interface LeaseHolder {
  machine: string;
  pid: number;
  root: string;
  since: string;
}

export type LeaseState =
  | { state: "held" }
  | { state: "taken"; holder: LeaseHolder; seq: number }
  | { state: "unreachable"; error: string };

export interface HostLeaseOptions {
  endpoint: NatsEndpoint;
  prefix: string;
  host: string;
  /** The daemon's root, recorded so a restart on the same root can take its own stale lease over. */
  root: string;
  ttlMs?: number;
  replicas?: number;
  /** How long the first connection may take before NATS counts as down. */
  connectTimeoutMs?: number;
  log?: (line: string) => void;
}

const KV_OPERATION = "KV-Operation";

export class HostLease {
  private nc: NatsConnection | undefined;
  private seq = 0;
  private renewMs: number;
  private timer: NodeJS.Timeout | undefined;
  private held = false;
  private closed = false;
  readonly bucket: string;
  readonly subject: string;
  /** Called each time a renewal finds the host held by another daemon. */
  onTaken: ((holder: LeaseHolder) => void) | undefined;

  constructor(private readonly options: HostLeaseOptions) {
    this.bucket = `${options.prefix}_hosts`;
    this.subject = `$KV.${this.bucket}.${options.host}`;
    this.renewMs = Math.max(100, Math.floor((options.ttlMs ?? DEFAULT_LEASE_TTL_MS) / 3));
  }

  /** Whether this daemon holds the lease now. */
  isHeld(): boolean {
    return this.held;
  }

  /**
   * One attempt: connect (once), make sure the bucket exists, and take the
   * lease if nobody holds it. Never throws: NATS being down is a state.
   */
  async acquire(): Promise<LeaseState> {
    try {
      const jsm = await this.manager();
      const last = await this.last(jsm);
      if (last && !deleted(last))
        return { state: "taken", holder: last.json<LeaseHolder>(), seq: last.seq };
      await this.write(last?.seq ?? 0);
      return { state: "held" };
    } catch (err) {
      if (
        err instanceof JetStreamApiError &&
        err.code === JetStreamApiCodes.StreamWrongLastSequence
      )
        return this.acquire();
      return { state: "unreachable", error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Takes over the entry at `seq`: only for a lease this daemon's root left behind. */
  async takeOver(seq: number): Promise<boolean> {
    try {
      await this.write(seq);
      return true;
    } catch {
      return false;
    }
  }

  /** Renews the lease while held, and keeps trying to win it while not. */
  keep(): void {
    const tick = async () => {
      if (this.closed) return;
      await this.renew();
      if (!this.closed) this.timer = setTimeout(() => void tick(), this.renewMs);
    };
    this.timer = setTimeout(() => void tick(), this.renewMs);
  }

  /** Stops renewing and deletes the entry if still ours, so a successor need not wait for the TTL. */
  async release(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.held && this.nc && !this.nc.isClosed()) {
      const h = headers();
      h.set(KV_OPERATION, "DEL");
      await jetstream(this.nc)
        .publish(this.subject, undefined, { headers: h, expect: { lastSubjectSequence: this.seq } })
        .catch(() => undefined);
    }
    this.held = false;
    await this.nc?.close().catch(() => undefined);
  }

  private async renew(): Promise<void> {
    try {
      if (this.held) {
        await this.write(this.seq);
        return;
      }
    } catch (err) {
      const lost =
        err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence;
      if (!lost) {
        // NATS is down: the lease runs out on its own if this lasts; the next write will tell.
        this.options.log?.(`host lease: cannot renew: ${(err as Error).message}`);
        return;
      }
      this.held = false;
    }
    const state = await this.acquire();
    if (state.state !== "taken") return;
    this.options.log?.(
      `host lease: host ${this.options.host} is held by pid ${state.holder.pid} on ${state.holder.machine} (root ${state.holder.root}); this daemon answers no NATS API request while it is`,
    );
    this.onTaken?.(state.holder);
  }

  private async write(expected: number): Promise<void> {
    const nc = await this.connection();
    const holder: LeaseHolder = {
      machine: hostname(),
      pid: process.pid,
      root: this.options.root,
      since: new Date().toISOString(),
    };
    const ack = await jetstream(nc).publish(this.subject, JSON.stringify(holder), {
      expect: { lastSubjectSequence: expected },
    });
    this.seq = ack.seq;
    this.held = true;
  }

  /** The key's entry, or null when it has none (never written, or expired). */
  private last(jsm: JetStreamManager): Promise<StoredMsg | null> {
    return jsm.streams.getMessage(`KV_${this.bucket}`, { last_by_subj: this.subject });
  }

  private async manager(): Promise<JetStreamManager> {
    const jsm = await jetstreamManager(await this.connection());
    const name = `KV_${this.bucket}`;
    try {
      const info = await jsm.streams.info(name);
      // The bucket's TTL rules, whoever created it: renew often enough for it.
      if (info.config.max_age > 0)
        this.renewMs = Math.max(100, Math.floor(millis(info.config.max_age) / 3));
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound))
        throw err;
      await jsm.streams.add({
        name,
        subjects: [`$KV.${this.bucket}.>`],
        max_msgs_per_subject: 1,
        max_age: nanos(this.options.ttlMs ?? DEFAULT_LEASE_TTL_MS),
        allow_rollup_hdrs: true,
        deny_delete: true,
        allow_direct: true,
        num_replicas: this.options.replicas ?? 1,
      });
    }
    return jsm;
  }

  private async connection(): Promise<NatsConnection> {
    if (this.nc && !this.nc.isClosed()) return this.nc;
    this.nc = await connect(
      connectionOptions(this.options.endpoint, {
        name: `berth-lease-${this.options.host}`,
        timeout: this.options.connectTimeoutMs ?? 3_000,
        reconnect: true,
        maxReconnectAttempts: -1,
      }),
    );
    return this.nc;
  }
}

/** Whether an entry is a delete marker, which frees the key as if it were absent. */
function deleted(m: StoredMsg): boolean {
  const op = m.header.get(KV_OPERATION);
  return op === "DEL" || op === "PURGE";
}

/**
 * Claims the host id for a daemon that already holds its root's lock: takes
 * the lease, or takes over one this root left behind (its daemon is dead, or
 * it would hold the root's lock), or throws HostInUseError naming the live
 * holder. With NATS down it returns the lease unheld, to be won by `keep`.
 */
export async function claimHostLease(options: HostLeaseOptions): Promise<HostLease> {
  const lease = new HostLease(options);
  const state = await lease.acquire();
  if (state.state === "unreachable")
    options.log?.(
      `host lease: NATS unreachable (${state.error}); the NATS API answers nothing until this daemon holds host ${options.host}`,
    );
  if (state.state !== "taken") return lease;
  const { holder } = state;
  const own = holder.machine === hostname() && holder.root === options.root;
  if (own && (await lease.takeOver(state.seq))) return lease;
  await lease.release();
  throw new HostInUseError(
    `host ${options.host} is served by another live daemon on this NATS (pid ${holder.pid} on ${holder.machine}, root ${holder.root}, since ${holder.since}): stop it or use another --host; a dead daemon's lease expires on its own`,
  );
}
