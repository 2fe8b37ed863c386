/**
 * Pulling images from an OCI distribution registry (issue 11).
 */
export { parseCreds, readAuthFile, type Credentials } from "./auth.js";
export { type ClientOptions } from "./client.js";
export {
  pullImage,
  type BlobProgress,
  type PullOptions,
  type PullResult,
  type PullTarget,
} from "./pull.js";
