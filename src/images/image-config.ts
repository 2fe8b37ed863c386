/**
 * The image configuration (OCI `config` blob, or Docker's, which has the same
 * fields berth reads) and how it combines with what `create` was given.
 *
 * Why the merge follows Docker's rules rather than a simpler one: users move
 * between Docker, Podman and berth with the same images and the same habits.
 * In particular an `entrypoint` given at create drops the image's Cmd
 * (Docker's daemon keeps the image Cmd only when the create request names no
 * entrypoint), because the image's Cmd was written as arguments for the
 * image's entrypoint, not for the new one.
 */
import { posix } from "node:path";
import { z } from "zod";
import { InvalidArgError, ManifestInvalidError } from "../errors.js";
import { isDigest, type Digest } from "./digest.js";

/** Largest configuration blob berth parses (real ones are a few KiB). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const MAX_ITEMS = 4096;

/** The parts of an image configuration berth uses. */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  entrypoint: string[];
  cmd: string[];
  /** `KEY=value` entries, in the image's order. */
  env: string[];
  workingDir: string;
  user: string;
  stopSignal?: string;
  labels: Record<string, string>;
  /** `port/proto` keys (`80/tcp`). */
  exposedPorts: string[];
  /** The uncompressed digest of each layer, bottom first. */
  diffIds: Digest[];
  /** Docker's HEALTHCHECK, as the image declares it; durations in nanoseconds, 0 or absent: the default. */
  healthcheck?: ImageHealthcheck;
}

/** An image's HEALTHCHECK (Docker's config.Healthcheck). `["NONE"]` disables one inherited. */
export interface ImageHealthcheck {
  test: string[];
  intervalNs?: number;
  timeoutNs?: number;
  startPeriodNs?: number;
  retries?: number;
}

const strings = z.array(z.string().max(65536)).max(MAX_ITEMS).nullish();
const configSchema = z.object({
  architecture: z.string().max(64).default(""),
  os: z.string().max(64).default(""),
  variant: z.string().max(64).optional(),
  config: z
    .object({
      Entrypoint: strings,
      Cmd: strings,
      Env: strings,
      WorkingDir: z.string().max(4096).nullish(),
      User: z.string().max(256).nullish(),
      StopSignal: z.string().max(32).nullish(),
      Labels: z.record(z.string(), z.string()).nullish(),
      ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
      Healthcheck: z
        .object({
          Test: strings,
          Interval: z.number().int().nonnegative().nullish(),
          Timeout: z.number().int().nonnegative().nullish(),
          StartPeriod: z.number().int().nonnegative().nullish(),
          Retries: z.number().int().nonnegative().nullish(),
        })
        .nullish(),
    })
    .nullish(),
  rootfs: z.object({
    type: z.literal("layers"),
    diff_ids: z.array(z.string().refine(isDigest, "not a sha256 digest")).max(MAX_ITEMS),
  }),
});

/**
 * Parses an image configuration blob. Throws ManifestInvalidError when it is
 * not JSON, too large, or lacks `rootfs.diff_ids` (without them the layers
 * cannot be checked once unpacked).
 */
export function parseImageConfig(source: Uint8Array | string): ImageConfig {
  const size = typeof source === "string" ? Buffer.byteLength(source) : source.byteLength;
  if (size > MAX_CONFIG_BYTES)
    throw new ManifestInvalidError(
      `image configuration is ${size} bytes, more than ${MAX_CONFIG_BYTES}`,
    );
  let json: unknown;
  try {
    json = JSON.parse(typeof source === "string" ? source : Buffer.from(source).toString("utf8"));
  } catch (err) {
    throw new ManifestInvalidError("image configuration is not JSON", { cause: err });
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ManifestInvalidError(
      `invalid image configuration: ${first?.path.join(".") ?? ""}: ${first?.message ?? ""}`,
      { cause: parsed.error },
    );
  }
  const { architecture, os, variant, config: c, rootfs } = parsed.data;
  return {
    architecture,
    os,
    ...(variant !== undefined ? { variant } : {}),
    entrypoint: c?.Entrypoint ?? [],
    cmd: c?.Cmd ?? [],
    env: c?.Env ?? [],
    workingDir: c?.WorkingDir ?? "",
    user: c?.User ?? "",
    ...(c?.StopSignal ? { stopSignal: c.StopSignal } : {}),
    labels: c?.Labels ?? {},
    exposedPorts: Object.keys(c?.ExposedPorts ?? {}),
    diffIds: rootfs.diff_ids,
    ...(c?.Healthcheck?.Test?.length ? { healthcheck: imageHealthcheck(c.Healthcheck) } : {}),
  };
}

/** What `create` may say about the process; anything left out comes from the image. */
export interface RunOverrides {
  /** Replaces the image's Cmd. */
  command?: string[];
  /**
   * Replaces the image's Entrypoint. A non-empty one also drops the image's
   * Cmd; an empty list clears the Entrypoint and keeps the Cmd (as Docker's API does).
   */
  entrypoint?: string[];
  /** `KEY=value` entries; a key given here wins over the image's. */
  env?: string[];
  workingDir?: string;
  user?: string;
  stopSignal?: string;
  /** Merged over the image's labels; a key given here wins. */
  labels?: Record<string, string>;
}

/** The process a container of this image runs, image and create combined. */
export interface RunConfig {
  /** argv: entrypoint then cmd. */
  args: string[];
  env: string[];
  /** `/` when neither names one. */
  workingDir: string;
  /** Empty when neither names one: the runtime's default (root). */
  user: string;
  /** SIGTERM when neither names one. */
  stopSignal: string;
  labels: Record<string, string>;
  /** The image's `port/proto` list, recorded for the container (publishing them is a network's job). */
  exposedPorts: string[];
}

const envKey = (entry: string): string => entry.split("=", 1)[0] ?? "";

/**
 * Combines an image's configuration with create's overrides as Docker does.
 * Throws InvalidArgError when the result has no command at all.
 */
export function resolveRunConfig(image: ImageConfig, overrides: RunOverrides = {}): RunConfig {
  const entrypoint = overrides.entrypoint ?? image.entrypoint;
  const keepImageCmd = overrides.entrypoint === undefined || overrides.entrypoint.length === 0;
  const cmd = overrides.command ?? (keepImageCmd ? image.cmd : []);
  const args = [...entrypoint, ...cmd];
  if (args.length === 0)
    throw new InvalidArgError(
      "no command to run: the image has no Entrypoint or Cmd, so give one at create",
    );
  const given = overrides.env ?? [];
  const givenKeys = new Set(given.map(envKey));
  // An image entry without `=` (or with an empty key) is no variable: the runtime would refuse the whole spec.
  const fromImage = image.env.filter(
    (e) => envKey(e) !== "" && e.includes("=") && !e.includes("\0"),
  );
  const env = [...given, ...fromImage.filter((e) => !givenKeys.has(envKey(e)))];
  return {
    args,
    env,
    // Docker reads a relative WorkingDir from / ; the OCI runtime only takes an absolute one.
    workingDir: posix.resolve("/", overrides.workingDir || image.workingDir || "/"),
    user: overrides.user ?? image.user,
    stopSignal: overrides.stopSignal ?? image.stopSignal ?? "SIGTERM",
    labels: { ...image.labels, ...overrides.labels },
    exposedPorts: [...image.exposedPorts],
  };
}

function imageHealthcheck(h: {
  Test?: string[] | null;
  Interval?: number | null;
  Timeout?: number | null;
  StartPeriod?: number | null;
  Retries?: number | null;
}): ImageHealthcheck {
  return {
    test: h.Test ?? [],
    ...(h.Interval ? { intervalNs: h.Interval } : {}),
    ...(h.Timeout ? { timeoutNs: h.Timeout } : {}),
    ...(h.StartPeriod ? { startPeriodNs: h.StartPeriod } : {}),
    ...(h.Retries ? { retries: h.Retries } : {}),
  };
}
