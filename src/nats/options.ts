/**
 * How berth reaches NATS: server URLs plus one way to authenticate (user and
 * password, a token, or a credentials file) and optional TLS. The relay, the
 * NATS API and the client library all map these with `connectionOptions`.
 */
import { readFileSync } from "node:fs";
import { credsAuthenticator, type ConnectionOptions } from "@nats-io/transport-node";
import { InvalidArgError } from "../errors.js";

export interface NatsTls {
  /** CA certificate(s) that sign the server's certificate (PEM file). */
  caFile?: string;
  /** Client certificate for mutual TLS (PEM file); needs `keyFile`. */
  certFile?: string;
  keyFile?: string;
}

export interface NatsAuth {
  user?: string;
  pass?: string;
  token?: string;
  /** A NATS credentials file (user JWT and NKey seed), read again at each connect. */
  credsFile?: string;
  tls?: NatsTls;
}

export interface NatsEndpoint extends NatsAuth {
  /** Server URLs; each entry may also hold several, separated by commas. */
  servers: string | string[];
}

/** Splits `--nats a,b --nats c` into ["a", "b", "c"]; at least one URL is required. */
export function natsServers(raw: string | string[]): string[] {
  const servers = (Array.isArray(raw) ? raw : [raw])
    .flatMap((s) => s.split(/[,\s]+/))
    .filter((s) => s !== "");
  if (servers.length === 0) throw new InvalidArgError("no NATS server URL given");
  return servers;
}

/** Checks that the options name one way to authenticate and a complete TLS identity. */
export function validateNatsAuth(auth: NatsAuth): void {
  const ways = [
    auth.user !== undefined || auth.pass !== undefined ? "user/password" : undefined,
    auth.token !== undefined ? "token" : undefined,
    auth.credsFile !== undefined ? "credentials file" : undefined,
  ].filter((w) => w !== undefined);
  if (ways.length > 1)
    throw new InvalidArgError(`NATS authentication: use one of ${ways.join(", ")}, not several`);
  if ((auth.user === undefined) !== (auth.pass === undefined))
    throw new InvalidArgError(
      "NATS authentication: a user needs a password, and a password a user",
    );
  if ((auth.tls?.certFile === undefined) !== (auth.tls?.keyFile === undefined))
    throw new InvalidArgError(
      "NATS TLS: a client certificate needs its key, and a key its certificate",
    );
}

/** The nats.js connection options for an endpoint, plus the caller's own (reconnect policy, name). */
export function connectionOptions(
  endpoint: NatsEndpoint,
  extra: Partial<ConnectionOptions> = {},
): ConnectionOptions {
  validateNatsAuth(endpoint);
  const { user, pass, token, credsFile, tls } = endpoint;
  const options: ConnectionOptions = { ...extra, servers: natsServers(endpoint.servers) };
  if (user !== undefined && pass !== undefined) Object.assign(options, { user, pass });
  if (token !== undefined) options.token = token;
  if (credsFile !== undefined)
    options.authenticator = credsAuthenticator(() => readFileSync(credsFile));
  if (tls && (tls.caFile ?? tls.certFile ?? tls.keyFile) !== undefined) {
    options.tls = {
      ...(tls.caFile !== undefined ? { caFile: tls.caFile } : {}),
      ...(tls.certFile !== undefined ? { certFile: tls.certFile } : {}),
      ...(tls.keyFile !== undefined ? { keyFile: tls.keyFile } : {}),
    };
  }
  return options;
}
