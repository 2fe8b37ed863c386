/**
 * berth's records under the field names Podman's `--format` templates use,
 * in one place: `ps` rows (`{{.Names}}`, `{{.Status}}`), `inspect` documents
 * (`{{.State.Status}}`, `{{.Config.Cmd}}`) and event rows (`{{.Status}}`).
 * Maps are JS Maps so that a missing label reads as Go's `<no value>`.
 */
import { actionOf, kindOf, type CloudEvent } from "../events/index.js";
import { publishedPorts, type ContainerRecord } from "../machines/index.js";
import { commandCell, idCell, portsCell, statusOf } from "./format.js";
import { humanAgo } from "../events/index.js";

/** Podman's word for a state: a never-started container is "created" there. */
export const podmanState = (r: ContainerRecord): string =>
  r.state === "configured" ? "created" : r.state;

/** Go's `time.Time.String()` of a UTC time, as Podman's `.CreatedAt` prints it. */
export function goTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;
}

const unix = (iso: string | undefined) =>
  iso === undefined ? 0 : Math.floor(Date.parse(iso) / 1000);

/** Column titles of ps templates where Podman's differ from the field name. */
export const PS_HEADERS: Record<string, string> = {
  ID: "CONTAINER ID",
  CreatedAt: "CREATED",
  CreatedHuman: "CREATED",
  RunningFor: "CREATED",
};

/** One `ps` row as Podman's templates see it, at `now`. */
export function psView(r: ContainerRecord, now: number, noTrunc = false) {
  return {
    ID: idCell(r.id, noTrunc),
    Image: r.image,
    ImageID: r.imagePin?.id ?? "",
    Command: commandCell(r, noTrunc),
    Created: unix(r.createdAt),
    CreatedAt: goTime(r.createdAt),
    CreatedHuman: humanAgo(r.createdAt, now),
    RunningFor: humanAgo(r.createdAt, now),
    Status: statusOf(r, now),
    State: podmanState(r),
    Names: r.name,
    Ports: portsCell(publishedPorts(r)),
    Labels: new Map(Object.entries(r.labels)),
    Pid: r.pid ?? 0,
    ExitCode: r.exitCode ?? 0,
    Exited: r.state === "exited" || r.state === "stopped",
    ExitedAt: unix(r.finishedAt),
    StartedAt: unix(r.startedAt),
    Restarts: r.restartCount,
  };
}

/** A container as Podman's `inspect` templates see it (`{{.State.Status}}`, `{{.Config.Labels}}`). */
export function inspectView(r: ContainerRecord) {
  return {
    Id: r.id,
    Created: r.createdAt,
    Path: r.command[0] ?? "",
    Args: r.command.slice(1),
    State: {
      Status: podmanState(r),
      Running: r.state === "running",
      Paused: r.state === "paused",
      Restarting: false,
      OOMKilled: r.oomKilled,
      Dead: false,
      Pid: r.pid ?? 0,
      ExitCode: r.exitCode ?? 0,
      StartedAt: r.startedAt ?? "",
      FinishedAt: r.finishedAt ?? "",
      Health: { Status: r.health?.status ?? "", FailingStreak: r.health?.failingStreak ?? 0 },
    },
    Image: r.imagePin?.id ?? "",
    ImageName: r.image,
    Name: r.name,
    RestartCount: r.restartCount,
    Config: {
      Hostname: r.hostname ?? r.id.slice(0, 12),
      User: r.user ?? "",
      Env: r.env ?? [],
      Cmd: r.command,
      Image: r.image,
      WorkingDir: r.workingDir ?? "/",
      Labels: new Map(Object.entries(r.labels)),
      StopSignal: r.stopSignal,
      StopTimeout: r.stopTimeout,
      Tty: r.terminal,
      OpenStdin: r.stdin,
    },
    HostConfig: {
      RestartPolicy: { Name: r.restartPolicy.name, MaximumRetryCount: r.restartPolicy.maxRetries },
      AutoRemove: r.autoRemove ?? false,
      NetworkMode: r.network?.mode ?? "",
    },
  };
}

/** An event (`events`, `history`) as Podman's event templates see it, with berth's journal fields. */
export function eventView(e: CloudEvent) {
  const data = e.data as { exitCode?: unknown; outcome?: unknown; command?: unknown };
  const action = actionOf(e.type);
  return {
    ID: e.subject,
    Type: kindOf(e.type),
    Status:
      action === "request" && typeof data.command === "string" ? `request ${data.command}` : action,
    Time: e.time,
    Seq: e.seq,
    Version: e.version,
    Actor: e.actor,
    Outcome: typeof data.outcome === "string" ? data.outcome : "success",
    ContainerExitCode: typeof data.exitCode === "number" ? data.exitCode : undefined,
    Data: new Map(Object.entries(e.data as object)),
  };
}
