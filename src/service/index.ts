export {
  ContainerService,
  type ArtifactStore,
  type Attached,
  type CreateOptions,
  type ExecHandle,
  type ExecInspect,
  type ExecRequest,
  type ServiceDeps,
  type WaitOptions,
} from "./container-service.js";
export { provideMachine, type MachineDeps, type ProvidedMachine } from "./actor-machine.js";
export {
  AUDIT_STREAM,
  AuditCheckpoints,
  isCheckpointEvent,
  type CheckpointDeps,
  type CheckpointKeyInfo,
} from "./checkpoints.js";
export { startOrder } from "./dependencies.js";
export { inTimeWindow, windowed, type LogWindow } from "./log-window.js";
export { isTombstone, Registry, type Known, type Tombstone } from "./registry.js";
export {
  runtimeEffects,
  specOf,
  type Checkpointer,
  type ExitWaiter,
  type HostPorts,
  type NetworkPort,
  type RootfsStorage,
} from "./runtime-effects.js";
export { SerialQueue } from "./serial-queue.js";
export {
  containerName,
  labels,
  MAX_RESTART_RETRIES,
  MAX_TIMEOUT_SECONDS,
  restartPolicy,
  seconds,
  signalName,
} from "./validate.js";
export {
  foldJournal,
  rebuildProjections,
  verifyProjections,
  type ProjectionDiff,
  type ProjectionReport,
} from "./projections.js";
export {
  ContainerLooks,
  SAMPLE_MS,
  STREAM_MS,
  type ContainerStats,
  type TopResult,
} from "./top-stats.js";
