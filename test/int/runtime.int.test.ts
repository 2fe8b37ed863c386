/**
 * LinuxRuntime against the real runc, conmon and overlayfs (needs root).
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CommandNotFoundError,
  CtrStateInvalidError,
  InvalidArgError,
  NoSuchImageError,
} from "../../src/errors.js";
import { ExitMonitor } from "../../src/effects/exit-monitor.js";
import { mountsUnder } from "../../src/effects/overlay.js";
import { LinuxRuntime } from "../../src/effects/runtime.js";
import type { ContainerSpec, ExitInfo } from "../../src/effects/types.js";
import { busyboxTar, storeBusybox } from "../../src/harness/index.js";
import { DEFAULT_SANDBOX, type ImagePin } from "../../src/machines/index.js";

let root: string;
let rt: LinuxRuntime;
let monitor: ExitMonitor;
let pin: ImagePin;
const heard = new Map<string, ExitInfo>();
const ids: string[] = [];

function newSpec(command: string[]): ContainerSpec {
  const id = randomBytes(32).toString("hex");
  ids.push(id);
  return {
    id,
    name: `t-${id.slice(0, 8)}`,
    image: "busybox",
    command,
    stopSignal: "SIGTERM",
    stopTimeout: 1,
    terminal: false,
    stdin: false,
    sandbox: DEFAULT_SANDBOX,
    imagePin: pin,
  };
}

async function run(command: string[]): Promise<ContainerSpec> {
  const spec = newSpec(command);
  await rt.prepare(spec);
  await rt.create(spec);
  await rt.start(spec.id);
  return spec;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  root = await fs.mkdtemp("/tmp/berth-int-");
  rt = new LinuxRuntime({ root });
  monitor = new ExitMonitor({ root });
  monitor.onExit((id, exit) => heard.set(id, exit));
  await monitor.ready;
  pin = await storeBusybox(root);
});

afterAll(async () => {
  for (const id of ids) {
    await rt.delete(id).catch(() => undefined);
    await rt.unmount(id).catch(() => undefined);
  }
  await monitor?.close();
  if (!root) return;
  // Whatever a failed test left mounted must go before the recursive delete.
  for (const mount of (await mountsUnder(root)).reverse()) {
    await execa("umount", ["-l", mount], { reject: false });
  }
  await fs.rm(root, { recursive: true, force: true });
});

describe("LinuxRuntime with runc and conmon", () => {
  it("runs a command to completion: exit code, exit event and logs", async () => {
    const spec = await run(["sh", "-c", "echo hi; echo oops >&2; exit 7"]);
    const exit = await monitor.waitFor(spec.id, 10_000);
    expect(exit?.exitCode).toBe(7);
    expect(exit?.oomKilled).toBe(false);
    expect(heard.get(spec.id)?.exitCode).toBe(7);
    expect(await rt.readExit(spec.id)).toEqual(exit);
    const logs = await rt.readLogs(spec.id);
    expect(logs).toContainEqual(expect.objectContaining({ stream: "stdout", text: "hi" }));
    expect(logs).toContainEqual(expect.objectContaining({ stream: "stderr", text: "oops" }));
    expect((await rt.state(spec.id))?.status).toBe("stopped");
  });

  it("sets the last exit aside when a new run is prepared, so a crash before its death is journaled cannot lose the code", async () => {
    const spec = await run(["sh", "-c", "exit 3"]);
    const exit = await monitor.waitFor(spec.id, 10_000);
    expect(exit?.exitCode).toBe(3);
    await rt.clearExit(spec.id);
    expect(await rt.readExit(spec.id)).toBeUndefined();
    // Same code and the same time: the exit time is the file's mtime, which the move keeps.
    expect(await rt.readPreviousExit(spec.id)).toEqual(exit);
    await rt.clearExit(spec.id);
    expect(await rt.readPreviousExit(spec.id)).toEqual(exit);
  });

  it("reports 137 for a container killed with SIGKILL", async () => {
    const spec = await run(["sleep", "1000"]);
    expect((await rt.state(spec.id))?.status).toBe("running");
    await rt.kill(spec.id, "SIGKILL");
    const exit = await monitor.waitFor(spec.id, 10_000);
    expect(exit?.exitCode).toBe(137);
  });

  it("pauses and resumes a running container", async () => {
    const spec = await run(["sleep", "1000"]);
    await rt.pause(spec.id);
    expect((await rt.state(spec.id))?.status).toBe("paused");
    await rt.resume(spec.id);
    expect((await rt.state(spec.id))?.status).toBe("running");
    await rt.kill(spec.id, "KILL");
    expect((await monitor.waitFor(spec.id, 10_000))?.exitCode).toBe(137);
  });

  it("leaves nothing behind after delete, unmount, removeFiles and discardExit, and keeps the exit until the last", async () => {
    const spec = await run(["true"]);
    await monitor.waitFor(spec.id, 10_000);
    await rt.delete(spec.id);
    await rt.delete(spec.id); // runc no longer knowing it counts as deleted
    expect(await rt.state(spec.id)).toBeUndefined();
    await rt.unmount(spec.id);
    await rt.unmount(spec.id);
    await rt.removeFiles(spec.id);
    await rt.removeFiles(spec.id);
    expect(await exists(path.join(root, "containers", spec.id))).toBe(false);
    // Until the removal is journaled, the exit file is the only record of how the process ended.
    expect((await rt.readExit(spec.id))?.exitCode).toBe(0);
    await rt.discardExit(spec.id);
    await rt.discardExit(spec.id);
    expect(await exists(path.join(root, "exits", spec.id))).toBe(false);
    expect(await exists(path.join(root, "runc", spec.id))).toBe(false);
    expect(await mountsUnder(path.join(root, "containers", spec.id))).toEqual([]);
    expect(await rt.readExit(spec.id)).toBeUndefined();
  });

  it("mounts the rootfs once however often prepare runs", async () => {
    const spec = newSpec(["true"]);
    await rt.prepare(spec);
    await rt.prepare(spec);
    expect(await mountsUnder(path.join(root, "containers", spec.id))).toHaveLength(1);
    await rt.unmount(spec.id);
    await rt.removeFiles(spec.id);
  });

  it("fails create with runc's reason and leaves no runc container", async () => {
    const spec = newSpec(["/no/such/binary"]);
    await rt.prepare(spec);
    const failure = rt.create(spec);
    // A missing command is the runtime's most precise failure: Podman's exit 127.
    await expect(failure).rejects.toBeInstanceOf(CommandNotFoundError);
    await expect(failure).rejects.toThrow(/no such file or directory/);
    expect(await rt.state(spec.id)).toBeUndefined();
    expect(await rt.readExit(spec.id)).toBeUndefined();
    await rt.unmount(spec.id);
    await rt.removeFiles(spec.id);
  });

  it("kills conmon and cleans up when create is aborted", async () => {
    const spec = newSpec(["sleep", "1000"]);
    await rt.prepare(spec);
    const abort = new AbortController();
    const creating = rt.create(spec, abort.signal);
    setTimeout(() => abort.abort(new Error("cancelled")), 5);
    await expect(creating).rejects.toThrow("cancelled");
    expect(await rt.state(spec.id)).toBeUndefined();
  });

  it("refuses to create over a live runc container and leaves it running", async () => {
    const spec = await run(["sleep", "1000"]);
    await expect(rt.create(spec)).rejects.toBeInstanceOf(CtrStateInvalidError);
    expect((await rt.state(spec.id))?.status).toBe("running");
    await rt.kill(spec.id, "SIGKILL");
    expect((await monitor.waitFor(spec.id, 10_000))?.exitCode).toBe(137);
  });

  it("explains a missing conmon binary", async () => {
    const broken = new LinuxRuntime({ root, conmonPath: "/nonexistent/conmon" });
    const spec = newSpec(["true"]);
    await broken.prepare(spec);
    await expect(broken.create(spec)).rejects.toThrow(/ENOENT/);
    await broken.unmount(spec.id);
    await broken.removeFiles(spec.id);
  });

  it("refuses an unknown signal before calling runc", async () => {
    await expect(rt.kill(ids[0] ?? "x", "SIGBOGUS")).rejects.toBeInstanceOf(InvalidArgError);
  });
});

describe("image layers", () => {
  it("still mounts the image folder of a container created before images were layered", async () => {
    const rootfs = path.join(root, "images", "oldbox", "rootfs");
    await fs.mkdir(rootfs, { recursive: true });
    await execa("tar", ["--force-local", "-xf", busyboxTar(), "-C", rootfs]);
    const { imagePin: _pin, ...legacy } = { ...newSpec(["sh", "-c", "exit 4"]), image: "oldbox" };
    await rt.prepare(legacy);
    await rt.create(legacy);
    await rt.start(legacy.id);
    expect((await monitor.waitFor(legacy.id, 10_000))?.exitCode).toBe(4);
  });
  it("mounts the pinned layers as the rootfs and refuses a container whose layer folder is gone", async () => {
    const spec = await run(["sh", "-c", "test -x /bin/sh"]);
    expect((await monitor.waitFor(spec.id, 10_000))?.exitCode).toBe(0);
    const missing = {
      ...newSpec(["true"]),
      imagePin: { ...pin, layers: [`sha256:${"0".repeat(64)}`] },
    };
    await expect(rt.prepare(missing)).rejects.toBeInstanceOf(NoSuchImageError);
    expect(await exists(path.join(root, "containers", missing.id, "merged", "bin"))).toBe(false);
  });
});
