/**
 * The daemon's checkpoint signing key: an Ed25519 private key made at the
 * first start and kept under the root, readable by the daemon's user only.
 * Its public part is what auditors pin (`berth audit key`); a key found open
 * to others is tightened, as the root's folders are, since anyone who read it
 * could sign checkpoints for this host.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import { chmod, link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { generateCheckpointKey, privateKeyPem } from "../audit/index.js";
import { CheckpointKeyInvalidError } from "../errors.js";

/** Where the key lives under a root. */
export const checkpointKeyPath = (root: string) => join(root, "audit", "checkpoint.key");

/**
 * Reads the root's signing key, or makes one. Resolves with the key and
 * whether it was made now or had to be tightened (for the daemon's log).
 */
export async function loadCheckpointKey(
  root: string,
): Promise<{ key: KeyObject; created: boolean; tightened: boolean }> {
  const file = checkpointKeyPath(root);
  await mkdir(join(root, "audit"), { recursive: true, mode: 0o700 });
  const created = await createKeyFile(file);
  const s = await stat(file);
  const tightened = (s.mode & 0o077) !== 0;
  if (tightened) await chmod(file, 0o600);
  let key: KeyObject;
  try {
    key = createPrivateKey(await readFile(file, "utf8"));
  } catch (err) {
    throw new CheckpointKeyInvalidError(
      `cannot read the checkpoint signing key ${file}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new CheckpointKeyInvalidError(
      `the checkpoint signing key ${file} is ${key.asymmetricKeyType ?? "unknown"}, not Ed25519`,
    );
  }
  return { key, created, tightened };
}

/**
 * Writes a new key whole into a temporary file, then links it into place:
 * link fails if a key exists, so one is never replaced, and a crash midway
 * leaves no half-written key behind. True when written.
 */
async function createKeyFile(file: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const handle = await open(temp, "w", 0o600);
    try {
      await handle.writeFile(privateKeyPem(generateCheckpointKey().privateKey));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new CheckpointKeyInvalidError(
      `cannot create the checkpoint signing key ${file}: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
