/**
 * Attach over HTTP (hijacked connection). Owned by the attach work: see the TSDoc of each export.
 */
import type { Server } from "node:http";
import { NotImplementedError } from "../errors.js";
import type { ApiDeps } from "./server.js";

/** Registers the upgrade handler for `POST /containers/:ref/attach`. */
export function installAttach(_server: Server, _deps: ApiDeps): void {}

/** Handler for `POST /containers/:ref/resize?h=&w=`. */
export function resizeHandler(_deps: ApiDeps) {
  return (): Promise<void> =>
    Promise.reject(new NotImplementedError("resize is not implemented yet"));
}
