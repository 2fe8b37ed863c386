/**
 * Healthchecks on the real runtime: probes run by `runc exec` inside busybox
 * containers, transitions journaled as health_status and shown by `ps`,
 * `healthcheck run` answered as Podman answers it, and --health-on-failure
 * acting through the machine with the healthcheck as actor and its cause.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";
import { daemonApi, failure } from "../support/daemon-api.js";

let berth: Berth;

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
}, 60_000);

afterAll(async () => {
  await berth?.stop();
});

const { api, inspect, history, action } = daemonApi(() => berth.socket);

const healthOf = async (ref: string) => (await inspect(ref)).health?.status;
const healthEvents = (events: CloudEvent[]) =>
  events.filter((e) => action(e) === "health_status").map((e) => e.data.status);
/** Waits for a health status, polling the record the probes change. */
const healthBecomes = (ref: string, status: string) =>
  until(async () => (await healthOf(ref)) === status, 20_000);

describe("healthchecks", () => {
  it("goes starting → healthy → unhealthy as the check passes and fails, journaled and shown by ps", async () => {
    await berth.ok(
      "run",
      "-d",
      "--name",
      "hc-web",
      "--health-cmd",
      "test -f /tmp/ok",
      "--health-interval",
      "250ms",
      "--health-retries",
      "2",
      // Failures before the check first passes do not count: it stays starting until then.
      "--health-start-period",
      "60s",
      "busybox",
      "sleep",
      "1000",
    );
    expect(await healthOf("hc-web")).toBe("starting");
    expect(await berth.ok("ps")).toMatch(/hc-web/);
    expect(await berth.ok("ps")).toMatch(/\(starting\)/);

    await berth.ok("exec", "hc-web", "touch", "/tmp/ok");
    await healthBecomes("hc-web", "healthy");
    expect(await berth.ok("ps")).toMatch(/\(healthy\)\s+hc-web/);
    const healthy = await berth.cli("healthcheck", "run", "hc-web");
    expect([healthy.code, healthy.stdout]).toEqual([0, ""]);

    await berth.ok("exec", "hc-web", "rm", "/tmp/ok");
    await healthBecomes("hc-web", "unhealthy");
    const unhealthy = await berth.cli("healthcheck", "run", "hc-web");
    expect([unhealthy.code, unhealthy.stdout.trim()]).toEqual([1, "unhealthy"]);

    const events = await history("hc-web");
    // Only transitions are journaled: a probe every 250 ms adds nothing while health holds.
    expect(healthEvents(events)).toEqual(["starting", "healthy", "unhealthy"]);
    const last = events.filter((e) => action(e) === "health_status").at(-1);
    expect(last?.actor).toBe("healthcheck");
    expect(last?.data).toMatchObject({ status: "unhealthy", failingStreak: 2, exitCode: 1 });
    // The container goes on running: no --health-on-failure was asked for.
    expect((await inspect("hc-web")).state).toBe("running");

    const filtered = await berth.ok(
      "events",
      "--stream=false",
      "--format",
      "json",
      "--filter",
      "event=health_status",
      "--filter",
      "container=hc-web",
    );
    const lines = filtered
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as CloudEvent);
    expect(lines.map((e) => e.data.status)).toEqual(["starting", "healthy", "unhealthy"]);
    await berth.ok("rm", "-f", "hc-web");
  });

  it("restarts an unhealthy container with --health-on-failure=restart, journaled with its cause", async () => {
    await berth.ok(
      "run",
      "-d",
      "--name",
      "hc-restart",
      "--health-cmd",
      "false",
      "--health-interval",
      "200ms",
      "--health-retries",
      "1",
      "--health-on-failure",
      "restart",
      "busybox",
      "sleep",
      "1000",
    );
    await until(async () => {
      const events = await history("hc-restart");
      return events.some((e) => action(e) === "restart");
    }, 20_000);
    const events = await history("hc-restart");
    const request = events.find((e) => action(e) === "request" && e.data.command === "RESTART");
    expect(request?.actor).toBe("healthcheck");
    expect(request?.data).toMatchObject({ client: "healthcheck", cause: "unhealthy" });
    const unhealthyAt = events.findIndex(
      (e) => action(e) === "health_status" && e.data.status === "unhealthy",
    );
    expect(unhealthyAt).toBeGreaterThan(0);
    expect(unhealthyAt).toBeLessThan(events.indexOf(request!));
    // The restart begins a new run, and with it a new start period: starting again.
    const after = events.slice(events.indexOf(request!));
    expect(after.map(action)).toEqual(
      expect.arrayContaining(["restart", "start", "health_status"]),
    );
    await berth.ok("rm", "-f", "hc-restart");
  });

  it("kills an unhealthy container with --health-on-failure=kill and the policy leaves it down", async () => {
    await berth.ok(
      "run",
      "-d",
      "--name",
      "hc-kill",
      "--health-cmd",
      '["/bin/false"]',
      "--health-interval",
      "200ms",
      "--health-retries",
      "1",
      "--health-on-failure",
      "kill",
      "busybox",
      "sleep",
      "1000",
    );
    await until(async () => (await inspect("hc-kill")).state === "exited", 20_000);
    const record = await inspect("hc-kill");
    expect(record.exitCode).toBe(137);
    expect(record.healthcheck?.test).toEqual(["CMD", "/bin/false"]);
    const request = (await history("hc-kill")).find(
      (e) => action(e) === "request" && e.data.command === "KILL",
    );
    expect(request).toMatchObject({
      actor: "healthcheck",
      data: { cause: "unhealthy", args: { signal: "SIGKILL" } },
    });
    await berth.ok("rm", "hc-kill");
  });

  it("fails a probe that outlives its timeout and kills the probe's process", async () => {
    await berth.ok(
      "run",
      "-d",
      "--name",
      "hc-slow",
      "--health-cmd",
      "sleep 30",
      "--health-interval",
      "disable",
      "--health-timeout",
      "300ms",
      "--health-retries",
      "1",
      "busybox",
      "sleep",
      "1000",
    );
    const started = Date.now();
    const r = await berth.cli("healthcheck", "run", "hc-slow");
    expect([r.code, r.stdout.trim()]).toEqual([1, "unhealthy"]);
    expect(Date.now() - started).toBeLessThan(10_000);
    const last = (await history("hc-slow")).filter((e) => action(e) === "health_status").at(-1);
    expect(String(last?.data.output)).toMatch(/timed out after 300 ms/);
    // The probe's `sleep 30` is gone: only the container's own process is left.
    const top = await berth.ok("top", "hc-slow", "args");
    expect(top).not.toMatch(/sleep 30/);
    await berth.ok("rm", "-f", "hc-slow");
  });

  it("answers a flood of healthcheck runs with one probe at a time", async () => {
    // Two probes at once would find the lock taken and fail, which retries 1 makes unhealthy.
    await berth.ok(
      "run",
      "-d",
      "--name",
      "hc-flood",
      "--health-cmd",
      "mkdir /tmp/lock && sleep 0.5 && rmdir /tmp/lock",
      "--health-interval",
      "disable",
      "--health-retries",
      "1",
      "busybox",
      "sleep",
      "1000",
    );
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        api().call<{ status: string }>("POST", "/containers/hc-flood/healthcheck", {}),
      ),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set(["healthy"]));
    expect(healthEvents(await history("hc-flood"))).toEqual(["starting", "healthy"]);
    await berth.ok("rm", "-f", "hc-flood");
  });

  it("refuses healthcheck run for a container without a healthcheck, or not running", async () => {
    await berth.ok("create", "--name", "hc-none", "busybox", "sleep", "1000");
    const none = await failure(api().call("POST", "/containers/hc-none/healthcheck", {}));
    expect(none.code).toBe("NO_HEALTHCHECK");
    const cli = await berth.cli("healthcheck", "run", "hc-none");
    expect(cli.code).toBe(125);
    expect(cli.stderr).toMatch(/has no defined healthcheck/);

    await berth.ok(
      "create",
      "--name",
      "hc-idle",
      "--health-cmd",
      "true",
      "busybox",
      "sleep",
      "1000",
    );
    const idle = await failure(api().call("POST", "/containers/hc-idle/healthcheck", {}));
    expect(idle.code).toBe("CTR_STATE_INVALID");
    expect((await inspect("hc-idle")).healthcheck).toMatchObject({
      test: ["CMD-SHELL", "true"],
      intervalMs: 30_000,
      timeoutMs: 30_000,
      retries: 3,
      startPeriodMs: 0,
      onFailure: "none",
    });
    const bad = await berth.cli(
      "create",
      "--health-cmd",
      "true",
      "--health-interval",
      "soon",
      "busybox",
      "true",
    );
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/--health-interval/);
    await berth.ok("rm", "hc-none", "hc-idle");
  });
});
