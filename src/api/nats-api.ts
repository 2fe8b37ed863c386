/**
 * The control API over NATS request/reply, so an operator can drive any host
 * of a fleet through the cluster. Each daemon answers on
 *
 *   <prefix>.<host>.api.v1.<verb>     request: JSON body, e.g. {"ref": "web"}
 *
 * with `{"ok": true, "result": ...}` or `{"error": {"code", "message"}}`, the
 * same codes as the HTTP API. The verbs call the same service methods as the
 * HTTP routes. Headers: `Berth-Actor` (recorded as `declared:<actor>`, as over
 * HTTP), `Berth-Request-Id`, `Idempotency-Key`.
 *
 * Why `api.v1.<verb>` (five tokens) rather than `api.<verb>`: the event stream
 * listens on `<prefix>.*.*.*`, and NATS 2.9 cannot exclude subjects from a
 * stream, so a four-token request subject would be stored as an event and
 * answered by JetStream.
 *
 * Who may call it is NATS's business: grant publish on `<prefix>.<host>.api.>`
 * only to operators.
 */
import { randomUUID } from "node:crypto";
import {
  connect,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { z } from "zod";
import { asBerthError, InvalidArgError } from "../errors.js";
import { CONTAINER_STATES, type ContainerState, type RequestMeta } from "../machines/index.js";
import type { ContainerService } from "../service/index.js";
import { signalName } from "../service/index.js";
import type { Journal, NatsEndpoint, RelayStatus } from "../store/index.js";
import { apiSubject, connectionOptions } from "../store/index.js";
import { toBody } from "./container-routes.js";
import {
  BatchBody,
  CheckpointBody,
  CreateBody,
  ExportBody,
  ImportImageBody,
  KillBody,
  StopBody,
} from "./schemas.js";

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

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
    throw new InvalidArgError(`invalid request: ${issues.join("; ")}`, { cause: parsed.error });
  }
  return parsed.data;
}

const Ref = z.object({ ref: z.string().min(1) });
const Flags = z.object({ force: z.boolean().optional() });
const WaitBody = z.object({
  conditions: z.array(z.enum(CONTAINER_STATES as unknown as [ContainerState])).optional(),
  interval: z.number().int().nonnegative().optional(),
});

function verbs(deps: NatsApiDeps): Record<string, Verb> {
  const { service } = deps;
  const simple =
    (type: "INIT" | "PAUSE" | "UNPAUSE" | "CLEANUP" | "SYNC"): Verb =>
    async (body, meta) =>
      service.command(parse(Ref, body).ref, { type }, meta);
  return {
    ping: () => Promise.resolve({ version: deps.version, host: deps.host }),
    status: () =>
      Promise.resolve({
        version: deps.version,
        host: deps.host,
        journal: deps.journal.head(),
        relay: deps.relay?.status() ?? null,
      }),
    ps: (body) =>
      Promise.resolve(
        service.list(parse(z.object({ all: z.boolean().optional() }), body).all ?? false),
      ),
    inspect: (body) => Promise.resolve(service.inspect(parse(Ref, body).ref)),
    logs: (body) => service.logs(parse(Ref, body).ref),
    history: (body) => service.history(parse(Ref, body).ref),
    import: (body) => {
      const { tar, name } = parse(ImportImageBody, body);
      return service.importImage(tar, name);
    },
    create: (body, meta) => service.create(parse(CreateBody, body), meta),
    init: simple("INIT"),
    pause: simple("PAUSE"),
    unpause: simple("UNPAUSE"),
    cleanup: simple("CLEANUP"),
    sync: simple("SYNC"),
    start: (body, meta) => {
      const { ref, recursive } = parse(Ref.extend({ recursive: z.boolean().optional() }), body);
      return service.command(ref, { type: "START" }, meta, { recursive: recursive ?? false });
    },
    stop: (body, meta) => {
      const { ref, timeout } = parse(Ref.extend(StopBody.shape), body);
      return service.command(ref, { type: "STOP", timeout }, meta);
    },
    restart: (body, meta) => {
      const { ref, timeout } = parse(Ref.extend(StopBody.shape), body);
      return service.command(ref, { type: "RESTART", timeout }, meta);
    },
    kill: (body, meta) => {
      const { ref, signal } = parse(Ref.extend(KillBody.shape), body);
      return service.command(ref, { type: "KILL", signal: signalName(signal ?? "SIGKILL") }, meta);
    },
    rm: (body, meta) => {
      const { ref, force, timeout } = parse(Ref.extend(Flags.shape).extend(StopBody.shape), body);
      return service.command(ref, { type: "REMOVE", force: force ?? false, timeout }, meta);
    },
    mount: async (body, meta) => {
      const record = await service.command(parse(Ref, body).ref, { type: "MOUNT" }, meta);
      return { path: service.rootfsPath(record.id), record };
    },
    unmount: (body, meta) => {
      const { ref, force } = parse(Ref.extend(Flags.shape), body);
      return service.command(ref, { type: "UNMOUNT", force: force ?? false }, meta);
    },
    export: (body, meta) => {
      const { ref, path } = parse(Ref.extend(ExportBody.shape), body);
      return service.command(ref, { type: "EXPORT", path }, meta);
    },
    checkpoint: (body, meta) => {
      const { ref, ...options } = parse(Ref.extend(CheckpointBody.shape), body);
      return service.command(ref, { type: "CHECKPOINT", options }, meta);
    },
    restore: (body, meta) => {
      const { ref, ...options } = parse(Ref.extend(CheckpointBody.shape), body);
      return service.command(ref, { type: "RESTORE", options }, meta);
    },
    batch: (body, meta) => {
      const { ref, commands } = parse(Ref.extend(BatchBody.shape), body);
      return service.batch(ref, commands.map(toBody), meta);
    },
    wait: async (body) => {
      const { ref, conditions, interval } = parse(Ref.extend(WaitBody.shape), body);
      const exitCode = await service.wait(ref, {
        ...(conditions ? { conditions } : {}),
        ...(interval !== undefined ? { intervalMs: interval } : {}),
      });
      return { exitCode };
    },
  };
}

/** Who asked: the same rules as over HTTP, from NATS headers. */
export function natsRequestMeta(h: MsgHdrs | undefined): RequestMeta {
  const header = (name: string) => {
    const v = h?.get(name);
    return v ? v : undefined;
  };
  const declared = header("Berth-Actor");
  const key = header("Idempotency-Key");
  return {
    actor: declared ? `declared:${declared}` : "anonymous",
    requestId: header("Berth-Request-Id") ?? randomUUID(),
    client: "nats",
    ...(key ? { idempotencyKey: key } : {}),
  };
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
      reply = { error: asBerthError(err).toJSON() };
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
