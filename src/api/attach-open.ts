/**
 * The steps before an attach streams: the seed's checks on the request, then
 * the service's attach or start-and-attach. Every failure here happens before
 * the HTTP upgrade, so it is answered as a normal error response.
 */
import type { AttachSession } from "../effects/index.js";
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

/** Runs the checks and commands an attach needs, then connects to the container's monitor. */
export async function openAttach(
  service: ContainerService,
  ref: string,
  o: AttachOptions,
  meta: RequestMeta,
): Promise<OpenedAttach> {
  if (o.start) {
    if (!o.stream)
      throw new InvalidArgError("start=1 needs stream=1: starting attaches to the live output");
    return service.startAndAttach(ref, meta, o.size);
  }
  return o.stream ? service.attach(ref, meta, o.size) : logsOnly(service, ref, o);
}

/**
 * The seed's HTTPAttach: state first, then at least one of stream or logs;
 * only streaming is an `attach` event. A logs-only request is no command, so
 * ATTACH's rule is asked directly.
 */
async function logsOnly(
  service: ContainerService,
  ref: string,
  o: AttachOptions,
): Promise<OpenedAttach> {
  const record = await service.inspect(ref);
  const refused = rejection(record, { type: "ATTACH" });
  if (refused) throw refused;
  if (!o.logs) throw new InvalidArgError("must specify at least one of stream or logs");
  return { record };
}
