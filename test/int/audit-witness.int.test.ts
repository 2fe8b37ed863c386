/**
 * `audit verify --witness`: a real daemon relays its events to a real
 * nats-server; then, with the daemon stopped, its journal is rewritten the
 * way root on the host could (one early event changed, every later hash and
 * prevhash recomputed, the Merkle tree's stored nodes dropped so the journal
 * rebuilds them). The local chain check passes on that journal, as it must:
 * the chain is consistent. The stream's copy is not rewritten, and the
 * witness check names the changed position.
 */
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventHash, type CloudEvent } from "../../src/events/index.js";
import {
  busyboxTar,
  CLI,
  startBerth,
  startNats,
  until,
  type Berth,
  type Nats,
} from "../../src/harness/index.js";

const HOST = "witnesshost";
const REWRITTEN = 2;
let nats: Nats;
let berth: Berth;
let events = 0;
let scratch: string;
/** A copy of the stopped daemon's root taken before the rewrite. */
let pristine: string;
let pinnedKey: string;

/** The CLI with no daemon to ask: `--root` works on the stopped daemon's journal. */
async function offline(...args: string[]) {
  const r = await execa("node", [CLI, ...args], { reject: false });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
const eventKey = (seq: number) => `e:${seq.toString(16).padStart(13, "0")}`;

interface Status {
  journal: { seq: number };
  relay: { cursor: number; lag: number } | null;
}

/** Changes event `seq`'s data and recomputes every hash from there on, as a careful forger would. */
async function rewriteJournal(root: string, seq: number) {
  const db = new ClassicLevel<string, string>(join(root, "journal"), {
    keyEncoding: "utf8",
    valueEncoding: "utf8",
  });
  await db.open();
  try {
    const stored: CloudEvent[] = [];
    for await (const value of db.values({ gt: "e:", lt: "e;" }))
      stored.push(JSON.parse(value) as CloudEvent);
    const batch = db.batch();
    let prevhash = stored[seq - 2]?.hash ?? "0".repeat(64);
    for (const e of stored.slice(seq - 1)) {
      const data = e.seq === seq ? { ...e.data, forged: true } : e.data;
      const next = { ...e, data, prevhash, hash: "" };
      next.hash = eventHash(next);
      batch.put(eventKey(e.seq), JSON.stringify(next));
      prevhash = next.hash;
    }
    batch.put("m:head", JSON.stringify({ seq: stored.length, hash: prevhash }));
    for await (const key of db.keys({ gt: "t:", lt: "t;" })) batch.del(key);
    await batch.write();
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-witness-"));
  pristine = join(scratch, "root");
  nats = await startNats();
  berth = await startBerth({ nats: nats.url, host: HOST });
  await berth.ok("image", "import", busyboxTar(), "busybox");
  for (const name of ["w1", "w2"]) {
    const id = (await berth.ok("create", "--name", name, "busybox", "true")).trim();
    await berth.ok("start", id);
    await berth.ok("wait", id);
    await berth.ok("rm", id);
  }
  // A signed checkpoint of the journal as it is, published with the events.
  await berth.ok("audit", "checkpoint");
  pinnedKey = join(scratch, "host.pub.pem");
  await writeFile(pinnedKey, await berth.ok("audit", "key"));
  await until(
    async () => {
      const s = JSON.parse(await berth.ok("status")) as Status;
      events = s.journal.seq;
      return s.relay?.cursor === s.journal.seq && s.relay.lag === 0;
    },
    15_000,
    "the relay to drain",
  );
}, 120_000);

afterAll(async () => {
  await berth?.stop();
  await nats?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe("audit verify --witness", () => {
  it("finds every event of an untouched journal in the stream, through the daemon", async () => {
    const r = await berth.cli("audit", "verify", "--witness", nats.url, "--key", pinnedKey);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `ok: ${events} events, hash chain intact\nok: ${events} events match the witness; 1 checkpoints verified`,
    );
  });

  it("refuses a witness flag without --witness", async () => {
    const r = await berth.cli("audit", "verify", "--stream", "BERTH");
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/--stream needs --witness/);
  });

  it("names the rewritten position of a journal whose chain root recomputed offline, which the local check passes", async () => {
    await berth.kill("SIGTERM");
    const before = await offline(
      "audit",
      "verify",
      "--root",
      berth.root,
      "--witness",
      nats.url,
      "--key",
      pinnedKey,
    );
    expect(before.stdout).toMatch(/ok: \d+ events match the witness/);
    expect(before.code).toBe(0);
    await cp(berth.root, pristine, {
      recursive: true,
      filter: (src) => !src.includes("/containers/"),
    });

    await rewriteJournal(berth.root, REWRITTEN);
    // Expected: the local check only sees that the chain is consistent, and a forger recomputed it.
    const local = await offline("audit", "verify", "--root", berth.root);
    expect(local.stdout).toBe(`ok: ${events} events, hash chain intact`);
    expect(local.code).toBe(0);

    const witnessed = await offline(
      "audit",
      "verify",
      "--root",
      berth.root,
      "--witness",
      nats.url,
      "--key",
      pinnedKey,
    );
    expect(witnessed.stdout).toMatch(
      new RegExp(
        `^ok: ${events} events, hash chain intact\nDIFFERS at position ${REWRITTEN} \\(seq ${REWRITTEN}\\): the local event \\(io\\.berth\\.[a-z.]+\\) has hash [0-9a-f]{12}, the witness's copy`,
      ),
    );
    // The checkpoint signed before the rewrite holds a root this journal no longer has.
    expect(witnessed.stdout).toMatch(/\n {2}also at position \d+: checkpoint/);
    expect(witnessed.code).toBe(1);
  });

  it("names the first missing position of a journal cut short offline, which the local check passes", async () => {
    const db = new ClassicLevel<string, string>(join(pristine, "journal"), {
      keyEncoding: "utf8",
      valueEncoding: "utf8",
    });
    await db.open();
    const kept = events - 2;
    const last = JSON.parse((await db.get(eventKey(kept)))!) as CloudEvent;
    const batch = db.batch();
    batch.del(eventKey(events - 1));
    batch.del(eventKey(events));
    batch.put("m:head", JSON.stringify({ seq: last.seq, hash: last.hash }));
    for await (const key of db.keys({ gt: "t:", lt: "t;" })) batch.del(key);
    await batch.write();
    await db.close();
    const local = await offline("audit", "verify", "--root", pristine);
    expect(local.stdout).toBe(`ok: ${kept} events, hash chain intact`);
    const r = await offline(
      "audit",
      "verify",
      "--root",
      pristine,
      "--witness",
      nats.url,
      "--key",
      pinnedKey,
    );
    expect(r.stdout).toContain(
      `DIFFERS at position ${kept + 1} (seq ${kept + 1}): the witness holds events up to seq ${events}, the local journal ends at seq ${kept}`,
    );
    expect(r.code).toBe(1);
  });

  it("fails with a clear error when the witness has no such stream", async () => {
    const r = await offline(
      "audit",
      "verify",
      "--root",
      berth.root,
      "--witness",
      nats.url,
      "--stream",
      "NOPE",
    );
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/the witness at nats:\/\/127\.0\.0\.1:\d+ has no stream NOPE/);
  });

  it("fails with a clear error and no verdict when NATS is down", async () => {
    await nats.kill();
    const r = await offline(
      "audit",
      "verify",
      "--root",
      berth.root,
      "--witness",
      nats.url,
      "--key",
      pinnedKey,
    );
    expect(r.code).toBe(125);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Error: cannot reach the witness at nats:\/\/127\.0\.0\.1:\d+: /);
  });

  it("fails with a clear error on a URL that is not one", async () => {
    const r = await offline("audit", "verify", "--root", berth.root, "--witness", "nats://:x:");
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^Error: cannot reach the witness at nats:\/\/:x:/);
  });
});
