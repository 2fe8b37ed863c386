import { describe, expect, it } from "vitest";
import { DockerExecStore } from "../../src/docker/exec-store.js";
import type { DockerExecConfig } from "../../src/docker/exec-body.js";
import { CtrStateInvalidError, NoSuchExecSessionError } from "../../src/errors.js";

const config: DockerExecConfig = {
  command: ["echo", "hi"],
  env: [],
  tty: false,
  attachStdin: false,
  attachStdout: true,
  attachStderr: true,
};

/** A store on a clock the test moves. */
function storeAt(limits = { maxPending: 3, pendingTtlMs: 1000, maxStarted: 2 }) {
  let t = 0;
  const store = new DockerExecStore(limits, () => t);
  return { store, advance: (ms: number) => (t += ms) };
}

describe("the Docker exec store", () => {
  it("gives each created exec a 64-hex id and finds it by that id", () => {
    const { store } = storeAt();
    const exec = store.create("c1", config);
    expect(exec.id).toMatch(/^[0-9a-f]{64}$/);
    expect(store.get(exec.id)).toMatchObject({ containerId: "c1", config });
  });

  it("answers an unknown id with NoSuchExecSessionError in Docker's words", () => {
    const { store } = storeAt();
    expect(() => store.get("nope")).toThrow(NoSuchExecSessionError);
    expect(() => store.get("nope")).toThrow("No such exec instance: nope");
    expect(() => store.claim("nope")).toThrow(NoSuchExecSessionError);
  });

  it("forgets the oldest pending exec once the pending bound is reached", () => {
    const { store } = storeAt();
    const [a, b, c] = [
      store.create("c", config),
      store.create("c", config),
      store.create("c", config),
    ];
    const d = store.create("c", config);
    expect(() => store.get(a.id)).toThrow(NoSuchExecSessionError);
    for (const kept of [b, c, d]) expect(store.get(kept.id).id).toBe(kept.id);
    expect(store.size().pending).toBe(3);
  });

  it("forgets an exec left unstarted past its time to live, and keeps a younger one", () => {
    const { store, advance } = storeAt();
    const old = store.create("c", config);
    advance(600);
    const young = store.create("c", config);
    advance(500);
    expect(() => store.claim(old.id)).toThrow(NoSuchExecSessionError);
    expect(store.claim(young.id).id).toBe(young.id);
  });

  it("lets an exec be claimed once; a second start is a conflict", () => {
    const { store } = storeAt();
    const exec = store.create("c", config);
    store.markStarted(store.claim(exec.id), "s1");
    expect(() => store.claim(exec.id)).toThrow(CtrStateInvalidError);
    expect(store.get(exec.id).sessionId).toBe("s1");
  });

  it("keeps a started exec past the pending time to live", () => {
    const { store, advance } = storeAt();
    const exec = store.create("c", config);
    store.markStarted(store.claim(exec.id), "s1");
    advance(10_000);
    expect(store.get(exec.id).sessionId).toBe("s1");
  });

  it("forgets the oldest started exec once the started bound is reached", () => {
    const { store } = storeAt();
    const ids = [0, 1, 2].map((i) => {
      const exec = store.create("c", config);
      store.markStarted(store.claim(exec.id), `s${i}`);
      return exec.id;
    });
    expect(() => store.get(ids[0]!)).toThrow(NoSuchExecSessionError);
    expect(store.get(ids[2]!).sessionId).toBe("s2");
    expect(store.size()).toEqual({ pending: 0, started: 2 });
  });
});
