/**
 * The resource limits `--ulimit` can set, by Podman's names (those of
 * docker/go-units), with the OCI rlimit type runc sets and the row of
 * `/proc/<pid>/limits` that shows it.
 */
export const ULIMITS = {
  core: { type: "RLIMIT_CORE", row: "Max core file size" },
  cpu: { type: "RLIMIT_CPU", row: "Max cpu time" },
  data: { type: "RLIMIT_DATA", row: "Max data size" },
  fsize: { type: "RLIMIT_FSIZE", row: "Max file size" },
  locks: { type: "RLIMIT_LOCKS", row: "Max file locks" },
  memlock: { type: "RLIMIT_MEMLOCK", row: "Max locked memory" },
  msgqueue: { type: "RLIMIT_MSGQUEUE", row: "Max msgqueue size" },
  nice: { type: "RLIMIT_NICE", row: "Max nice priority" },
  nofile: { type: "RLIMIT_NOFILE", row: "Max open files" },
  nproc: { type: "RLIMIT_NPROC", row: "Max processes" },
  rss: { type: "RLIMIT_RSS", row: "Max resident set" },
  rtprio: { type: "RLIMIT_RTPRIO", row: "Max realtime priority" },
  rttime: { type: "RLIMIT_RTTIME", row: "Max realtime timeout" },
  sigpending: { type: "RLIMIT_SIGPENDING", row: "Max pending signals" },
  stack: { type: "RLIMIT_STACK", row: "Max stack size" },
} as const satisfies Record<string, { type: string; row: string }>;

export type UlimitName = keyof typeof ULIMITS;

export const ULIMIT_NAMES = Object.keys(ULIMITS) as UlimitName[];

export const isUlimitName = (name: string): name is UlimitName => Object.hasOwn(ULIMITS, name);
