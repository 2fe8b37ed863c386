/**
 * Output scripts can trust, through the real CLI and daemon: ps's Podman
 * flags, Go templates in ps, inspect, history, events, image ls and status,
 * inspect of several containers, refusals with exit 125, and -a on verbs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, startBerth, type Berth } from "../../src/harness/index.js";

let berth: Berth;
let running = "";
let exited = "";
let fresh = "";

const lines = (text: string) => text.split("\n").filter((l) => l !== "");

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
  running = (
    await berth.ok("create", "--name", "fmt-up", "-l", "tier=front", "busybox", "sleep", "1000")
  ).trim();
  await berth.ok("start", "fmt-up");
  exited = (await berth.ok("create", "--name", "fmt-done", "busybox", "sh", "-c", "exit 3")).trim();
  await berth.ok("start", "fmt-done");
  await berth.ok("wait", "fmt-done");
  fresh = (
    await berth.ok("create", "--name", "fmt-new", "-l", "tier=back", "busybox", "true")
  ).trim();
});

afterAll(async () => {
  await berth?.stop();
});

describe("ps", () => {
  it("prints short ids of running containers with -q, and every full id newest first with -aq --no-trunc", async () => {
    expect(lines(await berth.ok("ps", "-q"))).toEqual([running.slice(0, 12)]);
    expect(lines(await berth.ok("ps", "-aq", "--no-trunc"))).toEqual([fresh, exited, running]);
    expect(lines(await berth.ok("ps", "-q", "-n", "1"))).toEqual([fresh.slice(0, 12)]);
  });

  it("selects with --filter and prints Go template fields", async () => {
    const names = async (...args: string[]) =>
      lines(await berth.ok("ps", "-a", "--format", "{{.Names}}", ...args));
    expect(await names("--filter", "status=exited")).toEqual(["fmt-done"]);
    expect(await names("--filter", "status=created")).toEqual(["fmt-new"]);
    expect(await names("--filter", "label=tier")).toEqual(["fmt-new", "fmt-up"]);
    expect(await names("--filter", "label=tier=front")).toEqual(["fmt-up"]);
    expect(await names("--filter", "name=^fmt-d", "--filter", "ancestor=busybox")).toEqual([
      "fmt-done",
    ]);
    expect(await names("--filter", `id=${exited.slice(0, 8)}`)).toEqual(["fmt-done"]);
    expect(await names("--filter", "health=none", "--sort", "names")).toEqual([
      "fmt-done",
      "fmt-new",
      "fmt-up",
    ]);
    expect(lines(await berth.ok("ps", "--format", "{{.State}} {{.Labels.tier}}"))).toEqual([
      "running front",
    ]);
  });

  it("puts a header over a table template and reads as Podman's table", async () => {
    const [header, row] = lines(
      await berth.ok("ps", "--format", "table {{.ID}}\\t{{.Names}}\\t{{.Status}}"),
    );
    expect(header).toBe("CONTAINER ID  NAMES       STATUS");
    expect(row).toMatch(/^[0-9a-f]{12} {2}fmt-up {6}Up (Less than a second|\d+ seconds?)$/);
    const table = await berth.ok("ps", "-a");
    expect(table).toMatch(/Exited \(3\) (Less than a second|\d+ seconds?) ago/);
    expect(table).toMatch(/ Created +fmt-new/);
    expect(table).not.toContain("Configured");
  });

  it("fails with 125 on a format, field, filter or sort it does not know, printing nothing", async () => {
    for (const args of [
      ["--format", "yaml"],
      ["--format", "{{.Nope}}"],
      ["--format", "{{printf .ID}}"],
      ["--filter", "colour=red"],
      ["--sort", "size"],
    ]) {
      const r = await berth.cli("ps", ...args);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 125, stdout: "" });
      expect(r.stderr).toMatch(/^Error: /);
    }
  });
});

describe("inspect", () => {
  it("prints a JSON array of several containers, and a template line for each", async () => {
    const records = JSON.parse(
      await berth.ok("inspect", "fmt-up", "fmt-done"),
    ) as ContainerRecord[];
    expect(records.map((r) => r.id)).toEqual([running, exited]);
    expect(
      lines(
        await berth.ok(
          "inspect",
          "--format",
          "{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{json .Config.Labels}}",
          "fmt-up",
          "fmt-done",
          "fmt-new",
        ),
      ),
    ).toEqual([
      'fmt-up running 0 {"tier":"front"}',
      expect.stringMatching(/^fmt-done (exited|stopped) 3 \{\}$/),
      'fmt-new created 0 {"tier":"back"}',
    ]);
  });

  it("fails with 125 and prints nothing when one container is missing", async () => {
    const r = await berth.cli("inspect", "fmt-up", "no-such");
    expect([r.code, r.stdout]).toEqual([125, ""]);
  });
});

describe("templates on other data verbs", () => {
  it("work in history, events, image ls and status", async () => {
    expect(lines(await berth.ok("history", "fmt-done", "--format", "{{.Status}}"))).toContain(
      "died",
    );
    const events = lines(
      await berth.ok("events", "--stream=false", "--format", "{{.Type}} {{.Status}} {{.ID}}"),
    );
    expect(events).toContain(`container create ${fresh}`);
    expect(lines(await berth.ok("image", "ls", "--format", "{{.Repository}}:{{.Tag}}"))).toEqual([
      "localhost/busybox:latest",
    ]);
    const status = JSON.parse(await berth.ok("status", "--format", "{{json .}}")) as object;
    expect(JSON.parse(await berth.ok("status", "--format", "json"))).toEqual(status);
  });
});

describe("-a on verbs", () => {
  it("refuses names together with -a, and acts on every container it applies to", async () => {
    expect((await berth.cli("stop", "-a", "fmt-up")).code).toBe(125);
    expect((await berth.cli("rm")).code).toBe(125);
    expect(lines(await berth.ok("pause", "-a"))).toEqual([running]);
    expect(lines(await berth.ok("unpause", "-a"))).toEqual([running]);
    expect(lines(await berth.ok("kill", "-a"))).toEqual([running]);
    await berth.ok("wait", "fmt-up");
    expect(lines(await berth.ok("stop", "-a"))).toEqual([]);
    expect(lines(await berth.ok("rm", "-a")).sort()).toEqual([running, exited, fresh].sort());
    expect(await berth.ok("ps", "-aq")).toBe("");
  });
});
