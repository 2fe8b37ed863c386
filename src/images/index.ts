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
export {
  choosePlatform,
  hostPlatform,
  MAX_DESCRIPTORS,
  MAX_MANIFEST_BYTES,
  MediaType,
  parseManifest,
  platformString,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type Platform,
  type PlatformDescriptor,
} from "./manifest.js";
export {
  DEFAULT_REGISTRY,
  parseReference,
  referenceString,
  type ImageReference,
} from "./reference.js";
export {
  parseCreds,
  pullImage,
  readAuthFile,
  type BlobProgress,
  type Credentials,
  type PullOptions,
  type PullResult,
  type PullTarget,
} from "./registry/index.js";
export {
  MAX_CONFIG_BYTES,
  parseImageConfig,
  resolveRunConfig,
  type ImageConfig,
  type ImageHealthcheck,
  type RunConfig,
  type RunOverrides,
} from "./image-config.js";
export { loadArchive, loadLayoutDir, type LoadedImage } from "./archive.js";
export {
  blobPath,
  dockerArchiveManifest,
  saveBlobDigests,
  saveIndexEntries,
  savedImageManifest,
  writeImageArchive,
  type DockerArchiveEntry,
  type SaveImage,
  type SaveIndexEntry,
  type WriteArchiveOptions,
} from "./image-save.js";
export {
  canonicalName,
  evolveImage,
  findImage,
  IMAGE_ACTIONS,
  IMAGE_STREAM,
  imageEventType,
  imageIdOf,
  isImageEventType,
  localName,
  matchedName,
  replayImages,
  type ImageAction,
  type ImageAdded,
  type ImageEventAt,
  type ImageFact,
  type ImageCatalog,
  type ImageLayer,
  type ImageRecord,
  type StoredImageEvent,
} from "./image-index.js";
export {
  DEFAULT_MAX_LAYER_BYTES,
  ImageStore,
  noSpace,
  type StoredImage,
  type StorePruned,
} from "./image-store.js";
