/**
 * The steps before an attach streams: the seed's state checks, the `attach`
 * event, and for start-and-attach the order that loses no output (create the
 * container in the runtime, connect to its monitor, and only then start it).
 * Every failure here happens before the HTTP upgrade, so it is answered as a
 * normal error response.
 */
import type { AttachSession, ContainerRuntime } from "../effects/index.js";
import { InvalidArgError } from "../errors.js";
import { rejection, type ContainerRecord, type RequestMeta } from "../machines/index.js";
import type { ContainerService } from "../service/index.js";
import type { AttachOptions } from "./attach-options.js";

/**
 * What the stream needs: the container as it is now, and the live session
 * unless only logs were asked for.
 */
export interface OpenedAttach {
  record: ContainerRecord;
  session?: AttachSession;
}

export interface AttachDeps {
  service: ContainerService;
  runtime: ContainerRuntime;
}

/** Runs the checks and commands an attach needs, then connects to the container's monitor. */
export function openAttach(
  deps: AttachDeps,
  ref: string,
  o: AttachOptions,
  meta: RequestMeta,
): Promise<OpenedAttach> {
  return o.start ? startAndAttach(deps, ref, o, meta) : attachOnly(deps, ref, o, meta);
}

/**
 * The seed's HTTPAttach: state first, then at least one of stream or logs;
 * only streaming is an `attach` event. Streaming goes through the service's
 * ATTACH command, which checks the state itself; a logs-only request is no
 * command, so the same rule is asked directly.
 */
async function attachOnly(
  { service, runtime }: AttachDeps,
  ref: string,
  o: AttachOptions,
  meta: RequestMeta,
): Promise<OpenedAttach> {
  if (!o.stream) {
    const record = service.inspect(ref);
    const refused = rejection(record, { type: "ATTACH" });
    if (refused) throw refused;
    if (!o.logs) throw new InvalidArgError("must specify at least one of stream or logs");
    return { record };
  }
  const record = await service.command(ref, { type: "ATTACH" }, meta);
  // Like Podman, the size is set before connecting, so the first output already fits it.
  if (o.size && record.terminal) await runtime.resize(record.id, o.size);
  return { record, session: await runtime.attach(record.id) };
}

/**
 * The seed's StartAndAttach. The attach socket exists once conmon has created
 * the container, so a container that is not created yet is initialized first
 * (a stopped one is cleaned up before, as libpod's reinit does). The `attach`
 * event precedes `start`: a process that exits at once would otherwise leave
 * nothing to attach to by the time the event is checked. START's rule is
 * asked up front, so a container that cannot start is refused before it is
 * initialized or attached.
 */
async function startAndAttach(
  { service, runtime }: AttachDeps,
  ref: string,
  o: AttachOptions,
  meta: RequestMeta,
): Promise<OpenedAttach> {
  if (!o.stream)
    throw new InvalidArgError("start=1 needs stream=1: starting attaches to the live output");
  let record = service.inspect(ref);
  const refused = rejection(record, { type: "START" });
  if (refused) throw refused;
  if (record.state === "stopped") record = await service.command(ref, { type: "CLEANUP" }, meta);
  if (record.state !== "created") record = await service.command(ref, { type: "INIT" }, meta);
  record = await service.command(ref, { type: "ATTACH" }, meta);
  const session = await runtime.attach(record.id);
  try {
    if (o.size && record.terminal) await runtime.resize(record.id, o.size);
    record = await service.command(ref, { type: "START" }, meta);
  } catch (err) {
    session.close();
    throw err;
  }
  return { record, session };
}
