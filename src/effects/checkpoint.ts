/**
 * Checkpoint and restore through runc and criu. criu must pass `criu check`
 * first; where it does not (as on kernels whose vdso criu cannot handle), both
 * operations fail with UnsupportedError before touching the container, so a
 * running container keeps running and loses nothing.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { OciRuntimeError, UnsupportedError } from "../errors.js";
import { containerPaths, layout, safeJoin, type Layout } from "./paths.js";
import { artifactName } from "./storage.js";

export interface CheckpointRequest {
  keepRunning: boolean;
  tcpEstablished: boolean;
  /** Also keep the checkpoint as a tar of this name in the root's checkpoint folder (never a host path). */
  targetFile?: string;
}

export class LinuxCheckpointer {
  private readonly layout: Layout;
  private support: Promise<string | undefined> | undefined;

  constructor(
    root: string,
    private readonly runcPath = "/usr/sbin/runc",
    private readonly criuPath = "criu",
  ) {
    this.layout = layout(root);
  }

  /** Why checkpointing cannot work here, or undefined when `criu check` passes. Asked once. */
  unsupportedReason(): Promise<string | undefined> {
    this.support ??= execa(this.criuPath, ["check"], { reject: false }).then((r) =>
      r.exitCode === 0
        ? undefined
        : `criu check failed: ${(r.stderr || r.stdout || r.shortMessage || "").trim().split("\n").pop() ?? ""}`,
    );
    return this.support;
  }

  private async require(op: string): Promise<void> {
    const reason = await this.unsupportedReason();
    if (reason)
      throw new UnsupportedError(
        `${op} is unsupported on this host (${reason}); the container is unchanged`,
      );
  }

  /** Dumps the container's processes into its checkpoint folder; resolves with that folder. */
  async checkpoint(id: string, req: CheckpointRequest, signal?: AbortSignal): Promise<string> {
    // A name, checked before anything runs: the daemon writes no host path a caller names.
    const target =
      req.targetFile === undefined
        ? undefined
        : safeJoin(this.layout.checkpoints, artifactName(req.targetFile));
    await this.require("checkpoint");
    const image = join(containerPaths(this.layout, id).dir, "checkpoint");
    await rm(image, { recursive: true, force: true });
    await mkdir(image, { recursive: true });
    const args = ["--root", this.layout.runc, "checkpoint", "--image-path", image];
    if (req.keepRunning) args.push("--leave-running");
    if (req.tcpEstablished) args.push("--tcp-established");
    const r = await execa(this.runcPath, [...args, id], { reject: false, cancelSignal: signal });
    if (r.failed)
      throw new OciRuntimeError(`runc checkpoint ${id} failed: ${r.stderr || r.shortMessage}`);
    if (target) {
      await mkdir(this.layout.checkpoints, { recursive: true, mode: 0o700 });
      const t = await execa("tar", ["--force-local", "-cf", target, "-C", image, "."], {
        reject: false,
        cancelSignal: signal,
      });
      if (t.failed) {
        await rm(target, { force: true });
        throw new OciRuntimeError(`writing checkpoint ${req.targetFile} failed: ${t.stderr}`);
      }
    }
    return image;
  }

  /**
   * Restoring needs conmon to run `runc restore` in place of `runc create`.
   * berth checks criu first; the conmon side is not wired yet (see the notes).
   */
  async restore(id: string): Promise<string> {
    await this.require("restore");
    throw new UnsupportedError(
      `restore of ${id} needs conmon --restore, which berth does not drive yet`,
    );
  }
}
