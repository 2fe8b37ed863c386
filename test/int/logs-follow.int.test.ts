/**
 * `berth logs` as an operator uses it (issue 13): `--tail`, `--since` and
 * `--until` selected by the daemon, `-t`, several containers with `--names`,
 * and `-f` following the log as it is written, across a restart, until the
 * container exits. Real runc, conmon and busybox containers, the real CLI.
 */
import { request } from "node:http";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxTar, CLI, startBerth, type Berth } from "../../src/harness/index.js";

/** A shell loop printing `<label> 0` to `<label> n-1`, `pause` seconds apart. */
const numbered = (label: string, n: number, pause = 0) =>
  `i=0; while [ $i -lt ${n} ]; do echo ${label} $i; i=$((i+1)); sleep ${pause}; done`;

const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

describe("berth logs", () => {
  let berth: Berth;

  const lines = async (...args: string[]) =>
    (await berth.ok("logs", ...args)).split("\n").filter((l) => l !== "");

  /** Creates a container running `script` and starts it; returns its id. */
  const started = async (script: string, ...createFlags: string[]) => {
    const id = (await berth.ok("create", ...createFlags, "busybox", "sh", "-c", script)).trim();
    await berth.ok("start", id);
    return id;
  };

  /** Runs `script` in a new container to its end; returns the container's id. */
  const ran = async (script: string, ...createFlags: string[]) => {
    const id = await started(script, ...createFlags);
    expect((await berth.ok("wait", id)).trim()).toBe("0");
    return id;
  };

  /** `berth logs ARGS` left running; `seen()` is its stdout lines so far. */
  const follower = (...args: string[]) => {
    const proc: ResultPromise = execa("node", [CLI, "logs", ...args], {
      env: { BERTH_SOCKET: berth.socket },
      reject: false,
    });
    let out = "";
    proc.stdout?.setEncoding("utf8");
    proc.stdout?.on("data", (c: string) => (out += c));
    const seen = () => out.split("\n").filter((l) => l !== "");
    const until = async (count: number, ms = 20_000) => {
      const deadline = Date.now() + ms;
      while (seen().length < count) {
        if (Date.now() > deadline) throw new Error(`saw ${seen().length} of ${count} lines`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    return { proc, seen, until };
  };

  beforeAll(async () => {
    berth = await startBerth();
    await berth.ok("image", "import", busyboxTar(), "busybox");
  }, 60_000);
  afterAll(async () => {
    await berth?.stop();
  });

  it("prints exactly the last lines with --tail, and none with --tail 0", async () => {
    const id = await ran(numbered("line", 10));
    expect(await lines("--tail", "3", id)).toEqual(["line 7", "line 8", "line 9"]);
    expect(await lines("--tail", "0", id)).toEqual([]);
    expect(await lines("--tail", "-1", id)).toHaveLength(10);
  }, 120_000);

  it("starts each line with its RFC3339Nano time with -t", async () => {
    const id = await ran(numbered("line", 3));
    const printed = await lines("-t", id);
    expect(printed).toHaveLength(3);
    printed.forEach((l, i) => {
      const [time = "", ...rest] = l.split(" ");
      expect(time).toMatch(RFC3339_NANO);
      expect(rest.join(" ")).toBe(`line ${i}`);
    });
  }, 120_000);

  it("selects lines by their time with --since and --until, in RFC3339 and Unix seconds", async () => {
    const id = await ran(`${numbered("early", 3)}; sleep 1.5; ${numbered("late", 3)}`);
    const timed = await lines("-t", id);
    const times = timed.map((l) => l.split(" ")[0] ?? "");
    const firstLate = times[3]!;
    const lastEarly = times[2]!;
    expect(await lines("--since", firstLate, id)).toEqual(["late 0", "late 1", "late 2"]);
    expect(await lines("--until", lastEarly, id)).toEqual(["early 0", "early 1", "early 2"]);
    const between = (Date.parse(lastEarly) + Date.parse(firstLate)) / 2 / 1000;
    expect(await lines("--since", between.toFixed(3), id)).toEqual(["late 0", "late 1", "late 2"]);
    expect(await lines("--since", "10m", "--until", between.toFixed(3), id)).toEqual([
      "early 0",
      "early 1",
      "early 2",
    ]);
    // --tail takes the log's last lines first; --since then filters them, as in Podman.
    expect(await lines("--tail", "4", "--until", lastEarly, id)).toEqual(["early 2"]);
  }, 120_000);

  it("refuses a logs query parameter it does not know, and a malformed time", async () => {
    const id = await ran(numbered("line", 1));
    const status = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ socketPath: berth.socket, path }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
    expect(await status(`/containers/${id}/logs?tail=2`)).toBe(200);
    expect(await status(`/containers/${id}/logs?lines=2`)).toBe(400);
    expect(await status(`/containers/${id}/logs?follow=yes`)).toBe(400);
    const bad = await berth.cli("logs", "--since", "yesterday", id);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/invalid --since "yesterday"/);
  }, 120_000);

  it("interleaves several containers' lines by time, each named with --names", async () => {
    // beta starts once alpha has printed its first line, well within alpha's pause.
    await berth.ok("create", "--name", "alpha", "busybox", "sh", "-c", "echo a1; sleep 4; echo a2");
    await berth.ok("create", "--name", "beta", "busybox", "sh", "-c", "echo b1; sleep 4; echo b2");
    await berth.ok("start", "alpha");
    while ((await lines("alpha")).length === 0) await new Promise((r) => setTimeout(r, 50));
    await berth.ok("start", "beta");
    await berth.ok("wait", "alpha", "beta");
    // The order the lines' own times give, whatever the machine's pace made it.
    const timed = async (name: string) =>
      (await lines("-t", name)).map((l) => {
        const [time = "", text = ""] = l.split(" ");
        return { at: Date.parse(time), line: `${name} ${text}` };
      });
    const expected = [...(await timed("alpha")), ...(await timed("beta"))]
      .sort((x, y) => x.at - y.at)
      .map((x) => x.line);
    expect(expected).toHaveLength(4);
    expect(await lines("--names", "alpha", "beta")).toEqual(expected);
    const id = (await berth.ok("inspect", "alpha")).match(/"id": "([0-9a-f]{64})"/)?.[1] ?? "";
    expect((await lines("alpha", "beta"))[0]).toBe(`${id.slice(0, 12)} a1`);
    // One container alone carries no prefix, as in Podman.
    expect(await lines("--names", "alpha")).toEqual(["a1", "a2"]);
  }, 120_000);

  it("follows lines written after it started and ends by itself when the container exits", async () => {
    const id = await started(numbered("line", 8, 0.25));
    const f = follower("-f", id);
    const result = await f.proc;
    expect(result.exitCode).toBe(0);
    expect(f.seen()).toEqual(Array.from({ length: 8 }, (_, i) => `line ${i}`));
  }, 120_000);

  it("follows a container across berth restart with every line of both runs once, in order", async () => {
    // The trap lets the stop's SIGTERM end the loop at once instead of waiting for SIGKILL.
    const script = `trap 'exit 0' TERM; ${numbered("line", 10, 0.1)}; while true; do sleep 0.1; done`;
    const id = await started(script);
    const f = follower("-f", id);
    await f.until(10);
    await berth.ok("restart", id);
    await f.until(20);
    await berth.ok("stop", id);
    const result = await f.proc;
    expect(result.exitCode).toBe(0);
    const run = Array.from({ length: 10 }, (_, i) => `line ${i}`);
    expect(f.seen()).toEqual([...run, ...run]);
    expect(await lines(id)).toEqual([...run, ...run]);
  }, 60_000);

  it("ends a follow when the container is removed", async () => {
    const id = await started("echo one; sleep 1000");
    const f = follower("-f", id);
    await f.until(1);
    await berth.ok("rm", "-f", "-t", "0", id);
    const result = await f.proc;
    expect(result.exitCode).toBe(0);
    expect(f.seen()).toEqual(["one"]);
  }, 120_000);
});
