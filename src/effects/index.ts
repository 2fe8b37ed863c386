/**
 * Host-side effects: the runtime port, its Linux implementation and the
 * exit monitor, plus the pure helpers worth testing or reusing on their own.
 */
export type {
  AttachChunk,
  AttachSession,
  ContainerRuntime,
  ContainerSpec,
  Created,
  ExitInfo,
  FollowItem,
  FollowOptions,
  LogLine,
  RuncState,
  RuncStatus,
  TerminalSize,
} from "./types.js";
export { LinuxRuntime, type LinuxRuntimeOptions } from "./runtime.js";
export { ExitMonitor, type ExitListener, type ExitMonitorOptions } from "./exit-monitor.js";
export { ociSpec, type OciSpec } from "./bundle.js";
export {
  ALL_CAPABILITIES,
  boundingCapabilities,
  capabilitiesInMask,
  capabilityName,
  resolveCapabilities,
  type CapabilityRequest,
} from "./capabilities.js";
export { conmonArgs } from "./conmon.js";
export { attachSocketPath, controlFifoPath, resizeMessage } from "./attach.js";
export { CONMON_PIPE, decodeConmonPacket, stdinPackets } from "./attach-frames.js";
export { parseK8sLog } from "./logs.js";
export { parseExitCode } from "./exit-file.js";
export { runcError } from "./runc-errors.js";
export {
  assertContainerId,
  assertImageName,
  containerPaths,
  isContainerId,
  layout,
  safeJoin,
  type ContainerPaths,
  type Layout,
} from "./paths.js";
export { LinuxCheckpointer, type CheckpointRequest } from "./checkpoint.js";
export { artifactName, LinuxStorage, type ArtifactInfo } from "./storage.js";
export { isInRoot, MAX_SYMLINK_HOPS, resolveInRoot } from "./path-in-root.js";
export { DEFAULT_MAX_FILE_BYTES, readFileInRoot, type ReadInRootOptions } from "./read-in-root.js";
export { MAX_ID, parseGroup, parsePasswd, type GroupEntry, type PasswdEntry } from "./passwd.js";
export {
  lookupUser,
  parseUserSpec,
  type IdOrName,
  type ResolvedUser,
  type UserSpec,
} from "./user-lookup.js";
export { resolveUser } from "./user-resolve.js";
export { LinuxNetwork, type LinuxNetworkOptions, type LiveNetwork } from "./network.js";
export { withNetwork } from "./bundle-network.js";
export { FALLBACK_DNS, hostsFile, resolvConf, type EtcContent } from "./etc-files.js";
export { runCniPlugin, type CniCall, type CniResult } from "./cni.js";
export { BRIDGE_NAME, GATEWAY, NETWORK_NAME, SUBNET, networkDirs } from "./network-config.js";
export {
  EXEC_CANNOT_INVOKE,
  EXEC_NOT_FOUND,
  execConmonArgs,
  execFailureCode,
  type ExecFailed,
  type ExecOutcome,
  type ExecRunning,
} from "./exec-conmon.js";
export { execProcessSpec, mergeEnv, type ExecProcessInput } from "./exec-spec.js";
export {
  LinuxExecs,
  type ExecRuntime,
  type ExecStart,
  type LinuxExecsOptions,
} from "./exec-runtime.js";
export { idNames, readIdNames, type IdNames } from "./id-names.js";
export { LinuxProbe, type ContainerProbe, type TopResult } from "./probe.js";
export { LinuxHealthProber, type HealthProber, type ProbeOutcome } from "./health-probe.js";
export {
  parseBlkioV1,
  parseCpuStatV2,
  parseIoStatV2,
  parseMemLimit,
  parseNetDev,
  parseProcCgroup,
  statsLine,
  type CgroupReading,
  type ContainerStats,
} from "./cgroup-stats.js";
export {
  commandLine,
  formatDuration,
  isGone,
  parseProcStat,
  parseRuncPids,
  parseStatusIds,
  topRow,
  type ProcIds,
  ttyName,
} from "./proc-top.js";
export type { ProcessRunner, RunOptions, RunResult } from "./process-runner.js";
export { ExecaRunner } from "./execa-runner.js";
export { defaultBrokerBinary, SpawnBroker } from "./spawn-broker.js";
export { defaultRunner } from "./default-runner.js";
