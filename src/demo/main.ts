/**
 * `npm run demo`: a real berth in a temporary root. A local nats-server and the
 * daemon start, the busybox image is imported, and a JetStream subscriber
 * prints each event as it arrives while the CLI takes a container through
 * create, start, pause, unpause, stop and rm. Then `berth history`, then cleanup.
 */
import { jetstream, type ConsumerMessages } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { CloudEvent } from "../events/index.js";
import { actionOf } from "../events/index.js";
import {
  busyboxTar,
  startBerth,
  startNats,
  until,
  type Berth,
  type Nats,
} from "../harness/index.js";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const say = (s: string) => process.stdout.write(`${s}\n`);

async function run(berth: Berth, ...args: string[]): Promise<string> {
  say(bold(`$ berth ${args.join(" ")}`));
  const out = await berth.ok(...args);
  if (out.trim()) say(out.trimEnd());
  // Give the subscriber's lines a moment to show up under the command that caused them.
  await new Promise((r) => setTimeout(r, 150));
  return out.trim();
}

/** Prints every event that JetStream delivers, as it arrives. */
async function subscribe(
  url: string,
  seen: CloudEvent[],
): Promise<{ nc: NatsConnection; messages: ConsumerMessages }> {
  const nc = await connect({ servers: url });
  const js = jetstream(nc);
  let messages: ConsumerMessages | undefined;
  await until(
    async () => {
      try {
        messages = await (await js.consumers.get("BERTH")).consume();
        return true;
      } catch {
        return false;
      }
    },
    10_000,
    "the BERTH stream",
  );
  const live = messages!;
  void (async () => {
    for await (const m of live) {
      const e = m.json<CloudEvent>();
      seen.push(e);
      const d = e.data as { exitCode?: number; signal?: string };
      const extra =
        d.exitCode !== undefined
          ? ` exitCode=${d.exitCode}`
          : d.signal
            ? ` signal=${d.signal}`
            : "";
      say(
        dim(
          `  [nats ${m.subject}] seq=${e.seq} v${e.version} ${actionOf(e.type)}${extra} actor=${e.actor}`,
        ),
      );
    }
  })();
  return { nc, messages: live };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error("the demo runs containers with runc: run it as root");
  let nats: Nats | undefined;
  let berth: Berth | undefined;
  let sub: { nc: NatsConnection; messages: ConsumerMessages } | undefined;
  try {
    nats = await startNats();
    say(`nats-server with JetStream on ${nats.url}`);
    berth = await startBerth({ nats: nats.url, host: "demo" });
    say(`berth daemon serving on ${berth.socket} (root ${berth.root})\n`);
    const seen: CloudEvent[] = [];
    await run(berth, "image", "import", busyboxTar(), "busybox");
    sub = await subscribe(nats.url, seen);
    say(dim("JetStream subscriber on stream BERTH: events print below as they arrive\n"));

    const id = await run(
      berth,
      "create",
      "--name",
      "demo",
      "--stop-timeout",
      "2",
      "busybox",
      "sh",
      "-c",
      "trap 'echo bye; exit 0' TERM; echo hello from berth; while true; do sleep 0.1; done",
    );
    await run(berth, "start", "demo");
    await run(berth, "pause", "demo");
    await run(berth, "unpause", "demo");
    await run(berth, "stop", "demo");
    await run(berth, "logs", "demo");
    await run(berth, "rm", "demo");

    const head = (JSON.parse(await berth.ok("status")) as { journal: { seq: number } }).journal.seq;
    await until(() => seen.length >= head, 10_000, "every journal event on NATS");
    say("");
    await run(berth, "history", id);
    say(
      `\n${seen.length} events journaled and received over NATS, in order: ${seen.map((e) => e.seq).join(",")}`,
    );
  } finally {
    await sub?.messages.close();
    await sub?.nc.close();
    await berth?.stop();
    await nats?.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
