/**
 * CLI attach verbs. Owned by the attach work.
 */
import { NotImplementedError } from "../errors.js";

export interface AttachOptions {
  detachKeys?: string;
  /** Forward this terminal's stdin. */
  stdin?: boolean;
}

/** `berth attach C`. */
export function attach(_socket: string, _ref: string, _opts: AttachOptions): Promise<number> {
  return Promise.reject(new NotImplementedError("attach is not implemented yet"));
}

/** `berth start --attach C`. */
export function startAttach(_socket: string, _ref: string, _opts: AttachOptions): Promise<number> {
  return Promise.reject(new NotImplementedError("start --attach is not implemented yet"));
}
