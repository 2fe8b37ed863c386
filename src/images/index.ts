/**
 * berth's image store (issue 11): content-addressed blobs, and (to come)
 * layers unpacked once and shared, archive and registry sources.
 */
export { BlobStore, type PutExpectation } from "./blob-store.js";
export { digestHex, digestOf, isDigest, parseDigest, type Digest } from "./digest.js";
export {
  hostPlatform,
  parseCreds,
  pullImage,
  readAuthFile,
  type BlobProgress,
  type Credentials,
  type PullOptions,
  type PullResult,
  type PullTarget,
} from "./registry/index.js";
