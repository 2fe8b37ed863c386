/**
 * A registry pull (issue 11): a ~100 MB, 5-layer image of random
 * (incompressible) layers, pushed with skopeo to a local docker-registry,
 * pulled by berth's pullImage into a fresh blob store, against `skopeo copy`
 * of the same image to a `dir:` folder as the floor. The two alternate, and
 * their order rotates from round to round; medians and the range are shown.
 * Target: berth within 1.2x of skopeo.
 *
 *   npm run bench:pull
 *     BENCH_ROUNDS   rounds (default 5)
 *     BENCH_MB       image size in MB (default 100, split over 5 layers)
 */
import { rm } from "node:fs/promises";
import { execa } from "execa";
// The registry, layout builder and skopeo push that the pull tests use.
import {
  OciLayout,
  pushLayout,
  randomLayer,
  startRegistry,
  tempDir,
} from "../src/harness/index.js";
import { BlobStore, pullImage } from "../src/images/index.js";
import { median, printTable, timed } from "./stats.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MB = Number(process.env.BENCH_MB ?? 100);
const LAYERS = 5;

const registry = await startRegistry();
const layoutDir = await tempDir("berth-bench-layout-");
const samples = new Map<string, number[]>();
try {
  const layout = new OciLayout(layoutDir);
  const layers = [];
  for (let i = 0; i < LAYERS; i++)
    layers.push(await randomLayer(Math.round((MB * 1024 * 1024) / LAYERS), `layer${i}.bin`));
  const image = await layout.image(layers, undefined, "v1");
  await layout.finish();
  await pushLayout(layoutDir, "v1", registry.host, "bench/img");
  const bytes = image.layers.reduce((n, l) => n + l.size, 0);

  const contenders: Record<string, () => Promise<unknown>> = {
    berth: async () => {
      const dir = await tempDir("berth-bench-store-");
      try {
        await pullImage(
          { registry: registry.host, repository: "bench/img", tag: "v1" },
          new BlobStore(dir),
          { tlsVerify: false },
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    "skopeo copy (floor)": async () => {
      const dir = await tempDir("berth-bench-skopeo-");
      try {
        await execa("skopeo", [
          "copy",
          "--quiet",
          "--src-tls-verify=false",
          `docker://${registry.host}/bench/img:v1`,
          `dir:${dir}/out`,
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
  const names = Object.keys(contenders);
  for (let round = 0; round < ROUNDS; round++)
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      await timed(samples, name, contenders[name]!);
    }

  const floor = median(samples.get("skopeo copy (floor)")!);
  console.log(
    `pull of ${LAYERS} layers, ${(bytes / 1024 / 1024).toFixed(1)} MB, from a local registry, ${ROUNDS} rounds`,
  );
  printTable(
    ["contender", "median ms", "min ms", "max ms", "MB/s", "ratio to floor"],
    names.map((name) => {
      const xs = samples.get(name)!;
      const m = median(xs);
      return [
        name,
        m.toFixed(0),
        Math.min(...xs).toFixed(0),
        Math.max(...xs).toFixed(0),
        (bytes / 1024 / 1024 / (m / 1000)).toFixed(0),
        (m / floor).toFixed(2),
      ];
    }),
  );
} finally {
  await registry.stop();
  await rm(layoutDir, { recursive: true, force: true });
}
