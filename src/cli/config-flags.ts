/**
 * `create --hostname --read-only --read-only-tmpfs --tmpfs --env-file
 * --memory --memory-swap --cpus --cpu-shares --cap-add --cap-drop
 * --privileged --health-*` to the create body's fields, in Podman's spelling. Sizes,
 * tmpfs options and capability names go to the daemon as typed: it checks
 * them, so every client gets the same answer. Env files are read here, as
 * the CLI's user, because the daemon reads no host file on a client's word.
 */
import { readFileSync } from "node:fs";
import { InvalidArgError } from "../errors.js";

export interface ConfigFlags {
  hostname?: string;
  readOnly?: boolean;
  readOnlyTmpfs?: string;
  tmpfs?: string[];
  envFile?: string[];
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  cpuShares?: string;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthStartPeriod?: string;
  healthRetries?: string;
  healthOnFailure?: string;
  /** commander's `--no-healthcheck`: false when given. */
  healthcheck?: boolean;
}

/** The flag keys this file turns into body fields, so the caller can pass the rest on. */
const KEYS = [
  "hostname",
  "readOnly",
  "readOnlyTmpfs",
  "tmpfs",
  "envFile",
  "memory",
  "memorySwap",
  "cpus",
  "cpuShares",
  "capAdd",
  "capDrop",
  "privileged",
  "healthCmd",
  "healthInterval",
  "healthTimeout",
  "healthStartPeriod",
  "healthRetries",
  "healthOnFailure",
  "healthcheck",
] as const satisfies readonly (keyof ConfigFlags)[];

/**
 * The `KEY=value` entries of an env file in Podman's format: one entry a
 * line, `#` starts a comment line, blank lines are skipped, a value is taken
 * as written (no quotes removed), and a bare `KEY` takes the value it has in
 * `environ` (left out when it has none).
 */
export function parseEnvFile(
  text: string,
  source: string,
  environ: NodeJS.ProcessEnv = process.env,
): string[] {
  const entries: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    const key = eq < 0 ? line.trimEnd() : line.slice(0, eq);
    if (key === "" || /\s|\0/.test(key)) {
      throw new InvalidArgError(
        `${source}:${i + 1}: invalid variable name ${JSON.stringify(key)} (empty or with spaces)`,
      );
    }
    if (eq >= 0) entries.push(line);
    else if (environ[key] !== undefined) entries.push(`${key}=${environ[key]}`);
  });
  return entries;
}

function readEnvFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new InvalidArgError(`--env-file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseEnvFile(text, file);
}

/** A number flag as typed; what is no number is refused here, since JSON cannot carry it. */
function numberFlag(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) {
    throw new InvalidArgError(`invalid ${flag} ${JSON.stringify(value)}: not a number`);
  }
  return n;
}

function boolFlag(flag: string, value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw new InvalidArgError(`invalid ${flag} ${JSON.stringify(value)}: use true or false`);
}

/** The configuration fields for a create body; flags not given are left out. */
export function configBody(f: ConfigFlags) {
  const env = (f.envFile ?? []).flatMap(readEnvFile);
  const list = (key: "tmpfs" | "capAdd" | "capDrop") => {
    const v = f[key];
    return v !== undefined && v.length > 0 ? { [key]: v } : {};
  };
  return {
    ...(f.hostname !== undefined ? { hostname: f.hostname } : {}),
    ...(f.readOnly ? { readOnly: true } : {}),
    ...(f.readOnlyTmpfs !== undefined
      ? { readOnlyTmpfs: boolFlag("--read-only-tmpfs", f.readOnlyTmpfs) }
      : {}),
    ...list("tmpfs"),
    ...(f.envFile !== undefined && f.envFile.length > 0 ? { env } : {}),
    ...(f.memory !== undefined ? { memory: f.memory } : {}),
    ...(f.memorySwap !== undefined ? { memorySwap: f.memorySwap } : {}),
    ...(f.cpus !== undefined ? { cpus: numberFlag("--cpus", f.cpus) } : {}),
    ...(f.cpuShares !== undefined ? { cpuShares: numberFlag("--cpu-shares", f.cpuShares) } : {}),
    ...list("capAdd"),
    ...list("capDrop"),
    ...(f.privileged ? { privileged: true } : {}),
    ...healthBody(f),
  };
}

function healthBody(f: ConfigFlags) {
  const text = (key: "healthCmd" | "healthInterval" | "healthTimeout" | "healthStartPeriod") =>
    f[key] !== undefined ? { [key]: f[key] } : {};
  return {
    ...text("healthCmd"),
    ...text("healthInterval"),
    ...text("healthTimeout"),
    ...text("healthStartPeriod"),
    ...(f.healthRetries !== undefined
      ? { healthRetries: numberFlag("--health-retries", f.healthRetries) }
      : {}),
    ...(f.healthOnFailure !== undefined ? { healthOnFailure: f.healthOnFailure } : {}),
    ...(f.healthcheck === false ? { noHealthcheck: true } : {}),
  };
}

/** `flags` split into the configuration flags and the others, which go on as they are. */
export function splitConfigFlags<T extends ConfigFlags>(
  flags: T,
): [ConfigFlags, Omit<T, (typeof KEYS)[number]>] {
  const config: Record<string, unknown> = {};
  const rest: Record<string, unknown> = { ...(flags as Record<string, unknown>) };
  for (const key of KEYS) {
    if (key in rest) config[key] = rest[key];
    delete rest[key];
  }
  return [config, rest as Omit<T, (typeof KEYS)[number]>];
}
