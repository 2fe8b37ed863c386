/**
 * `berth volume create|ls|inspect|rm|prune`, as Podman's: each a thin call to
 * the daemon's `/volumes` routes.
 */
import { BerthClient } from "../client/index.js";
import { InvalidArgError } from "../errors.js";
import type { VolumeRecord } from "../volumes/index.js";
import { table } from "./format.js";

const client = (socket: string) => new BerthClient({ socketPath: socket });
const out = (text: string) => process.stdout.write(text);
const enc = encodeURIComponent;

function labelsOf(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((l) => {
      const at = l.indexOf("=");
      return at < 0 ? [l, ""] : [l.slice(0, at), l.slice(at + 1)];
    }),
  );
}

export async function volumeCreate(
  socket: string,
  name: string | undefined,
  opts: { label?: string[] },
) {
  const volume = await client(socket).call<VolumeRecord>("POST", "/volumes", {
    ...(name !== undefined ? { name } : {}),
    labels: labelsOf(opts.label ?? []),
  });
  out(`${volume.name}\n`);
}

export async function volumeLs(socket: string, opts: { format: string; quiet?: boolean }) {
  if (opts.format !== "table" && opts.format !== "json")
    throw new InvalidArgError(`invalid format ${JSON.stringify(opts.format)}: use table or json`);
  const volumes = await client(socket).call<VolumeRecord[]>("GET", "/volumes");
  if (opts.quiet) out(volumes.map((v) => `${v.name}\n`).join(""));
  else if (opts.format === "json") out(`${JSON.stringify(volumes, null, 2)}\n`);
  else
    out(
      table(
        ["DRIVER", "VOLUME NAME"],
        volumes.map((v) => [v.driver, v.name]),
      ),
    );
}

/** Prints every volume found as one JSON array; a missing one fails the verb, as Podman's. */
export async function volumeInspect(socket: string, names: string[]) {
  const found: VolumeRecord[] = [];
  let failed = 0;
  for (const name of names) {
    try {
      found.push(await client(socket).call<VolumeRecord>("GET", `/volumes/${enc(name)}`));
    } catch (err) {
      process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      failed += 1;
    }
  }
  out(`${JSON.stringify(found, null, 2)}\n`);
  return failed ? 125 : 0;
}

export async function volumeRm(socket: string, names: string[], opts: { force?: boolean }) {
  let failed = 0;
  for (const name of names) {
    try {
      const q = opts.force ? "?force=1" : "";
      await client(socket).call("DELETE", `/volumes/${enc(name)}${q}`);
      out(`${name}\n`);
    } catch (err) {
      process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      failed += 1;
    }
  }
  return failed ? 125 : 0;
}

export async function volumePrune(socket: string) {
  const { removed } = await client(socket).call<{ removed: string[] }>(
    "POST",
    "/volumes/prune",
    {},
  );
  out(removed.map((n) => `${n}\n`).join(""));
}
