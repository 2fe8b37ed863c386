/**
 * Placement shared by every adapter: checks expected versions, assigns the
 * global sequence and stream versions, and chains hashes. Pure, so a failed
 * write leaves the in-memory head untouched.
 */
import type { CloudEvent } from "../events/index.js";
import { eventHash } from "../events/index.js";
import { VersionConflictError } from "../errors.js";
import type { AppendInput, JournalHead } from "./journal.js";

export interface Placed {
  input: AppendInput;
  events: CloudEvent[];
}

export interface Plan {
  head: JournalHead;
  versions: Map<string, number>;
  placed: Placed[];
  /** Appends whose expected version did not hold, with their error. */
  conflicts: { input: AppendInput; error: VersionConflictError }[];
}

/** Places a group of appends after `head`; `versionOf` gives each stream's durable version. */
export function plan(
  head: JournalHead,
  inputs: AppendInput[],
  versionOf: (stream: string) => number,
): Plan {
  const versions = new Map<string, number>();
  const placed: Placed[] = [];
  const conflicts: Plan["conflicts"] = [];
  let { seq, hash } = head;
  for (const input of inputs) {
    const current = versions.get(input.stream) ?? versionOf(input.stream);
    if (current !== input.expectedVersion) {
      const error = new VersionConflictError(
        `stream ${input.stream} is at version ${current}, expected ${input.expectedVersion}`,
      );
      conflicts.push({ input, error });
      continue;
    }
    const events = input.events.map((e, i) => {
      seq += 1;
      const unhashed = { ...e, seq, version: current + i + 1, prevhash: hash };
      hash = eventHash(unhashed);
      return { ...unhashed, hash };
    });
    versions.set(input.stream, current + events.length);
    placed.push({ input, events });
  }
  return { head: { seq, hash }, versions, placed, conflicts };
}
