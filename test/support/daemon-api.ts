/**
 * The real daemon's HTTP API as integration tests read it: records, histories
 * and commands by reference. `socket` is a getter because the daemon is
 * started in `beforeAll`, after the helpers are made.
 */
import { BerthClient } from "../../src/client/index.js";
import type { BerthError } from "../../src/errors.js";
import { actionOf, type CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";

/** The typed error a request failed with; a request that succeeds fails the test. */
export const failure = (p: Promise<unknown>): Promise<BerthError> =>
  p.then(
    () => {
      throw new Error("expected the request to fail");
    },
    (err: unknown) => err as BerthError,
  );

export function daemonApi(socket: () => string) {
  const api = () => new BerthClient({ socketPath: socket(), actor: "test" });
  return {
    api,
    inspect: (ref: string) => api().call<ContainerRecord>("GET", `/containers/${ref}`),
    history: (ref: string) => api().call<CloudEvent[]>("GET", `/containers/${ref}/history`),
    post: (ref: string, verb: string, body: unknown = {}) =>
      api().call<ContainerRecord>("POST", `/containers/${ref}/${verb}`, body),
    /** "start" for io.berth.container.start. */
    action: (e: CloudEvent) => actionOf(e.type),
  };
}
