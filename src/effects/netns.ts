/**
 * Named network namespaces as files under berth's root: `unshare --net=FILE`
 * bind-mounts a new namespace on FILE so it outlives the process, as
 * `ip netns add` does under /run/netns (a host path berth was never given).
 * runc joins it through the spec's `{type: "network", path}`.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { NetworkError } from "../errors.js";
import { defaultRunner } from "./default-runner.js";
import { errnoCode } from "./fsutil.js";
import { isMounted } from "./overlay.js";

/** Creates the namespace file `file` (replacing nothing: an existing one is refused). */
export async function createNetns(file: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fs.writeFile(file, "", { flag: "wx", mode: 0o600 }).catch((err: unknown) => {
    throw new NetworkError(`network namespace ${file} already exists`, { cause: err });
  });
  const r = await defaultRunner().run("unshare", [`--net=${file}`, "true"]);
  if (r.failed) {
    await fs.rm(file, { force: true });
    throw new NetworkError(`unshare --net=${file}: ${r.stderr || r.message}`);
  }
}

/** Unmounts and deletes the namespace file; idempotent. */
export async function deleteNetns(file: string): Promise<void> {
  if (await isMounted(file)) {
    const r = await defaultRunner().run("umount", [file]);
    if (r.failed && (await isMounted(file)))
      throw new NetworkError(`umount ${file}: ${r.stderr || r.message}`);
  }
  await fs.rm(file, { force: true }).catch((err: unknown) => {
    if (errnoCode(err) !== "ENOENT") throw err;
  });
}
