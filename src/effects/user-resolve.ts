/** TEMPORARY until wt/user lands: numeric users only. */
import { InvalidArgError } from "../errors.js";
import type { ProcessUser } from "./bundle.js";

export function resolveUser(_rootfs: string, user: string): Promise<ProcessUser> {
  if (user === "") return Promise.resolve({ uid: 0, gid: 0 });
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!m) return Promise.reject(new InvalidArgError(`user ${user}: names not yet supported`));
  return Promise.resolve({ uid: Number(m[1]), gid: Number(m[2] ?? 0) });
}
