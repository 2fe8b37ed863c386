/**
 * Exec sessions on the real runtime (conmon --exec, runc exec) through the
 * real daemon and CLI: exit codes as Podman gives them, what the command sees
 * inside, the journal's exec_create/exec_start/exec_died, the refusals while a
 * session runs, and sessions dying with their container.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { daemonApi, failure } from "../support/daemon-api.js";

let berth: Berth;
const { api, inspect, history, action } = daemonApi(() => berth.socket);

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
}, 120_000);

afterAll(async () => {
  await berth?.stop();
});

/** A running busybox that sleeps, for sessions to run in. */
async function running(): Promise<string> {
  const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
  await berth.ok("start", id);
  return id;
}

const execEvents = (events: CloudEvent[]) =>
  events.filter((e) => action(e).startsWith("exec_")).map((e) => [action(e), e.data]);

describe("berth exec", () => {
  it("exits with the command's code and journals exec_create, exec_start and exec_died with it", async () => {
    const id = await running();
    const r = await berth.cli("exec", id, "sh", "-c", "echo out; echo err >&2; exit 3");
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("out");
    expect(r.stderr).toBe("err");
    const events = execEvents(await history(id));
    expect(events.map(([a]) => a)).toEqual(["exec_create", "exec_start", "exec_died"]);
    const [create, start, died] = events.map(([, d]) => d as Record<string, unknown>);
    expect(create).toMatchObject({ command: ["sh", "-c", "echo out; echo err >&2; exit 3"] });
    expect(start).toMatchObject({ sessionId: create?.id, pid: expect.any(Number) as unknown });
    expect(died).toMatchObject({ sessionId: create?.id, exitCode: 3 });
    expect((await inspect(id)).execSessions ?? []).toEqual([]);
  });

  it("exits 127 for a command the container does not have, and 126 for one it cannot run", async () => {
    const id = await running();
    const missing = await berth.cli("exec", id, "nosuchcmd");
    expect(missing.code).toBe(127);
    const notExecutable = await berth.cli("exec", id, "/etc/passwd");
    expect(notExecutable.code).toBe(126);
    const deaths = execEvents(await history(id)).filter(([a]) => a === "exec_died");
    expect(deaths.map(([, d]) => (d as { exitCode: number }).exitCode)).toEqual([127, 126]);
    expect(deaths[0]?.[1]).toMatchObject({
      cause: "start-failed",
      message: expect.stringContaining("nosuchcmd") as unknown,
    });
  });

  it("gives the command the env, user and working directory asked for", async () => {
    const id = await running();
    const r = await berth.cli(
      "exec",
      "-e",
      "GREETING=hello there",
      "-u",
      "nobody",
      "-w",
      "/tmp",
      id,
      "sh",
      "-c",
      'echo "$GREETING"; id -u; id -g; pwd; echo "$PATH"',
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [greeting, uid, gid, cwd, path] = r.stdout.split("\n");
    expect(greeting).toBe("hello there");
    expect(uid).toBe("65534");
    expect(gid).toBe("65534");
    expect(cwd).toBe("/tmp");
    // The container's own environment is kept under what the exec adds.
    expect(path).toContain("/bin");
  });

  it("forwards stdin with -i and closes it at end of input", async () => {
    const id = await running();
    const { execa } = await import("execa");
    const { CLI } = await import("../../src/harness/index.js");
    const r = await execa("node", [CLI, "exec", "-i", id, "sh", "-c", "tr a-z A-Z; exit 4"], {
      env: { BERTH_SOCKET: berth.socket },
      input: "shout this\n",
      reject: false,
    });
    expect(r.stdout).toBe("SHOUT THIS");
    expect(r.exitCode).toBe(4);
  });

  it("refuses rm and unmount while a detached session runs, with Podman's words, changing nothing", async () => {
    const id = await running();
    const sessionId = (await berth.ok("exec", "-d", id, "sleep", "100")).trim();
    expect(sessionId).toMatch(/^[0-9a-f]{64}$/);
    const record = await inspect(id);
    expect(record.execSessions).toEqual([
      { id: sessionId, command: ["sleep", "100"], pid: expect.any(Number) as unknown },
    ]);
    const rm = await failure(api().call("DELETE", `/containers/${id}`));
    expect(rm.code).toBe("CTR_STATE_INVALID");
    expect(rm.message).toBe(
      `container ${id} has active exec sessions, refusing to remove: container state improper`,
    );
    const unmount = await failure(api().call("POST", `/containers/${id}/unmount`, {}));
    expect(unmount.message).toBe(
      `container ${id} has active exec sessions, refusing to unmount: container state improper`,
    );
    // The refusals are journaled and changed nothing.
    expect((await inspect(id)).state).toBe("running");
    const session = await api().call<{ running: boolean; pid: number }>(
      "GET",
      `/containers/${id}/exec/${sessionId}`,
    );
    expect(session).toMatchObject({ running: true, command: ["sleep", "100"] });
  });

  it("kills a container's sessions when it stops and journals their deaths before its own", async () => {
    const id = await running();
    const sessionId = (await berth.ok("exec", "-d", id, "sleep", "100")).trim();
    const { pid } = await api().call<{ pid: number }>("GET", `/containers/${id}/exec/${sessionId}`);
    await berth.ok("stop", "-t", "1", id);
    const actions = (await history(id)).map(action);
    const diedAt = actions.lastIndexOf("died");
    expect(actions.lastIndexOf("exec_died")).toBe(diedAt - 1);
    const died = (await history(id)).find(
      (e) => action(e) === "exec_died" && (e.data as { sessionId: string }).sessionId === sessionId,
    );
    expect(died?.data).toMatchObject({ cause: "container-exit", exitCode: 137 });
    expect(() => process.kill(pid, 0)).toThrow();
    expect((await inspect(id)).execSessions).toBeUndefined();
    // Nothing is left to refuse a removal.
    await berth.ok("rm", id);
  });

  it("refuses an exec into a container that is not running, as Podman does, leaving no session", async () => {
    const id = (await berth.ok("create", "busybox", "true")).trim();
    const err = await failure(
      api().call("POST", `/containers/${id}/exec`, { command: ["true"], detach: true }),
    );
    expect(err.code).toBe("CTR_STATE_INVALID");
    expect(err.message).toBe(
      "can only create exec sessions on running containers: container state improper",
    );
    const r = await berth.cli("exec", id, "true");
    expect(r.code).toBe(125);
    expect(execEvents(await history(id))).toEqual([]);
  });

  it("refuses bad input before journaling anything", async () => {
    const id = await running();
    const before = (await history(id)).length;
    for (const body of [
      { command: [], detach: true },
      { command: [""], detach: true },
      { command: ["true"], env: ["=x"], detach: true },
      { command: ["true"], env: ["NOEQUALS"], detach: true },
      { command: ["true"], workingDir: "relative", detach: true },
      { command: ["tr\0ue"], detach: true },
      { command: ["true"], detach: true, stdin: true },
      { command: ["true"], detach: true, extra: 1 },
    ]) {
      const err = await failure(api().call("POST", `/containers/${id}/exec`, body));
      expect(err.code, JSON.stringify(body)).toBe("INVALID_ARG");
    }
    expect((await history(id)).length).toBe(before);
    const ghost = await berth.cli("exec", "-u", "ghost", id, "true");
    expect(ghost.code).not.toBe(0);
  });

  it("runs many sessions at once, each journaled with its own code", async () => {
    const id = await running();
    const codes = Array.from({ length: 8 }, (_, i) => i);
    const results = await Promise.all(
      codes.map((c) => berth.cli("exec", id, "sh", "-c", `exit ${c}`)),
    );
    expect(results.map((r) => r.code)).toEqual(codes);
    await until(
      async () => ((await inspect(id)).execSessions ?? []).length === 0,
      5_000,
      "sessions",
    );
    const deaths = execEvents(await history(id)).filter(([a]) => a === "exec_died");
    expect(deaths.map(([, d]) => (d as { exitCode: number }).exitCode).sort()).toEqual(codes);
    const record: ContainerRecord = await inspect(id);
    expect(record.state).toBe("running");
  });

  it("after a daemon crash, journals the death of a session that ended meanwhile with its code, and watches one still running", async () => {
    const id = await running();
    // Ends only once the daemon is down (a file written from the host), however slow the machine.
    const ended = (
      await berth.ok(
        "exec",
        "-d",
        id,
        "sh",
        "-c",
        "until [ -f /tmp/go ]; do sleep 0.1; done; exit 5",
      )
    ).trim();
    // Long enough to outlive a daemon restart on a loaded machine, so it is still running then.
    const still = (await berth.ok("exec", "-d", id, "sh", "-c", "sleep 15; exit 6")).trim();
    await berth.kill("SIGKILL");
    writeFileSync(join(berth.root, "containers", id, "merged", "tmp", "go"), "");
    await new Promise((r) => setTimeout(r, 2_000));
    await berth.start();
    const deathOf = async (sessionId: string) =>
      (await history(id)).find(
        (e) =>
          action(e) === "exec_died" && (e.data as { sessionId: string }).sessionId === sessionId,
      )?.data;
    await until(async () => (await deathOf(ended)) !== undefined, 5_000, "the ended session");
    expect(await deathOf(ended)).toMatchObject({ exitCode: 5, cause: "reconcile" });
    expect(await deathOf(still)).toBeUndefined();
    await until(async () => (await deathOf(still)) !== undefined, 25_000, "the running session");
    expect(await deathOf(still)).toMatchObject({ exitCode: 6 });
    expect((await inspect(id)).execSessions).toBeUndefined();
  }, 60_000);

  it("runs the command on a terminal with -t, its output raw", async () => {
    const id = await running();
    const r = await berth.cli("exec", "-t", id, "sh", "-c", "tty; exit 2");
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r?$/);
  });

  it("streams a plain (not upgraded) exec's output and sends its exit code as a trailer", async () => {
    const id = await running();
    const { request } = await import("node:http");
    const body = JSON.stringify({ command: ["sh", "-c", "echo plain; exit 9"] });
    const { data, trailers, headers } = await new Promise<{
      data: Buffer;
      trailers: NodeJS.Dict<string>;
      headers: NodeJS.Dict<string | string[]>;
    }>((resolve, reject) => {
      const req = request(
        {
          socketPath: berth.socket,
          method: "POST",
          path: `/containers/${id}/exec`,
          headers: { "content-type": "application/json", "content-length": body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ data: Buffer.concat(chunks), trailers: res.trailers, headers: res.headers }),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    expect(trailers["x-berth-exit-code"]).toBe("9");
    // One stdout frame: stream 1, three zero bytes, a big-endian length, the bytes.
    expect(data[0]).toBe(1);
    expect(data.subarray(8).toString()).toBe("plain\n");
    const sessionId = headers["x-berth-exec-id"] as string;
    const session = await api().call<{ exitCode: number; running: boolean }>(
      "GET",
      `/containers/${id}/exec/${sessionId}`,
    );
    expect(session).toMatchObject({ exitCode: 9, running: false });
    const missing = await failure(api().call("GET", `/containers/${id}/exec/${"0".repeat(64)}`));
    expect(missing.code).toBe("NO_SUCH_EXEC_SESSION");
  });

  it("streams a flood of output whole, in order, with the code after it", async () => {
    const id = await running();
    const { execa } = await import("execa");
    const { CLI } = await import("../../src/harness/index.js");
    const bytes = 8 * 1024 * 1024;
    const r = await execa(
      "node",
      [CLI, "exec", id, "sh", "-c", `head -c ${bytes} /dev/zero | tr '\\0' a; echo; exit 7`],
      {
        env: { BERTH_SOCKET: berth.socket },
        reject: false,
        stripFinalNewline: false,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    expect(r.exitCode).toBe(7);
    expect(r.stdout.length).toBe(bytes + 1);
    expect(/^a*\n$/.test(r.stdout)).toBe(true);
  }, 60_000);
});
