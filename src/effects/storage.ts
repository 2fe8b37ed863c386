/**
 * What berth does with a container's files besides running it: the rootfs
 * path for `mount`, a tar export of it, and named artifacts. Every path is
 * built with `safeJoin`, so nothing is ever written outside the container's folder.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { execa } from "execa";
import {
  InvalidArgError,
  NoSuchArtifactError,
  OciRuntimeError,
  PayloadTooLargeError,
} from "../errors.js";
import { containerPaths, layout, safeJoin, type Layout } from "./paths.js";

const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** An artifact's name: one plain file name, never a path. */
export function artifactName(name: string): string {
  if (!ARTIFACT_NAME.test(name) || name.includes("..")) {
    throw new InvalidArgError(
      `invalid artifact name ${JSON.stringify(name)}: use letters, digits, _ . - and no path`,
    );
  }
  return name;
}

export interface ArtifactInfo {
  name: string;
  bytes: number;
  sha256: string;
}

export class LinuxStorage {
  readonly layout: Layout;

  constructor(root: string) {
    this.layout = layout(root);
  }

  /** Where the container's root filesystem is mounted. */
  rootfsPath(id: string): string {
    return containerPaths(this.layout, id).merged;
  }

  /** Writes the mounted rootfs at `rootfs` as a tar file at `target`; resolves with its size. */
  async exportRootfs(rootfs: string, target: string, signal?: AbortSignal): Promise<number> {
    await stat(dirname(target)).catch((err: unknown) => {
      throw new InvalidArgError(`cannot export to ${target}: its folder does not exist`, {
        cause: err,
      });
    });
    const r = await execa(
      "tar",
      ["--numeric-owner", "--force-local", "-cf", target, "-C", rootfs, "."],
      {
        reject: false,
        cancelSignal: signal,
      },
    );
    if (r.failed) {
      await rm(target, { force: true });
      throw new OciRuntimeError(`export of ${rootfs} failed: ${r.stderr || r.shortMessage}`);
    }
    return (await stat(target)).size;
  }

  /**
   * A new file name in the daemon's private staging folder, for an archive
   * on its way to or from a client: the daemon never writes or reads a path a
   * client names. The caller removes it with `discardStaged`.
   */
  async stagingFile(kind: "export" | "upload"): Promise<string> {
    await mkdir(this.layout.staging, { recursive: true, mode: 0o700 });
    return join(this.layout.staging, `${kind}-${randomUUID()}.tar`);
  }

  /**
   * Writes an uploaded archive into the staging folder, refusing it with
   * PayloadTooLargeError as soon as it passes `limit` bytes; on any failure
   * nothing is left behind. Resolves with the staged file.
   */
  async stageUpload(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
    const file = await this.stagingFile("upload");
    let size = 0;
    const capped = async function* () {
      for await (const chunk of body) {
        size += chunk.length;
        if (size > limit) {
          throw new PayloadTooLargeError(
            `archive larger than ${limit} bytes (the daemon's --max-import-bytes)`,
          );
        }
        yield chunk;
      }
    };
    try {
      await pipeline(capped, createWriteStream(file, { flags: "wx", mode: 0o600 }));
      return file;
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
  }

  /** Removes a staged archive; one already gone is fine. */
  async discardStaged(file: string): Promise<void> {
    await rm(safeJoin(this.layout.staging, basename(file)), { force: true });
  }

  /** Removes what a daemon that died left in the staging folder; run at start, before any request. */
  async clearStaging(): Promise<void> {
    await rm(this.layout.staging, { recursive: true, force: true });
  }

  private artifactPath(id: string, name: string): string {
    return safeJoin(join(containerPaths(this.layout, id).dir, "artifacts"), artifactName(name));
  }

  async addArtifact(id: string, name: string, data: Buffer): Promise<ArtifactInfo> {
    const file = this.artifactPath(id, name);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    // Write then rename, so a reader never sees half an artifact. The temp name starts with
    // a dot, which no artifact name may, so it can never be (or overwrite) another artifact.
    const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      await writeFile(tmp, data, { mode: 0o640 });
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { name, bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") };
  }

  async getArtifact(id: string, name: string): Promise<Buffer> {
    try {
      return await readFile(this.artifactPath(id, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new NoSuchArtifactError(`container ${id} has no artifact ${JSON.stringify(name)}`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  async removeArtifact(id: string, name: string): Promise<void> {
    const file = this.artifactPath(id, name);
    await stat(file).catch((err: unknown) => {
      throw new NoSuchArtifactError(`container ${id} has no artifact ${JSON.stringify(name)}`, {
        cause: err,
      });
    });
    await rm(file);
  }
}
