/**
 * The one table of container and image operations. Every transport (HTTP on
 * the socket, NATS request/reply, and any later one) adapts this table rather
 * than mapping verbs to the service itself, so an operation's input, rules
 * and answer are written once.
 */
import type { ContainerService } from "../service/index.js";
import { InvalidArgError } from "../errors.js";
import { UnsupportedError } from "../errors.js";
import { signalName } from "../signals.js";
import { batchCommand } from "./batch-commands.js";
import { LogsInput, logWindowOf } from "./logs-query.js";
import { defineOperation, type Operation } from "./operation.js";
import {
  BatchInput,
  CheckpointInput,
  CreateBody,
  EmptyBody,
  ImagePruneBody,
  ImagePullBody,
  ImageRefInput,
  ImageRemoveInput,
  ImageTagInput,
  ExecInput,
  ExecInspectInput,
  HistoryInput,
  ImportImageBody,
  KillInput,
  ListInput,
  RefInput,
  RemoveInput,
  StartInput,
  StopIfNeededInput,
  StopInput,
  UnmountInput,
  WaitInput,
} from "./schemas.js";
import {
  VolumeCreateBody,
  VolumeListInput,
  VolumeRefInput,
  VolumeRemoveInput,
} from "./volume-schemas.js";

/** The names of the operations, which are also the NATS verbs. */
export const OPERATION_NAMES = [
  "ps",
  "inspect",
  "logs",
  "history",
  "import",
  "create",
  "init",
  "pause",
  "unpause",
  "cleanup",
  "sync",
  "start",
  "stop",
  "restart",
  "kill",
  "rm",
  "mount",
  "unmount",
  "export",
  "checkpoint",
  "restore",
  "batch",
  "wait",
  "images",
  "image-inspect",
  "tag",
  "untag",
  "rmi",
  "image-prune",
  "pull",
  "volume-create",
  "volume-ls",
  "volume-inspect",
  "volume-rm",
  "volume-prune",
  "exec",
  "exec-inspect",
  "top",
  "stats",
  "healthcheck",
] as const;

export type OperationName = (typeof OPERATION_NAMES)[number];

/** Every operation, by name, bound to the service that carries it out. */
export type OperationTable = Readonly<Record<OperationName, Operation>>;

/** Builds the operation table over `service`. */
export function operationTable(service: ContainerService): OperationTable {
  const simple = (name: OperationName, type: "INIT" | "PAUSE" | "UNPAUSE" | "CLEANUP" | "SYNC") =>
    defineOperation(name, RefInput, ({ ref }, meta) => service.command(ref, { type }, meta));
  const checkpoint = (name: OperationName, type: "CHECKPOINT" | "RESTORE") =>
    defineOperation(name, CheckpointInput, ({ ref, ...options }, meta) =>
      service.command(ref, { type, options }, meta),
    );
  return {
    ps: defineOperation("ps", ListInput, ({ all }) => Promise.resolve(service.list(all ?? false))),
    inspect: defineOperation("inspect", RefInput, ({ ref }) =>
      Promise.resolve(service.inspect(ref)),
    ),
    logs: defineOperation("logs", LogsInput, ({ ref, ...selection }) =>
      service.logs(ref, logWindowOf(selection)),
    ),
    history: defineOperation("history", HistoryInput, ({ ref, all }) =>
      service.history(ref, all ?? false),
    ),
    import: defineOperation(
      "import",
      ImportImageBody,
      ({ path, name }, meta) => service.importImage(path, name, meta),
      "created",
    ),
    create: defineOperation(
      "create",
      CreateBody,
      (options, meta) => service.create(options, meta),
      "created",
    ),
    init: simple("init", "INIT"),
    pause: simple("pause", "PAUSE"),
    unpause: simple("unpause", "UNPAUSE"),
    cleanup: simple("cleanup", "CLEANUP"),
    sync: simple("sync", "SYNC"),
    start: defineOperation("start", StartInput, ({ ref, recursive, ifNeeded }, meta) =>
      service.command(ref, { type: "START", ...(ifNeeded ? { ifNeeded } : {}) }, meta, {
        recursive: recursive ?? false,
      }),
    ),
    stop: defineOperation("stop", StopIfNeededInput, ({ ref, timeout, ifNeeded }, meta) =>
      service.command(ref, { type: "STOP", timeout, ...(ifNeeded ? { ifNeeded } : {}) }, meta),
    ),
    restart: defineOperation("restart", StopInput, ({ ref, timeout }, meta) =>
      service.command(ref, { type: "RESTART", timeout }, meta),
    ),
    kill: defineOperation("kill", KillInput, ({ ref, signal }, meta) =>
      service.command(ref, { type: "KILL", signal: signalName(signal ?? "SIGKILL") }, meta),
    ),
    rm: defineOperation("rm", RemoveInput, ({ ref, force, timeout }, meta) =>
      service.command(ref, { type: "REMOVE", force: force ?? false, timeout }, meta),
    ),
    // The answer names where the root filesystem is mounted, beside the record.
    mount: defineOperation("mount", RefInput, async ({ ref }, meta) => {
      const record = await service.command(ref, { type: "MOUNT" }, meta);
      return { path: service.rootfsPath(record.id), record };
    }),
    unmount: defineOperation("unmount", UnmountInput, ({ ref, force }, meta) =>
      service.command(ref, { type: "UNMOUNT", force: force ?? false }, meta),
    ),
    // An export is a tar stream to the client, which only the socket's
    // `GET /containers/<ref>/export` carries; a message transport cannot. It is
    // refused before its input is read, so an old `{ref, path}` caller learns
    // why rather than that `path` is unknown.
    export: {
      name: "export",
      input: RefInput,
      answer: "ok",
      run: () =>
        Promise.reject(
          new UnsupportedError(
            "export streams a tar archive: use the unix socket (berth export), not this transport",
          ),
        ),
    },
    checkpoint: checkpoint("checkpoint", "CHECKPOINT"),
    restore: checkpoint("restore", "RESTORE"),
    batch: defineOperation("batch", BatchInput, ({ ref, commands }, meta) =>
      service.batch(ref, commands.map(batchCommand), meta),
    ),
    images: defineOperation("images", EmptyBody, () => Promise.resolve(service.images.list())),
    "image-inspect": defineOperation("image-inspect", ImageRefInput, ({ ref }) =>
      service.images.inspect(ref),
    ),
    tag: defineOperation("tag", ImageTagInput, ({ ref, name }, meta) =>
      service.images.tag(ref, name, meta),
    ),
    untag: defineOperation("untag", ImageTagInput, ({ ref, name }, meta) =>
      service.images.untag(ref, name, meta),
    ),
    rmi: defineOperation("rmi", ImageRemoveInput, ({ ref, force }, meta) =>
      service.images.remove(ref, force ?? false, meta),
    ),
    "image-prune": defineOperation("image-prune", ImagePruneBody, ({ all }, meta) =>
      service.images.prune(all ?? false, meta),
    ),
    // The socket streams a pull's progress (src/api/image-routes.ts); this answer is the image alone.
    pull: defineOperation(
      "pull",
      ImagePullBody,
      (request, meta) => service.images.pull(request, meta),
      "created",
    ),
    // Only a detached exec is an operation: an attached one is a stream, which the
    // socket's `POST /containers/:ref/exec` carries (upgraded, as attach is).
    exec: defineOperation("exec", ExecInput, async ({ ref, ...req }, meta) => {
      if (req.detach !== true) {
        throw new InvalidArgError(
          "only a detached exec (detach: true) is an operation; an attached one streams over the unix socket",
        );
      }
      const { record, session } = await service.exec(ref, req, meta);
      return { ...session, containerId: record.id };
    }),
    "exec-inspect": defineOperation("exec-inspect", ExecInspectInput, ({ ref, session }) =>
      service.execInspect(ref, session),
    ),
    wait: defineOperation("wait", WaitInput, async ({ ref, conditions, interval }) => {
      const exitCode = await service.wait(ref, {
        ...(conditions ? { conditions } : {}),
        ...(interval !== undefined ? { intervalMs: interval } : {}),
      });
      return { exitCode };
    }),
    top: defineOperation("top", RefInput, ({ ref }) => service.looks.top(ref)),
    // One sample; the socket's `?stream=1` sends one a second (src/api/stats-route.ts).
    stats: defineOperation("stats", RefInput, ({ ref }) => service.looks.stats(ref)),
    healthcheck: defineOperation("healthcheck", RefInput, async ({ ref }) => ({
      status: await service.healthcheckRun(ref),
    })),
    "volume-create": defineOperation(
      "volume-create",
      VolumeCreateBody,
      (options, meta) => service.volumes.create(options, meta),
      "created",
    ),
    "volume-ls": defineOperation("volume-ls", VolumeListInput, () =>
      Promise.resolve(service.volumes.list()),
    ),
    "volume-inspect": defineOperation("volume-inspect", VolumeRefInput, ({ name }) =>
      Promise.resolve(service.volumes.get(name)),
    ),
    "volume-rm": defineOperation("volume-rm", VolumeRemoveInput, ({ name, force }, meta) =>
      service.volumes.remove(name, force ?? false, meta),
    ),
    "volume-prune": defineOperation("volume-prune", VolumeListInput, (_input, meta) =>
      service.volumes.prune(meta),
    ),
  };
}
