/**
 * The container machine with berth's real effects provided: the host ports for
 * the runtime effects and the journal for `persist`.
 */
import { fromPromise } from "xstate";
import { containerMachine, type PersistInput, type PersistOutput } from "../machines/index.js";
import type { Journal } from "../store/index.js";
import { persistFacts } from "./fact-append.js";
import { runtimeEffects, type HostPorts } from "./runtime-effects.js";

export interface MachineDeps extends HostPorts {
  host: string;
  journal: Journal;
}

export function provideMachine(deps: MachineDeps) {
  return containerMachine.provide({
    actors: {
      ...runtimeEffects(deps),
      persist: fromPromise<PersistOutput, PersistInput>(({ input }) => persistFacts(deps, input)),
    },
  });
}

export type ProvidedMachine = ReturnType<typeof provideMachine>;
