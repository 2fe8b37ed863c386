/**
 * The control API over NATS request/reply, so an operator can drive any host
 * of a fleet through the cluster. Each daemon answers on
 *
 *   <prefix>.<host>.api.v1.<verb>     request: JSON body, e.g. {"ref": "web"}
 *
 * with `{"ok": true, "result": ...}` or `{"error": {"code", "message"}}`, the
 * same codes as the HTTP API. This is the NATS adapter of the operation table
 * (operation-table.ts): a verb is an operation's name and the payload is its
 * input. Headers: `Berth-Request-Id`, `Idempotency-Key`, `If-Match`, and the
 * signature headers (src/nats/request-signature.ts).
 *
 * Every request must be signed with a user NKey on the allow-list
 * (`--nats-api-keys`); the actor recorded is that verified identity, and a
 * `Berth-Actor` header is ignored. Each verb needs a role (nats-roles.ts).
 * Refusals (unsigned, forbidden, busy) are answered and logged, not
 * journaled: the caller is not proven, and journaling what any bus client
 * sends would let it fill the disk.
 *
 * Why `api.v1.<verb>` (five tokens) rather than `api.<verb>`: the event stream
 * listens on `<prefix>.*.*.*`, and NATS 2.9 cannot exclude subjects from a
 * stream, so a four-token request subject would be stored as an event and
 * answered by JetStream.
 *
 * Requests in flight are bounded: over the bound, a request is answered BUSY
 * at once rather than queued. An answer larger than the connection's
 * max_payload is replaced by ANSWER_TOO_LARGE.
 */
import {
  connect,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import {
  AnswerTooLargeError,
  BusyError,
  ForbiddenError,
  InvalidArgError,
  UnauthenticatedError,
} from "../errors.js";
import { apiSubject } from "../events/index.js";
import type { RequestMeta } from "../machines/index.js";
import {
  connectionOptions,
  keyActor,
  roleAllows,
  type ApiKey,
  type NatsEndpoint,
  type RelayStatus,
  RequestVerifier,
} from "../nats/index.js";
import type { ContainerService } from "../service/index.js";
import type { Journal } from "../store/index.js";
import { roleForArgs } from "./nats-arg-roles.js";
import { payloadRole, VERB_ROLES } from "./nats-roles.js";
import { errorAnswer } from "./operation.js";
import { operationTable } from "./operation-table.js";
import { buildRequestMeta, NATS_META_HEADERS, type HeaderReader } from "./request-meta.js";

export interface NatsApiDeps {
  service: ContainerService;
  journal: Journal;
  relay?: { status(): RelayStatus };
  version: string;
  host: string;
  prefix: string;
  endpoint: NatsEndpoint;
  /** The allow-list: who may call, by user NKey public key. */
  keys: ReadonlyMap<string, ApiKey>;
  /**
   * Whether this daemon holds its host id's lease: while it does not, another
   * daemon does, and requests are left for that one to answer.
   */
  isLeaseHeld?: () => boolean;
  /** Requests answered at once with BUSY beyond this many in flight (default 64). */
  maxInFlight?: number;
  log?: (line: string) => void;
}

/** The default bound on requests in flight. */
export const DEFAULT_MAX_IN_FLIGHT = 64;
/** Room kept for the answer's headers when checking its size against max_payload. */
const HEADER_ROOM = 512;

type Verb = (body: unknown, meta: RequestMeta) => Promise<unknown>;

/**
 * The verbs: the daemon's own `ping` and `status`, then every operation of
 * the table under its own name, with the JSON payload as its input.
 */
function verbs(deps: NatsApiDeps): Record<string, Verb> {
  const daemonVerbs: Record<string, Verb> = {
    ping: () => Promise.resolve({ version: deps.version, host: deps.host }),
    status: () =>
      Promise.resolve({
        version: deps.version,
        host: deps.host,
        journal: deps.journal.head(),
        relay: deps.relay?.status() ?? null,
      }),
  };
  const operations = Object.values(operationTable(deps.service));
  return {
    ...daemonVerbs,
    ...Object.fromEntries(operations.map((op) => [op.name, (body, meta) => op.run(body, meta)])),
  };
}

function headerReader(h: MsgHdrs | undefined): HeaderReader {
  return (name) => {
    const v = h?.get(name);
    return v ? v : undefined;
  };
}

/**
 * Who asked, from NATS headers, by the rules every transport shares (see
 * request-meta.ts), with the verified `actor` in place of any declared one.
 */
export function natsRequestMeta(h: MsgHdrs | undefined, actor: string): RequestMeta {
  return { ...buildRequestMeta(headerReader(h), NATS_META_HEADERS, "nats"), actor };
}

const RETRY_MS = 1_000;
const CLOSE_GRACE_MS = 2_000;

export class NatsApi {
  private nc: NatsConnection | undefined;
  private sub: Subscription | undefined;
  private closed = false;
  private loop: Promise<void> | undefined;
  private retry: (() => void) | undefined;
  private readonly table: Record<string, Verb>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly verifier: RequestVerifier;
  private readonly maxInFlight: number;
  private lastRefusalLog = 0;
  private refusalsUnlogged = 0;
  readonly subject: string;

  constructor(private readonly deps: NatsApiDeps) {
    this.table = verbs(deps);
    this.verifier = new RequestVerifier(deps.keys);
    this.maxInFlight = deps.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.subject = apiSubject(deps.prefix, deps.host, "*");
  }

  /** Connects in the background, retrying until NATS answers; the daemon does not wait for it. */
  start(): void {
    this.loop ??= this.connectLoop();
  }

  status(): { connected: boolean; subject: string } {
    return { connected: this.nc !== undefined && !this.nc.isClosed(), subject: this.subject };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.retry?.();
    await this.loop;
    // Take no new requests, give those in flight a moment to answer, then go.
    await this.sub?.drain().catch(() => undefined);
    await Promise.race([
      Promise.all(this.inFlight),
      new Promise((r) => setTimeout(r, CLOSE_GRACE_MS)),
    ]);
    await this.nc?.close().catch(() => undefined);
  }

  private async connectLoop(): Promise<void> {
    const { endpoint, host, log } = this.deps;
    while (!this.closed) {
      try {
        const nc = await connect(
          connectionOptions(endpoint, {
            name: `berth-api-${host}`,
            timeout: 2_000,
            reconnect: true,
            maxReconnectAttempts: -1,
            reconnectTimeWait: RETRY_MS,
          }),
        );
        if (this.closed) {
          await nc.close();
          return;
        }
        this.nc = nc;
        this.sub = nc.subscribe(this.subject, {
          callback: (_err, msg) => {
            if (this.deps.isLeaseHeld?.() === false) return;
            // Checked before any work, so a flood costs one small answer per request.
            if (this.inFlight.size >= this.maxInFlight) this.refuse(msg);
            else this.track(this.handle(msg));
          },
        });
        log?.(`NATS API on ${this.subject}`);
        return;
      } catch (err) {
        log?.(`NATS API: ${err instanceof Error ? err.message : String(err)} (retrying)`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, RETRY_MS);
          this.retry = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Logs a refusal, at most one line a second, so a flood of bad requests cannot flood the log. */
  private logRefusal(line: string): void {
    const now = Date.now();
    if (now - this.lastRefusalLog < 1_000) {
      this.refusalsUnlogged += 1;
      return;
    }
    const more = this.refusalsUnlogged > 0 ? ` (and ${this.refusalsUnlogged} more unlogged)` : "";
    this.refusalsUnlogged = 0;
    this.lastRefusalLog = now;
    this.deps.log?.(`NATS API: ${line}${more}`);
  }

  private refuse(msg: Msg): void {
    const busy = new BusyError(
      `${this.inFlight.size} requests in flight (the bound is ${this.maxInFlight}): retry later`,
    );
    this.answer(msg, errorAnswer(busy), headerReader(msg.headers)("Berth-Request-Id"));
  }

  /** The verified caller, if its role allows `verb`; throws UnauthenticatedError or ForbiddenError. */
  private authorize(msg: Msg, verb: string): ApiKey {
    const caller = this.verifier.verify(msg.subject, headerReader(msg.headers), msg.data);
    // Own properties only: a verb named `constructor` or `__proto__` must not find Object's members.
    const needed = Object.hasOwn(VERB_ROLES, verb)
      ? (VERB_ROLES as Record<string, (typeof VERB_ROLES)[keyof typeof VERB_ROLES]>)[verb]
      : undefined;
    if (needed !== undefined && !roleAllows(caller.role, needed))
      throw new ForbiddenError(
        `${keyActor(caller)} has role ${caller.role}; ${verb} needs ${needed}`,
      );
    return caller;
  }

  private async handle(msg: Msg): Promise<void> {
    if (!msg.reply) return;
    const verb = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
    let reply: unknown;
    let requestId: string | undefined;
    try {
      const caller = this.authorize(msg, verb);
      const meta = natsRequestMeta(msg.headers, keyActor(caller));
      requestId = meta.requestId;
      const fn = Object.hasOwn(this.table, verb) ? this.table[verb] : undefined;
      if (!fn)
        throw new InvalidArgError(
          `no verb ${JSON.stringify(verb)}: use one of ${Object.keys(this.table).join(", ")}`,
        );
      let body: unknown = {};
      if (msg.data.length > 0) {
        try {
          body = msg.json();
        } catch (err) {
          throw new InvalidArgError(`malformed JSON body: ${(err as Error).message}`, {
            cause: err,
          });
        }
      }
      const raised = roleForArgs(verb, body);
      if (raised !== undefined && !roleAllows(caller.role, raised))
        throw new ForbiddenError(
          `${keyActor(caller)} has role ${caller.role}; ${verb} with privileged or capAdd needs ${raised}`,
        );
      const extra = payloadRole(verb, body);
      if (extra !== undefined && !roleAllows(caller.role, extra))
        throw new ForbiddenError(
          `${keyActor(caller)} has role ${caller.role}; ${verb} with a bind mount of a host path needs ${extra}`,
        );
      reply = { ok: true, result: (await fn(body, meta)) ?? null };
    } catch (err) {
      if (err instanceof UnauthenticatedError || err instanceof ForbiddenError)
        this.logRefusal(`refused ${msg.subject}: ${err.message}`);
      reply = errorAnswer(err);
    }
    this.answer(msg, reply, requestId);
  }

  /** Answers `msg`, or ANSWER_TOO_LARGE when the answer would not fit in one NATS message. */
  private answer(msg: Msg, reply: unknown, requestId: string | undefined): void {
    const h = natsHeaders();
    if (requestId) h.set("Berth-Request-Id", requestId);
    h.set("content-type", "application/json");
    let data = JSON.stringify(reply);
    const limit = this.nc?.info?.max_payload;
    const size = Buffer.byteLength(data);
    if (limit !== undefined && size + HEADER_ROOM > limit) {
      const tooLarge = new AnswerTooLargeError(
        `the answer is ${size} bytes, more than this NATS connection carries (max_payload ${limit}): use the socket API, or ask for less`,
      );
      data = JSON.stringify(errorAnswer(tooLarge));
    }
    try {
      msg.respond(data, { headers: h });
    } catch (err) {
      this.deps.log?.(`NATS API: cannot answer ${msg.subject}: ${String(err)}`);
    }
  }
}
