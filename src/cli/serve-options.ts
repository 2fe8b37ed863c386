/**
 * `berth serve` flags to daemon options. Pure, so the mapping is unit-tested.
 */
import { MIN_BUFFER_BYTES, type EventsRouteOptions } from "../api/index.js";
import type { DaemonOptions } from "../daemon/index.js";
import { InvalidArgError } from "../errors.js";
import { NETWORK_MODES, type NetworkMode } from "../machines/index.js";
import type { NatsAuth } from "../nats/index.js";

/** Below this, a log would hold only a few lines before conmon starts it afresh. */
const MIN_LOG_SIZE_MAX = 4096;

export interface ServeFlags {
  root: string;
  nats?: string[];
  host?: string;
  prefix: string;
  stream?: string;
  streamReplicas?: number;
  natsUser?: string;
  natsPass?: string;
  natsToken?: string;
  natsCreds?: string;
  natsTlsCa?: string;
  natsTlsCert?: string;
  natsTlsKey?: string;
  /** `--nats-api`: serve the control API over NATS (off unless given). */
  natsApi?: boolean;
  /** `--nats-api-keys FILE`: who may call the NATS API, with which role. */
  natsApiKeys?: string;
  /** `--nats-api-max-inflight N`: requests in flight before BUSY answers. */
  natsApiMaxInflight?: number;
  /** `--host-lease-ttl S`: how long a dead daemon's claim on its host id lasts, in seconds. */
  hostLeaseTtl?: number;
  /** `GET /events`: disconnect a consumer that reads nothing for this long while output waits. */
  eventsStallMs?: number;
  /** `GET /events`: a keep-alive after this much silence. */
  eventsHeartbeatMs?: number;
  /** `GET /events`: live events queued per consumer before it is served from the journal again. */
  eventsLiveBuffer?: number;
  /** `GET /events`: consumers served at once. */
  eventsMaxSubscribers?: number;
  /** `GET /events`: bytes held per consumer. */
  eventsBufferBytes?: number;
  /** The largest image archive a client may upload, in bytes. */
  maxImportBytes?: number;
  /** Most bytes of each container's log file; -1 for no limit. */
  logSizeMax?: number;
  /** The network of a container whose create names none. */
  defaultNetwork?: string;
  /** `--network-state DIR`: host-wide address leases and port claims, shared by every daemon. */
  networkState?: string;
  /** `--docker-socket PATH`: also serve the Docker Engine API there. */
  dockerSocket?: string;
  /** `--checkpoint-interval S`: sign a checkpoint this often while events arrive; 0: on demand only. */
  checkpointInterval?: number;
}

/** A whole number of at least 1 for `flag`, or undefined when the flag was not given. */
function positive(flag: string, value: number | undefined, unit: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(Number.isSafeInteger(value) && value >= 1))
    throw new InvalidArgError(`invalid ${flag} ${value}: use a whole number of ${unit}, 1 or more`);
  return value;
}

function defaultNetwork(mode: string): NetworkMode {
  if (!(NETWORK_MODES as readonly string[]).includes(mode))
    throw new InvalidArgError(
      `invalid --default-network ${JSON.stringify(mode)}: use one of ${NETWORK_MODES.join(", ")}`,
    );
  return mode as NetworkMode;
}

export function daemonOptions(
  flags: ServeFlags,
  rest: { socket: string; version: string; log?: (line: string) => void },
): DaemonOptions {
  const tls = {
    ...(flags.natsTlsCa !== undefined ? { caFile: flags.natsTlsCa } : {}),
    ...(flags.natsTlsCert !== undefined ? { certFile: flags.natsTlsCert } : {}),
    ...(flags.natsTlsKey !== undefined ? { keyFile: flags.natsTlsKey } : {}),
  };
  const natsAuth: NatsAuth = {
    ...(flags.natsUser !== undefined ? { user: flags.natsUser } : {}),
    ...(flags.natsPass !== undefined ? { pass: flags.natsPass } : {}),
    ...(flags.natsToken !== undefined ? { token: flags.natsToken } : {}),
    ...(flags.natsCreds !== undefined ? { credsFile: flags.natsCreds } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
  const replicas = flags.streamReplicas;
  if (replicas !== undefined && !(Number.isInteger(replicas) && replicas >= 1 && replicas <= 5))
    throw new InvalidArgError(`invalid --stream-replicas ${replicas}: use 1 to 5`);
  const stallMs = positive("--events-stall-ms", flags.eventsStallMs, "milliseconds");
  const heartbeatMs = positive("--events-heartbeat-ms", flags.eventsHeartbeatMs, "milliseconds");
  const liveBuffer = positive("--events-live-buffer", flags.eventsLiveBuffer, "events");
  const maxSubscribers = positive(
    "--events-max-subscribers",
    flags.eventsMaxSubscribers,
    "subscribers",
  );
  const bufferBytes = positive("--events-buffer-bytes", flags.eventsBufferBytes, "bytes");
  if (bufferBytes !== undefined && bufferBytes < MIN_BUFFER_BYTES)
    throw new InvalidArgError(
      `invalid --events-buffer-bytes ${bufferBytes}: use ${MIN_BUFFER_BYTES} or more`,
    );
  const maxInFlight = positive("--nats-api-max-inflight", flags.natsApiMaxInflight, "requests");
  const leaseTtl = positive("--host-lease-ttl", flags.hostLeaseTtl, "seconds");
  const maxImportBytes = positive("--max-import-bytes", flags.maxImportBytes, "bytes");
  const events: EventsRouteOptions = {
    ...(stallMs !== undefined ? { stallMs } : {}),
    ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
    ...(liveBuffer !== undefined ? { liveBuffer } : {}),
    ...(maxSubscribers !== undefined ? { maxSubscribers } : {}),
    ...(bufferBytes !== undefined ? { bufferBytes } : {}),
  };
  const checkpointEvery = flags.checkpointInterval;
  if (
    checkpointEvery !== undefined &&
    !(Number.isSafeInteger(checkpointEvery) && checkpointEvery >= 0 && checkpointEvery <= 86_400)
  )
    throw new InvalidArgError(
      `invalid --checkpoint-interval ${checkpointEvery}: use whole seconds, 0 (on demand only) to 86400`,
    );
  const logSizeMax = flags.logSizeMax;
  if (
    logSizeMax !== undefined &&
    logSizeMax !== -1 &&
    !(Number.isSafeInteger(logSizeMax) && logSizeMax >= MIN_LOG_SIZE_MAX)
  )
    throw new InvalidArgError(
      `invalid --log-size-max ${logSizeMax}: use a whole number of bytes, ${MIN_LOG_SIZE_MAX} or more, or -1 for no limit`,
    );
  return {
    root: flags.root,
    socket: rest.socket,
    ...(flags.dockerSocket !== undefined ? { dockerSocket: flags.dockerSocket } : {}),
    version: rest.version,
    prefix: flags.prefix,
    ...(flags.nats?.length ? { nats: flags.nats } : {}),
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.stream !== undefined ? { stream: flags.stream } : {}),
    ...(replicas !== undefined ? { streamReplicas: replicas } : {}),
    ...(Object.keys(natsAuth).length > 0 ? { natsAuth } : {}),
    natsApi: flags.natsApi === true,
    ...(flags.natsApiKeys !== undefined ? { natsApiKeys: flags.natsApiKeys } : {}),
    ...(maxInFlight !== undefined ? { natsApiMaxInFlight: maxInFlight } : {}),
    ...(leaseTtl !== undefined ? { hostLeaseTtlMs: leaseTtl * 1000 } : {}),
    ...(Object.keys(events).length > 0 ? { events } : {}),
    ...(maxImportBytes !== undefined ? { maxImportBytes } : {}),
    ...(logSizeMax !== undefined ? { logSizeMax } : {}),
    ...(flags.defaultNetwork !== undefined
      ? { defaultNetwork: defaultNetwork(flags.defaultNetwork) }
      : {}),
    ...(flags.networkState !== undefined ? { networkState: flags.networkState } : {}),
    ...(checkpointEvery !== undefined ? { checkpointIntervalMs: checkpointEvery * 1000 } : {}),
    ...(rest.log ? { log: rest.log } : {}),
  };
}
