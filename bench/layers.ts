/**
 * Layer unpacking (issue 11): berth's unpackLayer against GNU tar extracting
 * the same gzip layer (`tar -xzpf --same-owner`, no whiteout handling, no
 * checks: the floor), over interleaved rounds, reported as medians.
 *
 *   npm run bench:layers
 *     BENCH_ROUNDS   rounds (default 3)
 *     BENCH_MB       layer size in MB, uncompressed (default 100)
 *     BENCH_FILES    files in the layer (default 2000)
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { tempDir } from "../src/harness/index.js";
import { unpackLayer } from "../src/images/index.js";
import { median, printTable } from "./stats.js";

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ROUNDS = num("BENCH_ROUNDS", 3);
const MB = num("BENCH_MB", 100);
const FILES = num("BENCH_FILES", 2000);

async function main(): Promise<void> {
  const work = await tempDir("berth-bench-layers-");
  try {
    const src = join(work, "src");
    const each = Math.floor((MB * 1024 * 1024) / FILES);
    for (let i = 0; i < FILES; i++) {
      const dir = join(src, `d${i % 50}`);
      await mkdir(dir, { recursive: true });
      // Half random, half repeated: gzip has something to do, as with real binaries.
      const half = randomBytes(each >> 1);
      await writeFile(
        join(dir, `f${i}`),
        Buffer.concat([half, Buffer.alloc(each - half.length, i)]),
      );
    }
    const layer = join(work, "layer.tar.gz");
    await execa("tar", ["-czf", layer, "-C", src, "."]);
    const times: Record<string, number[]> = { berth: [], tar: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? ["berth", "tar"] : ["tar", "berth"];
      for (const who of order) {
        const out = join(work, `out-${who}-${r}`);
        const t0 = performance.now();
        if (who === "berth") await unpackLayer(layer, out);
        else {
          await mkdir(out);
          await execa("tar", ["-xzpf", layer, "--same-owner", "-C", out]);
          await execa("sync", ["-f", out]);
        }
        times[who]!.push(performance.now() - t0);
        await rm(out, { recursive: true, force: true });
      }
    }
    const floor = median(times.tar!);
    printTable(
      ["unpack", "median ms", "vs tar"],
      Object.entries(times).map(([who, t]) => [
        `${who} (${MB} MB, ${FILES} files)`,
        median(t).toFixed(0),
        (median(t) / floor).toFixed(2),
      ]),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
