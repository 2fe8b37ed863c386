export { ContainerService, type CreateOptions, type ServiceDeps } from "./container-service.js";
export { runtimeEffects, specOf, type ExitWaiter } from "./runtime-effects.js";
export { SerialQueue } from "./serial-queue.js";
export { containerName, restartPolicy, seconds, signalName } from "./validate.js";
