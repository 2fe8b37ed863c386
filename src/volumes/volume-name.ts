/**
 * Volume names, as Podman accepts them: a letter or digit, then letters,
 * digits, `_`, `.` or `-`. A name becomes one folder under the daemon's root,
 * so no separator, no `..` and a bounded length can ever reach a path.
 */
import { InvalidArgError } from "../errors.js";

/** Podman's volume name pattern. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The longest volume name; a folder name must fit in 255 bytes with room to spare. */
export const MAX_VOLUME_NAME_LENGTH = 128;

/** True when `name` is a valid volume name. */
export function isVolumeName(name: string): boolean {
  return name.length <= MAX_VOLUME_NAME_LENGTH && VOLUME_NAME.test(name);
}

/** Throws InvalidArgError unless `name` is a valid volume name. */
export function assertVolumeName(name: string): string {
  if (!isVolumeName(name)) {
    const shown =
      name.length > 64 ? `${JSON.stringify(name.slice(0, 64))}...` : JSON.stringify(name);
    throw new InvalidArgError(
      `invalid volume name ${shown}: use at most ${MAX_VOLUME_NAME_LENGTH} letters, digits, '_', '.' or '-', starting with a letter or digit`,
    );
  }
  return name;
}
