/**
 * `berth serve` flags to daemon options. Pure, so the mapping is unit-tested.
 */
import type { DaemonOptions } from "../daemon/index.js";
import { InvalidArgError } from "../errors.js";
import type { NatsAuth } from "../store/index.js";

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
  /** Commander's `--no-nats-api` sets this to false. */
  natsApi?: boolean;
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
  return {
    root: flags.root,
    socket: rest.socket,
    version: rest.version,
    prefix: flags.prefix,
    ...(flags.nats?.length ? { nats: flags.nats } : {}),
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.stream !== undefined ? { stream: flags.stream } : {}),
    ...(replicas !== undefined ? { streamReplicas: replicas } : {}),
    ...(Object.keys(natsAuth).length > 0 ? { natsAuth } : {}),
    natsApi: flags.natsApi !== false,
    ...(rest.log ? { log: rest.log } : {}),
  };
}
