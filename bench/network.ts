/**
 * What networking costs per container: create + start with the bridge network
 * and one published port, next to the same lifecycle with --network none, in
 * the same daemon and run, interleaved. Also the time from `start` answering
 * to the first TCP connection through the published port that the container's
 * server answers.
 *
 *   npm run build --silent && node dist/bench/network.js   (BENCH_ROUNDS=N)
 */
import * as net from "node:net";
import { BerthClient } from "../src/client/index.js";
import { busyboxTar, startBerth } from "../src/harness/index.js";
import type { ContainerRecord } from "../src/machines/index.js";
import { median, printTable, timed } from "./stats.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
/** busybox httpd: a connection counts only once the container's server answers it. */
const SERVER = ["httpd", "-f", "-p", "8080"];

/** Whether a connection to the port gets an HTTP answer (DNAT alone accepts nothing). */
function answered(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => s.write("GET / HTTP/1.0\r\n\r\n"));
    let data = "";
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1_000, () => done(false));
    s.on("data", (c: Buffer) => {
      data += c.toString();
      if (data.startsWith("HTTP/")) done(true);
    });
    s.on("error", () => done(false));
    s.on("close", () => done(data.startsWith("HTTP/")));
  });
}

async function round(client: BerthClient, samples: Map<string, number[]>, network: boolean) {
  const body = network
    ? { image: "busybox", command: SERVER, network: "bridge", publish: ["8080"] }
    : { image: "busybox", command: SERVER, network: "none" };
  const t0 = performance.now();
  const r = await timed(samples, "create", () =>
    client.call<ContainerRecord>("POST", "/containers", body),
  );
  await timed(samples, "start", () => client.call("POST", `/containers/${r.id}/start`, {}));
  samples.set("create+start", [...(samples.get("create+start") ?? []), performance.now() - t0]);
  if (network) {
    const started = performance.now();
    const rec = await client.call<ContainerRecord>("GET", `/containers/${r.id}`);
    const port = rec.networkAttachment?.ports[0]?.hostPort;
    if (!port) throw new Error("no published port in the record");
    while (!(await answered(port))) {
      if (performance.now() - started > 10_000) throw new Error("the port never answered");
    }
    samples.set("first connection", [
      ...(samples.get("first connection") ?? []),
      performance.now() - started,
    ]);
  }
  await timed(samples, "rm -f", () =>
    client.call("DELETE", `/containers/${r.id}?force=true&timeout=0`),
  );
}

async function main() {
  const berth = await startBerth({ host: "bench" });
  await berth.ok("image", "import", busyboxTar(), "busybox");
  const client = new BerthClient({ socketPath: berth.socket });
  const bridge = new Map<string, number[]>();
  const none = new Map<string, number[]>();
  try {
    await round(client, new Map(), true);
    await round(client, new Map(), false);
    for (let i = 0; i < ROUNDS; i++) {
      await round(client, bridge, true);
      await round(client, none, false);
    }
  } finally {
    await berth.stop();
  }
  process.stdout.write(
    `\nbridge + one published port vs --network none, ${ROUNDS} rounds each, medians in ms\n\n`,
  );
  const rows = ["create", "start", "create+start", "rm -f"].map((op) => {
    const n = median(none.get(op) ?? []);
    const b = median(bridge.get(op) ?? []);
    return [op, n.toFixed(1), b.toFixed(1), (b - n).toFixed(1), (b / n).toFixed(2)];
  });
  printTable(["operation", "none", "bridge", "cost", "ratio"], rows);
  const first = median(bridge.get("first connection") ?? []);
  process.stdout.write(
    `\nstart answered -> first answered connection to the published port: ${first.toFixed(1)} ms (median)\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
