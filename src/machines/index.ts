export { containerMachine } from "./container-machine.js";
export type {
  CheckpointOptions,
  CommandBody,
  CommandType,
  ContainerCommand,
  ExecConfig,
  ExecExit,
  RequestMeta,
} from "./commands.js";
export { KILLED_WITH_CONTAINER, withExecDeaths } from "./exec-facts.js";
export {
  EFFECTS,
  type CheckpointOutput,
  type CommandError,
  type Created,
  type EffectActors,
  type EffectInput,
  type EffectKey,
  type EffectLogic,
  type EffectOutputs,
  type ExitInfo,
  type ExportOutput,
  type MountOutput,
  type Peers,
  type PersistInput,
  type PersistOutput,
  type RemoveOutput,
  type StartOutput,
  type StopOutput,
  type SyncOutput,
} from "./ports.js";
export { evolve, type FactPosition } from "./evolve.js";
export {
  HEALTH_ACTIONS,
  HEALTH_STATUSES,
  OUTPUT_LIMIT,
  hasHealthcheck,
  healthActionDue,
  healthTransition,
  nextHealth,
  probeCommand,
  type Health,
  type HealthAction,
  type HealthConfig,
  type HealthReport,
  type HealthStatus,
  type ProbeResult,
} from "./health.js";
export {
  ACTIONS,
  fact,
  type Action,
  type CreateData,
  type Fact,
  type FailureData,
} from "./facts.js";
export {
  deathFacts,
  factsFor,
  keepsMount,
  UNKNOWN_EXIT_CODE,
  withHealthStart,
  type FactsContext,
} from "./facts-for.js";
export {
  applyFacts,
  argsOf,
  containerSetup,
  rejectedFact,
  requestFact,
  type ContainerContext,
} from "./operations.js";
export {
  CONTAINER_STATES,
  type ContainerRecord,
  type ContainerState,
  type ExecSession,
  type ImagePin,
  type RestartPolicy,
} from "./record.js";
export {
  DEFAULT_SANDBOX,
  LEGACY_SANDBOX,
  sandboxOf,
  type RlimitPair,
  type Sandbox,
} from "./sandbox.js";
export type { ContainerConfig, Resources, Security, TmpfsMount } from "./container-config.js";
export { isUlimitName, ULIMIT_NAMES, ULIMITS, type UlimitName } from "./ulimits.js";
export type { ContainerMount } from "./mounts.js";
export {
  NETWORK_MODES,
  type NetworkAttachment,
  type NetworkMode,
  type NetworkOptions,
  publishedPorts,
  type PortMapping,
} from "./network.js";
export { eventType, replay, toFact, type StoredFact } from "./replay.js";
export { autoRemoveDue, restartDelayMs, restartDue } from "./restart-policy.js";
export { committed } from "./rehydrate.js";
export {
  dependencyError,
  dependencyRefusal,
  isRequest,
  probeRefusal,
  refusal,
  rejection,
  resizeRefusal,
  removedError,
  runtimeMounted,
  versionConflict,
} from "./rules.js";
export { lifecycleDiagram, SHARED_EVENTS } from "./diagram.js";
