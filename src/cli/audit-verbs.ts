/**
 * `berth audit ...`, `berth replay ...` and `inspect --at`: through the daemon,
 * or with `--root` straight on a journal whose daemon is stopped.
 */
import { join } from "node:path";
import { BerthClient } from "../client/index.js";
import { InvalidArgError, RootLockedError } from "../errors.js";
import type { ProjectionReport } from "../service/index.js";
import type { ChainReport, Journal } from "../store/index.js";

const client = (socket: string) => new BerthClient({ socketPath: socket });
const enc = encodeURIComponent;

/** Opens a stopped daemon's journal; a running daemon holds the lock and is asked instead. */
async function openJournal(root: string): Promise<Journal> {
  const { LevelJournal } = await import("../store/index.js");
  try {
    return await LevelJournal.open(join(root, "journal"));
  } catch (err) {
    if (err instanceof RootLockedError) {
      throw new RootLockedError(`${err.message}; run without --root to ask the running daemon`, {
        cause: err,
      });
    }
    throw err;
  }
}

/** RFC3339, a sequence number, or a duration before now such as 10m, 2h, 1d. */
export function when(raw: string): string {
  const d = /^(\d+)(s|m|h|d)$/.exec(raw);
  if (!d) return raw;
  const ms = Number(d[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[d[2] as "s"];
  return new Date(Date.now() - ms).toISOString();
}

/** A progress bar on stderr for long folds; silent for small journals. */
function progressBar() {
  let shown = false;
  return {
    update(events: number, total: number) {
      if (total < 100_000) return;
      shown = true;
      const pct = Math.min(100, Math.floor((events / total) * 100));
      const bar = "#".repeat(Math.floor(pct / 4)).padEnd(25, ".");
      process.stderr.write(`\rreplay [${bar}] ${pct}% ${events}/${total} events`);
    },
    end() {
      if (shown) process.stderr.write("\n");
    },
  };
}

function printChain(r: ChainReport): number {
  if (r.ok) {
    process.stdout.write(`ok: ${r.checked} events, hash chain intact\n`);
    return 0;
  }
  const b = r.firstBad;
  const seq = b?.seq === undefined ? "" : ` (seq ${b.seq})`;
  process.stdout.write(`BROKEN at position ${b?.position}${seq}: ${b?.reason}\n`);
  return 1;
}

function printReplay(r: ProjectionReport, rebuilt: boolean): number {
  for (const d of r.diffs) {
    for (const f of d.fields) {
      process.stdout.write(
        `${d.id.slice(0, 12)} ${f.field}: stored ${JSON.stringify(f.stored)} replayed ${JSON.stringify(f.replayed)}\n`,
      );
    }
  }
  const verdict =
    r.diffs.length === 0 ? "projections match the journal" : `${r.diffs.length} projections differ`;
  process.stdout.write(
    `${r.events} events, ${r.containers} containers: ${verdict}${rebuilt ? "; projections rebuilt" : ""}\n`,
  );
  return r.diffs.length === 0 || rebuilt ? 0 : 1;
}

export async function auditVerify(
  socket: string,
  opts: {
    root?: string;
    witness?: string;
    key?: string;
    stream?: string;
    prefix?: string;
    host?: string;
  },
) {
  if (opts.witness === undefined) {
    const unused = (["key", "stream", "prefix", "host"] as const).filter(
      (f) => opts[f] !== undefined,
    );
    if (unused.length > 0)
      throw new InvalidArgError(`--${unused[0]} needs --witness nats://HOST:PORT`);
  } else {
    const { verifyAgainstWitness } = await import("./witness-verify.js");
    const { root } = opts;
    return verifyAgainstWitness(
      socket,
      { ...opts, witness: opts.witness },
      printChain,
      root === undefined ? undefined : () => openJournal(root),
    );
  }
  if (!opts.root) return printChain(await client(socket).call<ChainReport>("GET", "/audit/verify"));
  const journal = await openJournal(opts.root);
  try {
    const { verifyChain } = await import("../store/index.js");
    return printChain(await verifyChain(journal.readRaw(), journal.head()));
  } finally {
    await journal.close();
  }
}

export async function auditExport(
  socket: string,
  opts: { since?: string; until?: string; container?: string; proofs?: boolean },
) {
  const q = new URLSearchParams();
  if (opts.proofs) q.set("proofs", "1");
  if (opts.since) q.set("since", when(opts.since));
  if (opts.until) q.set("until", when(opts.until));
  if (opts.container) q.set("container", opts.container);
  for await (const line of client(socket).lines(`/audit/export?${q.toString()}`)) {
    process.stdout.write(`${line}\n`);
  }
}

export async function replay(
  socket: string,
  opts: { verify?: boolean; rebuild?: boolean; root?: string },
) {
  if (opts.verify === opts.rebuild)
    throw new InvalidArgError("replay needs exactly one of --verify or --rebuild");
  const bar = progressBar();
  if (!opts.root) {
    if (opts.rebuild)
      throw new InvalidArgError("replay --rebuild needs --root: stop the daemon first");
    let report: ProjectionReport | undefined;
    for await (const line of client(socket).lines("/replay/verify")) {
      const msg = JSON.parse(line) as {
        progress?: { events: number; total: number };
        report?: ProjectionReport;
      };
      if (msg.progress) bar.update(msg.progress.events, msg.progress.total);
      if (msg.report) report = msg.report;
    }
    bar.end();
    if (!report) throw new InvalidArgError("the daemon ended the replay without a report");
    return printReplay(report, false);
  }
  const journal = await openJournal(opts.root);
  try {
    const { rebuildProjections, verifyProjections } = await import("../service/index.js");
    const run = opts.rebuild ? rebuildProjections : verifyProjections;
    const report = await run(journal, (e, t) => bar.update(e, t));
    bar.end();
    return printReplay(report, opts.rebuild === true);
  } finally {
    await journal.close();
  }
}

/** `inspect --at`: the current holder of a name, or with `all` every holder that existed then. */
export async function inspectAt(socket: string, ref: string, at: string, all = false) {
  const query = `at=${enc(when(at))}${all ? "&all=1" : ""}`;
  const record = await client(socket).call("GET", `/containers/${enc(ref)}/at?${query}`);
  process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
}
