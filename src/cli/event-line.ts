/**
 * `berth events` lines, with the container's name and image as Podman's
 * carry them (`container start <id> (image=busybox, name=web, ...)`) and a
 * health change as `health_status=healthy`.
 *
 * Events carry only the container's id. The CLI learns names from the create
 * events it prints and asks the daemon once for any other container: a removed
 * container's record stays readable by id, so events of a container removed
 * long ago still get its name. The daemon keeps sending events as stored,
 * unparsed, which is what makes catching up fast.
 */
import { kindOf, actionOf, type CloudEvent } from "../events/index.js";
import { actionLabel, failed, errorText, outcomeWord, wordsOf } from "./event-words.js";
import { printable } from "./format.js";

/** What an event line says about its container. */
export interface ContainerNames {
  name: string;
  image: string;
}

const short = (id: string) => id.slice(0, 12);

/** An image event's names: `names` of a pull or remove, `name` of a tag. */
function imageNames(e: CloudEvent): string[] {
  const data = e.data as { name?: unknown; names?: unknown };
  return Array.isArray(data.names)
    ? data.names.filter((n): n is string => typeof n === "string")
    : typeof data.name === "string"
      ? [data.name]
      : [];
}

/** One event as a line; `names` are its container's, when known. */
export function eventLine(e: CloudEvent, names?: ContainerNames): string {
  const d = wordsOf(e);
  const attrs: string[] = [];
  if (names) attrs.push(`image=${names.image}`, `name=${names.name}`);
  if (actionOf(e.type) === "health_status" && d.status) attrs.push(`health_status=${d.status}`);
  attrs.push(failed(e) ? `failure: ${errorText(e)}` : outcomeWord(e));
  if (d.exitCode !== undefined) attrs.push(`exitCode=${d.exitCode}`);
  else if (d.signal) attrs.push(`signal=${d.signal}`);
  else if (kindOf(e.type) === "image" && imageNames(e).length > 0)
    // An image's id alone says little to a reader; its names are what they typed.
    attrs.push(`name=${imageNames(e).join(",")}`);
  attrs.push(`actor=${e.actor}`);
  const what = actionOf(e.type) === "request" ? actionLabel(e) : actionOf(e.type);
  const line = `${e.time} #${e.seq} ${kindOf(e.type)} ${what} ${short(e.subject)} v${e.version} (${attrs.join(", ")})`;
  return `${printable(line)}\n`;
}

/**
 * Container id -> name and image, learnt from create events and, for any
 * other container, looked up once with `lookup` (undefined: not known).
 */
export class NameBook {
  private readonly known = new Map<string, ContainerNames | undefined>();

  constructor(private readonly lookup: (id: string) => Promise<ContainerNames | undefined>) {}

  /** Learns from the batch's create events, then looks up the containers still unknown. */
  async learn(batch: CloudEvent[]): Promise<void> {
    const unknown = new Set<string>();
    for (const e of batch) {
      if (kindOf(e.type) !== "container" || this.known.has(e.subject)) continue;
      const d = e.data as { name?: unknown; image?: unknown };
      if (
        actionOf(e.type) === "create" &&
        typeof d.name === "string" &&
        typeof d.image === "string"
      )
        this.known.set(e.subject, { name: d.name, image: d.image });
      else unknown.add(e.subject);
    }
    await Promise.all(
      [...unknown]
        .filter((id) => !this.known.has(id))
        .map(async (id) => this.known.set(id, await this.lookup(id).catch(() => undefined))),
    );
  }

  of(e: CloudEvent): ContainerNames | undefined {
    return kindOf(e.type) === "container" ? this.known.get(e.subject) : undefined;
  }
}
