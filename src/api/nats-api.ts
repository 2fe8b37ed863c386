/**
 * The control API over NATS request/reply, so an operator can drive any host
 * of a fleet through the cluster. Each daemon answers on
 *
 *   <prefix>.<host>.api.v1.<verb>     request: JSON body, e.g. {"ref": "web"}
 *
 * with `{"ok": true, "result": ...}` or `{"error": {"code", "message"}}`, the
 * same codes as the HTTP API. This is the NATS adapter of the operation table
 * (operation-table.ts): a verb is an operation's name and the payload is its
 * input. Headers: `Berth-Actor` (recorded as `declared:<actor>`, as over
 * HTTP), `Berth-Request-Id`, `Idempotency-Key`, `If-Match`.
 *
 * Why `api.v1.<verb>` (five tokens) rather than `api.<verb>`: the event stream
 * listens on `<prefix>.*.*.*`, and NATS 2.9 cannot exclude subjects from a
 * stream, so a four-token request subject would be stored as an event and
 * answered by JetStream.
 *
 * Who may call it is NATS's business: grant publish on `<prefix>.<host>.api.>`
 * only to operators.
 */
import {
  connect,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { InvalidArgError } from "../errors.js";
import { apiSubject } from "../events/index.js";
import type { RequestMeta } from "../machines/index.js";
import { connectionOptions, type NatsEndpoint, type RelayStatus } from "../nats/index.js";
import type { ContainerService } from "../service/index.js";
import type { Journal } from "../store/index.js";
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
  log?: (line: string) => void;
}

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

/**
 * Who asked, from NATS headers, by the rules every transport shares (see
 * request-meta.ts): the actor is declared, never proven, and If-Match works
 * as over HTTP.
 */
export function natsRequestMeta(h: MsgHdrs | undefined): RequestMeta {
  const read: HeaderReader = (name) => {
    const v = h?.get(name);
    return v ? v : undefined;
  };
  return buildRequestMeta(read, NATS_META_HEADERS, "nats");
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
  readonly subject: string;

  constructor(private readonly deps: NatsApiDeps) {
    this.table = verbs(deps);
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
          callback: (_err, msg) => this.track(this.handle(msg)),
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

  private async handle(msg: Msg): Promise<void> {
    if (!msg.reply) return;
    const verb = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
    const meta = natsRequestMeta(msg.headers);
    let reply: unknown;
    try {
      const fn = this.table[verb];
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
      reply = { ok: true, result: (await fn(body, meta)) ?? null };
    } catch (err) {
      reply = errorAnswer(err);
    }
    const h = natsHeaders();
    h.set("Berth-Request-Id", meta.requestId);
    h.set("content-type", "application/json");
    try {
      msg.respond(JSON.stringify(reply), { headers: h });
    } catch (err) {
      this.deps.log?.(`NATS API: cannot answer ${msg.subject}: ${String(err)}`);
    }
  }
}
