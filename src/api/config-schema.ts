/**
 * The container configuration fields of a create body (issue 12): hostname,
 * read-only root, tmpfs, cgroup limits and capabilities, in Podman's names
 * (camelCase). Shapes and lengths are bounded here; the service checks the
 * values (sizes, tmpfs options, capability names) and answers INVALID_ARG.
 */
import { z } from "zod";

/** More entries than any real container needs; bounded so none becomes a memory sink. */
const MAX_ENTRIES = 64;
const entry = z.string().min(1).max(4_096);
const size = z.union([z.number(), z.string().max(64)]);

export const ConfigFields = {
  hostname: z.string().max(255).optional(),
  readOnly: z.boolean().optional(),
  readOnlyTmpfs: z.boolean().optional(),
  /** `PATH[:OPTIONS]`, as create --tmpfs takes them. */
  tmpfs: z.array(entry).max(MAX_ENTRIES).optional(),
  /** Bytes, or a size with b, k, m or g. */
  memory: size.optional(),
  /** Memory plus swap (bytes or a size), -1 for unlimited swap. */
  memorySwap: size.optional(),
  cpus: z.number().optional(),
  cpuShares: z.number().optional(),
  capAdd: z.array(z.string().max(64)).max(MAX_ENTRIES).optional(),
  capDrop: z.array(z.string().max(64)).max(MAX_ENTRIES).optional(),
  privileged: z.boolean().optional(),
  /** A shell command line, a JSON array, or `none` (create --health-cmd). */
  healthCmd: z.string().max(4_096).optional(),
  /** Go durations; the interval may also be `disable`. */
  healthInterval: z.string().max(64).optional(),
  healthTimeout: z.string().max(64).optional(),
  healthStartPeriod: z.string().max(64).optional(),
  healthRetries: z.number().int().optional(),
  healthOnFailure: z.string().max(16).optional(),
  noHealthcheck: z.boolean().optional(),
};
