/**
 * Pulling real images (issue 11), through berth's ImageService (download,
 * verify, unpack, journal, fsync included) and its pullImage alone, against
 * skopeo and umoci floors measured in the same rounds:
 *
 *  1. a cold pull of a ~100 MB, 5-layer image of random (incompressible)
 *     layers from a local docker-registry; floors `skopeo copy` to `dir:`
 *     (target: berth within 1.2x) and `skopeo copy` to `oci:` + `umoci raw
 *     unpack` (a floor that also unpacks);
 *  2. a second image sharing 4 of its 5 layers, pulled after the first:
 *     bytes downloaded and time;
 *  3. `load` of a docker-archive of the first image, against `skopeo copy
 *     docker-archive: oci:` + `umoci raw unpack`.
 *
 * Every contender gets fresh temp folders each round; contenders of a part
 * alternate and their order rotates from round to round. Medians and the
 * range are shown.
 *
 *   npm run bench:pull
 *     BENCH_ROUNDS   rounds (default 5)
 *     BENCH_MB       image size in MB (default 100, split over 5 layers)
 */
import { availableParallelism, cpus, loadavg } from "node:os";
import { rm } from "node:fs/promises";
import { join } from "node:path";
// The registry, layout builder and skopeo push that the pull tests use.
import {
  OciLayout,
  pushLayout,
  randomLayer,
  startRegistry,
  tempDir,
} from "../src/harness/index.js";
import { pullImage, type StoredImage } from "../src/images/index.js";
import { DownloadCounter, META, openService } from "./pull-berth.js";
import { folderBytes, skopeoCopy, skopeoOciUnpack } from "./pull-floors.js";
import { median, printTable, timed } from "./stats.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MB = Number(process.env.BENCH_MB ?? 100);
const LAYERS = 5;
const REPO = "bench/img";

type Contender = () => Promise<void>;

/** Runs `rounds` rounds of `contenders`, rotating their order each round. */
async function rounds(
  samples: Map<string, number[]>,
  contenders: Record<string, Contender>,
  round: number,
): Promise<void> {
  const names = Object.keys(contenders);
  for (let i = 0; i < names.length; i++) {
    const name = names[(round + i) % names.length]!;
    await timed(samples, name, contenders[name]!);
  }
}

/** A fresh temp folder for `fn`, removed after. */
async function inTemp(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir(prefix);
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function report(
  samples: Map<string, number[]>,
  names: string[],
  floors: string[],
  bytes: (name: string) => number,
): void {
  const floorMedians = floors.map((f) => median(samples.get(f) ?? []));
  printTable(
    ["contender", "median ms", "min ms", "max ms", "MB", "MB/s", ...floors.map((f) => `/ ${f}`)],
    names.map((name) => {
      const xs = samples.get(name) ?? [];
      const m = median(xs);
      return [
        name,
        m.toFixed(0),
        Math.min(...xs).toFixed(0),
        Math.max(...xs).toFixed(0),
        mb(bytes(name)),
        (bytes(name) / 1024 / 1024 / (m / 1000)).toFixed(0),
        ...floorMedians.map((f) => (m / f).toFixed(2)),
      ];
    }),
  );
}

const registry = await startRegistry();
const work = await tempDir("berth-bench-layout-");
try {
  const layoutDir = join(work, "layout");
  const layout = new OciLayout(layoutDir);
  const layerSize = Math.round((MB * 1024 * 1024) / LAYERS);
  const layers = [];
  for (let i = 0; i < LAYERS; i++) layers.push(await randomLayer(layerSize, `layer${i}.bin`));
  const first = await layout.image(layers, undefined, "v1");
  // The second image: the first's four bottom layers and a new top one.
  const second = await layout.image(
    [...layers.slice(0, LAYERS - 1), await randomLayer(layerSize, "top.bin")],
    undefined,
    "v2",
  );
  await layout.finish();
  await pushLayout(layoutDir, "v1", registry.host, REPO);
  await pushLayout(layoutDir, "v2", registry.host, REPO);
  const ref1 = `${registry.host}/${REPO}:v1`;
  const ref2 = `${registry.host}/${REPO}:v2`;
  const archive = join(work, "v1.tar");
  await skopeoCopy(`docker://${ref1}`, `docker-archive:${archive}:${REPO}:v1`);
  const size1 = first.layers.reduce((n, l) => n + l.size, 0);
  const size2 = second.layers.reduce((n, l) => n + l.size, 0);

  // Part 1: cold pull.
  const cold = new Map<string, number[]>();
  const phases = new Map<string, number[]>();
  const COLD = {
    service: "berth ImageService.pull",
    blobs: "berth pullImage (blobs only)",
    phased: "berth pullImage then ImageStore.complete",
    dir: "skopeo dir:",
    unpack: "skopeo oci: + umoci unpack",
  };
  const coldContenders: Record<string, Contender> = {
    [COLD.service]: async () => {
      const s = await openService();
      try {
        await s.service.pull({ reference: ref1, tlsVerify: false }, META);
      } finally {
        await s.dispose();
      }
    },
    [COLD.blobs]: async () => {
      const s = await openService();
      try {
        await pullImage({ registry: registry.host, repository: REPO, tag: "v1" }, s.store.blobs, {
          tlsVerify: false,
        });
      } finally {
        await s.dispose();
      }
    },
    // Where ImageService.pull's time goes: the same two steps, each timed.
    [COLD.phased]: async () => {
      const s = await openService();
      try {
        const pulled = await timed(phases, "pullImage", () =>
          pullImage({ registry: registry.host, repository: REPO, tag: "v1" }, s.store.blobs, {
            tlsVerify: false,
          }),
        );
        const stored: StoredImage = {
          manifestDigest: pulled.manifestDigest,
          configDigest: pulled.configDigest,
          layers: pulled.layers.map((l) => ({
            digest: l.digest,
            size: l.size,
            mediaType: l.mediaType,
          })),
        };
        await timed(phases, "ImageStore.complete (unpack, sync -f)", () =>
          s.store.complete(stored),
        );
      } finally {
        await s.dispose();
      }
    },
    [COLD.dir]: () =>
      inTemp("berth-bench-skopeo-", (dir) => skopeoCopy(`docker://${ref1}`, `dir:${dir}/out`)),
    [COLD.unpack]: () =>
      inTemp("berth-bench-umoci-", (dir) =>
        skopeoOciUnpack(`docker://${ref1}`, join(dir, "oci"), join(dir, "rootfs")),
      ),
  };

  // Part 2: the second image after the first.
  const shared = new Map<string, number[]>();
  const sharedBytes = new Map<string, number[]>();
  const fetchedLayers: number[] = [];
  const SHARED = {
    service: "berth ImageService.pull v2 after v1",
    dir: "skopeo dir: v2",
    oci: "skopeo oci: v2 after v1 (same layout)",
  };
  const record = (name: string, bytes: number) =>
    sharedBytes.set(name, [...(sharedBytes.get(name) ?? []), bytes]);
  const sharedContenders: Record<string, Contender> = {
    [SHARED.service]: async () => {
      const s = await openService();
      try {
        await s.service.pull({ reference: ref1, tlsVerify: false }, META);
        const counter = new DownloadCounter();
        await timed(shared, SHARED.service, () =>
          s.service.pull(
            { reference: ref2, tlsVerify: false, onProgress: counter.onProgress },
            META,
          ),
        );
        record(SHARED.service, counter.bytes);
        fetchedLayers.push(counter.fetched(second.layers.map((l) => l.digest)));
      } finally {
        await s.dispose();
      }
    },
    [SHARED.dir]: () =>
      inTemp("berth-bench-skopeo-", async (dir) => {
        await timed(shared, SHARED.dir, () => skopeoCopy(`docker://${ref2}`, `dir:${dir}/out`));
        record(SHARED.dir, await folderBytes(join(dir, "out")));
      }),
    [SHARED.oci]: () =>
      inTemp("berth-bench-skopeo-", async (dir) => {
        const oci = join(dir, "oci");
        await skopeoCopy(`docker://${ref1}`, `oci:${oci}:v1`);
        const before = await folderBytes(oci);
        await timed(shared, SHARED.oci, () => skopeoCopy(`docker://${ref2}`, `oci:${oci}:v2`));
        record(SHARED.oci, (await folderBytes(oci)) - before);
      }),
  };

  // Part 3: archive import.
  const load = new Map<string, number[]>();
  const LOAD = {
    service: "berth ImageService.load",
    unpack: "skopeo docker-archive: -> oci: + umoci unpack",
  };
  const loadContenders: Record<string, Contender> = {
    [LOAD.service]: async () => {
      const s = await openService();
      try {
        await s.service.load(archive, META);
      } finally {
        await s.dispose();
      }
    },
    [LOAD.unpack]: () =>
      inTemp("berth-bench-umoci-", (dir) =>
        skopeoOciUnpack(`docker-archive:${archive}`, join(dir, "oci"), join(dir, "rootfs")),
      ),
  };

  // Part 2's contenders time their own second step; the totals go elsewhere.
  const untimed = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    await rounds(cold, coldContenders, round);
    await rounds(untimed, sharedContenders, round);
    await rounds(load, loadContenders, round);
  }

  const cpuModel = cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `host: ${availableParallelism()} CPUs (${cpuModel}), load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}, ${ROUNDS} rounds, local registry over HTTP, temp folders in ${tempRoot()}`,
  );
  console.log(
    `\n1. cold pull of v1: ${LAYERS} layers, ${mb(size1)} MB (target: ImageService.pull <= 1.2x skopeo dir:)`,
  );
  report(cold, Object.values(COLD), [COLD.dir, COLD.unpack], () => size1);
  console.log("   phases of 'berth pullImage then ImageStore.complete' (median ms):");
  for (const [name, xs] of phases) console.log(`     ${name}: ${median(xs).toFixed(0)}`);

  console.log(
    `\n2. v2 (${mb(size2)} MB, shares ${LAYERS - 1} of ${LAYERS} layers) pulled after v1`,
  );
  report(shared, Object.values(SHARED), [SHARED.dir], (name) =>
    median(sharedBytes.get(name) ?? []),
  );
  const oneLayer = fetchedLayers.every((n) => n === 1);
  console.log(
    `   berth layers fetched for v2 per round: ${fetchedLayers.join(", ")} (${oneLayer ? "ok: one layer" : "UNEXPECTED: expected exactly one"})`,
  );

  console.log(`\n3. load of a docker-archive of v1 (${mb(await folderBytes(work))} MB on disk)`);
  report(load, Object.values(LOAD), [LOAD.unpack], () => size1);
} finally {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
}

function tempRoot(): string {
  return process.env.TMPDIR ?? "/tmp";
}
