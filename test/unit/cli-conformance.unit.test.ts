/**
 * The conformance table's CLI column: for each state and container verb, the
 * exit code of `berth <verb>` (0 or 125), derived from the rules with the
 * request the CLI sends, next to Podman 4.3's CLI (docs and libpod's
 * container_api.go: the CLI forgives only ErrCtrStopped on stop, and start of
 * a running container; every other state error exits 125). The integration
 * test cli-conformance.int.test.ts checks the same through the real CLI.
 */
import { describe, expect, it } from "vitest";
import { IF_NEEDED } from "../../src/cli/if-needed.js";
import type { CommandBody, ContainerState } from "../../src/machines/index.js";
import { argsOf, refusal, type Peers, type RequestMeta } from "../../src/machines/index.js";
import { given, recordIn } from "../support/given.js";

const meta: RequestMeta = { actor: "uid:0", requestId: "req-1" };
const noPeers: Peers = { find: () => undefined, live: () => [] };

/** What each verb asks the daemon, as src/cli/verbs.ts sends it. */
const cli = {
  init: { type: "INIT" },
  start: { type: "START", ...IF_NEEDED },
  stop: { type: "STOP", ...IF_NEEDED },
  kill: { type: "KILL", signal: "SIGKILL" },
  pause: { type: "PAUSE" },
  unpause: { type: "UNPAUSE" },
  restart: { type: "RESTART" },
  mount: { type: "MOUNT" },
  cleanup: { type: "CLEANUP" },
  export: { type: "EXPORT", path: "/tmp/rootfs.tar" },
  rm: { type: "REMOVE", force: false },
} satisfies Record<string, CommandBody>;
type Verb = keyof typeof cli;
type Exit = 0 | 125;

/**
 * Podman 4.3's CLI, state by state. `create` has no column: it makes a new
 * container whatever the others' states (a taken name exits 125).
 */
const podman: Record<Exclude<ContainerState, "removing" | "removed">, Record<Verb, Exit>> = {
  configured: {
    init: 0,
    start: 0,
    stop: 0, // Podman's CLI: a container that never ran is already stopped
    kill: 125,
    pause: 125,
    unpause: 125,
    restart: 0,
    mount: 0,
    cleanup: 0,
    export: 0,
    rm: 0,
  },
  created: {
    init: 125,
    start: 0,
    stop: 0,
    kill: 125,
    pause: 125,
    unpause: 125,
    restart: 0,
    mount: 0,
    cleanup: 0,
    export: 0,
    rm: 0,
  },
  running: {
    init: 125,
    start: 0, // Podman's CLI prints the name of a container already running
    stop: 0,
    kill: 0,
    pause: 0,
    unpause: 125,
    restart: 0,
    mount: 0,
    cleanup: 125,
    export: 0,
    rm: 125,
  },
  paused: {
    init: 125,
    start: 125, // "must be in Created or Stopped state to be started"
    stop: 125,
    kill: 0,
    pause: 125,
    unpause: 0,
    restart: 125,
    mount: 0,
    cleanup: 125,
    export: 0,
    rm: 125,
  },
  stopped: {
    init: 0,
    start: 0,
    stop: 0, // ErrCtrStopped, forgiven by the CLI
    kill: 125,
    pause: 125,
    unpause: 125,
    restart: 0,
    mount: 0,
    cleanup: 0,
    export: 0,
    rm: 0,
  },
  exited: {
    init: 0,
    start: 0,
    stop: 0,
    kill: 125,
    pause: 125,
    unpause: 125,
    restart: 0,
    mount: 0,
    cleanup: 0,
    export: 0,
    rm: 0,
  },
};

const berthExit = (state: ContainerState, verb: Verb): Exit =>
  refusal(recordIn(state), { ...cli[verb], meta }, noPeers) === undefined ? 0 : 125;

describe("the CLI's column of the conformance table", () => {
  for (const [state, row] of Object.entries(podman) as [ContainerState, Record<Verb, Exit>][]) {
    for (const [verb, exit] of Object.entries(row) as [Verb, Exit][]) {
      it(`berth ${verb} of a ${state} container exits ${exit}, as Podman 4.3's CLI does`, () => {
        expect(berthExit(state, verb)).toBe(exit);
      });
    }
  }
});

describe("a start or stop that finds its goal already met", () => {
  const met: [ContainerState, Verb][] = [
    ["configured", "stop"],
    ["stopped", "stop"],
    ["exited", "stop"],
    ["running", "start"],
  ];
  for (const [state, verb] of met) {
    it(`journals the ${verb} of a ${state} container as a successful request marked unchanged`, async () => {
      const then = await given(recordIn(state)).when(cli[verb]);
      expect(then.error).toBeUndefined();
      expect(then.state).toBe(state);
      expect(then.persisted).toEqual([
        {
          action: "request",
          data: {
            outcome: "success",
            command: cli[verb].type,
            args: argsOf(cli[verb]),
            unchanged: state,
          },
        },
      ]);
    });
  }

  it("still cancels the restart an exited container owes, rather than calling it unchanged", async () => {
    const record = recordIn("exited", {
      restartPolicy: { name: "always", maxRetries: 0 },
      exitCode: 1,
    });
    const then = await given(record).when(cli.stop);
    expect(then.persisted.map((f) => f.action)).toEqual(["request", "stop"]);
    expect(then.persisted[0]?.data).not.toHaveProperty("unchanged");
  });

  it("refuses the same stop without ifNeeded, as the seed API does", async () => {
    const then = await given(recordIn("stopped")).when({ type: "STOP" });
    expect(then.error?.code).toBe("CTR_STOPPED");
    expect(then.persisted[0]?.data.outcome).toBe("failure");
  });
});
