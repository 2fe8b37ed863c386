/**
 * The composition root: one daemon owns one root. It takes the journal's lock
 * first, so a second daemon on the same root fails before touching anything.
 */
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import type { Server } from "node:http";
import {
  apiServer,
  claimSocketPath,
  listenOnSocket,
  NatsApi,
  type ApiDeps,
  type EventsRouteOptions,
} from "../api/index.js";
import { dockerServer } from "../docker/index.js";
import {
  ExitMonitor,
  LinuxCheckpointer,
  LinuxNetwork,
  LinuxExecs,
  LinuxHealthProber,
  LinuxProbe,
  LinuxRuntime,
  LinuxStorage,
} from "../effects/index.js";
import { ImageStore } from "../images/index.js";
import { VolumeStore } from "../volumes/index.js";
import { InvalidArgError } from "../errors.js";
import { AuditCheckpoints, ContainerService, type ServiceDeps } from "../service/index.js";
import {
  claimHostLease,
  loadApiKeys,
  natsServers,
  NatsRelay,
  validateNatsAuth,
  type ApiKey,
  type NatsAuth,
} from "../nats/index.js";
import { LevelJournal } from "../store/index.js";
import { checkpointKeyPath, loadCheckpointKey } from "./checkpoint-key.js";
import { makeRootPrivate } from "./root-perms.js";

/** Like CloudTrail's digests, an interval, not every event: each checkpoint is a journaled event. */
const DEFAULT_CHECKPOINT_INTERVAL_MS = 600_000;

export interface DaemonOptions {
  root: string;
  socket: string;
  /** Also serve the Docker Engine API on this unix socket (mode 0600, as `socket`). */
  dockerSocket?: string;
  /** NATS URL(s); without them no relay runs and events wait in the journal. */
  nats?: string[];
  host?: string;
  prefix?: string;
  stream?: string;
  /** Replicas of the event stream in a JetStream cluster. */
  streamReplicas?: number;
  /** How to authenticate to NATS, and TLS. */
  natsAuth?: NatsAuth;
  /** Serve the control API over NATS request/reply (needs `nats` and `natsApiKeys`; default false). */
  natsApi?: boolean;
  /** The NATS API's allow-list file: user NKeys, names and roles (see src/nats/api-keys.ts). */
  natsApiKeys?: string;
  /** The NATS API's bound on requests in flight (default 64). */
  natsApiMaxInFlight?: number;
  /** How long a dead daemon's claim on its host id outlives it (the lease bucket's TTL; default 15 s). */
  hostLeaseTtlMs?: number;
  /** Slow-consumer and keep-alive settings of `GET /events`. */
  events?: EventsRouteOptions;
  /** The largest image archive a client may upload, in bytes (default 4 GiB). */
  maxImportBytes?: number;
  /** Most bytes of each container's log file (conmon `--log-size-max`); -1: no limit. */
  logSizeMax?: number;
  /** The network of a container whose create names none (bridge unless set). */
  defaultNetwork?: ServiceDeps["defaultNetwork"];
  /** Host-wide address leases and port claims, shared by every daemon on the host (default /run/berth). */
  networkState?: string;
  /** How often a checkpoint is signed while events arrive (default 10 minutes); 0: on demand only. */
  checkpointIntervalMs?: number;
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

/** The NATS API's allow-list, when the API is on; refuses an API nobody could call or that has no NATS. */
async function natsApiKeys(options: DaemonOptions): Promise<Map<string, ApiKey> | undefined> {
  if (!options.natsApi) return undefined;
  if (!options.nats?.length) throw new InvalidArgError("--nats-api needs --nats <url>");
  if (options.natsApiKeys === undefined)
    throw new InvalidArgError(
      "--nats-api needs --nats-api-keys FILE: the NKeys allowed to call it, with their roles",
    );
  return loadApiKeys(options.natsApiKeys);
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
  const keys = await natsApiKeys(options);
  // Before the root is touched: a second daemon on a live socket must change nothing.
  await claimSocketPath(options.socket);
  if (options.dockerSocket !== undefined) {
    // One path for both would make the second listen fail after the root was opened.
    if (resolve(options.dockerSocket) === resolve(options.socket))
      throw new InvalidArgError(
        `--docker-socket ${options.dockerSocket} is the same path as --socket: give each its own`,
      );
    await claimSocketPath(options.dockerSocket, "--docker-socket");
  }
  const tightened = await makeRootPrivate(options.root);
  if (tightened.length > 0) log(`made private (0700): ${tightened.join(", ")}`);
  const journal = await LevelJournal.open(join(options.root, "journal"));
  // After the journal's lock: a second daemon on this root must not reach the key.
  const signing = await loadCheckpointKey(options.root).catch(async (err: unknown) => {
    await journal.close();
    throw err;
  });
  if (signing.created) log(`made the checkpoint signing key ${checkpointKeyPath(options.root)}`);
  if (signing.tightened) log(`made private (0600): ${checkpointKeyPath(options.root)}`);
  // Only now that the root is ours: a lease left by this root's own dead daemon can be taken over.
  const lease = servers
    ? await claimHostLease({
        endpoint: { ...options.natsAuth, servers },
        prefix,
        host,
        root: resolve(options.root),
        ...(options.hostLeaseTtlMs !== undefined ? { ttlMs: options.hostLeaseTtlMs } : {}),
        ...(options.streamReplicas !== undefined ? { replicas: options.streamReplicas } : {}),
        log,
      }).catch(async (err: unknown) => {
        await journal.close();
        throw err;
      })
    : undefined;
  const runtime = new LinuxRuntime({
    root: options.root,
    ...(options.logSizeMax !== undefined ? { logSizeMax: options.logSizeMax } : {}),
  });
  const exits = new ExitMonitor({
    root: options.root,
    onError: (e) => log(`exit monitor: ${String(e)}`),
  });
  const storage = new LinuxStorage(options.root);
  await storage.clearStaging();
  const service = await ContainerService.open({
    host,
    journal,
    runtime,
    exits,
    storage,
    artifacts: storage,
    checkpointer: new LinuxCheckpointer(options.root),
    network: new LinuxNetwork({
      root: options.root,
      ...(options.networkState !== undefined
        ? { networkState: resolve(options.networkState) }
        : {}),
    }),
    imageStore: new ImageStore(runtime.layout),
    volumeStore: new VolumeStore(runtime.layout.root),
    root: runtime.layout.root,
    ...(options.defaultNetwork !== undefined ? { defaultNetwork: options.defaultNetwork } : {}),
    execs: new LinuxExecs({ layout: runtime.layout }),
    probe: new LinuxProbe(runtime.layout),
    health: new LinuxHealthProber({ layout: runtime.layout }),
  });
  // Exits that happened while no daemon ran are dispatched by the first scan, now that actors listen.
  await exits.ready;
  const checkpoints = new AuditCheckpoints({
    journal,
    host,
    key: signing.key,
    intervalMs: options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
    log,
  });
  checkpoints.start();
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
    servers && keys
      ? new NatsApi({
          service,
          journal,
          relay,
          version: options.version,
          host,
          prefix,
          endpoint: { ...options.natsAuth, servers },
          keys,
          isLeaseHeld: () => lease?.isHeld() ?? true,
          ...(options.natsApiMaxInFlight !== undefined
            ? { maxInFlight: options.natsApiMaxInFlight }
            : {}),
          log,
        })
      : undefined;
  natsApi?.start();
  if (lease) {
    // Another daemon serves this host id (NATS was down when this one started, or its lease
    // lapsed): stop relaying under that id. The events wait in the journal for a restart.
    lease.onTaken = () => {
      lease.onTaken = undefined;
      void relay?.stop();
    };
    lease.keep();
  }
  const apiDeps: ApiDeps = {
    service,
    journal,
    version: options.version,
    relay,
    natsApi,
    checkpoints,
    ...(options.events ? { events: options.events } : {}),
    ...(options.maxImportBytes !== undefined ? { maxImportBytes: options.maxImportBytes } : {}),
  };
  const server: Server = apiServer(apiDeps);
  await listenOnSocket(server, options.socket);
  const docker = options.dockerSocket !== undefined ? dockerServer(apiDeps) : undefined;
  if (docker && options.dockerSocket !== undefined) {
    await listenOnSocket(docker, options.dockerSocket);
    log(`Docker Engine API on ${options.dockerSocket}`);
  }
  log(`berth ${options.version} serving on ${options.socket} (root ${options.root}, host ${host})`);
  return {
    service,
    relay,
    natsApi,
    async close() {
      for (const open of [server, docker]) {
        if (!open) continue;
        await new Promise<void>((resolve) => {
          open.close(() => resolve());
          open.closeAllConnections();
        });
      }
      await natsApi?.close();
      await relay?.stop();
      await lease?.release();
      await checkpoints.close();
      await service.close();
      await exits.close();
      await journal.close();
    },
  };
}
