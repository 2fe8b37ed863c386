/**
 * The composition root: one daemon owns one root. It takes the journal's lock
 * first, so a second daemon on the same root fails before touching anything.
 */
import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Server } from "node:http";
import {
  apiServer,
  claimSocketPath,
  listenOnSocket,
  NatsApi,
  type EventsRouteOptions,
} from "../api/index.js";
import { ExitMonitor, LinuxCheckpointer, LinuxRuntime, LinuxStorage } from "../effects/index.js";
import { InvalidArgError } from "../errors.js";
import { ContainerService } from "../service/index.js";
import { natsServers, NatsRelay, validateNatsAuth, type NatsAuth } from "../nats/index.js";
import { LevelJournal } from "../store/index.js";

export interface DaemonOptions {
  root: string;
  socket: string;
  /** NATS URL(s); without them no relay runs and events wait in the journal. */
  nats?: string[];
  host?: string;
  prefix?: string;
  stream?: string;
  /** Replicas of the event stream in a JetStream cluster. */
  streamReplicas?: number;
  /** How to authenticate to NATS, and TLS. */
  natsAuth?: NatsAuth;
  /** Serve the control API over NATS request/reply when `nats` is set (default true). */
  natsApi?: boolean;
  /** Slow-consumer and keep-alive settings of `GET /events`. */
  events?: EventsRouteOptions;
  /** Most bytes of each container's log file (conmon `--log-size-max`); -1: no limit. */
  logSizeMax?: number;
  version: string;
  log?: (line: string) => void;
}

export interface Daemon {
  service: ContainerService;
  relay?: NatsRelay;
  natsApi?: NatsApi;
  close(): Promise<void>;
}

/** Fails early, before the root is touched, on NATS options that could never connect. */
async function checkNats(options: DaemonOptions): Promise<string[] | undefined> {
  if (!options.nats?.length) return undefined;
  const auth = options.natsAuth ?? {};
  validateNatsAuth(auth);
  const files = [auth.credsFile, auth.tls?.caFile, auth.tls?.certFile, auth.tls?.keyFile];
  for (const file of files) {
    if (file === undefined) continue;
    await access(file, constants.R_OK).catch((err: unknown) => {
      throw new InvalidArgError(`cannot read NATS file ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    });
  }
  return natsServers(options.nats);
}

const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;

/** A host id usable as one NATS subject token. */
export function defaultHost(): string {
  return hostname().replace(/[^A-Za-z0-9_-]/g, "_");
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? defaultHost();
  const prefix = options.prefix ?? "berth";
  for (const [what, token] of [
    ["host", host],
    ["prefix", prefix],
  ] as const) {
    if (!SUBJECT_TOKEN.test(token))
      throw new InvalidArgError(
        `invalid ${what} ${JSON.stringify(token)}: use letters, digits, _ or -`,
      );
  }
  const servers = await checkNats(options);
  // Before the root is touched: a second daemon on a live socket must change nothing.
  await claimSocketPath(options.socket);
  await mkdir(options.root, { recursive: true, mode: 0o700 });
  const journal = await LevelJournal.open(join(options.root, "journal"));
  const runtime = new LinuxRuntime({
    root: options.root,
    ...(options.logSizeMax !== undefined ? { logSizeMax: options.logSizeMax } : {}),
  });
  const exits = new ExitMonitor({
    root: options.root,
    onError: (e) => log(`exit monitor: ${String(e)}`),
  });
  const storage = new LinuxStorage(options.root);
  const service = await ContainerService.open({
    host,
    journal,
    runtime,
    exits,
    storage,
    artifacts: storage,
    checkpointer: new LinuxCheckpointer(options.root),
  });
  // Exits that happened while no daemon ran are dispatched by the first scan, now that actors listen.
  await exits.ready;
  const relay = servers
    ? new NatsRelay({
        journal,
        servers,
        prefix,
        host,
        stream: options.stream ?? "BERTH",
        replicas: options.streamReplicas,
        auth: options.natsAuth,
        onError: (e) => log(`relay: ${e instanceof Error ? e.message : String(e)} (retrying)`),
      })
    : undefined;
  relay?.start();
  const natsApi =
    servers && options.natsApi !== false
      ? new NatsApi({
          service,
          journal,
          relay,
          version: options.version,
          host,
          prefix,
          endpoint: { ...options.natsAuth, servers },
          log,
        })
      : undefined;
  natsApi?.start();
  const server: Server = apiServer({
    service,
    journal,
    version: options.version,
    relay,
    natsApi,
    ...(options.events ? { events: options.events } : {}),
  });
  await listenOnSocket(server, options.socket);
  log(`berth ${options.version} serving on ${options.socket} (root ${options.root}, host ${host})`);
  return {
    service,
    relay,
    natsApi,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await natsApi?.close();
      await relay?.stop();
      await service.close();
      await exits.close();
      await journal.close();
    },
  };
}
