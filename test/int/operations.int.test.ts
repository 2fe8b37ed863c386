/**
 * The seed's operations against the real runtime, driven from the CLI.
 */
import { execa } from "execa";
import { runcStatus as runcStatusIn } from "../support/runc-view.js";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthClient } from "../../src/client/index.js";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";

let berth: Berth;
let scratch: string;

const runc = (...args: string[]) =>
  execa("runc", ["--root", `${berth.root}/runc`, ...args], { reject: false });
const runcStatus = (id: string) => runcStatusIn(berth.root, id);
const inspect = async (ref: string) =>
  (JSON.parse(await berth.ok("inspect", ref)) as ContainerRecord[])[0]!;
const history = async (ref: string) =>
  JSON.parse(await berth.ok("history", ref, "--format", "json")) as CloudEvent[];
/** What happened, leaving out the intents (the audit tests look at those). */
const actions = (events: CloudEvent[]) =>
  events.map((e) => e.type.replace("io.berth.container.", "")).filter((a) => a !== "request");
const sleeper = async (...flags: string[]) =>
  (await berth.ok("create", ...flags, "busybox", "sleep", "1000")).trim();

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
  scratch = await mkdtemp(join(tmpdir(), "berth-ops-"));
});

afterAll(async () => {
  await berth?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe("operations on the real runtime", () => {
  it("restarts a running container with a new process, escalating to SIGKILL after the timeout", async () => {
    const id = await sleeper();
    await berth.ok("start", id);
    const before = await inspect(id);
    await berth.ok("restart", "-t", "1", id);
    const after = await inspect(id);
    expect(after.state).toBe("running");
    expect(after.pid).not.toBe(before.pid);
    expect(await runcStatus(id)).toBe("running");
    const events = await history(id);
    expect(actions(events).slice(-6)).toEqual([
      "restart",
      "stop",
      "died",
      "cleanup",
      "init",
      "start",
    ]);
    expect(events.find((e) => e.type.endsWith(".stop"))?.data).toMatchObject({ escalated: true });
    await berth.ok("rm", "-f", "-t", "0", id);
  });

  it("kills with a signal given by number, and kills a paused container", async () => {
    const id = await sleeper();
    await berth.ok("start", id);
    await berth.ok("pause", id);
    await berth.ok("kill", "-s", "9", id);
    expect((await berth.ok("wait", id)).trim()).toBe("137");
    expect(actions(await history(id))).toContain("kill");
    expect((await history(id)).find((e) => e.type.endsWith(".kill"))?.data).toMatchObject({
      signal: "SIGKILL",
    });
  });

  it("counts mounts and refuses to drop the last one while running", async () => {
    const id = await sleeper();
    const path = (await berth.ok("mount", id)).trim();
    expect(existsSync(join(path, "bin", "busybox"))).toBe(true);
    await berth.ok("start", id);
    expect((await inspect(id)).mountCount).toBe(1);
    await berth.ok("unmount", id);
    const refused = await berth.cli("unmount", id);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain("as it is running or paused");
    expect(existsSync(join(path, "bin", "busybox"))).toBe(true);
    await berth.ok("rm", "-f", "-t", "0", id);
  });

  it("keeps a user's mount across stop and unmounts it on request", async () => {
    const id = (await berth.ok("create", "busybox", "true")).trim();
    const path = (await berth.ok("mount", id)).trim();
    await berth.ok("start", id);
    await berth.ok("wait", id);
    expect(existsSync(join(path, "bin", "busybox"))).toBe(true);
    await berth.ok("unmount", id);
    expect(existsSync(join(path, "bin", "busybox"))).toBe(false);
  });

  it("exports the root filesystem with the container's own changes", async () => {
    const id = (await berth.ok("create", "busybox", "sh", "-c", "echo made-here > /marker")).trim();
    await berth.ok("start", id);
    await berth.ok("wait", id);
    const tar = join(scratch, "rootfs.tar");
    await berth.ok("export", "-o", tar, id);
    const list = await execa("tar", ["-tf", tar]);
    expect(list.stdout).toContain("./bin/busybox");
    expect(list.stdout).toContain("./marker");
    const marker = await execa("tar", ["-xOf", tar, "./marker"]);
    expect(marker.stdout).toBe("made-here");
  });

  it("stores artifacts by name and refuses names that escape the container's folder", async () => {
    const id = await sleeper();
    const file = join(scratch, "artifact.bin");
    await writeFile(file, "payload-123");
    await berth.ok("artifact", "add", id, "notes.txt", file);
    expect(await berth.ok("artifact", "get", id, "notes.txt")).toBe("payload-123");
    for (const bad of ["../x", "/x", "a/b", ".."]) {
      const r = await berth.cli("artifact", "add", id, bad, file);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain("invalid artifact name");
    }
    expect(existsSync(join(berth.root, "containers", "x"))).toBe(false);
    expect(existsSync(join(berth.root, "x"))).toBe(false);
    await berth.ok("artifact", "rm", id, "notes.txt");
    expect((await berth.cli("artifact", "get", id, "notes.txt")).stderr).toContain(
      "has no artifact",
    );
  });

  it("waits for a condition, and still answers wait after rm", async () => {
    const id = (await berth.ok("create", "busybox", "sh", "-c", "sleep 1; exit 4")).trim();
    const waiting = berth.cli("wait", "--condition", "running", id);
    await berth.ok("start", id);
    expect((await waiting).stdout.trim()).toBe("-1");
    expect((await berth.ok("wait", "--interval", "50", id)).trim()).toBe("4");
    await berth.ok("rm", id);
    expect((await berth.ok("wait", id)).trim()).toBe("4");
  });

  it("answers wait once the exit is journaled, and wait for exited only once the cleanup is too", async () => {
    const id = (await berth.ok("run", "-d", "busybox", "sh", "-c", "exit 5")).trim();
    expect((await berth.ok("wait", id)).trim()).toBe("5");
    const atWait = actions(await history(id));
    expect(atWait).toContain("died");
    expect((await berth.ok("wait", "--condition", "exited", id)).trim()).toBe("5");
    expect((await inspect(id)).state).toBe("exited");
    expect(actions(await history(id)).slice(-1)).toEqual(["cleanup"]);
  });

  it("restarts on failure with backoff, up to the limit, counting restarts", async () => {
    const id = (
      await berth.ok("create", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 3")
    ).trim();
    await berth.ok("start", id);
    await until(
      async () => actions(await history(id)).filter((a) => a === "cleanup").length === 3,
      15_000,
      "two restarts",
    );
    const record = await inspect(id);
    expect(record.restartCount).toBe(2);
    expect(record.state).toBe("exited");
    expect(actions(await history(id)).filter((a) => a === "restart")).toHaveLength(2);
  });

  it("starts required containers first when asked, and refuses otherwise", async () => {
    const db = await sleeper("--name", "db");
    const app = await sleeper("--requires", "db");
    const refused = await berth.cli("start", app);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain(
      `some dependencies of container ${app} are not started: ${db}`,
    );
    await berth.ok("start", "--recursive", app);
    expect((await inspect(db)).state).toBe("running");
    expect((await inspect(app)).state).toBe("running");
    const rmDb = await berth.cli("rm", "-f", db);
    expect(rmDb.stderr).toContain("has dependent containers");
    await berth.ok("rm", "-f", "-t", "0", app, db);
  });

  it("runs a batch with nothing in between and stops at the first failure", async () => {
    const id = await sleeper();
    await berth.ok("batch", id, "start", "pause", "unpause");
    expect(actions(await history(id)).slice(-4)).toEqual(["init", "start", "pause", "unpause"]);
    const r = await berth.cli("batch", id, "unpause");
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("batch command 1 (UNPAUSE)");
    await berth.ok("rm", "-f", "-t", "0", id);
  });

  it("journals what sync finds when the runtime changed behind berth's back", async () => {
    const id = await sleeper();
    await berth.ok("start", id);
    expect((await runc("pause", id)).exitCode).toBe(0);
    await berth.ok("sync", id);
    expect((await inspect(id)).state).toBe("paused");
    expect((await history(id)).at(-1)?.data).toMatchObject({ runtime: "paused", state: "paused" });
    await berth.ok("rm", "-f", "-t", "0", id);
  });

  it("fails checkpoint with a clear unsupported error and keeps the container running", async () => {
    const id = await sleeper();
    await berth.ok("start", id);
    const r = await berth.cli("checkpoint", id);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("checkpoint is unsupported on this host");
    expect(await runcStatus(id)).toBe("running");
    expect((await inspect(id)).state).toBe("running");
    expect((await history(id)).at(-1)).toMatchObject({
      type: "io.berth.container.checkpoint",
      data: { outcome: "failure" },
    });
    await berth.ok("rm", "-f", "-t", "0", id);
  });

  it("answers a wait on a container removed meanwhile instead of hanging", async () => {
    const id = await sleeper();
    const waiting = berth.cli("wait", id);
    await new Promise((r) => setTimeout(r, 300));
    await berth.ok("rm", id);
    const r = await waiting;
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("was removed without ever exiting");
  });

  it("answers a malformed request target with a typed error and keeps serving", async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(berth.socket);
      let text = "";
      socket.on("data", (d: Buffer) => (text += d.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
      socket.end("GET /containers/%E0%A4%A HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n");
    });
    expect(answer).toMatch(/^HTTP\/1.1 400/);
    expect(answer).toContain("INVALID_ARG");
    expect((await berth.cli("ps")).code).toBe(0);
  });

  it("answers a name that matches no container with NO_SUCH_CTR on every route, and keeps serving", async () => {
    // A typo once threw outside the router's error handling and took the daemon down.
    const client = new BerthClient({ socketPath: berth.socket });
    const routes: [string, string][] = [
      ["GET", "/containers/nosuch"],
      ["GET", "/containers/nosuch/logs"],
      ["GET", "/containers/nosuch/history"],
      ["GET", "/containers/nosuch?at=1"],
      ["POST", "/containers/nosuch/start"],
      ["POST", "/containers/nosuch/wait"],
      ["POST", "/containers/nosuch/resize?h=10&w=10"],
      ["DELETE", "/containers/nosuch"],
    ];
    for (const [method, path] of routes) {
      const err = await client.call(method, path).then(
        () => undefined,
        (e: { code?: string }) => e.code,
      );
      expect(err, `${method} ${path}`).toBe("NO_SUCH_CTR");
    }
    expect((await berth.cli("inspect", "nosuch")).code).toBe(125);
    expect((await berth.cli("ps")).code).toBe(0);
  });

  it("answers refresh with NotImplemented", async () => {
    const r = await berth.cli("refresh");
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("not implemented");
  });

  it("removes a running container with -f after the given timeout", async () => {
    const id = await sleeper();
    await berth.ok("start", id);
    await berth.ok("rm", "-f", "-t", "0", id);
    expect(await runcStatus(id)).toBe("absent");
    expect(actions(await history(id)).slice(-4)).toEqual(["stop", "died", "cleanup", "remove"]);
    expect(existsSync(join(berth.root, "containers", id))).toBe(false);
    const data = await readFile(join(berth.root, "exits", id)).catch(() => undefined);
    expect(data).toBeUndefined();
  });
});
