/**
 * berth's image store (issue 11): content-addressed blobs, and (to come)
 * layers unpacked once and shared, archive and registry sources.
 */
export { BlobStore, type PutExpectation } from "./blob-store.js";
export { digestHex, digestOf, isDigest, parseDigest, type Digest } from "./digest.js";
export {
  sweepLayerTemps,
  unpackLayer,
  type LayerSource,
  type UnpackedLayer,
  type UnpackOptions,
} from "./layer-unpack.js";
