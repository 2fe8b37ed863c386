/**
 * The health monitor: probes each running container that has a healthcheck,
 * one probe at a time, `intervalMs` after the previous one ended (Docker's
 * and Podman's timing). It keeps the failing streak in memory and journals
 * only transitions, as a HEALTH observation through the container's queue.
 * An unhealthy transition with `--health-on-failure` set becomes a request
 * through the machine, whose intent names the healthcheck and its cause.
 */
import { randomUUID } from "node:crypto";
import type { HealthProber } from "../effects/index.js";
import { actionOf, kindOf, type CloudEvent } from "../events/index.js";
import {
  healthActionDue,
  healthTransition,
  nextHealth,
  OUTPUT_LIMIT,
  probeCommand,
  probeRefusal,
  type CommandBody,
  type ContainerRecord,
  type Health,
  type HealthAction,
  type HealthStatus,
  type RequestMeta,
} from "../machines/index.js";
import type { Journal } from "../store/index.js";
import { recordOf, settled, type ActorPool } from "./actor-pool.js";
import type { CommandPath } from "./command-path.js";

/** One run of a container (from a start to its end): its timer and streak. */
interface Run {
  /** Counts the container's starts, so a probe of an earlier run is not applied to this one. */
  epoch: number;
  streak: number;
  timer?: NodeJS.Timeout;
  abort: AbortController;
  /** The probe under way: a `healthcheck run` meanwhile shares it, so a flood runs one probe. */
  inFlight?: Promise<HealthStatus>;
}

/** The healthcheck is the actor of what it journals and asks for. */
const healthMeta = (cause?: string): RequestMeta => ({
  actor: "healthcheck",
  client: "healthcheck",
  requestId: randomUUID(),
  ...(cause ? { cause } : {}),
});

const ACTION_COMMANDS: Record<Exclude<HealthAction, "none">, CommandBody> = {
  kill: { type: "KILL", signal: "SIGKILL" },
  restart: { type: "RESTART" },
  stop: { type: "STOP" },
};

/** Actions after which a container's run may have begun or ended. */
const IGNORED = new Set(["request", "health_status", "exec_create", "exec_start", "exec_died"]);

export class HealthMonitor {
  private readonly runs = new Map<string, Run>();
  private epochs = 0;
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly pool: ActorPool,
    private readonly commands: CommandPath,
    private readonly prober: HealthProber,
  ) {}

  /** Watches the journal for starts and ends, and probes containers already running. */
  open(journal: Pick<Journal, "subscribe">): void {
    this.unsubscribe = journal.subscribe((events) => this.onEvents(events));
    for (const entry of this.pool.all()) this.sync(recordOf(entry).id, false);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    for (const id of [...this.runs.keys()]) this.cancel(id);
  }

  /**
   * `healthcheck run`: one probe now, applied as a scheduled one would be
   * (transitions journaled, the on-failure action taken). Returns the health after it.
   */
  async runNow(ref: string): Promise<HealthStatus> {
    const entry = this.pool.entry(ref);
    await settled(entry);
    const record = recordOf(entry);
    const refusal = probeRefusal(record);
    if (refusal) throw refusal;
    const run = this.runs.get(record.id) ?? this.begin(record, false);
    return this.probe(record.id, run);
  }

  private onEvents(events: CloudEvent[]) {
    for (const e of events) {
      if (kindOf(e.type) !== "container") continue;
      const action = actionOf(e.type);
      if (IGNORED.has(action) && !isStartOfHealth(e)) continue;
      const entry = this.pool.byId(e.subject);
      const fresh = isStartOfHealth(e);
      // The journal tells before the actor has applied the facts: look once it rests.
      if (entry) void settled(entry).then(() => this.sync(e.subject, fresh));
      else this.cancel(e.subject);
    }
  }

  /** Starts, keeps or ends the container's run to match its record; `fresh`: a start just began one. */
  private sync(id: string, fresh: boolean) {
    if (this.closed) return;
    const entry = this.pool.byId(id);
    const record = entry ? recordOf(entry) : undefined;
    const live = record?.healthcheck && (record.state === "running" || record.state === "paused");
    if (!record || !live) return this.cancel(id);
    if (fresh) this.cancel(id);
    if (!this.runs.has(id)) this.begin(record, fresh);
  }

  private begin(record: ContainerRecord, fresh: boolean): Run {
    const run: Run = {
      epoch: ++this.epochs,
      // After a daemon restart the journal's streak goes on; a new start begins at none.
      streak: fresh ? 0 : (record.health?.failingStreak ?? 0),
      abort: new AbortController(),
    };
    this.runs.set(record.id, run);
    this.schedule(record.id, run);
    return run;
  }

  private schedule(id: string, run: Run) {
    const entry = this.pool.byId(id);
    const interval = entry ? recordOf(entry).healthcheck?.intervalMs : undefined;
    if (!interval || this.closed || this.runs.get(id) !== run) return;
    run.timer = setTimeout(() => {
      run.timer = undefined;
      void this.probe(id, run)
        .catch(() => undefined)
        .finally(() => this.schedule(id, run));
    }, interval);
    run.timer.unref();
  }

  private cancel(id: string) {
    const run = this.runs.get(id);
    if (!run) return;
    if (run.timer) clearTimeout(run.timer);
    run.abort.abort();
    this.runs.delete(id);
  }

  /** Runs one probe and applies its result, unless the run ended meanwhile. */
  private probe(id: string, run: Run): Promise<HealthStatus> {
    run.inFlight ??= this.probeOnce(id, run).finally(() => {
      run.inFlight = undefined;
    });
    return run.inFlight;
  }

  private async probeOnce(id: string, run: Run): Promise<HealthStatus> {
    const entry = this.pool.byId(id);
    const record = entry ? recordOf(entry) : undefined;
    const check = record?.healthcheck;
    if (!entry || !record || !check) return "unhealthy";
    const current: HealthStatus = record.health?.status ?? "starting";
    // Podman does not probe a paused container; the schedule goes on.
    if (record.state !== "running") return current;
    const outcome = await this.prober.probe({
      containerId: id,
      command: probeCommand(check.test),
      timeoutMs: check.timeoutMs,
      outputLimit: OUTPUT_LIMIT,
      signal: run.abort.signal,
    });
    if (run.abort.signal.aborted) return current;
    const latest = recordOf(entry);
    const before: Health = {
      status: latest.health?.status ?? "starting",
      failingStreak: run.streak,
    };
    const result = { ...outcome, at: new Date().toISOString() };
    const after = nextHealth(before, result, check, latest.startedAt);
    run.streak = after.failingStreak;
    const report = healthTransition(before, after, result);
    if (!report) return after.status;
    await this.pool.observe(entry, { type: "HEALTH", report, meta: healthMeta() });
    const action = healthActionDue(latest, report);
    if (action && recordOf(entry).health?.status === "unhealthy") {
      // A refusal (say, the container stopped meanwhile) is journaled as any request's is.
      await this.commands
        .command(id, ACTION_COMMANDS[action], healthMeta("unhealthy"))
        .catch(() => undefined);
    }
    return after.status;
  }
}

/** The `starting` a start, restart or restore journals: a new run of probes begins. */
function isStartOfHealth(e: CloudEvent): boolean {
  if (actionOf(e.type) !== "health_status") return false;
  const data = e.data as { status?: string; exitCode?: number };
  return data.status === "starting" && data.exitCode === undefined;
}
