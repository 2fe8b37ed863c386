/**
 * Reading an event's `type` (`io.berth.<kind>.<action>`). Kept apart from the
 * envelope's schema so that what only formats events loads no validator.
 */

/** The action of an event type, e.g. "start" for io.berth.container.start, "pull" for io.berth.image.pull. */
export const actionOf = (type: string) => type.slice(type.lastIndexOf(".") + 1);

/** What an event is about, Podman's event type: "container", "image" or "volume". */
export const kindOf = (type: string) => type.slice("io.berth.".length, type.lastIndexOf("."));
