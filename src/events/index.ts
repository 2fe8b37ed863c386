export { actionOf, CloudEventSchema, type CloudEvent, type UnplacedEvent } from "./envelope.js";
export { canonicalJson, eventHash, GENESIS_HASH } from "./hash.js";
export { envelope, type EnvelopeContext } from "./build.js";
