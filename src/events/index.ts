export { actionOf, CloudEventSchema, type CloudEvent, type UnplacedEvent } from "./envelope.js";
export { canonicalJson, eventHash, GENESIS_HASH } from "./hash.js";
