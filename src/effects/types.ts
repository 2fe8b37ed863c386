/**
 * The runtime port: everything berth asks of the host to run a container.
 * The machine names these effects; `LinuxRuntime` implements them with conmon,
 * runc and overlayfs, and pure machine tests swap in a fake.
 */
import type { ContainerRecord, Created, ExitInfo, Sandbox } from "../machines/index.js";

// The machine's port types, which these adapters produce; re-exported for the adapters' callers.
export type { Created, ExitInfo };

/**
 * What a container is made from, fixed at create time: the part of the
 * record the runtime needs (a terminal is OCI process.terminal and conmon -t,
 * stdin is conmon -i).
 */
export type ContainerSpec = Pick<
  ContainerRecord,
  | "id"
  | "name"
  | "image"
  | "command"
  | "stopSignal"
  | "stopTimeout"
  | "terminal"
  | "stdin"
  | "sandbox"
  | "imagePin"
  | "env"
  | "workingDir"
  | "user"
  | "hostname"
  | "readOnly"
  | "tmpfs"
  | "resources"
  | "security"
  | "mounts"
  | "network"
  | "networkAttachment"
>;

/** runc's own view of a container (`runc state`). */
export type RuncStatus = "creating" | "created" | "running" | "paused" | "stopped";

export interface RuncState {
  status: RuncStatus;
  pid: number;
}

/** One line of a container's log. */
export interface LogLine {
  time: string;
  stream: "stdout" | "stderr";
  text: string;
}

/** A log line, or the mark that everything in the log when following began has been given. */
export type FollowItem = { line: LogLine } | { caughtUp: true };

export interface FollowOptions {
  /**
   * True once no more output can come (the container is gone, or it has
   * exited and will not start again). Asked before each read, so the read
   * after the first `true` takes whatever was written before the end.
   */
  ended(): boolean;
  /** Stops following at once (the client went away). */
  signal?: AbortSignal;
  pollMs?: number;
}

/** A terminal's size in character cells. */
export interface TerminalSize {
  width: number;
  height: number;
}

/** One piece of a container's output, as conmon relays it to attached clients. */
export interface AttachChunk {
  /** With a terminal, all output arrives as stdout. */
  stream: "stdout" | "stderr";
  data: Buffer;
}

/**
 * A live connection to a container's stdio through its monitor. Iterating
 * yields the output written from the moment of connecting; the iteration ends
 * when the container exits (conmon closes every client) or `close()` is called.
 * Output is not paced: it is buffered in memory until the iterator takes it.
 */
export interface AttachSession extends AsyncIterable<AttachChunk> {
  /** Sends bytes to the container's stdin (dropped by conmon unless it keeps stdin open). */
  write(data: Uint8Array): Promise<void>;
  /**
   * Half-closes the connection. conmon then closes the stdin of a container
   * created with stdin open (not a terminal's), so the process reads EOF.
   */
  endInput(): void;
  /** Ends the session; the container keeps running. */
  close(): void;
}

/** Effects on the host. Every method that runs a process takes an AbortSignal that kills it. */
export interface ContainerRuntime {
  /**
   * Refuses a sandbox this host cannot give: a default seccomp filter without
   * the profile (SeccompProfileError), or an rlimit above the daemon's own hard
   * limit, which runc could not raise (InvalidArgError).
   */
  checkSandbox(sandbox: Sandbox): Promise<void>;
  /** Mount the overlay rootfs and write the OCI bundle. Idempotent. */
  prepare(spec: ContainerSpec, signal?: AbortSignal): Promise<void>;
  /** Spawn conmon, which runs `runc create`; resolves with the container's PID. */
  create(spec: ContainerSpec, signal?: AbortSignal): Promise<Created>;
  start(id: string, signal?: AbortSignal): Promise<void>;
  kill(id: string, signal: string, abort?: AbortSignal): Promise<void>;
  pause(id: string, signal?: AbortSignal): Promise<void>;
  resume(id: string, signal?: AbortSignal): Promise<void>;
  /** `runc delete --force`; succeeds when runc no longer knows the container. */
  delete(id: string, signal?: AbortSignal): Promise<void>;
  /** The ids of every container the runtime holds. */
  list(signal?: AbortSignal): Promise<string[]>;
  /** runc's view, or undefined when runc does not know the container. */
  state(id: string, signal?: AbortSignal): Promise<RuncState | undefined>;
  /** Unmount the overlay rootfs. Idempotent. */
  unmount(id: string, signal?: AbortSignal): Promise<void>;
  /**
   * Remove every file of the container (after unmount) but its exit file: that
   * is the evidence of how it ended until the removal is journaled. Idempotent.
   */
  removeFiles(id: string): Promise<void>;
  /** Delete the exit file of a container whose removal is journaled. Idempotent. */
  discardExit(id: string): Promise<void>;
  /** Exit file written by conmon, or undefined if the process has not exited. */
  readExit(id: string): Promise<ExitInfo | undefined>;
  /** Set a previous exit aside before the container runs again. */
  clearExit(id: string): Promise<void>;
  /** The exit `clearExit` set aside: the last run's end, until a new run ends. */
  readPreviousExit(id: string): Promise<ExitInfo | undefined>;
  readLogs(id: string): Promise<LogLine[]>;
  /** The container's log lines as they are read from its log file, never the whole file at once. */
  logLines(id: string): AsyncIterable<LogLine>;
  /** The log from its start, then each line as it is written, until `options.ended()` and drained. */
  followLogs(id: string, options: FollowOptions): AsyncIterable<FollowItem>;
  /**
   * Connects to the attach socket of a created or running container. Output
   * written before this resolves is not seen (it is in the log).
   */
  attach(id: string, signal?: AbortSignal): Promise<AttachSession>;
  /** Resizes the container's terminal. */
  resize(id: string, size: TerminalSize): Promise<void>;
}
