/**
 * Names over time on the CLI's side. A name is reused once its container is
 * removed, so `web` may have been several containers. `history`, `inspect
 * --at` and `events --filter container=web` all mean the current one (the
 * live container of that name, else the newest removed one), and every
 * container that carried the name with `--all`.
 */
import type { BerthClient } from "../client/index.js";
import type { ContainerRecord } from "../machines/index.js";
import type { ContainerNames } from "./event-line.js";

/**
 * The `events` filters with each `container=NAME` narrowed to the id of the
 * container that holds the name now. The daemon's filter is Podman's, which
 * matches a name in every container that ever carried it: `--all` keeps that.
 * An id, an id prefix, or a name that no container has carried yet is left as
 * it is (the last then matches whichever container takes the name later).
 */
export async function currentHolders(client: BerthClient, filters: string[]): Promise<string[]> {
  return Promise.all(
    filters.map(async (spec) => {
      const m = /^\s*container\s*=\s*(.+?)\s*$/i.exec(spec);
      if (!m) return spec;
      const name = m[1]!;
      const record = await client
        .call<ContainerRecord>("GET", `/containers/${encodeURIComponent(name)}`)
        .catch(() => undefined);
      return record?.name === name && record.id !== name ? `container=${record.id}` : spec;
    }),
  );
}

/** The daemon's answer for a container id: its name and image, removed containers included. */
export function namesFromDaemon(client: BerthClient) {
  return async (id: string): Promise<ContainerNames | undefined> => {
    const r = await client.call<ContainerRecord>("GET", `/containers/${encodeURIComponent(id)}`);
    return { name: r.name, image: r.image };
  };
}
