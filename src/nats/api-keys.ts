/**
 * The allow-list of the NATS API (`--nats-api-keys FILE`): which user NKeys
 * may call it, under which name, with which role. Either JSON,
 *
 *   [{"key": "UABC...", "name": "alice", "role": "operator"}]
 *
 * or one key per line, `<key> <name> <role>`, with `#` comments.
 */
import { readFile } from "node:fs/promises";
import { InvalidArgError } from "../errors.js";
import { isUserKey } from "./request-signature.js";

/** What an identity may do, each role including the ones before it. */
export const API_ROLES = ["read-only", "operator", "admin"] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** One allowed caller. */
export interface ApiKey {
  key: string;
  name: string;
  role: ApiRole;
}

/** Whether `role` may do what `needed` allows. */
export function roleAllows(role: ApiRole, needed: ApiRole): boolean {
  return API_ROLES.indexOf(role) >= API_ROLES.indexOf(needed);
}

const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

function entry(raw: unknown, where: string): ApiKey {
  const { key, name, role } = (raw ?? {}) as Record<string, unknown>;
  if (typeof key !== "string" || !isUserKey(key))
    throw new InvalidArgError(`${where}: the key is not a user NKey public key (U...)`);
  if (typeof name !== "string" || !NAME.test(name))
    throw new InvalidArgError(`${where}: the name must be 1-64 letters, digits, _ . @ or -`);
  if (typeof role !== "string" || !(API_ROLES as readonly string[]).includes(role))
    throw new InvalidArgError(`${where}: the role must be one of ${API_ROLES.join(", ")}`);
  return { key, name, role: role as ApiRole };
}

/** Parses an allow-list's text; `file` names it in errors. */
export function parseApiKeys(text: string, file: string): Map<string, ApiKey> {
  let entries: ApiKey[];
  if (text.trimStart().startsWith("[")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new InvalidArgError(`${file}: malformed JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!Array.isArray(json)) throw new InvalidArgError(`${file}: expected a JSON array`);
    entries = json.map((e, i) => entry(e, `${file} entry ${i + 1}`));
  } else {
    entries = text.split("\n").flatMap((line, i) => {
      const fields = line.replace(/#.*/, "").trim().split(/\s+/).filter(Boolean);
      if (fields.length === 0) return [];
      if (fields.length !== 3)
        throw new InvalidArgError(`${file} line ${i + 1}: expected "<key> <name> <role>"`);
      const [key, name, role] = fields;
      return [entry({ key, name, role }, `${file} line ${i + 1}`)];
    });
  }
  const keys = new Map<string, ApiKey>();
  for (const k of entries) {
    if (keys.has(k.key)) throw new InvalidArgError(`${file}: key ${k.key} is listed twice`);
    keys.set(k.key, k);
  }
  if (keys.size === 0) throw new InvalidArgError(`${file}: no keys: nobody could call the API`);
  return keys;
}

/** Reads and parses an allow-list file. */
export async function loadApiKeys(file: string): Promise<Map<string, ApiKey>> {
  const text = await readFile(file, "utf8").catch((err: unknown) => {
    throw new InvalidArgError(`cannot read --nats-api-keys ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  });
  return parseApiKeys(text, file);
}

/** The actor recorded for a verified key: its name and the start of the key. */
export function keyActor(k: ApiKey): string {
  return `nkey:${k.name}:${k.key.slice(0, 12)}`;
}
