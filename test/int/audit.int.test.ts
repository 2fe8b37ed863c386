/**
 * The journal as the source of truth: hash-chain verification catches
 * tampering, exports show who did what, replay rebuilds projections, and
 * `inspect --at` travels back in time. Real daemon, real LevelDB.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, CLI, startBerth, type Berth } from "../../src/harness/index.js";

let berth: Berth;
let scratch: string;
let id: string;
let pausedAtSeq: number;

const offline = (...args: string[]) => execa("node", [CLI, ...args], { reject: false });
const eventKey = (seq: number) => `e:${seq.toString(16).padStart(13, "0")}`;

/** A copy of the stopped daemon's root, with `tamper` applied to its LevelDB. */
async function tampered(name: string, tamper: (db: ClassicLevel<string, string>) => Promise<void>) {
  const root = join(scratch, name);
  await cp(berth.root, root, { recursive: true, filter: (src) => !src.includes("/containers/") });
  const db = new ClassicLevel<string, string>(join(root, "journal"), {
    keyEncoding: "utf8",
    valueEncoding: "utf8",
  });
  await db.open();
  await tamper(db);
  await db.close();
  return root;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-audit-"));
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
  id = (await berth.ok("create", "--name", "audited", "busybox", "sleep", "1000")).trim();
  await berth.ok("start", id);
  await berth.ok("pause", id);
  pausedAtSeq = (JSON.parse(await berth.ok("status")) as { journal: { seq: number } }).journal.seq;
  await berth.cli("pause", id); // refused: already paused
  await berth.ok("unpause", id);
  await berth.ok("rm", "-f", "-t", "0", id);
});

afterAll(async () => {
  await berth?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe("audit and replay", () => {
  it("verifies an untouched journal through the daemon", async () => {
    const r = await berth.cli("audit", "verify");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: \d+ events, hash chain intact/);
  });

  it("exports who did what, when, with which outcome, refusals and removed containers included", async () => {
    const lines = (await berth.ok("audit", "export", "--container", id))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as CloudEvent);
    const refused = lines.find((e) => e.type.endsWith(".request") && e.data.outcome === "failure");
    expect(refused?.data).toMatchObject({ command: "PAUSE", error: { code: "CTR_STATE_INVALID" } });
    expect(refused?.actor).toMatch(/^declared:uid=0/);
    expect(lines.at(-1)?.type).toBe("io.berth.container.remove");
    const since = await berth.ok("audit", "export", "--since", String(pausedAtSeq));
    expect((JSON.parse(since.split("\n")[0]!) as CloudEvent).seq).toBe(pausedAtSeq);
  });

  it("shows a container as it was at a sequence number, replayed from the journal", async () => {
    const then = JSON.parse(
      await berth.ok("inspect", id, "--at", String(pausedAtSeq)),
    ) as ContainerRecord;
    expect(then.state).toBe("paused");
    const now = (JSON.parse(await berth.ok("inspect", id)) as ContainerRecord[])[0]!;
    expect(now.state).toBe("removed");
    const future = await berth.cli("inspect", id, "--at", "2000-01-01T00:00:00Z");
    expect(future.stderr).toContain("did not exist yet");
  });

  it("finds the projections equal to the journal's fold, online", async () => {
    const r = await berth.cli("replay", "--verify");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("projections match the journal");
  });

  describe("with the daemon stopped", () => {
    beforeAll(async () => {
      await berth.kill("SIGTERM");
    });
    afterAll(async () => {
      await berth.start();
    });

    it("names the position of a changed byte", async () => {
      const root = await tampered("flip", async (db) => {
        const v = (await db.get(eventKey(3)))!;
        await db.put(eventKey(3), v.replace("uid=0", "uid=7"));
      });
      const r = await offline("audit", "verify", "--root", root);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain("BROKEN at position 3 (seq 3): hash does not match");
    });

    it("names the position of a removed event", async () => {
      const root = await tampered("delete", (db) => db.del(eventKey(4)));
      const r = await offline("audit", "verify", "--root", root);
      expect(r.stdout).toContain("BROKEN at position 4 (seq 5): expected seq 4, found seq 5");
    });

    it("names the position of two swapped events", async () => {
      const root = await tampered("swap", async (db) => {
        const [a, b] = await db.getMany([eventKey(5), eventKey(6)]);
        await db.batch([
          { type: "put", key: eventKey(5), value: b! },
          { type: "put", key: eventKey(6), value: a! },
        ]);
      });
      const r = await offline("audit", "verify", "--root", root);
      expect(r.stdout).toContain("BROKEN at position 5 (seq 6): expected seq 5, found seq 6");
    });

    it("notices events cut off the end", async () => {
      const root = await tampered("truncate", async (db) => {
        const last = JSON.parse((await db.get("m:head"))!) as { seq: number };
        await db.del(eventKey(last.seq));
      });
      const r = await offline("audit", "verify", "--root", root);
      expect(r.stdout).toContain("events are missing at the end");
    });

    it("reports a projection that drifted from the journal, and rebuilds it", async () => {
      const root = await tampered("drift", async (db) => {
        const p = JSON.parse((await db.get(`p:${id}`))!) as ContainerRecord;
        await db.put(`p:${id}`, JSON.stringify({ ...p, state: "running", exitCode: 99 }));
      });
      const verify = await offline("replay", "--verify", "--root", root);
      expect(verify.exitCode).toBe(1);
      expect(verify.stdout).toContain(
        `${id.slice(0, 12)} state: stored "running" replayed "removed"`,
      );
      const rebuild = await offline("replay", "--rebuild", "--root", root);
      expect(rebuild.exitCode).toBe(0);
      const again = await offline("replay", "--verify", "--root", root);
      expect(again.stdout).toContain("projections match the journal");
    });

    it("refuses to open a root whose daemon is running", async () => {
      await berth.start();
      const r = await offline("audit", "verify", "--root", berth.root);
      expect(r.exitCode).toBe(125);
      expect(r.stderr).toContain("run without --root");
      await berth.kill("SIGTERM");
    });
  });
});
