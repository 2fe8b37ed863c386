/**
 * The bridge plugin finds a container's masquerade rules through the address
 * on its interface, so a DEL without the namespace (gone after a crash or a
 * reboot) leaves them. They carry the container's id in their comment; this
 * deletes exactly those rules and the chain they jump to, nothing else.
 */
import { execa } from "execa";
import { NETWORK_NAME } from "./network-config.js";

const IPTABLES = "iptables";

/** Rule numbers and targets in nat POSTROUTING whose comment names container `id`. */
export function masqueradeRules(listing: string, id: string): { num: number; chain: string }[] {
  const mark = `name: "${NETWORK_NAME}" id: "${id}"`;
  return listing
    .split("\n")
    .filter((l) => l.includes(mark))
    .map((l) => l.trim().split(/\s+/))
    .map(([num, chain]) => ({ num: Number(num), chain: chain ?? "" }))
    .filter((r) => Number.isInteger(r.num) && r.num > 0 && /^CNI-[0-9a-f]+$/.test(r.chain));
}

/** Deletes container `id`'s masquerade rules and chain; idempotent. */
export async function purgeMasquerade(id: string): Promise<void> {
  const listing = await execa(
    IPTABLES,
    ["-t", "nat", "-L", "POSTROUTING", "--line-numbers", "-n"],
    {
      reject: false,
    },
  );
  if (listing.failed) return;
  const rules = masqueradeRules(listing.stdout, id);
  // Highest first, so the numbers of the ones still to delete do not move.
  for (const r of [...rules].sort((a, b) => b.num - a.num)) {
    await execa(IPTABLES, ["-t", "nat", "-D", "POSTROUTING", String(r.num)], { reject: false });
  }
  for (const chain of new Set(rules.map((r) => r.chain))) {
    await execa(IPTABLES, ["-t", "nat", "-F", chain], { reject: false });
    await execa(IPTABLES, ["-t", "nat", "-X", chain], { reject: false });
  }
}
