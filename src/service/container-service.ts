/**
 * The service's facade: the one object transports hold, delegating each
 * public method to the module that does that job.
 */
import { randomUUID } from "node:crypto";
import type {
  ArtifactInfo,
  ContainerProbe,
  ExecRuntime,
  ExitInfo,
  HealthProber,
  LogLine,
  TerminalSize,
} from "../effects/index.js";
import { NotImplementedError, UnsupportedError } from "../errors.js";
import type { CloudEvent } from "../events/index.js";
import type { ImageStore } from "../images/index.js";
import type {
  CommandBody,
  ContainerRecord,
  HealthStatus,
  NetworkMode,
  RequestMeta,
} from "../machines/index.js";
import type { Journal } from "../store/index.js";
import { provideMachine } from "./actor-machine.js";
import { ActorPool, recordOf } from "./actor-pool.js";
import { AttachOperations, type Attached } from "./attach.js";
import { AutoRemoval } from "./auto-remove.js";
import { CommandPath } from "./command-path.js";
import { ContainerCreation, type CreateOptions } from "./create.js";
import type { ExecRequest } from "./exec-config.js";
import { ExecSessions, type ExecHandle, type ExecInspect } from "./exec.js";
import { HealthMonitor } from "./health-monitor.js";
import { IdempotentRequests } from "./idempotency.js";
import { ImageService, type AddedImage } from "./image-service.js";
import { VolumeService } from "./volume-service.js";
import type { VolumeStore } from "../volumes/index.js";
import type { LogWindow } from "./log-window.js";
import { ContainerQueries, listContainers } from "./queries.js";
import type { HostPorts } from "./runtime-effects.js";
import type { Known } from "./registry.js";
import { restoreAndReconcile } from "./startup.js";
import { waitFor, type WaitOptions } from "./wait.js";
import { ContainerLooks } from "./top-stats.js";

export type { Attached } from "./attach.js";
export type { CreateOptions } from "./create.js";
export type { ExecRequest } from "./exec-config.js";
export type { ExecHandle, ExecInspect } from "./exec.js";
export type { WaitOptions } from "./wait.js";

/** The files and artifacts side of the host, beyond what the machine's effects use. */
export interface ArtifactStore {
  addArtifact(id: string, name: string, data: Buffer): Promise<ArtifactInfo>;
  getArtifact(id: string, name: string): Promise<Buffer>;
  removeArtifact(id: string, name: string): Promise<void>;
  /** A new daemon-private file for an archive on its way to a client. */
  stagingFile(kind: "export"): Promise<string>;
  /** Stores an uploaded archive privately, refusing it past `limit` bytes. */
  stageUpload(body: AsyncIterable<Buffer>, limit: number): Promise<string>;
  discardStaged(file: string): Promise<void>;
}

/** Everything the service runs on: the host ports, the journal and the host's name. */
export interface ServiceDeps extends HostPorts {
  host: string;
  journal: Journal;
  artifacts: ArtifactStore;
  /** Image blobs and layers on disk; the image service journals what they hold. */
  imageStore: ImageStore;
  /** Named volumes' folders; the volume service journals which exist. */
  volumeStore: VolumeStore;
  /** The daemon's root, which no bind mount may reach into. */
  root: string;
  exits: HostPorts["exits"] & {
    onExit(listener: (id: string, exit: ExitInfo) => void): () => void;
  };
  /** The network of a create that names none (`serve --default-network`); bridge unless set. */
  defaultNetwork?: NetworkMode;
  /** Exec sessions on the host; without it, exec is refused (UNSUPPORTED). */
  execs?: ExecRuntime;
  /** Reads running containers' processes and counters; without it, top and stats are refused. */
  probe?: ContainerProbe;
  /** Runs healthcheck probes; without it, no container is probed and `healthcheck run` is refused. */
  health?: HealthProber;
}

/** The runtime, not a user, is the actor of an exit it reports. */
const runtimeMeta = (): RequestMeta => ({ actor: "runtime:conmon", requestId: randomUUID() });

/**
 * One actor per container, commands serialized per container, every change
 * made durable before it is answered. It owns no rules (the machine does) and
 * no I/O of its own (the journal and the host ports do).
 */
export class ContainerService {
  private readonly pool: ActorPool;
  private readonly requests: IdempotentRequests;
  private readonly commands: CommandPath;
  private readonly autoRemoval: AutoRemoval;
  private readonly creation: ContainerCreation;
  private readonly queries: ContainerQueries;
  private readonly attaching: AttachOperations;
  private readonly stopWatching: () => void;
  private readonly execSessions: ExecSessions | undefined;
  private readonly healthMonitor: HealthMonitor | undefined;
  /** top and stats. */
  readonly looks: ContainerLooks;
  /** Image verbs; containers are created from the images it resolves. */
  readonly images: ImageService;
  /** Volume verbs; creates resolve their `-v` mounts through it. */
  readonly volumes: VolumeService;

  private constructor(private readonly deps: ServiceDeps) {
    this.pool = new ActorPool(provideMachine(deps), deps.journal);
    this.requests = new IdempotentRequests(deps.journal);
    this.commands = new CommandPath(this.pool, this.requests, deps);
    this.autoRemoval = new AutoRemoval(this.pool, this.commands);
    this.images = new ImageService({
      host: deps.host,
      journal: deps.journal,
      store: deps.imageStore,
      containers: () => listContainers(this.pool, true),
    });
    this.volumes = new VolumeService({
      host: deps.host,
      journal: deps.journal,
      store: deps.volumeStore,
      root: deps.root,
      containers: () => listContainers(this.pool, true),
    });
    this.creation = new ContainerCreation(this.pool, {
      ...deps,
      images: this.images,
      volumes: this.volumes,
    });
    this.queries = new ContainerQueries(this.pool, deps);
    this.looks = new ContainerLooks((ref) => this.queries.lookup(ref), deps.probe);
    this.attaching = new AttachOperations(this.pool, this.commands, this.queries, deps.runtime);
    this.execSessions = deps.execs
      ? new ExecSessions(this.pool, this.commands, deps.execs, (ref) => this.queries.history(ref))
      : undefined;
    this.healthMonitor = deps.health
      ? new HealthMonitor(this.pool, this.commands, deps.health)
      : undefined;
    this.stopWatching = deps.exits.onExit((id, exit) => {
      const entry = this.pool.byId(id);
      if (entry) {
        void this.pool
          .observe(entry, { type: "EXITED", exit, meta: runtimeMeta() })
          .then(() => this.autoRemoval.check(id));
      }
      // An exit file that outlived its container's journaled removal (the daemon died in between)
      // is evidence of nothing any more; the monitor's scan finds it, so only real leftovers cost.
      else if (this.pool.registry.removed(id))
        void deps.runtime.discardExit(id).catch(() => undefined);
    });
  }

  /**
   * Restores every container from its projection without running an effect,
   * then resumes restarts that a policy still owes.
   */
  static async open(deps: ServiceDeps): Promise<ContainerService> {
    const service = new ContainerService(deps);
    await service.images.open();
    await service.volumes.open();
    await restoreAndReconcile(service.pool, deps, (id) => service.autoRemoval.check(id));
    service.execSessions?.reconcile();
    service.healthMonitor?.open(deps.journal);
    return service;
  }

  /** Stops listening for exits, lets queued work finish, and stops every actor. */
  async close(): Promise<void> {
    this.stopWatching();
    this.healthMonitor?.close();
    await this.pool.close();
  }

  /** Imports an archive already on the daemon's host (the admin's `--force-local`). */
  importImage(tarPath: string, name: string | undefined, meta: RequestMeta): Promise<AddedImage[]> {
    return this.images.load(tarPath, meta, name !== undefined ? { name } : {});
  }

  /**
   * Imports an archive a client uploads, of at most `limit` bytes; the upload
   * is staged to a private file (a plain rootfs is told from an image archive
   * by reading it twice) and not kept.
   */
  async importUpload(
    body: AsyncIterable<Buffer>,
    name: string | undefined,
    limit: number,
    meta: RequestMeta,
  ): Promise<AddedImage[]> {
    const file = await this.deps.artifacts.stageUpload(body, limit);
    try {
      return await this.images.load(file, meta, name !== undefined ? { name } : {});
    } finally {
      await this.deps.artifacts.discardStaged(file);
    }
  }

  /**
   * Exports the container's root filesystem, journaled as `export`, into a
   * daemon-private file that the caller streams to the client and then
   * discards; the daemon never writes where a client points.
   */
  async exportRootfs(
    ref: string,
    meta: RequestMeta,
  ): Promise<{ file: string; record: ContainerRecord }> {
    const file = await this.deps.artifacts.stagingFile("export");
    try {
      return { file, record: await this.command(ref, { type: "EXPORT", path: file }, meta) };
    } catch (err) {
      await this.deps.artifacts.discardStaged(file);
      throw err;
    }
  }

  /** Removes a staged archive once it has been streamed. */
  discardStaged(file: string): Promise<void> {
    return this.deps.artifacts.discardStaged(file);
  }

  /** Records a new container (state configured); nothing runs yet. */
  create(options: CreateOptions, meta: RequestMeta): Promise<ContainerRecord> {
    return this.requests.run(
      meta.idempotencyKey,
      meta.requestId,
      { command: "CREATE", args: options },
      () => this.creation.create(options, meta),
    );
  }

  /**
   * Runs one command on a container and answers once its facts are durable.
   * A command the seed forbids in the current state fails with the seed's error.
   * With `recursive`, a start first starts the containers it requires.
   */
  async command(
    ref: string,
    body: CommandBody,
    meta: RequestMeta,
    options: { recursive?: boolean } = {},
  ): Promise<ContainerRecord> {
    const record = await this.commands.command(ref, body, meta, options);
    // A user's stop or kill can end an autoRemove container too; the removal follows the answer.
    void this.autoRemoval.check(record.id);
    return record;
  }

  /**
   * Several commands under one serialization: nothing else runs on the
   * container between them. Stops at the first failure, naming the command.
   */
  async batch(ref: string, bodies: CommandBody[], meta: RequestMeta): Promise<ContainerRecord> {
    const record = await this.commands.batch(ref, bodies, meta);
    void this.autoRemoval.check(record.id);
    return record;
  }

  /**
   * Attaches to a created or running container: journals `attach`, sets the
   * terminal size if one is given, and connects to the container's monitor.
   */
  attach(ref: string, meta: RequestMeta, size?: TerminalSize): Promise<Attached> {
    return this.attaching.attach(ref, meta, size);
  }

  /**
   * Starts a container with a session attached before its process runs, so
   * no output is lost. The cleanup, init, attach and start it needs run as one
   * sequence in the container's queue: no other request runs between them.
   */
  startAndAttach(ref: string, meta: RequestMeta, size?: TerminalSize): Promise<Attached> {
    return this.attaching.startAndAttach(ref, meta, size);
  }

  /** Resizes the terminal of a created or running container that has one. */
  resizeTerminal(ref: string, size: TerminalSize): Promise<void> {
    return this.attaching.resize(ref, size);
  }

  /**
   * Podman's wait: by default resolves with the exit code once the container
   * has stopped; with other conditions, resolves with -1 once it is in one of
   * them. A removed container still answers with its last exit code.
   */
  wait(ref: string, options: WaitOptions = {}): Promise<number> {
    return waitFor(this.pool, ref, options);
  }

  /**
   * Podman's exec: creates and starts a session in a running container,
   * journaled as exec_create, exec_start and exec_died.
   */
  exec(ref: string, req: ExecRequest, meta: RequestMeta): Promise<ExecHandle> {
    return this.execs().exec(ref, req, meta);
  }

  /** An exec session, from its events; with `wait`, once it has ended. */
  execInspect(ref: string, sessionId: string, wait = false): Promise<ExecInspect> {
    return this.execs().inspect(ref, sessionId, wait);
  }

  /** Resizes an exec session's terminal. */
  async execResize(ref: string, sessionId: string, size: TerminalSize): Promise<void> {
    const session = await this.execs().inspect(ref, sessionId);
    await this.execs().resize(session.containerId, sessionId, size);
  }

  /**
   * Podman's `healthcheck run`: probes the container now; a change of health
   * is journaled, and `--health-on-failure` acts, as for a scheduled probe.
   */
  healthcheckRun(ref: string): Promise<HealthStatus> {
    if (!this.healthMonitor) {
      return Promise.reject(new UnsupportedError("this daemon runs no healthchecks"));
    }
    return this.healthMonitor.runNow(ref);
  }

  private execs(): ExecSessions {
    if (!this.execSessions) throw new UnsupportedError("this daemon runs no exec sessions");
    return this.execSessions;
  }

  /** Live containers, newest first; with `all` false, only running and paused ones. */
  list(all: boolean): ContainerRecord[] {
    return listContainers(this.pool, all);
  }

  /** A container's record; removed ones stay answerable by id, name or prefix. */
  inspect(ref: string): Promise<ContainerRecord> {
    return this.queries.inspect(ref);
  }

  /**
   * Without a read: a live container's record, or what memory keeps of a
   * removed one (id, name, creation, last exit code). Unknown refs throw.
   */
  lookup(ref: string): Known {
    return this.queries.lookup(ref);
  }

  /** Where `mount` makes the container's root filesystem visible. */
  rootfsPath(ref: string): string {
    return this.queries.rootfsPath(ref);
  }

  logs(ref: string, window: LogWindow = {}): Promise<LogLine[]> {
    return this.queries.logs(ref, window);
  }

  /** The log streamed a line at a time; throws at once for a reference that fits no container. */
  logLines(ref: string): AsyncIterable<LogLine> {
    return this.queries.logLines(ref);
  }

  /** The log lines a window selects, optionally followed; see `ContainerQueries.logWindow`. */
  logWindow(
    ref: string,
    window: LogWindow & { follow?: boolean },
    signal?: AbortSignal,
  ): AsyncIterable<LogLine> {
    return this.queries.logWindow(ref, window, signal);
  }

  /** A container's events; with `all`, those of every container that carried the name `ref`. */
  history(ref: string, all = false): Promise<CloudEvent[]> {
    return all ? this.queries.historyAll(ref) : this.queries.history(ref);
  }

  /** Time travel: the container as the fold of its events up to a point, without any effect. */
  inspectAt(ref: string, upTo: (e: CloudEvent) => boolean): Promise<ContainerRecord> {
    return this.queries.inspectAt(ref, upTo);
  }

  /** Every container that carried the name `ref`, as each was at that point (those that existed). */
  inspectAllAt(ref: string, upTo: (e: CloudEvent) => boolean): Promise<ContainerRecord[]> {
    return this.queries.inspectAllAt(ref, upTo);
  }

  addArtifact(ref: string, name: string, data: Buffer): Promise<ArtifactInfo> {
    const entry = this.pool.entry(ref);
    return entry.queue.run(() => this.deps.artifacts.addArtifact(recordOf(entry).id, name, data));
  }

  getArtifact(ref: string, name: string): Promise<Buffer> {
    return this.deps.artifacts.getArtifact(this.pool.registry.live(ref).id, name);
  }

  removeArtifact(ref: string, name: string): Promise<void> {
    const entry = this.pool.entry(ref);
    return entry.queue.run(() => this.deps.artifacts.removeArtifact(recordOf(entry).id, name));
  }

  /** Removed from the seed API: always NotImplemented. */
  refresh(): Promise<never> {
    return Promise.reject(
      new NotImplementedError("refresh has been removed; it is not implemented"),
    );
  }
}
