/**
 * `ContainerRuntime` on Linux: overlayfs rootfs, conmon as the monitor, runc
 * as the OCI runtime, all state kept under one berth root.
 */
import * as fs from "node:fs/promises";
import { CtrStateInvalidError, InternalError, NoSuchImageError } from "../errors.js";
import { sandboxOf, type Sandbox } from "../machines/index.js";
import { attachSocketPath, controlFifoPath, openAttachSession, writeResize } from "./attach.js";
import { writeBundle } from "./bundle.js";
import { spawnConmon, waitConmonExit } from "./conmon.js";
import { clearExitFiles, readExitFile, readPreviousExitFile } from "./exit-file.js";
import { resolveUser } from "./user-resolve.js";
import { readK8sLog, streamK8sLog } from "./logs.js";
import { followK8sLog } from "./log-follow.js";
import { isMounted, mountOverlay, mountsUnder, unmountOverlay } from "./overlay.js";
import {
  assertContainerId,
  containerPaths,
  imagePaths,
  layerPath,
  layout,
  type ContainerPaths,
  type Layout,
} from "./paths.js";
import { Runc } from "./runc.js";
import { capabilitiesOf } from "./capabilities.js";
import { checkSandbox } from "./sandbox-check.js";
import { DEFAULT_SECCOMP_PROFILE, defaultSeccomp } from "./seccomp.js";
import type {
  AttachSession,
  ContainerRuntime,
  ContainerSpec,
  Created,
  ExitInfo,
  FollowItem,
  FollowOptions,
  LogLine,
  RuncState,
  TerminalSize,
} from "./types.js";

/** conmon exits right after the container; this only bounds a wedged one. */
const CONMON_EXIT_WAIT_MS = 5_000;

export interface LinuxRuntimeOptions {
  /** berth's root dir; everything the runtime writes lives below it. */
  root: string;
  /** Default /usr/sbin/runc. */
  runcPath?: string;
  /** Default /usr/bin/conmon. */
  conmonPath?: string;
  /** How long conmon may take to create a container. Default 60 s. */
  createTimeoutMs?: number;
  /** The moby-format seccomp profile behind the default filter. Default Podman's, from containers-common. */
  seccompProfile?: string;
  /** Most bytes of a container's log file (default 16 MiB); -1: no limit. */
  logSizeMax?: number;
}

/**
 * The default bound on a container's log file. Podman sets none and Docker's
 * json-file driver none either; kubelet keeps 10 MiB per file. berth has to
 * read logs back through its own memory, so it sets one. conmon has no
 * rotation: at the bound it starts the file afresh.
 */
export const DEFAULT_LOG_SIZE_MAX = 16 * 1024 * 1024;

/** The host runtime. Methods validate ids and never touch paths outside the root. */
export class LinuxRuntime implements ContainerRuntime {
  readonly layout: Layout;
  private readonly runc: Runc;
  private readonly runcPath: string;
  private readonly conmonPath: string;
  private readonly createTimeoutMs: number | undefined;
  private readonly seccompProfile: string;
  private readonly logSizeMax: number | undefined;

  constructor(options: LinuxRuntimeOptions) {
    this.seccompProfile = options.seccompProfile ?? DEFAULT_SECCOMP_PROFILE;
    this.layout = layout(options.root);
    this.runcPath = options.runcPath ?? "/usr/sbin/runc";
    this.conmonPath = options.conmonPath ?? "/usr/bin/conmon";
    this.createTimeoutMs = options.createTimeoutMs;
    const logSizeMax = options.logSizeMax ?? DEFAULT_LOG_SIZE_MAX;
    this.logSizeMax = logSizeMax > 0 ? logSizeMax : undefined;
    this.runc = new Runc(this.runcPath, this.layout.runc);
  }

  checkSandbox(sandbox: Sandbox): Promise<void> {
    return checkSandbox(sandbox, this.seccompProfile);
  }

  /**
   * Mounts the rootfs and writes config.json. If the bundle cannot be written
   * after this call mounted the overlay, the mount is undone, leaving the
   * container as it was.
   */
  async prepare(spec: ContainerSpec, signal?: AbortSignal): Promise<void> {
    const paths = this.paths(spec.id);
    const lower = await this.lowerDirs(spec);
    // Read before mounting, so a missing profile leaves nothing to undo.
    const seccomp =
      sandboxOf(spec).seccomp === "default"
        ? await defaultSeccomp(capabilitiesOf(spec), this.seccompProfile)
        : undefined;
    await fs.mkdir(paths.persist, { recursive: true });
    const wasMounted = await isMounted(paths.merged);
    await mountOverlay(
      {
        lower,
        upper: paths.upper,
        work: paths.work,
        merged: paths.merged,
      },
      signal,
    );
    try {
      const user = await resolveUser(paths.merged, spec.user ?? "");
      await writeBundle(paths.bundle, spec, paths.merged, seccomp, user);
    } catch (err) {
      if (!wasMounted) await unmountOverlay(paths.merged).catch(() => undefined);
      throw err;
    }
  }

  /**
   * The overlay's lower folders, topmost first: the pinned image layers, or
   * for a container created before images were layered, its image's folder.
   * A missing one is NoSuchImageError: nothing is mounted without all of them.
   */
  private async lowerDirs(spec: ContainerSpec): Promise<string[]> {
    const lower = spec.imagePin
      ? spec.imagePin.layers.map((d) => layerPath(this.layout, d)).reverse()
      : [imagePaths(this.layout, spec.image).rootfs];
    for (const dir of lower) {
      const found = await fs.stat(dir).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!found)
        throw new NoSuchImageError(`image ${spec.image}: its layer folder ${dir} is missing`);
    }
    return lower;
  }

  /**
   * Runs conmon, which runs `runc create`. Refuses (CtrStateInvalidError)
   * while runc still has a container with this id. On failure or abort,
   * whatever runc had created is force-deleted, so the container can be
   * created again, or unmounted and removed.
   */
  async create(spec: ContainerSpec, signal?: AbortSignal): Promise<Created> {
    const paths = this.paths(spec.id);
    // Checked first so the cleanup below can only ever delete what this call created. A look
    // at runc's state folder, not `runc state`: one process less on every create.
    if (await this.runc.holds(this.checked(spec.id))) {
      const existing = await this.runc.state(spec.id, signal).catch(() => undefined);
      throw new CtrStateInvalidError(
        `container ${spec.id} already exists in runc (${existing?.status ?? "unknown"}); delete it first`,
      );
    }
    try {
      return await spawnConmon(
        {
          conmonPath: this.conmonPath,
          runcPath: this.runcPath,
          runcRoot: this.layout.runc,
          id: spec.id,
          name: spec.name,
          paths,
          exitDir: this.layout.exits,
          socketDir: this.layout.sockets,
          terminal: spec.terminal,
          stdin: spec.stdin,
          timeoutMs: this.createTimeoutMs,
          ...(this.logSizeMax !== undefined ? { logSizeMax: this.logSizeMax } : {}),
        },
        signal,
      );
    } catch (err) {
      // Not under `signal`: the cleanup must run even when the caller gave up.
      await this.runc.delete(spec.id).catch(() => undefined);
      throw err;
    }
  }

  start(id: string, signal?: AbortSignal): Promise<void> {
    return this.runc.start(this.checked(id), signal);
  }

  kill(id: string, signal: string, abort?: AbortSignal): Promise<void> {
    return this.runc.kill(this.checked(id), signal, abort);
  }

  pause(id: string, signal?: AbortSignal): Promise<void> {
    return this.runc.pause(this.checked(id), signal);
  }

  resume(id: string, signal?: AbortSignal): Promise<void> {
    return this.runc.resume(this.checked(id), signal);
  }

  delete(id: string, signal?: AbortSignal): Promise<void> {
    return this.runc.delete(this.checked(id), signal);
  }

  state(id: string, signal?: AbortSignal): Promise<RuncState | undefined> {
    return this.runc.state(this.checked(id), signal);
  }

  list(signal?: AbortSignal): Promise<string[]> {
    return this.runc.list(signal);
  }

  unmount(id: string, signal?: AbortSignal): Promise<void> {
    return unmountOverlay(this.paths(id).merged, signal);
  }

  /**
   * Unmounts, then deletes the container dir; the exit file stays until
   * `discardExit`, after the removal is journaled. Refuses while
   * runc still knows the container or anything is mounted below the dir
   * (a recursive delete must never reach through a mount into other files),
   * and first lets conmon finish, so it cannot write exit files afterwards.
   */
  async removeFiles(id: string): Promise<void> {
    const paths = this.paths(id);
    if (await this.runc.state(id)) {
      throw new InternalError(`container ${id} still exists in runc; delete it first`);
    }
    if (!(await waitConmonExit(paths.conmonPidfile, id, CONMON_EXIT_WAIT_MS))) {
      throw new InternalError(`container ${id}: conmon is still running; try again`);
    }
    await unmountOverlay(paths.merged);
    const mounts = await mountsUnder(paths.dir);
    if (mounts.length > 0) {
      throw new InternalError(
        `container ${id}: refusing to remove, still mounted: ${mounts.join(", ")}`,
      );
    }
    await fs.rm(paths.dir, { recursive: true, force: true });
  }

  async discardExit(id: string): Promise<void> {
    await fs.rm(this.paths(this.checked(id)).exitFile, { force: true });
  }

  readExit(id: string): Promise<ExitInfo | undefined> {
    return readExitFile(this.paths(id));
  }

  clearExit(id: string): Promise<void> {
    return clearExitFiles(this.paths(id));
  }

  readPreviousExit(id: string): Promise<ExitInfo | undefined> {
    return readPreviousExitFile(this.paths(id));
  }

  readLogs(id: string): Promise<LogLine[]> {
    return readK8sLog(this.paths(id).log);
  }

  logLines(id: string): AsyncIterable<LogLine> {
    return streamK8sLog(this.paths(id).log);
  }

  followLogs(id: string, options: FollowOptions): AsyncIterable<FollowItem> {
    return followK8sLog(this.paths(id).log, options);
  }

  attach(id: string, signal?: AbortSignal): Promise<AttachSession> {
    return openAttachSession(id, attachSocketPath(this.paths(id).bundle), signal);
  }

  resize(id: string, size: TerminalSize): Promise<void> {
    return writeResize(id, controlFifoPath(this.paths(id).bundle), size);
  }

  private paths(id: string): ContainerPaths {
    return containerPaths(this.layout, id);
  }

  /** Validates `id` (InvalidArgError) before it reaches a command line. */
  private checked(id: string): string {
    assertContainerId(id);
    return id;
  }
}
