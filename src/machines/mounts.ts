/**
 * What a container mounts besides its image: journaled in its create event
 * exactly as it will be mounted, so history shows which host path or volume
 * each container could read and write.
 */

/** One mount of a container, as `-v` asked and the daemon resolved it. */
export interface ContainerMount {
  /** A host path bound in, or a named volume's data folder. */
  type: "bind" | "volume";
  /** The host path mounted: a bind source after symlinks were resolved, or the volume's `_data` folder. */
  source: string;
  /** The bind source as given, when resolving symlinks changed it. */
  requestedSource?: string;
  /** The volume's name (type volume). */
  name?: string;
  /** The path inside the container. */
  destination: string;
  /** The OCI mount options, as written in the spec (`rbind`, `ro`, ...). */
  options: string[];
  /** Options accepted but without effect here (`z`, `Z`: no SELinux). */
  ignoredOptions?: string[];
}
