/**
 * berth: a container lifecycle service whose event journal is the source of
 * truth. This is the package's main entry, for programs that embed berth or
 * build on its records; `berth/client` is the lighter entry for programs that
 * only talk to a running daemon.
 *
 * - **Talking to a daemon**: {@link BerthClient} (the control API over the
 *   unix socket), {@link subscribe} (events, history then live),
 *   {@link FleetClient} and {@link natsSubscribe} (the same over NATS).
 * - **Events**: {@link CloudEvent} and its zod schema, the actions a container
 *   goes through, the hash chain (`eventHash`, `canonicalJson`,
 *   `GENESIS_HASH`) that lets an auditor recompute every `hash`.
 * - **Records**: {@link ContainerRecord}, what `inspect` and `ps` answer.
 * - **Errors**: one class per stable `code`; {@link errorFromWire} turns an
 *   `{"error": {code, message}}` answer back into its class.
 * - **The journal port**: {@link Journal}, with the LevelDB and in-memory
 *   adapters and {@link verifyChain}, to read or check a journal offline.
 * - **Running a daemon in-process**: {@link startDaemon}.
 */
export {
  BerthClient,
  DEFAULT_DETACH_KEYS,
  FleetClient,
  natsSubscribe,
  openAttachConnection,
  subscribe,
  type AttachConnection,
  type CallOptions,
  type ClientOptions,
  type FleetOptions,
  type NatsDelivery,
  type NatsSubscribeOptions,
  type SubscribeOptions,
} from "./client/index.js";
export { startDaemon, type Daemon, type DaemonOptions } from "./daemon/index.js";
export {
  asBerthError,
  BerthError,
  CtrHasDependentsError,
  CtrRemovedError,
  CtrStateInvalidError,
  CtrStoppedError,
  DaemonUnreachableError,
  DependencyNotRunningError,
  errorFromWire,
  InternalError,
  InvalidArgError,
  JournalWriteError,
  NameInUseError,
  NatsUnavailableError,
  NoSuchArtifactError,
  NoSuchCtrError,
  NoSuchImageError,
  NotImplementedError,
  OciRuntimeError,
  RequestInterruptedError,
  RootLockedError,
  SlowConsumerError,
  StreamConfigError,
  UnsupportedError,
  VersionConflictError,
  type ErrorCode,
} from "./errors.js";
export {
  actionOf,
  canonicalJson,
  CloudEventSchema,
  eventHash,
  GENESIS_HASH,
  type CloudEvent,
  type EventQuery,
} from "./events/index.js";
export {
  ACTIONS,
  CONTAINER_STATES,
  type Action,
  type ContainerRecord,
  type ContainerState,
  type RestartPolicy,
} from "./machines/index.js";
export type { NatsAuth, NatsEndpoint, NatsTls } from "./nats/index.js";
export {
  LevelJournal,
  MemoryJournal,
  verifyChain,
  type AppendInput,
  type ChainReport,
  type Journal,
  type JournalHead,
  type ReadOptions,
} from "./store/index.js";
