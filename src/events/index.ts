/**
 * Events: the CloudEvents envelope and its hash chain, the ways to read
 * them back (the feed of history then live, Podman's filters, the events
 * query and its time forms), and the NATS subjects they travel on. No I/O of its own: the feed reads through the
 * `EventLog` port, which the journal implements.
 */
export { CloudEventSchema, type CloudEvent, type UnplacedEvent } from "./envelope.js";
export { actionOf, kindOf } from "./event-type.js";
export { canonicalJson, eventHash, GENESIS_HASH } from "./hash.js";
export { envelope, envelopeOf, type EnvelopeContext } from "./build.js";
export type { EventLog, LogReadOptions } from "./log.js";
export {
  eventBatches,
  eventFeed,
  feedEntries,
  seqBefore,
  SINCE_SLACK_MS,
  type FeedEntry,
  type FeedMeter,
  type FeedOptions,
} from "./feed.js";
export {
  ContainerDirectory,
  parseFilters,
  type ContainerFacts,
  type EventFilter,
} from "./filter.js";
export {
  fromSearchParams,
  resolveQuery,
  toSearchParams,
  type EventQuery,
  type ResolvedQuery,
} from "./query.js";
export { parseDuration, parseTimeArg, rfc3339Ms } from "./time.js";
export { humanAgo, humanDuration } from "./human-time.js";
export { apiSubject, eventSubjects, hostSubjects } from "./subjects.js";
