/**
 * `berth audit verify --witness nats://...`: the local journal (through the
 * daemon, or a stopped daemon's root) against the copy of this host's events
 * and checkpoints in the JetStream stream. The local chain check alone passes
 * on a journal that root rewrote with recomputed hashes; the stream's copy,
 * held by another machine, does not follow such a rewrite.
 */
import { readFile } from "node:fs/promises";
import { BerthClient } from "../client/index.js";
import { InvalidArgError } from "../errors.js";
import type { LocalEventDigest, WitnessReport } from "../audit/index.js";
import type { CloudEvent } from "../events/index.js";
import type { ChainReport, Journal } from "../store/index.js";

export interface WitnessFlags {
  witness: string;
  /** The host's checkpoint public key (SPKI PEM file); else the daemon's. */
  key?: string;
  stream?: string;
  prefix?: string;
  /** The host id in the stream's subjects; else the journal's events' `source`. */
  host?: string;
}

interface LocalSide {
  events: LocalEventDigest[];
  host: string | undefined;
  chain: ChainReport;
  /** The stream the daemon's relay publishes to, when a daemon answered. */
  stream?: string;
  /** The daemon's public key, asked only when the witness holds checkpoints. */
  daemonKey?: () => Promise<string>;
  /** A running daemon's head now: it may have appended (and relayed) events since they were read. */
  headNow?: () => Promise<number>;
}

const hostOf = (e: CloudEvent) => /^berth:\/\/([^/]+)$/.exec(e.source)?.[1];

function digest(events: LocalEventDigest[], e: CloudEvent, host: string | undefined) {
  events.push({ seq: e.seq, hash: e.hash, type: e.type });
  return host ?? hostOf(e);
}

async function throughDaemon(socket: string): Promise<LocalSide> {
  const client = new BerthClient({ socketPath: socket });
  const chain = await client.call<ChainReport>("GET", "/audit/verify");
  const status = await client.call<{ relay?: { stream?: string } | null }>("GET", "/status");
  const events: LocalEventDigest[] = [];
  let host: string | undefined;
  for await (const line of client.lines("/audit/export")) {
    host = digest(events, JSON.parse(line) as CloudEvent, host);
  }
  const daemonKey = async () =>
    (await client.call<{ keyId: string; publicKey: string }>("GET", "/audit/key")).publicKey;
  const headNow = async () =>
    (await client.call<{ journal: { seq: number } }>("GET", "/status")).journal.seq;
  return {
    events,
    host,
    chain,
    ...(status.relay?.stream ? { stream: status.relay.stream } : {}),
    daemonKey,
    headNow,
  };
}

async function onRoot(journal: Journal): Promise<LocalSide> {
  try {
    const { verifyChain } = await import("../store/index.js");
    const chain = await verifyChain(journal.readRaw(), journal.head());
    const events: LocalEventDigest[] = [];
    let host: string | undefined;
    for await (const e of journal.read()) host = digest(events, e, host);
    return { events, host, chain };
  } finally {
    await journal.close();
  }
}

function printWitness(r: WitnessReport): boolean {
  if (r.ok) {
    const notes = [
      r.lag > 0 ? `; ${r.lag} newer events not yet in the witness (relay lag)` : "",
      r.unwitnessed > 0 ? `; ${r.unwitnessed} earlier events not in the stream` : "",
    ].join("");
    process.stdout.write(
      `ok: ${r.matched} events match the witness; ${r.checkpoints} checkpoints verified${notes}\n`,
    );
    return true;
  }
  const d = r.first!;
  const seq = d.seq === undefined ? "" : ` (seq ${d.seq})`;
  process.stdout.write(`DIFFERS at position ${d.position}${seq}: ${d.reason}\n`);
  if (r.checkpoint)
    process.stdout.write(`  also at position ${r.checkpoint.position}: ${r.checkpoint.reason}\n`);
  return false;
}

/**
 * Prints the local chain's verdict with `printChain` (audit-verbs.ts's, which
 * returns 0 or 1), then the witness's; 0 when both hold, 1 when either names
 * a difference. `openRoot` opens a stopped daemon's journal; without it the
 * daemon on `socket` is asked.
 */
export async function verifyAgainstWitness(
  socket: string,
  flags: WitnessFlags,
  printChain: (r: ChainReport) => number,
  openRoot?: () => Promise<Journal>,
): Promise<number> {
  const keyFile = flags.key === undefined ? undefined : await readKey(flags.key);
  const local = openRoot ? await onRoot(await openRoot()) : await throughDaemon(socket);
  const host = flags.host ?? local.host;
  if (host === undefined)
    throw new InvalidArgError(
      "the local journal has no events to name its host: give the host id with --host",
    );
  const { readWitness } = await import("../nats/index.js");
  let witness = await readWitness({
    servers: flags.witness,
    stream: flags.stream ?? local.stream ?? "BERTH",
    prefix: flags.prefix ?? "berth",
    host,
  });
  if (local.headNow) {
    // Read after the journal: what the daemon appended meanwhile is newer than that
    // read, not missing from it. Past the daemon's head now, it is missing.
    const read = local.events.length;
    const head = await local.headNow();
    witness = witness.filter((w) => w.seq <= read || w.seq > head);
  }
  const { CHECKPOINT_EVENT_TYPE, compareWithWitness } = await import("../audit/index.js");
  const checkpoints = witness.filter((w) => w.type === CHECKPOINT_EVENT_TYPE).length;
  let publicKey = keyFile;
  if (publicKey === undefined && checkpoints > 0) {
    if (!local.daemonKey)
      throw new InvalidArgError(
        `the witness holds ${checkpoints} checkpoints: give the host's public key with --key to check them`,
      );
    publicKey = await local.daemonKey();
  }
  const chainOk = printChain(local.chain) === 0;
  const witnessOk = printWitness(
    compareWithWitness({
      local: local.events,
      witness,
      host,
      ...(publicKey === undefined ? {} : { publicKey }),
    }),
  );
  return chainOk && witnessOk ? 0 : 1;
}

async function readKey(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new InvalidArgError(
      `cannot read the public key ${file}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
