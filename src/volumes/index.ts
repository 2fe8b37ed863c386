/** Named volumes and `-v` mounts: parsing, the catalog fold, and their folders on disk. */
export { resolveBindSource } from "./bind-source.js";
export {
  containerPath,
  MAX_VOLUME_SPEC_LENGTH,
  parseMountRequest,
  parseMountRequests,
  type MountRequest,
} from "./mount-spec.js";
export {
  evolveVolume,
  isVolumeEventType,
  replayVolumes,
  VOLUME_ACTIONS,
  VOLUME_STREAM,
  volumeEventType,
  type StoredVolumeEvent,
  type VolumeAction,
  type VolumeCatalog,
  type VolumeCreated,
  type VolumeEventAt,
  type VolumeFact,
  type VolumeRecord,
} from "./volume-catalog.js";
export { assertVolumeName, isVolumeName, MAX_VOLUME_NAME_LENGTH } from "./volume-name.js";
export { VolumeStore } from "./volume-store.js";
