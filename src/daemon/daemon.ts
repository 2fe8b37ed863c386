/**
 * The composition root: one daemon owns one root. It takes the journal's lock
 * first, so a second daemon on the same root fails before touching anything.
 */
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Server } from "node:http";
import { apiServer, listenOnSocket } from "../api/index.js";
import { ExitMonitor, LinuxCheckpointer, LinuxRuntime, LinuxStorage } from "../effects/index.js";
import { InvalidArgError } from "../errors.js";
import { ContainerService } from "../service/index.js";
import { LevelJournal, NatsRelay } from "../store/index.js";

export interface DaemonOptions {
  root: string;
  socket: string;
  /** NATS URL(s); without them no relay runs and events wait in the journal. */
  nats?: string[];
  host?: string;
  prefix?: string;
  stream?: string;
  version: string;
  log?: (line: string) => void;
}

export interface Daemon {
  service: ContainerService;
  relay?: NatsRelay;
  close(): Promise<void>;
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
  await mkdir(options.root, { recursive: true, mode: 0o700 });
  const journal = await LevelJournal.open(join(options.root, "journal"));
  const runtime = new LinuxRuntime({ root: options.root });
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
  const relay = options.nats?.length
    ? new NatsRelay({
        journal,
        servers: options.nats,
        prefix,
        host,
        stream: options.stream ?? "BERTH",
        onError: (e) => log(`relay: ${e instanceof Error ? e.message : String(e)} (retrying)`),
      })
    : undefined;
  relay?.start();
  const server: Server = apiServer({ service, journal, version: options.version, relay, runtime });
  await listenOnSocket(server, options.socket);
  log(`berth ${options.version} serving on ${options.socket} (root ${options.root}, host ${host})`);
  return {
    service,
    relay,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await relay?.stop();
      await service.close();
      await exits.close();
      await journal.close();
    },
  };
}
