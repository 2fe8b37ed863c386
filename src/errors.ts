/**
 * Typed errors. Each failure has one class with a stable `code` that the HTTP API
 * and CLI carry across process boundaries, so a client can rebuild the same class.
 */

/** Base of every berth error: stable `code`, HTTP status, optional wrapped `cause`. */
export abstract class BerthError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /** The wire form used by the HTTP API. */
  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** The operation is not allowed in the container's current state (seed: ErrCtrStateInvalid). */
export class CtrStateInvalidError extends BerthError {
  readonly code = "CTR_STATE_INVALID";
  readonly status = 409;
}

/** The container is already stopped (seed: ErrCtrStopped). */
export class CtrStoppedError extends BerthError {
  readonly code = "CTR_STOPPED";
  readonly status = 409;
}

/** The container has been removed (seed: ErrCtrRemoved). */
export class CtrRemovedError extends BerthError {
  readonly code = "CTR_REMOVED";
  readonly status = 410;
}

/** No container matches the given id, id prefix or name. */
export class NoSuchCtrError extends BerthError {
  readonly code = "NO_SUCH_CTR";
  readonly status = 404;
}

/** No image matches the given name, digest or id. */
export class NoSuchImageError extends BerthError {
  readonly code = "NO_SUCH_IMAGE";
  readonly status = 404;
}

/** A container or image with that name already exists. */
export class NameInUseError extends BerthError {
  readonly code = "NAME_IN_USE";
  readonly status = 409;
}

/** An argument is malformed: a bad name, signal, path or body (seed: ErrInvalidArg). */
export class InvalidArgError extends BerthError {
  readonly code = "INVALID_ARG";
  readonly status = 400;
}

/** No exec session by that id in that container (Podman: ErrNoSuchExecSession). */
export class NoSuchExecSessionError extends BerthError {
  readonly code = "NO_SUCH_EXEC_SESSION";
  readonly status = 404;
}

/** The operation exists in the seed API but is not implemented (seed: ErrNotImplemented). */
export class NotImplementedError extends BerthError {
  readonly code = "NOT_IMPLEMENTED";
  readonly status = 501;
}

/** An invariant inside berth broke (seed: ErrInternal). */
export class InternalError extends BerthError {
  readonly code = "INTERNAL";
  readonly status = 500;
}

/** The OCI runtime (runc) or conmon failed; the message carries their stderr. */
export class OciRuntimeError extends BerthError {
  readonly code = "OCI_RUNTIME";
  readonly status = 500;
}

/**
 * The container's command is not in its filesystem or PATH (Podman's
 * ErrOCIRuntimeNotFound): `run`, `start -a` and `exec` exit 127. A 400, as
 * Docker answers: the caller named the command.
 */
export class CommandNotFoundError extends BerthError {
  readonly code = "COMMAND_NOT_FOUND";
  readonly status = 400;
}

/**
 * The container's command exists but cannot be run, such as a file without
 * execute permission (Podman's ErrOCIRuntimePermDenied): exit 126.
 */
export class CommandNotExecutableError extends BerthError {
  readonly code = "COMMAND_NOT_EXECUTABLE";
  readonly status = 400;
}

/** The journal could not durably record an event; the request did not take effect. */
export class JournalWriteError extends BerthError {
  readonly code = "JOURNAL_WRITE";
  readonly status = 503;
}

/** An append expected a stream version that is no longer current. */
export class VersionConflictError extends BerthError {
  readonly code = "VERSION_CONFLICT";
  readonly status = 409;
}

/** Another daemon owns this root (the LevelDB lock is held). */
export class RootLockedError extends BerthError {
  readonly code = "ROOT_LOCKED";
  readonly status = 503;
}

/** A live daemon already answers on the socket this one was told to serve. */
export class SocketInUseError extends BerthError {
  readonly code = "SOCKET_IN_USE";
  readonly status = 503;
}

/** The CLI could not reach the daemon's socket. */
export class DaemonUnreachableError extends BerthError {
  readonly code = "DAEMON_UNREACHABLE";
  readonly status = 503;
}

/** NATS could not be reached; delivery is delayed, never lost. */
export class NatsUnavailableError extends BerthError {
  readonly code = "NATS_UNAVAILABLE";
  readonly status = 503;
}

/** A container this one requires is not running (seed: checkDependenciesAndHandleError). */
export class DependencyNotRunningError extends BerthError {
  readonly code = "DEPENDENCY_NOT_RUNNING";
  readonly status = 409;
}

/** The operation cannot work on this host (criu for checkpoint/restore, say). */
export class UnsupportedError extends BerthError {
  readonly code = "UNSUPPORTED";
  readonly status = 501;
}

/** No artifact with that name exists for the container. */
export class NoSuchArtifactError extends BerthError {
  readonly code = "NO_SUCH_ARTIFACT";
  readonly status = 404;
}

/** Another container depends on this one, so it cannot be removed. */
export class CtrHasDependentsError extends BerthError {
  readonly code = "CTR_HAS_DEPENDENTS";
  readonly status = 409;
}

/** An event consumer read nothing for too long while events waited; it was disconnected and can resume. */
export class SlowConsumerError extends BerthError {
  readonly code = "SLOW_CONSUMER";
  readonly status = 503;
}

/** A JetStream stream exists with a configuration berth cannot use or change (its storage type). */
export class StreamConfigError extends BerthError {
  readonly code = "STREAM_CONFIG";
  readonly status = 500;
}

/** A retried request whose first attempt was cut off between its intent and its outcome. */
export class RequestInterruptedError extends BerthError {
  readonly code = "REQUEST_INTERRUPTED";
  readonly status = 409;
}

/** `GET /events` already serves as many subscribers as the daemon allows; retry later. */
export class TooManySubscribersError extends BerthError {
  readonly code = "TOO_MANY_SUBSCRIBERS";
  readonly status = 503;
}

/** A `--socket` that is not a path (a port number, `host:port`, a URL): berth serves only a unix socket. */
export class SocketPathError extends BerthError {
  readonly code = "SOCKET_PATH";
  readonly status = 400;
}

/** The root is not the daemon's own (another owner) or cannot be made private (0700). */
export class RootPermissionError extends BerthError {
  readonly code = "ROOT_PERMISSION";
  readonly status = 503;
}

/** A request body (an uploaded archive) is larger than the daemon accepts. */
export class PayloadTooLargeError extends BerthError {
  readonly code = "PAYLOAD_TOO_LARGE";
  readonly status = 413;
}

/** A NATS API request that proves no allowed identity: unsigned, badly signed, stale, replayed or an unknown key. */
export class UnauthenticatedError extends BerthError {
  readonly code = "UNAUTHENTICATED";
  readonly status = 401;
}

/** The verified caller's role does not allow the operation. */
export class ForbiddenError extends BerthError {
  readonly code = "FORBIDDEN";
  readonly status = 403;
}

/** Too many requests are in flight; this one was refused at once rather than queued. */
export class BusyError extends BerthError {
  readonly code = "BUSY";
  readonly status = 429;
}

/** The answer is larger than the transport can carry (NATS max_payload); use the socket API. */
export class AnswerTooLargeError extends BerthError {
  readonly code = "ANSWER_TOO_LARGE";
  readonly status = 413;
}

/** Another live daemon already serves this host id on the same NATS (it holds the host lease). */
export class HostInUseError extends BerthError {
  readonly code = "HOST_IN_USE";
  readonly status = 503;
}

/**
 * The host's default seccomp profile is missing or unusable, so a container
 * cannot get its default sandbox; berth refuses rather than run it unconfined.
 */
export class SeccompProfileError extends BerthError {
  readonly code = "SECCOMP_PROFILE";
  readonly status = 500;
}

/** Bytes that do not hash (or measure) to the digest they were announced with; nothing was stored. */
export class DigestMismatchError extends BerthError {
  readonly code = "DIGEST_MISMATCH";
  readonly status = 400;
}

/**
 * A layer tarball that would write outside its own folder (`../`, absolute
 * names, writing through a symlink, a hard link to a path outside the layer);
 * nothing of it was kept.
 */
export class LayerUnsafeError extends BerthError {
  readonly code = "LAYER_UNSAFE";
  readonly status = 400;
}

/** A layer that is not a readable tarball (corrupt gzip or tar, an entry type berth cannot apply); nothing was kept. */
export class LayerInvalidError extends BerthError {
  readonly code = "LAYER_INVALID";
  readonly status = 400;
}

/** A manifest or index that is malformed, schema1, or of a media type berth does not know. */
export class ManifestInvalidError extends BerthError {
  readonly code = "MANIFEST_INVALID";
  readonly status = 400;
}

/** An image index lists no image for this host's platform (os/architecture/variant). */
export class NoMatchingPlatformError extends BerthError {
  readonly code = "NO_MATCHING_PLATFORM";
  readonly status = 404;
}

/** An image archive that is not one, is cut off, or names a file outside itself. */
export class ArchiveInvalidError extends BerthError {
  readonly code = "ARCHIVE_INVALID";
  readonly status = 400;
}

/** A registry refused the credentials given (or gave none where some are needed). */
export class RegistryAuthError extends BerthError {
  readonly code = "REGISTRY_AUTH";
  readonly status = 401;
}

/** A registry has no such repository, tag or manifest (an index without this platform is NO_MATCHING_PLATFORM). */
export class RegistryNotFoundError extends BerthError {
  readonly code = "REGISTRY_NOT_FOUND";
  readonly status = 404;
}

/** A registry could not be reached, kept failing after the retries, or answered outside the protocol. */
export class RegistryUnavailableError extends BerthError {
  readonly code = "REGISTRY_UNAVAILABLE";
  readonly status = 502;
}

/** An image that containers still use cannot be removed without force (Podman's ErrImageInUse). */
export class ImageInUseError extends BerthError {
  readonly code = "IMAGE_IN_USE";
  readonly status = 409;
}

/** The host's disk is full: the operation stopped and left nothing half-written. */
export class NoSpaceError extends BerthError {
  readonly code = "NO_SPACE";
  readonly status = 507;
}

/**
 * A user or group name (`--user`, an image's `User`) that the container's
 * /etc/passwd or /etc/group does not list; numeric ids need no entry.
 */
export class UserNotFoundError extends BerthError {
  readonly code = "USER_NOT_FOUND";
  readonly status = 400;
}

/**
 * A file berth reads from a container's root filesystem (its /etc/passwd, say)
 * that is not a regular file, is too large, or sits behind too many symlinks;
 * it was not read, since the image that holds it is untrusted.
 */
export class RootfsFileUnsafeError extends BerthError {
  readonly code = "ROOTFS_FILE_UNSAFE";
  readonly status = 400;
}

/** No volume has this name (Podman's ErrNoSuchVolume). */
export class NoSuchVolumeError extends BerthError {
  readonly code = "NO_SUCH_VOLUME";
  readonly status = 404;
}

/** `volume create` of a name a volume already has (Podman's ErrVolumeExists). */
export class VolumeExistsError extends BerthError {
  readonly code = "VOLUME_EXISTS";
  readonly status = 409;
}

/** A volume that a container not yet removed mounts cannot be removed (Podman's ErrVolumeBeingUsed). */
export class VolumeInUseError extends BerthError {
  readonly code = "VOLUME_IN_USE";
  readonly status = 409;
}

/** A CNI plugin failed to set a container's network up or down; `cause` holds its error. */
export class NetworkError extends BerthError {
  readonly code = "NETWORK";
  readonly status = 500;
}

/** A published host port is already taken, by another container or a host process. */
export class PortInUseError extends BerthError {
  readonly code = "PORT_IN_USE";
  readonly status = 409;
}

/** `healthcheck run` on a container that has none (Podman: "has no defined healthcheck"). */
export class NoHealthcheckError extends BerthError {
  readonly code = "NO_HEALTHCHECK";
  readonly status = 409;
}

/** A `--format` the CLI cannot honour: an unknown keyword, a template it cannot parse, a missing field. */
export class FormatInvalidError extends BerthError {
  readonly code = "FORMAT_INVALID";
  readonly status = 400;
}

/**
 * An inclusion proof that does not lead from its leaf to the tree root it
 * claims: the event is not at that position of that tree, or the proof, leaf,
 * index, size or root was changed.
 */
export class InclusionProofError extends BerthError {
  readonly code = "INCLUSION_PROOF_INVALID";
  readonly status = 422;
}

/**
 * A consistency proof that does not show the later tree extending the earlier
 * one: the log was rewritten between the two, or the proof or a root was changed.
 */
export class ConsistencyProofError extends BerthError {
  readonly code = "CONSISTENCY_PROOF_INVALID";
  readonly status = 422;
}

/** A checkpoint whose signature does not verify under the public key it is checked against. */
export class CheckpointSignatureError extends BerthError {
  readonly code = "CHECKPOINT_SIGNATURE";
  readonly status = 422;
}

/**
 * A checkpoint that names another signing key than the one it is checked
 * against: the host's key was replaced, or the checkpoint comes from elsewhere.
 */
export class CheckpointKeyMismatchError extends BerthError {
  readonly code = "CHECKPOINT_KEY_MISMATCH";
  readonly status = 422;
}

/** A proof or checkpoint that is not of the expected shape: bad JSON, a missing field, a malformed hash. */
export class ProofMalformedError extends BerthError {
  readonly code = "PROOF_MALFORMED";
  readonly status = 400;
}

/** No signed checkpoint of the journal at the size asked for. */
export class NoSuchCheckpointError extends BerthError {
  readonly code = "NO_SUCH_CHECKPOINT";
  readonly status = 404;
}

/** The daemon's checkpoint signing key cannot be read or is not an Ed25519 private key. */
export class CheckpointKeyInvalidError extends BerthError {
  readonly code = "CHECKPOINT_KEY_INVALID";
  readonly status = 500;
}

/**
 * The journal's Merkle tree cannot be rebuilt from its events, which no
 * longer chain (run `audit verify`): no checkpoint is signed and no proof
 * made over a journal that was altered. The events still read.
 */
export class TreeUnavailableError extends BerthError {
  readonly code = "TREE_UNAVAILABLE";
  readonly status = 503;
}

const registry = {
  CTR_STATE_INVALID: CtrStateInvalidError,
  CTR_STOPPED: CtrStoppedError,
  CTR_REMOVED: CtrRemovedError,
  NO_SUCH_CTR: NoSuchCtrError,
  NO_SUCH_IMAGE: NoSuchImageError,
  NAME_IN_USE: NameInUseError,
  INVALID_ARG: InvalidArgError,
  NOT_IMPLEMENTED: NotImplementedError,
  INTERNAL: InternalError,
  OCI_RUNTIME: OciRuntimeError,
  COMMAND_NOT_FOUND: CommandNotFoundError,
  COMMAND_NOT_EXECUTABLE: CommandNotExecutableError,
  JOURNAL_WRITE: JournalWriteError,
  VERSION_CONFLICT: VersionConflictError,
  ROOT_LOCKED: RootLockedError,
  SOCKET_IN_USE: SocketInUseError,
  DAEMON_UNREACHABLE: DaemonUnreachableError,
  NATS_UNAVAILABLE: NatsUnavailableError,
  DEPENDENCY_NOT_RUNNING: DependencyNotRunningError,
  UNSUPPORTED: UnsupportedError,
  NO_SUCH_ARTIFACT: NoSuchArtifactError,
  CTR_HAS_DEPENDENTS: CtrHasDependentsError,
  REQUEST_INTERRUPTED: RequestInterruptedError,
  SLOW_CONSUMER: SlowConsumerError,
  STREAM_CONFIG: StreamConfigError,
  TOO_MANY_SUBSCRIBERS: TooManySubscribersError,
  SOCKET_PATH: SocketPathError,
  ROOT_PERMISSION: RootPermissionError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  UNAUTHENTICATED: UnauthenticatedError,
  FORBIDDEN: ForbiddenError,
  BUSY: BusyError,
  ANSWER_TOO_LARGE: AnswerTooLargeError,
  HOST_IN_USE: HostInUseError,
  SECCOMP_PROFILE: SeccompProfileError,
  DIGEST_MISMATCH: DigestMismatchError,
  LAYER_UNSAFE: LayerUnsafeError,
  LAYER_INVALID: LayerInvalidError,
  MANIFEST_INVALID: ManifestInvalidError,
  NO_MATCHING_PLATFORM: NoMatchingPlatformError,
  ARCHIVE_INVALID: ArchiveInvalidError,
  NO_SUCH_EXEC_SESSION: NoSuchExecSessionError,
  REGISTRY_AUTH: RegistryAuthError,
  REGISTRY_NOT_FOUND: RegistryNotFoundError,
  REGISTRY_UNAVAILABLE: RegistryUnavailableError,
  IMAGE_IN_USE: ImageInUseError,
  NO_SPACE: NoSpaceError,
  USER_NOT_FOUND: UserNotFoundError,
  ROOTFS_FILE_UNSAFE: RootfsFileUnsafeError,
  NO_SUCH_VOLUME: NoSuchVolumeError,
  VOLUME_EXISTS: VolumeExistsError,
  VOLUME_IN_USE: VolumeInUseError,
  NETWORK: NetworkError,
  PORT_IN_USE: PortInUseError,
  NO_HEALTHCHECK: NoHealthcheckError,
  FORMAT_INVALID: FormatInvalidError,
  INCLUSION_PROOF_INVALID: InclusionProofError,
  CONSISTENCY_PROOF_INVALID: ConsistencyProofError,
  CHECKPOINT_SIGNATURE: CheckpointSignatureError,
  CHECKPOINT_KEY_MISMATCH: CheckpointKeyMismatchError,
  PROOF_MALFORMED: ProofMalformedError,
  NO_SUCH_CHECKPOINT: NoSuchCheckpointError,
  CHECKPOINT_KEY_INVALID: CheckpointKeyInvalidError,
  TREE_UNAVAILABLE: TreeUnavailableError,
} as const satisfies Record<string, new (message: string) => BerthError>;

/** Every stable error code berth can answer with. */
export type ErrorCode = keyof typeof registry;

/** Rebuilds a typed error from its wire form; unknown codes become InternalError. */
export function errorFromWire(wire: { code: string; message: string }): BerthError {
  const Ctor = (registry as Record<string, new (message: string) => BerthError>)[wire.code];
  return Ctor ? new Ctor(wire.message) : new InternalError(`${wire.code}: ${wire.message}`);
}

/** Wraps anything thrown into a BerthError, keeping the original as `cause`. */
export function asBerthError(err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(message, { cause: err });
}
