/**
 * Request bodies and operation inputs, validated at the edge so the service
 * only sees well-formed input. The `*Body` schemas are what an HTTP body may
 * carry; the `*Input` schemas are an operation's whole input, which a NATS
 * payload carries as is and an HTTP adapter gathers from path, query and body.
 */
import { z } from "zod";
import { CONTAINER_STATES, type ContainerState } from "../machines/index.js";
import {
  intervalMs,
  MAX_IMAGE_LENGTH,
  MAX_LABEL_KEY_LENGTH,
  MAX_LABEL_VALUE_LENGTH,
  refString,
  signalInput,
  timeoutSeconds,
} from "./bounds.js";
import { ConfigFields } from "./config-schema.js";
import { SandboxFields } from "./sandbox-schema.js";
import { MAX_VOLUMES_PER_CONTAINER } from "./volume-schemas.js";
import { MAX_VOLUME_SPEC_LENGTH } from "../volumes/index.js";

/** A command line: its first element names the program, so it cannot be empty. */
const commandLine = z
  .array(z.string())
  .min(1)
  .refine((argv) => argv[0] !== "", "the program (first element) must not be empty");

/**
 * An import from a file already on the daemon's host: an admin option, said
 * with `forceLocal: true`. A client's own archive is uploaded instead
 * (`POST /images?name=NAME` with the tar as the body).
 */
export const ImportImageBody = z.object({
  path: z.string().min(1),
  name: z.string().min(1).max(MAX_IMAGE_LENGTH).optional(),
  forceLocal: z.literal(true, {
    error:
      "the daemon reads a path on its own host only with forceLocal: true (berth image import --force-local); upload the archive instead",
  }),
});

/** An image as a verb names it: a reference, an id or an id prefix. */
const imageRef = () => z.string().min(1).max(MAX_IMAGE_LENGTH);

export const ImageRefInput = z.object({ ref: imageRef() });
export const ImageTagBody = z.object({ name: imageRef() });
export const ImageTagInput = ImageRefInput.extend(ImageTagBody.shape);
export const ImageRemoveInput = ImageRefInput.extend({ force: z.boolean().optional() });
export const ImagePruneBody = z.object({ all: z.boolean().optional() });

/**
 * A pull: the reference, and how to reach its registry. Credentials travel in
 * the request, read by the client as its own user; the daemon reads no auth
 * file a client names. `ca` is PEM text, not a path.
 */
export const ImagePullBody = z.object({
  reference: imageRef(),
  tlsVerify: z.boolean().optional(),
  credentials: z
    .object({ username: z.string().min(1).max(1024), password: z.string().max(4096) })
    .optional(),
  ca: z
    .string()
    .max(256 * 1024)
    .optional(),
});

export const CreateBody = z.object({
  image: z.string().min(1).max(MAX_IMAGE_LENGTH),
  /** Replaces the image's Cmd; absent keeps it. */
  command: commandLine.optional(),
  /** Replaces the image's Entrypoint; `[]` clears it. */
  entrypoint: z.array(z.string()).optional(),
  env: z.array(z.string().regex(/^[^=\0]+=/, { error: "env entries are KEY=value" })).optional(),
  workingDir: z
    .string()
    .regex(/^\//, { error: "workingDir must be an absolute path in the container" })
    .optional(),
  user: z.string().max(256).optional(),
  name: z.string().optional(),
  stopSignal: z.string().optional(),
  stopTimeout: timeoutSeconds().optional(),
  terminal: z.boolean().optional(),
  stdin: z.boolean().optional(),
  restart: z.string().optional(),
  /** Remove the container once it has exited (run -d --rm); refused with a restart policy. */
  autoRemove: z.boolean().optional(),
  requires: z.array(refString()).optional(),
  labels: z
    .record(z.string().max(MAX_LABEL_KEY_LENGTH), z.string().max(MAX_LABEL_VALUE_LENGTH))
    .optional(),
  /** `-v SRC:CTR[:OPTIONS]` entries, Podman's syntax (see README, Volumes). */
  volumes: z
    .array(z.string().min(1).max(MAX_VOLUME_SPEC_LENGTH))
    .max(MAX_VOLUMES_PER_CONTAINER)
    .optional(),
  ...SandboxFields,
  ...ConfigFields,
  network: z.string().max(32).optional(),
  publish: z.array(z.string().max(64)).max(256).optional(),
  dns: z.array(z.string().max(64)).max(16).optional(),
});

/** `POST /containers/:ref/exec`: Podman's exec options, create and start in one. */
export const ExecBody = z.object({
  command: commandLine,
  env: z.array(z.string()).optional(),
  user: z.string().max(256).optional(),
  workingDir: z.string().max(4096).optional(),
  tty: z.boolean().optional(),
  stdin: z.boolean().optional(),
  detach: z.boolean().optional(),
});

export const StopBody = z.object({ timeout: timeoutSeconds().optional() });
/**
 * A start or stop asked with `ifNeeded` (the CLI's, as Podman's CLI forgives)
 * answers success when the container already is where it asks to be.
 */
export const IfNeededFlag = z.object({ ifNeeded: z.boolean().optional() });
export const StopIfNeededBody = StopBody.extend(IfNeededFlag.shape);
export const KillBody = z.object({ signal: signalInput().optional() });
export const EmptyBody = z.object({});
export const CheckpointBody = z.object({
  keep: z.boolean().optional(),
  keepRunning: z.boolean().optional(),
  tcpEstablished: z.boolean().optional(),
  /** A name in the root's checkpoint folder, never a host path. */
  targetFile: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, {
      error: "targetFile is a checkpoint name (letters, digits, _ . -), not a path",
    })
    .refine((name) => !name.includes(".."), { error: "targetFile must not contain .." })
    .optional(),
  ignoreRootfs: z.boolean().optional(),
  name: z.string().optional(),
});
export const BatchBody = z.object({
  commands: z
    .array(
      z.object({
        type: z.string(),
        timeout: timeoutSeconds().optional(),
        signal: signalInput().optional(),
        force: z.boolean().optional(),
      }),
    )
    .min(1),
});

/** The container an operation acts on: an id, a unique id prefix, or a name. */
export const RefInput = z.object({ ref: refString() });
const ForceFlag = z.object({ force: z.boolean().optional() });

export const ListInput = z.object({ all: z.boolean().optional() });
/** `all`: every container that carried the name, not just the current one. */
export const HistoryInput = RefInput.extend(ListInput.shape);
export const ExecInput = RefInput.extend(ExecBody.shape);
export const ExecInspectInput = RefInput.extend({
  session: z.string().regex(/^[0-9a-f]{64}$/, "an exec session id is 64 hex digits"),
});
export const StartInput = RefInput.extend({ recursive: z.boolean().optional() }).extend(
  IfNeededFlag.shape,
);
export const StopInput = RefInput.extend(StopBody.shape);
export const StopIfNeededInput = StopInput.extend(IfNeededFlag.shape);
export const KillInput = RefInput.extend(KillBody.shape);
export const RemoveInput = RefInput.extend(ForceFlag.shape).extend(StopBody.shape);
export const UnmountInput = RefInput.extend(ForceFlag.shape);
export const CheckpointInput = RefInput.extend(CheckpointBody.shape);
export const BatchInput = RefInput.extend(BatchBody.shape);
export const WaitInput = RefInput.extend({
  conditions: z.array(z.enum(CONTAINER_STATES as unknown as [ContainerState])).optional(),
  interval: intervalMs().optional(),
});
