/**
 * An independent model of one container's lifecycle, the oracle that judges
 * the daemon in the model-based and crash tests. It is written from libpod's
 * container_api.go (the seed), Podman 4.3's behaviour and berth's brief, as a
 * table of state x operation, and imports nothing from src/: a rule that the
 * daemon and this table both got wrong the same way would have to be written
 * wrong twice.
 *
 * For each operation it predicts the outcome (success, or the exact error code
 * and message), the next state, the exit code, the mount count, and the
 * journal actions the request appends.
 *
 * Scope: containers created from busybox with `sleep 1000` and the default
 * restart policy "no", driven with `stop`/`restart` at timeout 0 and `kill`
 * with SIGKILL. Under those conditions every death is a SIGKILL: 128 + 9.
 * Each has the healthcheck `true` with its timer disabled, so only the
 * model's own `healthcheck` (Podman's `healthcheck run`) probes it.
 */

/** The states a settled container can be in. `stopped` is transient: the automatic cleanup follows every exit. */
export type ModelState = "configured" | "created" | "running" | "paused" | "exited" | "removed";

export interface ModelContainer {
  id: string;
  state: ModelState;
  /** The last run's exit code; a start clears it, an init or cleanup keeps it. */
  exitCode?: number;
  /** Mounts made with `mount` and not yet undone (the runtime's own mount not counted). */
  mounts: number;
  /** Detached exec sessions (`sleep 1000`) still running; absent: none. */
  sessions?: number;
  /** Health as last journaled: each start makes it starting, a passing probe healthy. */
  health?: "starting" | "healthy";
}

export const MODEL_OPS = [
  "init",
  "start",
  "stop",
  "restart",
  "kill",
  "pause",
  "unpause",
  "cleanup",
  "mount",
  "unmount",
  "sync",
  "rm",
  "rm-force",
  // `sh -c "exit 3"`, attached: the answer waits for its death.
  "exec",
  // `sleep 1000`, detached: it runs until its container dies.
  "exec-d",
  // `healthcheck run`: the probe `true` passes; only a change of health is journaled.
  "healthcheck",
] as const;

export type ModelOp = (typeof MODEL_OPS)[number];

export type Outcome = { ok: true } | { ok: false; code: string; message: string };

export interface Prediction {
  outcome: Outcome;
  next: ModelContainer;
  /**
   * The actions the journal gains for this request, in order, once the
   * container has settled. A refusal is one `request` event with outcome failure.
   */
  journal: string[];
  /** The exit code each `died` event in `journal` must carry, in order. */
  deaths: number[];
}

/** SIGKILL ends every run in this model: 128 + 9, as a shell or Podman reports it. */
export const KILLED = 137;

/** What the attached exec of this model exits with. */
export const EXEC_CODE = 3;

/** What `runc state` must say about a container berth holds in this state. */
export const RUNC_STATUS: Record<ModelState, string> = {
  configured: "absent",
  created: "created",
  running: "running",
  paused: "paused",
  exited: "absent",
  removed: "absent",
};

/** The initial model of a container that was just created. */
export const created = (id: string): ModelContainer => ({ id, state: "configured", mounts: 0 });

// libpod wraps its sentinel ErrCtrStateInvalid around a message; the sentinel's text closes it.
const invalid = (message: string): Outcome => ({
  ok: false,
  code: "CTR_STATE_INVALID",
  message: `${message}: container state improper`,
});

type Rule =
  | { refuse: (id: string, state: ModelState) => Outcome }
  | {
      to: ModelState | "same";
      journal: string[];
      /** How many SIGKILL deaths the journal records. */
      deaths?: number;
      mounts?: (n: number) => number;
    };

const refuse = (message: (id: string, state: ModelState) => string): Rule => ({
  refuse: (id, state) => invalid(message(id, state)),
});

const STOPPED: Rule = {
  refuse: () => ({ ok: false, code: "CTR_STOPPED", message: "container is stopped" }),
};

const alreadyCreated = refuse((id) => `container ${id} has already been created in runtime`);
const notStartable = refuse(
  (id) => `container ${id} must be in Created or Stopped state to be started`,
);
const notStoppable = refuse(
  (id, s) => `can only stop created or running containers. ${id} is in state ${s}`,
);
const notKillable = refuse((id, s) => `can only kill running containers. ${id} is in state ${s}`);
const notPausable = refuse((_id, s) => `"${s}" is not running, can't pause`);
const notPaused = refuse((id) => `"${id}" is not paused, can't unpause`);
const notCleanable = refuse((id) => `container ${id} is running or paused, refusing to clean up`);
const notRemovable = refuse(
  (id, s) =>
    `cannot remove container ${id} as it is ${s} - running or paused containers cannot be removed without force`,
);

const notExecutable = refuse(() => "can only create exec sessions on running containers");
const notProbed = refuse((id) => `container ${id} is not running, its health is not checked`);
const mount: Rule = { to: "same", journal: ["request", "mount"], mounts: (n) => n + 1 };
const unmount: Rule = {
  to: "same",
  journal: ["request", "unmount"],
  mounts: (n) => Math.max(0, n - 1),
};
const sync: Rule = { to: "same", journal: ["request", "sync"] };
// An exit ends with the automatic cleanup (conmon's exit command in Podman): stopped becomes exited.
const death = ["died", "cleanup"];
// A container with a healthcheck starts every run anew: health starting, in the start's batch.
const started = ["start", "health_status"];
const freshStart = ["init", ...started];

/** state x operation. Unmount of a running or paused container is decided in `predict` (it depends on the count). */
const TABLE: Record<Exclude<ModelState, "removed">, Record<ModelOp, Rule>> = {
  configured: {
    init: { to: "created", journal: ["request", "init"] },
    start: { to: "running", journal: ["request", ...freshStart] },
    stop: notStoppable,
    restart: { to: "running", journal: ["request", "restart", ...freshStart] },
    kill: notKillable,
    pause: notPausable,
    unpause: notPaused,
    cleanup: { to: "configured", journal: ["request", "cleanup"] },
    mount,
    unmount,
    sync,
    rm: { to: "removed", journal: ["request", "remove"] },
    "rm-force": { to: "removed", journal: ["request", "remove"] },
    exec: notExecutable,
    "exec-d": notExecutable,
    healthcheck: notProbed,
  },
  created: {
    init: alreadyCreated,
    start: { to: "running", journal: ["request", ...started] },
    // The init process waits on runc's exec fifo; stop kills it, and that is a death too.
    stop: { to: "exited", journal: ["request", "stop", ...death], deaths: 1 },
    restart: { to: "running", journal: ["request", "restart", ...started] },
    kill: notKillable,
    pause: notPausable,
    unpause: notPaused,
    // Cleaning up a created container takes it out of the runtime: configured again.
    cleanup: { to: "configured", journal: ["request", "cleanup"] },
    mount,
    unmount,
    sync,
    rm: { to: "removed", journal: ["request", "cleanup", "remove"] },
    "rm-force": { to: "removed", journal: ["request", "cleanup", "remove"] },
    exec: notExecutable,
    "exec-d": notExecutable,
    healthcheck: notProbed,
  },
  running: {
    init: alreadyCreated,
    start: notStartable,
    stop: { to: "exited", journal: ["request", "stop", ...death], deaths: 1 },
    restart: {
      to: "running",
      journal: ["request", "restart", "stop", ...death, ...freshStart],
      deaths: 1,
    },
    // The kill is answered at once; the death is observed afterwards from conmon's exit file.
    kill: { to: "exited", journal: ["request", "kill", ...death], deaths: 1 },
    pause: { to: "paused", journal: ["request", "pause"] },
    unpause: notPaused,
    cleanup: notCleanable,
    mount,
    unmount,
    sync,
    rm: notRemovable,
    "rm-force": {
      to: "removed",
      journal: ["request", "stop", ...death, "remove"],
      deaths: 1,
    },
    exec: { to: "same", journal: ["request", "exec_create", "exec_start", "exec_died"] },
    "exec-d": { to: "same", journal: ["request", "exec_create", "exec_start"] },
    // Decided in `predict`: the journal depends on the health the model holds.
    healthcheck: { to: "same", journal: [] },
  },
  paused: {
    init: alreadyCreated,
    start: notStartable,
    stop: notStoppable,
    restart: refuse(() => "unable to restart a container in a paused or unknown state"),
    // The seed refuses a paused kill (with a TODO); Podman and berth allow it.
    kill: { to: "exited", journal: ["request", "kill", ...death], deaths: 1 },
    pause: refuse((id) => `"${id}" is already paused`),
    unpause: { to: "running", journal: ["request", "unpause"] },
    cleanup: notCleanable,
    mount,
    unmount,
    sync,
    rm: notRemovable,
    "rm-force": {
      to: "removed",
      journal: ["request", "stop", ...death, "remove"],
      deaths: 1,
    },
    exec: notExecutable,
    "exec-d": notExecutable,
    healthcheck: notProbed,
  },
  exited: {
    init: { to: "created", journal: ["request", "init"] },
    start: { to: "running", journal: ["request", ...freshStart] },
    stop: STOPPED,
    restart: { to: "running", journal: ["request", "restart", ...freshStart] },
    kill: notKillable,
    pause: notPausable,
    unpause: notPaused,
    cleanup: { to: "exited", journal: ["request", "cleanup"] },
    mount,
    unmount,
    sync,
    rm: { to: "removed", journal: ["request", "remove"] },
    "rm-force": { to: "removed", journal: ["request", "remove"] },
    exec: notExecutable,
    "exec-d": notExecutable,
    healthcheck: notProbed,
  },
};

/** A refused request is journaled; a refused probe is not a request, and journals nothing. */
const refusal = (m: ModelContainer, outcome: Outcome, op?: ModelOp): Prediction => ({
  outcome,
  next: m,
  journal: op === "healthcheck" ? [] : ["request"],
  deaths: [],
});

/** What the daemon must do with `op` on a container the model holds as `m`. */
export function predict(m: ModelContainer, op: ModelOp): Prediction {
  if (m.state === "removed") {
    return refusal(
      m,
      { ok: false, code: "CTR_REMOVED", message: "container has already been removed" },
      op,
    );
  }
  const sessions = m.sessions ?? 0;
  // libpod refuses to remove or unmount while exec sessions run; berth asks before the state.
  if (sessions > 0 && (op === "rm" || op === "unmount")) {
    const doing = op === "rm" ? "remove" : "unmount";
    return refusal(m, invalid(`container ${m.id} has active exec sessions, refusing to ${doing}`));
  }
  // The seed refuses to drop the last mount of a running or paused container: the process needs it.
  if (op === "unmount" && (m.state === "running" || m.state === "paused") && m.mounts === 0) {
    return refusal(
      m,
      invalid(`cannot unmount storage for container ${m.id} as it is running or paused`),
    );
  }
  const rule = TABLE[m.state][op];
  if ("refuse" in rule) return refusal(m, rule.refuse(m.id, m.state), op);
  if (op === "healthcheck") {
    const changed = m.health !== "healthy";
    return {
      outcome: { ok: true },
      next: { ...m, health: "healthy" },
      journal: changed ? ["health_status"] : [],
      deaths: [],
    };
  }
  // A container's death kills its sessions: each one's exec_died comes just before its died.
  const journal = rule.journal.flatMap((a) =>
    a === "died" ? [...Array.from({ length: sessions }, () => "exec_died"), a] : [a],
  );
  const died = journal.includes("died");
  const left = died ? 0 : sessions + (op === "exec-d" ? 1 : 0);
  const state = rule.to === "same" ? m.state : rule.to;
  const deaths = Array.from({ length: rule.deaths ?? 0 }, () => KILLED);
  // A start clears the last exit code; a death sets it; anything else keeps it.
  let exitCode = m.exitCode;
  if (deaths.length > 0) exitCode = KILLED;
  if (rule.journal.includes("start")) exitCode = undefined;
  // A start journals health starting; everything else leaves the health as it was.
  const health = journal.includes("health_status") ? "starting" : m.health;
  const next: ModelContainer = {
    id: m.id,
    state,
    mounts: rule.mounts ? rule.mounts(m.mounts) : m.mounts,
    ...(exitCode === undefined ? {} : { exitCode }),
    ...(left > 0 ? { sessions: left } : {}),
    ...(health ? { health } : {}),
  };
  return { outcome: { ok: true }, next, journal, deaths };
}

/**
 * The states a container may be found in after the daemon died while `op`
 * was in flight on `m`: where it was, where the operation leads, and the
 * steps in between (a restart cut between its stop and its start is exited).
 */
export function interruptedStates(m: ModelContainer, op: ModelOp): ModelState[] {
  const p = predict(m, op);
  const states = new Set<ModelState>([m.state, p.next.state]);
  if (p.outcome.ok) {
    if (p.journal.includes("died")) states.add("exited");
    if (p.journal.includes("init")) states.add("created");
    if (p.journal.includes("remove")) states.add("exited");
  }
  // A created container whose runc container vanished with the daemon is configured again.
  if (states.has("created")) states.add("configured");
  return [...states];
}
