/**
 * Extended attributes for a freshly unpacked layer, applied in one
 * `setfattr --restore` run. Why a helper program: Node has no setxattr, and
 * one process for the whole layer costs far less than one per file.
 */
import { execa } from "execa";

/** One attribute to set on one path (the path itself, never a symlink's target). */
export interface XattrWrite {
  path: string;
  name: string;
  value: string;
}

/** `setfattr --restore` reads octal escapes in file names; escape all but plain bytes. */
function escapePath(path: string): string {
  let out = "";
  for (const byte of Buffer.from(path, "utf8")) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9._/+@:-]/.test(ch) ? ch : `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return out;
}

/** The `getfattr --dump` text that sets `writes`; values in hex so no byte needs quoting. */
export function xattrDump(writes: readonly XattrWrite[]): string {
  return writes
    .map(
      (w) =>
        `# file: ${escapePath(w.path)}\n${w.name}=0x${Buffer.from(w.value, "utf8").toString("hex")}\n`,
    )
    .join("\n");
}

/** Sets every attribute in `writes` without following symlinks. */
export async function applyXattrs(
  writes: readonly XattrWrite[],
  signal?: AbortSignal,
): Promise<void> {
  if (writes.length === 0) return;
  await execa("setfattr", ["-h", "--restore=-"], {
    input: xattrDump(writes),
    ...(signal ? { cancelSignal: signal } : {}),
  });
}
