/**
 * Driving daemons through NATS: the control API each daemon serves on
 * `<prefix>.<host>.api.v1.<verb>`. Answers come back as results or as the
 * same typed errors as over the socket. Each request is signed with the
 * caller's user NKey seed (`nkeySeed`, `nkeySeedFile`, or BERTH_NKEY_SEED);
 * the daemon records that verified identity as the actor.
 */
import { randomUUID } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { errorFromWire, NatsUnavailableError } from "../errors.js";
import { apiSubject } from "../events/index.js";
import type { NatsEndpoint } from "../nats/index.js";

/**
 * NATS loads when a fleet client connects, not when berth/client is imported:
 * the CLI imports this folder for the socket client on every verb, and a verb
 * should not pay for loading the NATS libraries it never uses.
 */
const loadNats = async () => ({
  transport: await import("@nats-io/transport-node"),
  plumbing: await import("../nats/index.js"),
});
type Nats = Awaited<ReturnType<typeof loadNats>>;

export interface FleetOptions extends NatsEndpoint {
  /** Subject prefix (default berth). */
  prefix?: string;
  /** Sent as `Berth-Actor`; daemons ignore it and record the verified NKey instead. */
  actor?: string;
  /** The user NKey seed (`SU...`) that signs requests. */
  nkeySeed?: string;
  /** A file holding that seed; without either, BERTH_NKEY_SEED, else requests go unsigned. */
  nkeySeedFile?: string;
  /** How long to wait for an answer (default 30 s). */
  timeoutMs?: number;
}

export interface CallOptions {
  timeoutMs?: number;
  requestId?: string;
  idempotencyKey?: string;
  /** The container version the request is based on: a stale one gets VersionConflictError. */
  ifMatch?: number;
}

type Answer<T> = { ok: true; result: T } | { error: { code: string; message: string } };

export class FleetClient {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: FleetOptions,
    private readonly nats: Nats,
    private readonly signer: InstanceType<Nats["plumbing"]["RequestSigner"]> | undefined,
  ) {}

  static async connect(options: FleetOptions): Promise<FleetClient> {
    const nats = await loadNats();
    const signer =
      options.nkeySeed !== undefined
        ? new nats.plumbing.RequestSigner(options.nkeySeed)
        : await nats.plumbing.RequestSigner.fromFileOrEnv(options.nkeySeedFile);
    const nc = await nats.transport.connect(
      nats.plumbing.connectionOptions(options, {
        reconnect: true,
        maxReconnectAttempts: -1,
        name: "berth-fleet",
      }),
    );
    return new FleetClient(nc, options, nats, signer);
  }

  /**
   * Calls `verb` on `host`: e.g. `call("h1", "start", { ref: "web" })`. Throws
   * the daemon's typed error, or NatsUnavailableError if no daemon answers.
   */
  async call<T = unknown>(
    host: string,
    verb: string,
    body: unknown = {},
    opts: CallOptions = {},
  ): Promise<T> {
    const { errors, headers } = this.nats.transport;
    const subject = apiSubject(this.options.prefix ?? "berth", host, verb);
    const h = headers();
    if (this.options.actor) h.set("Berth-Actor", this.options.actor);
    h.set("Berth-Request-Id", opts.requestId ?? randomUUID());
    if (opts.idempotencyKey) h.set("Idempotency-Key", opts.idempotencyKey);
    if (opts.ifMatch !== undefined) h.set("If-Match", String(opts.ifMatch));
    const payload = new TextEncoder().encode(JSON.stringify(body));
    const signed = this.signer?.headers(subject, payload, (name) => h.get(name) || undefined);
    for (const [name, value] of Object.entries(signed ?? {})) h.set(name, value);
    let answer: Answer<T>;
    try {
      const msg = await this.nc.request(subject, payload, {
        timeout: opts.timeoutMs ?? this.options.timeoutMs ?? 30_000,
        headers: h,
      });
      answer = msg.json<Answer<T>>();
    } catch (err) {
      const noResponders =
        err instanceof errors.NoRespondersError ||
        (err instanceof errors.RequestError && err.isNoResponders());
      if (noResponders)
        throw new NatsUnavailableError(`no berth daemon answers on ${subject}`, { cause: err });
      if (err instanceof errors.TimeoutError)
        throw new NatsUnavailableError(`no answer on ${subject} in time`, { cause: err });
      throw err;
    }
    if ("error" in answer) throw errorFromWire(answer.error);
    return answer.result;
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
