/**
 * The Docker Engine API adapter: `dockerServer` serves the docker CLI,
 * dockerode and Docker-event consumers from the same operations and journal
 * as berth's own API.
 */
export { dockerServer, dockerRequestMeta } from "./docker-server.js";
export { DOCKER_API_VERSION, DOCKER_MIN_API_VERSION } from "./api-version.js";
export {
  dockerEventJson,
  dockerEventsOf,
  matchesDockerFilters,
  parseDockerFilters,
  parseDockerTime,
  type DockerEvent,
} from "./docker-events.js";
export { dockerInspect, dockerState, dockerStatus, dockerSummary } from "./container-json.js";
export { createBodyFromDocker } from "./create-body.js";
