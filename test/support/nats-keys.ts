/**
 * NATS API identities for tests: one fresh user NKey per role, and the
 * allow-list file (`--nats-api-keys`) that names them.
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { tempDir } from "../../src/harness/index.js";
import type { ApiRole } from "../../src/nats/index.js";

export interface TestIdentity {
  name: string;
  role: ApiRole;
  publicKey: string;
  seed: string;
}

export interface TestKeys {
  /** The allow-list file, one line per identity. */
  file: string;
  readOnly: TestIdentity;
  operator: TestIdentity;
  admin: TestIdentity;
  /** A key that is not on the list. */
  stranger: TestIdentity;
  /** The daemon flags that turn the API on with this list. */
  args: string[];
  stop(): Promise<void>;
}

function identity(name: string, role: ApiRole): TestIdentity {
  const pair = nkeys.createUser();
  return {
    name,
    role,
    publicKey: pair.getPublicKey(),
    seed: new TextDecoder().decode(pair.getSeed()),
  };
}

/** Fresh keys for each role and their allow-list, removed by `stop`. */
export async function testKeys(): Promise<TestKeys> {
  const dir = await tempDir("berth-keys-");
  const file = join(dir, "api-keys");
  const listed = [
    identity("viewer", "read-only"),
    identity("ops", "operator"),
    identity("root", "admin"),
  ] as const;
  const lines = listed.map((i) => `${i.publicKey} ${i.name} ${i.role}`);
  await writeFile(file, `# NATS API allow-list\n${lines.join("\n")}\n`);
  return {
    file,
    readOnly: listed[0],
    operator: listed[1],
    admin: listed[2],
    stranger: identity("stranger", "admin"),
    args: ["--nats-api", "--nats-api-keys", file],
    stop: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The actor the daemon records for a verified identity. */
export const actorOf = (i: TestIdentity) => `nkey:${i.name}:${i.publicKey.slice(0, 12)}`;
