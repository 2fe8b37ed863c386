/**
 * Request bodies, validated at the edge so the service only sees well-formed input.
 */
import { z } from "zod";

export const ImportImageBody = z.object({
  tar: z.string().min(1),
  name: z.string().min(1),
});

export const CreateBody = z.object({
  image: z.string().min(1),
  command: z.array(z.string()).min(1),
  name: z.string().optional(),
  stopSignal: z.string().optional(),
  stopTimeout: z.number().int().nonnegative().optional(),
  terminal: z.boolean().optional(),
  stdin: z.boolean().optional(),
  restart: z.string().optional(),
  requires: z.array(z.string()).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

export const StopBody = z.object({ timeout: z.number().int().nonnegative().optional() });
export const KillBody = z.object({ signal: z.union([z.string(), z.number()]).optional() });
export const EmptyBody = z.object({});
export const ExportBody = z.object({ path: z.string().min(1) });
export const CheckpointBody = z.object({
  keep: z.boolean().optional(),
  keepRunning: z.boolean().optional(),
  tcpEstablished: z.boolean().optional(),
  targetFile: z.string().optional(),
  ignoreRootfs: z.boolean().optional(),
  name: z.string().optional(),
});
export const BatchBody = z.object({
  commands: z
    .array(
      z.object({
        type: z.string(),
        timeout: z.number().int().nonnegative().optional(),
        signal: z.union([z.string(), z.number()]).optional(),
        force: z.boolean().optional(),
      }),
    )
    .min(1),
});
