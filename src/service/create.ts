/**
 * Creation: validates a create request, reserves its name, checks the image,
 * and journals the container's first fact before spawning its actor.
 */
import { randomBytes } from "node:crypto";
import type { ContainerRuntime } from "../effects/index.js";
import { InvalidArgError, NameInUseError, NoSuchImageError } from "../errors.js";
import {
  fact,
  type ContainerRecord,
  type CreateData,
  type RequestMeta,
} from "../machines/index.js";
import type { ActorPool } from "./actor-pool.js";
import { appendFacts, type AppendDeps } from "./fact-append.js";
import { listContainers } from "./queries.js";
import { sandboxFor, type SandboxOptions } from "./sandbox.js";
import { containerName, labels, restartPolicy, seconds, signalName } from "./validate.js";

/** What `create` needs; defaults follow Podman. */
export interface CreateOptions extends SandboxOptions {
  image: string;
  command: string[];
  name?: string;
  stopSignal?: string;
  stopTimeout?: number;
  /** Allocate a terminal (create -t). */
  terminal?: boolean;
  /** Keep stdin open (create -i). */
  stdin?: boolean;
  /** no, always, unless-stopped or on-failure[:N]. */
  restart?: string;
  /** Containers (id, prefix or name) that must be running before this one starts. */
  requires?: string[];
  /** key=value metadata; keys are non-empty and have no "=". */
  labels?: Record<string, string>;
}

/** What creation uses besides the pool. */
export interface CreateDeps extends AppendDeps {
  runtime: Pick<ContainerRuntime, "getImage" | "checkSandbox">;
}

export class ContainerCreation {
  /** Names of creates in flight, so two concurrent creates cannot both take one name. */
  private readonly reservedNames = new Set<string>();

  constructor(
    private readonly pool: ActorPool,
    private readonly deps: CreateDeps,
  ) {}

  /** Records a new container (state configured) and spawns its actor; nothing runs yet. */
  async create(options: CreateOptions, meta: RequestMeta): Promise<ContainerRecord> {
    const id = randomBytes(32).toString("hex");
    const name = containerName(options.name ?? `berth_${id.slice(0, 12)}`);
    if (options.command.length === 0)
      throw new InvalidArgError("a container needs a command to run");
    const data: CreateData = {
      name,
      image: options.image,
      command: options.command,
      stopSignal: signalName(options.stopSignal ?? "SIGTERM"),
      stopTimeout: seconds(options.stopTimeout ?? 10, "stop timeout"),
      terminal: options.terminal ?? false,
      stdin: options.stdin ?? false,
      restartPolicy: restartPolicy(options.restart),
      requires: (options.requires ?? []).map((ref) => this.pool.registry.live(ref).id),
      labels: labels(options.labels),
      sandbox: sandboxFor(options),
    };
    if (this.nameTaken(name))
      throw new NameInUseError(`the container name "${name}" is already in use`);
    this.reservedNames.add(name);
    try {
      if (!(await this.deps.runtime.getImage(options.image))) {
        throw new NoSuchImageError(`image ${options.image} not found: import it first`);
      }
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
    } finally {
      this.reservedNames.delete(name);
    }
  }

  private nameTaken(name: string) {
    return (
      this.reservedNames.has(name) || listContainers(this.pool, true).some((r) => r.name === name)
    );
  }
}
