/**
 * The floor's container: what LinuxRuntime is given directly, with no
 * manager, by the benches that compare berth with the runtime alone.
 */
import { randomBytes } from "node:crypto";
import type { ContainerSpec } from "../src/effects/index.js";
import { DEFAULT_SANDBOX, type ImagePin } from "../src/machines/index.js";
import { COMMAND } from "./berth-round.js";

/** A busybox `sleep 1000` under a fresh id, with berth's default sandbox. */
export function floorSpec(imagePin: ImagePin): ContainerSpec {
  const id = randomBytes(32).toString("hex");
  return {
    id,
    name: `f${id.slice(0, 8)}`,
    image: "busybox",
    command: COMMAND,
    stopSignal: "SIGTERM",
    stopTimeout: 10,
    terminal: false,
    stdin: false,
    sandbox: DEFAULT_SANDBOX,
    imagePin,
  };
}
