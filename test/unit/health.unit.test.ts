import { describe, expect, it } from "vitest";
import { CtrStateInvalidError, InvalidArgError, NoHealthcheckError } from "../../src/errors.js";
import {
  evolve,
  fact,
  healthActionDue,
  healthTransition,
  nextHealth,
  OUTPUT_LIMIT,
  probeCommand,
  probeRefusal,
  type HealthConfig,
} from "../../src/machines/index.js";
import { healthcheckFor, HEALTH_DEFAULTS } from "../../src/service/health-options.js";
import { given, recordIn } from "../support/given.js";

const check: HealthConfig = {
  test: ["CMD-SHELL", "true"],
  intervalMs: 1_000,
  timeoutMs: 1_000,
  retries: 3,
  startPeriodMs: 0,
  onFailure: "none",
};
const started = "2026-01-01T00:00:00.000Z";
const at = (ms: number) => new Date(Date.parse(started) + ms).toISOString();
const actions = (facts: { action: string }[]) => facts.map((f) => f.action);

describe("health rules", () => {
  it("makes a container healthy on its first passing probe and clears the streak", () => {
    const after = nextHealth(
      { status: "unhealthy", failingStreak: 5 },
      { exitCode: 0, at: at(1) },
      check,
      started,
    );
    expect(after).toEqual({ status: "healthy", failingStreak: 0 });
  });

  it("turns unhealthy only once failures in a row reach the retries", () => {
    let health = { status: "healthy" as const, failingStreak: 0 } as Parameters<
      typeof nextHealth
    >[0];
    const seen: string[] = [];
    for (let i = 1; i <= 4; i++) {
      health = nextHealth(health, { exitCode: 1, at: at(i * 1000) }, check, started);
      seen.push(`${health.status}:${health.failingStreak}`);
    }
    expect(seen).toEqual(["healthy:1", "healthy:2", "unhealthy:3", "unhealthy:4"]);
  });

  it("does not count failures within the start period while the container is starting", () => {
    const config = { ...check, retries: 1, startPeriodMs: 10_000 };
    const inside = nextHealth(
      { status: "starting", failingStreak: 0 },
      { exitCode: 1, at: at(5_000) },
      config,
      started,
    );
    expect(inside).toEqual({ status: "starting", failingStreak: 0 });
    const outside = nextHealth(inside, { exitCode: 1, at: at(11_000) }, config, started);
    expect(outside).toEqual({ status: "unhealthy", failingStreak: 1 });
  });

  it("counts failures in the start period once a probe has passed", () => {
    const config = { ...check, retries: 1, startPeriodMs: 10_000 };
    const after = nextHealth(
      { status: "healthy", failingStreak: 0 },
      { exitCode: 1, at: at(2_000) },
      config,
      started,
    );
    expect(after.status).toBe("unhealthy");
  });

  it("reports a transition only when the status changes, with the end of the output", () => {
    const same = healthTransition(
      { status: "healthy", failingStreak: 0 },
      { status: "healthy", failingStreak: 1 },
      { exitCode: 1, output: "" },
    );
    expect(same).toBeUndefined();
    const long = "x".repeat(OUTPUT_LIMIT) + "tail";
    const report = healthTransition(
      { status: "healthy", failingStreak: 2 },
      { status: "unhealthy", failingStreak: 3 },
      { exitCode: 7, output: long },
    );
    expect(report).toMatchObject({ status: "unhealthy", failingStreak: 3, exitCode: 7 });
    expect(report?.output).toHaveLength(OUTPUT_LIMIT);
    expect(report?.output?.endsWith("tail")).toBe(true);
  });

  it("runs CMD-SHELL through /bin/sh -c and CMD as given", () => {
    expect(probeCommand(["CMD-SHELL", "wget -q localhost"])).toEqual([
      "/bin/sh",
      "-c",
      "wget -q localhost",
    ]);
    expect(probeCommand(["CMD", "/bin/true", "x"])).toEqual(["/bin/true", "x"]);
  });

  it("acts on failure only on an unhealthy transition with an action set", () => {
    expect(
      healthActionDue({ healthcheck: { ...check, onFailure: "restart" } }, { status: "unhealthy" }),
    ).toBe("restart");
    expect(
      healthActionDue({ healthcheck: { ...check, onFailure: "restart" } }, { status: "healthy" }),
    ).toBeUndefined();
    expect(healthActionDue({ healthcheck: check }, { status: "unhealthy" })).toBeUndefined();
  });

  it("refuses a probe of a container without a healthcheck or not running", () => {
    expect(probeRefusal(recordIn("running"))).toBeInstanceOf(NoHealthcheckError);
    expect(probeRefusal(recordIn("paused", { healthcheck: check }))).toBeInstanceOf(
      CtrStateInvalidError,
    );
    expect(probeRefusal(recordIn("running", { healthcheck: check }))).toBeUndefined();
  });
});

describe("health in the machine", () => {
  const report = { status: "healthy" as const, failingStreak: 0, exitCode: 0, output: "" };

  it("journals a health change of a running container as health_status, and stays running", async () => {
    const then = await given(recordIn("running", { healthcheck: check })).when({
      type: "HEALTH",
      report,
    });
    expect(then.state).toBe("running");
    expect(actions(then.persisted)).toEqual(["health_status"]);
    expect(then.record.health).toEqual({ status: "healthy", failingStreak: 0 });
  });

  it.each(["paused", "exited", "configured"] as const)(
    "drops a health report that reaches a %s container, journaling nothing",
    async (state) => {
      const then = await given(recordIn(state, { healthcheck: check, exitCode: 0 })).when({
        type: "HEALTH",
        report,
      });
      expect(then.ignored).toBe(true);
      expect(then.persisted).toEqual([]);
    },
  );

  it("journals health starting with every start of a container that has a healthcheck", async () => {
    const then = await given(recordIn("configured", { healthcheck: check })).when({
      type: "START",
    });
    expect(actions(then.persisted)).toEqual(["request", "init", "start", "health_status"]);
    expect(then.record.health).toEqual({ status: "starting", failingStreak: 0 });
  });

  it("journals no health for a start of a container without a healthcheck", async () => {
    const then = await given(recordIn("configured")).when({ type: "START" });
    expect(actions(then.persisted)).not.toContain("health_status");
    expect(then.record.health).toBeUndefined();
  });

  it("folds health_status into the record on replay", () => {
    const before = recordIn("running", { healthcheck: check });
    const after = evolve(
      before,
      fact("health_status", { status: "unhealthy", failingStreak: 3, exitCode: 1, output: "no" }),
      {
        id: before.id,
        time: at(0),
        version: 4,
      },
    );
    expect(after.health).toEqual({ status: "unhealthy", failingStreak: 3 });
    expect(after.state).toBe("running");
  });
});

describe("healthcheck options at create", () => {
  it("takes a shell command line as CMD-SHELL with Podman's defaults", () => {
    expect(healthcheckFor({ healthCmd: "curl -f localhost" }, undefined)).toEqual({
      test: ["CMD-SHELL", "curl -f localhost"],
      ...HEALTH_DEFAULTS,
      onFailure: "none",
    });
  });

  it("takes a JSON array as a command run without a shell", () => {
    expect(healthcheckFor({ healthCmd: '["/bin/check", "-q"]' }, undefined)?.test).toEqual([
      "CMD",
      "/bin/check",
      "-q",
    ]);
  });

  it("reads Go durations and disable", () => {
    const h = healthcheckFor(
      {
        healthCmd: "true",
        healthInterval: "1m30s",
        healthTimeout: "500ms",
        healthStartPeriod: "2s",
        healthRetries: 5,
      },
      undefined,
    );
    expect(h).toMatchObject({
      intervalMs: 90_000,
      timeoutMs: 500,
      startPeriodMs: 2_000,
      retries: 5,
    });
    expect(
      healthcheckFor({ healthCmd: "true", healthInterval: "disable" }, undefined)?.intervalMs,
    ).toBe(0);
  });

  it("inherits the image's HEALTHCHECK, its nanoseconds as milliseconds, unless disabled", () => {
    const image = { test: ["CMD", "/ok"], intervalNs: 5e9, retries: 2 };
    expect(healthcheckFor({}, image)).toMatchObject({
      test: ["CMD", "/ok"],
      intervalMs: 5_000,
      retries: 2,
      timeoutMs: 30_000,
    });
    expect(healthcheckFor({ noHealthcheck: true }, image)).toBeUndefined();
    expect(healthcheckFor({ healthCmd: "none" }, image)).toBeUndefined();
    expect(healthcheckFor({}, { test: ["NONE"] })).toBeUndefined();
  });

  it.each([
    [{ healthCmd: "true", healthInterval: "10" }, /--health-interval/],
    [{ healthCmd: "true", healthInterval: "1ms" }, /--health-interval/],
    [{ healthCmd: "true", healthTimeout: "-1s" }, /--health-timeout/],
    [{ healthCmd: "true", healthRetries: 0 }, /--health-retries/],
    [{ healthCmd: "true", healthRetries: 1.5 }, /--health-retries/],
    [{ healthCmd: "true", healthOnFailure: "explode" }, /--health-on-failure/],
    [{ healthOnFailure: "restart" }, /needs a healthcheck/],
    [{ healthCmd: "[1,2]" }, /JSON array of strings/],
    [{ healthCmd: "[oops" }, /not a JSON array/],
    [{ healthCmd: "true", noHealthcheck: true }, /conflicts/],
    [{ healthCmd: "true", healthInterval: "48h" }, /24h/],
  ])("refuses %j with a clear error", (options, message) => {
    expect(() => healthcheckFor(options, undefined)).toThrow(InvalidArgError);
    expect(() => healthcheckFor(options, undefined)).toThrow(message);
  });
});
