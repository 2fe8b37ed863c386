/**
 * Signed checkpoints and proofs through the real daemon and CLI: an auditor
 * pins the host's public key once, then checks any proof the host hands out
 * with that key alone, and a proof changed in transit, or a checkpoint signed
 * by a key that replaced the pinned one, fails.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxTar, startBerth, type Berth } from "../../src/harness/index.js";

let berth: Berth;
let scratch: string;
let pinned: string;
let id: string;

const file = (name: string) => join(scratch, name);
const checkpoint = async () =>
  JSON.parse(await berth.ok("audit", "checkpoint")) as { size: number; keyId: string };
const check = (...args: string[]) => berth.cli("audit", "check-proof", "--key", pinned, ...args);

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-proofs-"));
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
  id = (await berth.ok("create", "--name", "proven", "busybox", "true")).trim();
  await berth.ok("start", id);
  await berth.ok("wait", id);
  pinned = file("host.pub.pem");
  await writeFile(pinned, await berth.ok("audit", "key"));
});

afterAll(async () => {
  await berth?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe("signed checkpoints and proofs", () => {
  it("keeps the signing key under the root, readable by the daemon's user only", async () => {
    const key = await stat(join(berth.root, "audit", "checkpoint.key"));
    expect(key.mode & 0o777).toBe(0o600);
    expect((await stat(join(berth.root, "audit"))).mode & 0o777).toBe(0o700);
    expect(await readFile(pinned, "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it("proves an event under a checkpoint, and the proof checks with the pinned key alone", async () => {
    const cp = await checkpoint();
    const proof = await berth.ok("audit", "prove", "2");
    expect(JSON.parse(proof)).toMatchObject({ kind: "inclusion", index: 1, size: cp.size });
    await writeFile(file("seq2.json"), proof);
    const r = await check(file("seq2.json"));
    expect(r.stdout).toMatch(/^ok: leaf 2 is in host testhost's journal of \d+ events/);
    expect(r.code).toBe(0);

    // One hex digit of the path changed in transit.
    const altered = proof.replace(/("path":\["[0-9a-f]{10})([0-9a-f])/, (_, a: string, c: string) =>
      a.concat(c === "0" ? "1" : "0"),
    );
    expect(altered).not.toBe(proof);
    await writeFile(file("altered.json"), altered);
    const bad = await check(file("altered.json"));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAILS: INCLUSION_PROOF_INVALID/);
  });

  it("binds the proof to the event an auditor holds, and refuses another event", async () => {
    const events = (await berth.ok("history", "--format", "json", id)).trim();
    const list = JSON.parse(events) as { seq: number }[];
    const [first, second] = list;
    await writeFile(file("event.json"), JSON.stringify(first));
    await writeFile(file("other.json"), JSON.stringify(second));
    await writeFile(file("p.json"), await berth.ok("audit", "prove", String(first!.seq)));
    const ok = await check(file("p.json"), "--event", file("event.json"));
    expect(ok.stdout).toMatch(new RegExp(`^ok: event seq ${first!.seq} is in`));
    const wrong = await check(file("p.json"), "--event", file("other.json"));
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/PROOF_MALFORMED: event seq \d+ is not the proof's leaf/);
  });

  it("proves that a later checkpoint extends an earlier one", async () => {
    const a = await checkpoint();
    await berth.ok("rm", id);
    const b = await checkpoint();
    const proof = await berth.ok(
      "audit",
      "prove",
      "--from",
      String(a.size),
      "--to",
      String(b.size),
    );
    await writeFile(file("consistency.json"), proof);
    const r = await check(file("consistency.json"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: host testhost's journal of \d+ events .* extends /);
  });

  it("exports a container's events each with its proof, checkable on their own", async () => {
    const exported = await berth.ok("audit", "export", "--container", id, "--proofs");
    const lines = exported.trim().split("\n");
    expect(lines.length).toBeGreaterThan(3);
    await writeFile(file("export.jsonl"), exported);
    const r = await check(file("export.jsonl"));
    expect(r.stdout).toBe(`ok: ${lines.length} events, each proven in its checkpoint`);

    // An event's data changed after the export: its content no longer hashes to its hash.
    const tampered = exported.replace('"exitCode":0', '"exitCode":1');
    expect(tampered).not.toBe(exported);
    await writeFile(file("tampered.jsonl"), tampered);
    const bad = await check(file("tampered.jsonl"));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAILS: line \d+: PROOF_MALFORMED: event seq \d+: its content/);
  });

  it("refuses bad requests with typed errors and keeps serving", async () => {
    for (const args of [
      ["prove", "0"],
      ["prove", "999999"],
      ["prove", "abc"],
      ["prove", "--from", "5", "--to", "3"],
      ["prove", "1", "--checkpoint", "424242"],
      ["prove"],
    ]) {
      const r = await berth.cli("audit", ...args);
      expect(r.code, args.join(" ")).toBe(125);
      expect(r.stderr, args.join(" ")).toMatch(/^Error: /);
    }
    const garbage = await check(pinned);
    expect(garbage.code).not.toBe(0);
    // A key that is not one is no verdict on the proof: an error, not FAILS.
    const notAKey = await berth.cli("audit", "check-proof", "--key", file("seq2.json"), pinned);
    expect(notAKey.code).toBe(125);
    expect(notAKey.stderr).toMatch(/--key .* is not a public key/);
    const verified = await berth.cli("audit", "verify");
    expect(verified.stdout).toMatch(/^ok: /);
  });

  it("detects a replaced signing key: new checkpoints fail against the pinned one", async () => {
    await berth.kill("SIGTERM");
    const { privateKey } = generateKeyPairSync("ed25519");
    await writeFile(
      join(berth.root, "audit", "checkpoint.key"),
      privateKey.export({ type: "pkcs8", format: "pem" }),
      { mode: 0o600 },
    );
    await berth.start();
    const cp = await checkpoint();
    await writeFile(file("stolen.json"), await berth.ok("audit", "prove", "1"));
    const r = await check(file("stolen.json"));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAILS: CHECKPOINT_KEY_MISMATCH/);
    expect(cp.keyId).not.toBe(
      (JSON.parse(await readFile(file("seq2.json"), "utf8")) as { checkpoint: { keyId: string } })
        .checkpoint.keyId,
    );
  });
});
