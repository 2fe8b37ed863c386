/**
 * `berth run`: create, start and attach in one step, through the CLI and the
 * real daemon, exiting with the container's code as Podman's does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxTar, startBerth, type Berth } from "../../src/harness/index.js";

let berth: Berth;

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
});

afterAll(async () => {
  await berth?.stop();
});

const names = async () => await berth.ok("ps", "-a", "--format", "json");

describe("berth run", () => {
  it("prints the container's output and exits with its code", async () => {
    const r = await berth.cli(
      "run",
      "--name",
      "three",
      "-e",
      "WHO=run",
      "busybox",
      "sh",
      "-c",
      'echo "hi $WHO"; exit 3',
    );
    expect(r.stdout).toContain("hi run");
    expect(r.code).toBe(3);
    expect(await names()).toContain('"three"');
  });

  it("removes the container with --rm once it has exited", async () => {
    const r = await berth.cli("run", "--rm", "--name", "gone", "busybox", "true");
    expect(r.code).toBe(0);
    expect(await names()).not.toContain('"gone"');
    const history = await berth.cli("history", "gone");
    expect(history.stdout).toContain("remove");
  });

  it("starts in the background with -d and prints the id", async () => {
    const r = await berth.cli("run", "-d", "--name", "bg", "busybox", "sleep", "30");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    const inspected = (JSON.parse(await berth.ok("inspect", "bg")) as { state: string }[])[0]!;
    expect(inspected.state).toBe("running");
    await berth.ok("rm", "-f", "-t", "0", "bg");
  });

  it("refuses --rm with a restart policy, and a create flag's bad value, creating nothing", async () => {
    const before = await names();
    const both = await berth.cli("run", "-d", "--rm", "--restart=always", "busybox", "true");
    expect(both.code).toBe(125);
    expect(both.stderr).toContain("the --rm option conflicts with --restart");
    const bad = await berth.cli("run", "--memory", "-5", "busybox", "true");
    expect(bad.code).toBe(125);
    expect(await names()).toBe(before);
  });
});
