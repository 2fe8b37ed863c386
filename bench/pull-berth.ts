/**
 * berth's side of the pull bench: a real ImageService (LevelJournal,
 * ImageStore) in a fresh temp folder, and a counter of the bytes a pull
 * downloads.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { tempDir } from "../src/harness/index.js";
import { ImageStore, type BlobProgress } from "../src/images/index.js";
import type { RequestMeta } from "../src/machines/index.js";
import { ImageService } from "../src/service/image-service.js";
import { LevelJournal } from "../src/store/index.js";

export const META: RequestMeta = { actor: "bench", requestId: "bench", client: "bench" };

/** A service over its own temp root; `dispose` closes the journal and removes the root. */
export interface BenchService {
  service: ImageService;
  store: ImageStore;
  journal: LevelJournal;
  root: string;
  dispose(): Promise<void>;
}

export async function openService(): Promise<BenchService> {
  const root = await tempDir("berth-bench-svc-");
  const journal = await LevelJournal.open(join(root, "journal"));
  const store = new ImageStore({ blobs: join(root, "blobs"), layers: join(root, "layers") });
  const service = new ImageService({ host: "bench", journal, store, containers: () => [] });
  await service.open();
  return {
    service,
    store,
    journal,
    root,
    dispose: async () => {
      await journal.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Counts what a pull downloads: per blob, the bytes received unless it was skipped. */
export class DownloadCounter {
  private readonly received = new Map<string, number>();
  readonly onProgress = (p: BlobProgress): void => {
    if (p.skipped) return;
    this.received.set(p.digest, Math.max(this.received.get(p.digest) ?? 0, p.received));
  };

  get bytes(): number {
    let n = 0;
    for (const b of this.received.values()) n += b;
    return n;
  }

  /** How many of `digests` were downloaded. */
  fetched(digests: readonly string[]): number {
    return digests.filter((d) => (this.received.get(d) ?? 0) > 0).length;
  }
}
