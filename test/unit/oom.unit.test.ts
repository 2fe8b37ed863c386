import { describe, expect, it } from "vitest";
import { ACTIONS, deathFacts, evolve, fact } from "../../src/machines/index.js";
import { given, recordIn } from "../support/given.js";

const actions = (facts: { action: string }[]) => facts.map((f) => f.action);
const oomExit = { exitCode: 137, exitedAt: "2026-01-01T00:00:05.000Z", oomKilled: true };

describe("an OOM kill", () => {
  it("journals oom before died when the exit monitor sees the memory limit's kill", async () => {
    const then = await given(recordIn("running")).when({ type: "EXITED", exit: oomExit });
    expect(actions(then.persisted)).toEqual(["oom", "died", "cleanup"]);
    expect(then.record.oomKilled).toBe(true);
    expect(then.record.exitCode).toBe(137);
  });

  it("journals oom before died when a sync finds the process killed by the memory limit", async () => {
    const gone = { syncContainer: () => Promise.resolve({ runtime: "stopped", exit: oomExit }) };
    const then = await given(recordIn("running"), gone).when({ type: "SYNC" });
    expect(actions(then.persisted)).toEqual(["request", "sync", "oom", "died", "cleanup"]);
    expect(then.record.oomKilled).toBe(true);
  });

  it("journals no oom for an ordinary exit", () => {
    expect(actions(deathFacts({ ...oomExit, oomKilled: false }))).toEqual(["died"]);
    expect(actions(deathFacts(oomExit))).toEqual(["oom", "died"]);
  });

  it("is an action of its own, listed before died, that changes nothing but the version", () => {
    expect(ACTIONS.indexOf("oom")).toBeGreaterThanOrEqual(0);
    expect(ACTIONS.indexOf("oom")).toBeLessThan(ACTIONS.indexOf("died"));
    const running = recordIn("running");
    const at = { id: running.id, time: "2026-01-01T00:00:05.000Z", version: running.version + 1 };
    expect(evolve(running, fact("oom", {}), at)).toEqual({ ...running, version: at.version });
  });
});
