export {
  applyFacts,
  containerMachine,
  containerSetup,
  factsFor,
  type CommandError,
  type ContainerContext,
  type EffectInput,
  type EffectKey,
  type PersistInput,
  type PersistOutput,
  type RemoveOutput,
  type StartOutput,
  type StopOutput,
} from "./container-machine.js";
export type {
  CheckpointOptions,
  CommandBody,
  CommandType,
  ContainerCommand,
  RequestMeta,
} from "./commands.js";
export { evolve, type FactPosition } from "./evolve.js";
export {
  ACTIONS,
  fact,
  type Action,
  type CreateData,
  type Fact,
  type FailureData,
} from "./facts.js";
export {
  CONTAINER_STATES,
  type ContainerRecord,
  type ContainerState,
  type RestartPolicy,
} from "./record.js";
export { eventType, replay, toFact, type StoredFact } from "./replay.js";
export { committed } from "./restore.js";
export { rejection } from "./rules.js";
export { lifecycleDiagram } from "./diagram.js";
