/**
 * Creation: validates a create request, reserves its name, checks the image,
 * and journals the container's first fact before spawning its actor.
 */
import { randomBytes } from "node:crypto";
import type { ContainerRuntime } from "../effects/index.js";
import { InvalidArgError, NameInUseError } from "../errors.js";
import { resolveRunConfig, type RunOverrides } from "../images/index.js";
import {
  fact,
  type ContainerRecord,
  type CreateData,
  type NetworkMode,
  type RequestMeta,
} from "../machines/index.js";
import type { ActorPool } from "./actor-pool.js";
import { appendFacts, type AppendDeps } from "./fact-append.js";
import type { ImageService } from "./image-service.js";
import type { VolumeService } from "./volume-service.js";
import { networkFor, type NetworkFlags } from "./network-options.js";
import { listContainers } from "./queries.js";
import { configFor, type ConfigOptions } from "./container-config.js";
import { healthcheckFor, type HealthOptions } from "./health-options.js";
import { sandboxFor, type SandboxOptions } from "./sandbox.js";
import { containerName, labels, restartPolicy, seconds, signalName } from "./validate.js";

/** What `create` needs; defaults follow Podman, and the image's configuration. */
export interface CreateOptions extends SandboxOptions, ConfigOptions, NetworkFlags, HealthOptions {
  image: string;
  /** Replaces the image's Cmd; empty or absent keeps it. */
  command?: string[];
  /** Replaces the image's Entrypoint (and drops its Cmd unless empty), as Docker's --entrypoint. */
  entrypoint?: string[];
  /** `KEY=value` entries over the image's. */
  env?: string[];
  /** The process's working directory, over the image's. */
  workingDir?: string;
  /** `user[:group]`, over the image's. */
  user?: string;
  name?: string;
  stopSignal?: string;
  stopTimeout?: number;
  /** Allocate a terminal (create -t). */
  terminal?: boolean;
  /** Keep stdin open (create -i). */
  stdin?: boolean;
  /** no, always, unless-stopped or on-failure[:N]. */
  restart?: string;
  /** Remove the container once it has exited (run -d --rm); refused with a restart policy but no. */
  autoRemove?: boolean;
  /** Containers (id, prefix or name) that must be running before this one starts. */
  requires?: string[];
  /** key=value metadata; keys are non-empty and have no "=". */
  labels?: Record<string, string>;
  /** Podman's `-v SRC:CTR[:OPTIONS]`: a host path (absolute) or a volume name, made on first use. */
  volumes?: string[];
}

/** What creation uses besides the pool. */
export interface CreateDeps extends AppendDeps {
  /** The network of a create that names none (`serve --default-network`; bridge unless set). */
  defaultNetwork?: NetworkMode;
  runtime: Pick<ContainerRuntime, "checkSandbox">;
  images: Pick<ImageService, "withImage">;
  volumes: Pick<VolumeService, "claim">;
}

/** What create said about the process, as the image configuration's overrides. */
function overridesOf(o: CreateOptions): RunOverrides {
  return {
    ...(o.command !== undefined && o.command.length > 0 ? { command: o.command } : {}),
    ...(o.entrypoint !== undefined ? { entrypoint: o.entrypoint } : {}),
    ...(o.env !== undefined ? { env: o.env } : {}),
    ...(o.workingDir !== undefined ? { workingDir: o.workingDir } : {}),
    ...(o.user !== undefined ? { user: o.user } : {}),
    ...(o.stopSignal !== undefined ? { stopSignal: o.stopSignal } : {}),
    ...(o.labels !== undefined ? { labels: o.labels } : {}),
  };
}

export class ContainerCreation {
  /** Names of creates in flight, so two concurrent creates cannot both take one name. */
  private readonly reservedNames = new Set<string>();

  constructor(
    private readonly pool: ActorPool,
    private readonly deps: CreateDeps,
  ) {}

  /**
   * Records a new container (state configured) and spawns its actor; nothing
   * runs yet. The image's configuration fills in what create left out, and
   * the create event pins the image's id, digests and layers.
   */
  async create(options: CreateOptions, meta: RequestMeta): Promise<ContainerRecord> {
    const id = randomBytes(32).toString("hex");
    const policy = restartPolicy(options.restart);
    // Removed and restarted on the same exit cannot both be; refused in Podman's words.
    if (options.autoRemove && policy.name !== "no")
      throw new InvalidArgError("the --rm option conflicts with --restart");
    const network = networkFor(options, this.deps.defaultNetwork);
    const name = containerName(options.name ?? `berth_${id.slice(0, 12)}`);
    if (this.nameTaken(name))
      throw new NameInUseError(`the container name "${name}" is already in use`);
    this.reservedNames.add(name);
    const claim = this.deps.volumes.claim();
    try {
      return await this.deps.images.withImage(options.image, async ({ image, config }) => {
        const run = resolveRunConfig(config, overridesOf(options));
        const healthcheck = healthcheckFor(options, config.healthcheck);
        const mounts = await claim.resolve(options.volumes ?? [], meta);
        const data: CreateData = {
          name,
          image: options.image,
          command: run.args,
          stopSignal: signalName(run.stopSignal),
          stopTimeout: seconds(options.stopTimeout ?? 10, "stop timeout"),
          terminal: options.terminal ?? false,
          stdin: options.stdin ?? false,
          restartPolicy: policy,
          ...(options.autoRemove ? { autoRemove: true } : {}),
          requires: (options.requires ?? []).map((ref) => this.pool.registry.live(ref).id),
          labels: labels(run.labels),
          // Privileged means no seccomp filter, as in Podman; the record says so.
          sandbox: sandboxFor(options.privileged ? { ...options, seccomp: "unconfined" } : options),
          imagePin: {
            id: image.id,
            manifestDigest: image.manifestDigest,
            configDigest: image.configDigest,
            layers: image.layers.map((l) => l.diffId),
          },
          env: run.env,
          workingDir: run.workingDir,
          user: run.user,
          exposedPorts: run.exposedPorts,
          ...configFor(options),
          ...(mounts.length > 0 ? { mounts } : {}),
          network,
          ...(healthcheck ? { healthcheck } : {}),
        };
        await this.deps.runtime.checkSandbox(data.sandbox);
        const { record } = await appendFacts(this.deps, {
          id,
          before: undefined,
          facts: [fact("create", data)],
          meta,
          keyFor: { command: "CREATE", args: options },
        });
        this.pool.spawn(record);
        return record;
      });
    } finally {
      claim.release();
      this.reservedNames.delete(name);
    }
  }

  private nameTaken(name: string) {
    return (
      this.reservedNames.has(name) || listContainers(this.pool, true).some((r) => r.name === name)
    );
  }
}
