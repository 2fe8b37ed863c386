/**
 * Caller mistakes at the real daemon's edge (issue 10, defect 12): they get a
 * 400 and lose nothing, a failed init leaves nothing mounted, and an upload
 * never overwrites another artifact.
 */
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerPaths, layout } from "../../src/effects/index.js";
import { busyboxTar, CLI, startBerth, type Berth } from "../../src/harness/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { daemonApi } from "../support/daemon-api.js";
import { rawRequest } from "../support/raw-http.js";

let berth: Berth;
const { api, inspect } = daemonApi(() => berth.socket);
const raw = (method: string, path: string, body?: string, headers?: Record<string, string>) =>
  rawRequest(berth.socket, { method, path, body, headers });
const create = async (command: string[]) =>
  (await api().call<ContainerRecord>("POST", "/containers", { image: "busybox", command })).id;

/** The daemon's pid, found by the root it serves. */
async function daemonPid(root: string): Promise<number> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const args = cmdline.split("\0");
    if (args.includes("serve") && args.includes(root)) return Number(entry);
  }
  throw new Error(`no daemon serves ${root}`);
}

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
});

afterAll(async () => {
  await berth?.stop();
});

describe("caller mistakes at the edge", () => {
  it("answers 400 to an attach upgrade whose path has bad percent-encoding, and keeps serving", async () => {
    const answer = await raw("POST", "/containers/%ZZ/attach", undefined, {
      connection: "Upgrade",
      upgrade: "tcp",
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "INVALID_ARG" } });
    expect((await raw("GET", "/_ping")).status).toBe(200);
  });

  it("answers 400 to an upgrade request whose target is not a URL", async () => {
    const answer = await raw("GET", "//%C0%AF?a=%", undefined, {
      connection: "Upgrade",
      upgrade: "websocket",
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "INVALID_ARG" } });
  });

  it("answers a refused HEAD upgrade with headers only, which the client can parse", async () => {
    const answer = await raw("HEAD", "/containers/x/attach", undefined, {
      connection: "Upgrade",
      upgrade: "tcp",
    });
    expect(answer).toEqual({ status: 400, body: "" });
  });

  it("answers 400 to a plain attach whose path has bad percent-encoding", async () => {
    expect((await raw("POST", "/containers/%ZZ/attach")).status).toBe(400);
  });

  it("refuses query timeouts that are not plain digits or that a timer cannot hold, and removes nothing", async () => {
    const id = await create(["sleep", "1000"]);
    for (const timeout of ["1e21", "1e3", "0x10", "2147484"]) {
      const answer = await raw("DELETE", `/containers/${id}?timeout=${timeout}`);
      expect({ timeout, status: answer.status }).toEqual({ timeout, status: 400 });
    }
    expect((await inspect(id)).state).toBe("configured");
  });

  it("refuses a stop timeout a timer cannot hold instead of killing at once", async () => {
    const id = await create(["sleep", "1000"]);
    await api().call("POST", `/containers/${id}/start`, {});
    const answer = await raw("POST", `/containers/${id}/stop`, '{"timeout":2147484}');
    expect(answer.status).toBe(400);
    expect((await inspect(id)).state).toBe("running");
    await api().call("DELETE", `/containers/${id}?force=1&timeout=0`);
  });

  it("refuses an unknown body field with 400 and journals no container", async () => {
    const before = (await api().call<ContainerRecord[]>("GET", "/containers?all=1")).length;
    const answer = await raw(
      "POST",
      "/containers",
      JSON.stringify({ image: "busybox", command: ["true"], restartPolicy: "always" }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("restartPolicy: unknown field");
    const after = (await api().call<ContainerRecord[]>("GET", "/containers?all=1")).length;
    expect(after).toBe(before);
  });
});

describe("a failed init", () => {
  it("leaves the rootfs unmounted when the program cannot be executed", async () => {
    const id = await create(["/nonexistent"]);
    const answer = await raw("POST", `/containers/${id}/init`, "{}");
    expect(answer.status).toBeGreaterThanOrEqual(400);
    const record = await inspect(id);
    expect(record.mountCount).toBe(0);
    const merged = containerPaths(layout(berth.root), id).merged;
    const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
    expect(mountinfo.split("\n").filter((l) => l.split(" ")[4] === merged)).toEqual([]);
  });
});

describe("artifacts", () => {
  it("uploading x leaves an artifact named like a temp file of x untouched", async () => {
    const id = await create(["true"]);
    const pid = await daemonPid(berth.root);
    const neighbour = `x.tmp-${pid}`;
    const put = (name: string, data: string) =>
      raw("PUT", `/containers/${id}/artifacts/${name}`, data, {
        "content-type": "application/octet-stream",
      });
    expect((await put(neighbour, "keep me")).status).toBe(201);
    expect((await put("x", "new x")).status).toBe(201);
    expect((await raw("GET", `/containers/${id}/artifacts/${neighbour}`)).body).toBe("keep me");
    expect((await raw("GET", `/containers/${id}/artifacts/x`)).body).toBe("new x");
    const folder = join(containerPaths(layout(berth.root), id).dir, "artifacts");
    expect((await readdir(folder)).sort()).toEqual([neighbour, "x"].sort());
  });
});

describe("the CLI on a closed pipe", () => {
  it("berth events ends quietly with exit 0 once its reader has gone", async () => {
    // As `berth events | head -1`: read the first output, close the pipe, then make an event.
    const cli = spawn("node", [CLI, "events"], {
      env: { ...process.env, BERTH_SOCKET: berth.socket },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    cli.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.once("exit", resolve));
    // Live events only: create until the CLI, subscribed some time after it spawned, prints one.
    let printed = false;
    cli.stdout.once("data", () => (printed = true));
    for (let i = 0; i < 100 && !printed; i++) await create(["true"]);
    expect(printed).toBe(true);
    cli.stdout.destroy();
    // Each new event is another write into the closed pipe, until the CLI notices.
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    for (let i = 0; i < 50 && code === undefined; i++) await create(["true"]);
    expect(await exited).toBe(0);
    expect(stderr).toBe("");
  });
});
