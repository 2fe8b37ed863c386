/**
 * The committed diagram file's content; a unit test compares it with the file.
 */
import { lifecycleDiagram, SHARED_EVENTS } from "../src/machines/index.js";

export function diagramDocument(): string {
  return [
    "# Container lifecycle",
    "",
    "Generated from `src/machines/container-machine.ts` by `npm run diagrams`; do not edit.",
    "Each arrow is a command (or the runtime's `EXITED` observation) and the named effect it runs.",
    "Every operation persists its facts before the state changes; a failed effect is journaled",
    "as a failure and the container stays where it was (a failed removal stays in `removing`).",
    "After every cleanup, `exited` checks the restart policy and may back off, then restart;",
    "STOP during that backoff cancels the restart.",
    `Every state but \`removing\` also takes ${SHARED_EVENTS.join(", ")}: they leave the state as it is`,
    "(SYNC moves it to what the runtime reports).",
    "",
    "```mermaid",
    lifecycleDiagram().trimEnd(),
    "```",
    "",
  ].join("\n");
}
