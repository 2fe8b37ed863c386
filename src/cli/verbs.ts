/**
 * The CLI verbs, each a thin call to the daemon's API. Where Podman's CLI is
 * forgiving (stop of a container that is not running, start of a running one)
 * the CLI asks with `ifNeeded`, so the daemon answers success and journals the
 * request as `unchanged`; without it the API keeps the seed's strict errors.
 */
import type { ExecOptions } from "./exec.js";
import { BerthClient } from "../client/index.js";
import { InvalidArgError } from "../errors.js";
import type { ContainerRecord, ContainerState } from "../machines/index.js";
import { withCommandExit } from "./command-exit.js";
import { IF_NEEDED } from "./if-needed.js";
import { configBody, splitConfigFlags, type ConfigFlags } from "./config-flags.js";
import { sandboxBody, type SandboxFlags } from "./sandbox-flags.js";

export { volumeCreate, volumeInspect, volumeLs, volumePrune, volumeRm } from "./volume-verbs.js";

const client = (socket: string) => new BerthClient({ socketPath: socket });
const out = (text: string) => process.stdout.write(text);
const enc = encodeURIComponent;

/**
 * `--entrypoint` as Podman reads it: a JSON array (`'["sh","-c"]'`), or one
 * program; `""` clears the image's entrypoint.
 */
export function entrypointOf(value: string): string[] {
  if (value === "") return [];
  if (value.trimStart().startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw new InvalidArgError(`invalid --entrypoint ${value}: not a JSON array`, { cause: err });
    }
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string"))
      throw new InvalidArgError(`invalid --entrypoint ${value}: use a JSON array of strings`);
    return parsed;
  }
  return [value];
}

/** `-e KEY=VALUE`, or `-e KEY` for the CLI's own value of KEY (left out when it has none), as Podman. */
function envEntry(entry: string): string[] {
  if (entry.includes("=")) return [entry];
  const value = process.env[entry];
  return value === undefined ? [] : [`${entry}=${value}`];
}

type CreateFlags = Parameters<typeof createRecord>[3];

export async function create(socket: string, image: string, command: string[], opts: CreateFlags) {
  out(`${(await createRecord(socket, image, command, opts)).id}\n`);
}

/**
 * `run`: create, start and attach, as Podman's; exits with the container's
 * code. `-d` prints the id instead; `--rm` removes the container once it
 * exited (a detached one is not watched: refused, as berth has no exit hook).
 */
export const run = (
  socket: string,
  image: string,
  command: string[],
  opts: CreateFlags & { detach?: boolean; rm?: boolean; detachKeys?: string },
): Promise<number> => withCommandExit(() => runContainer(socket, image, command, opts));

async function runContainer(
  socket: string,
  image: string,
  command: string[],
  opts: CreateFlags & { detach?: boolean; rm?: boolean; detachKeys?: string },
): Promise<number> {
  const { detach, rm: remove, detachKeys, ...flags } = opts;
  // The daemon refuses it too (for -d); saying so here keeps an attached run from creating anything.
  if (remove && flags.restart !== undefined && flags.restart !== "no")
    throw new InvalidArgError("the --rm option conflicts with --restart");
  // Detached, only the daemon sees the exit: it removes the container (autoRemove). Attached, the
  // CLI waits for the exit anyway and removes it after reading the exit code, as before.
  const record = await createRecord(socket, image, command, {
    ...flags,
    ...(detach && remove ? { autoRemove: true } : {}),
  });
  if (detach) {
    await client(socket).call("POST", `/containers/${record.id}/start`, {});
    out(`${record.id}\n`);
    return 0;
  }
  const { startAttach } = await import("./attach.js");
  try {
    return await startAttach(socket, record.id, {
      stdin: flags.interactive ?? false,
      detachKeys,
    });
  } finally {
    // A session the user detached from leaves the container running: it stays, as with Podman.
    if (remove) {
      const now = await client(socket).call<ContainerRecord>("GET", `/containers/${record.id}`);
      if (now.state !== "running" && now.state !== "paused")
        await client(socket).call("DELETE", `/containers/${record.id}?force=1`);
    }
  }
}

/** Creates the container as `create` was asked to; answers its record. */
async function createRecord(
  socket: string,
  image: string,
  command: string[],
  opts: {
    name?: string;
    stopTimeout?: number;
    stopSignal?: string;
    tty?: boolean;
    interactive?: boolean;
    restart?: string;
    autoRemove?: boolean;
    requires?: string[];
    label?: string[];
    entrypoint?: string;
    env?: string[];
    workdir?: string;
    user?: string;
    volume?: string[];
    network?: string;
    publish?: string[];
    dns?: string[];
  } & SandboxFlags &
    ConfigFlags,
) {
  const [config, flags] = splitConfigFlags(opts);
  const {
    tty,
    interactive,
    label,
    securityOpt,
    pidsLimit,
    ulimit,
    entrypoint,
    env,
    workdir,
    volume,
    ...rest
  } = flags;
  const labels = Object.fromEntries(
    (label ?? []).map((l) => {
      const at = l.indexOf("=");
      return at < 0 ? [l, ""] : [l.slice(0, at), l.slice(at + 1)];
    }),
  );
  const body = {
    image,
    // No command: the image's Cmd runs.
    ...(command.length > 0 ? { command } : {}),
    ...(entrypoint !== undefined ? { entrypoint: entrypointOf(entrypoint) } : {}),
    ...(workdir !== undefined ? { workingDir: workdir } : {}),
    ...rest,
    labels,
    terminal: tty ?? false,
    stdin: interactive ?? false,
    ...sandboxBody({ securityOpt, pidsLimit, ulimit }),
    ...configBody(config),
    ...(volume !== undefined && volume.length > 0 ? { volumes: volume } : {}),
  };
  // As Podman: the env files' entries first, then -e's, so -e wins.
  const given = [...(body.env ?? []), ...(env ?? []).flatMap(envEntry)];
  if (given.length > 0) body.env = given;
  return client(socket).call<ContainerRecord>("POST", "/containers", body);
}

/** Runs an operation on each container in turn; Podman prints each ref that succeeded. */
async function each(refs: string[], run: (ref: string) => Promise<unknown>): Promise<number> {
  let failed = 0;
  for (const ref of refs) {
    try {
      await run(ref);
      out(`${ref}\n`);
    } catch (err) {
      process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      failed += 1;
    }
  }
  return failed ? 125 : 0;
}

const post =
  (socket: string, op: string, body: unknown = {}) =>
  (ref: string) =>
    client(socket).call("POST", `/containers/${enc(ref)}/${op}`, body);

/** `-a/--all` on a verb that acts on containers. */
type AllOpt = { all?: boolean };

/**
 * The containers a verb acts on: those named, or with `-a` every container
 * in one of `states` (every one when none are given), as Podman's `-a`.
 */
async function targets(
  s: string,
  refs: string[],
  opts: AllOpt,
  states?: ContainerState[],
): Promise<string[]> {
  if (opts.all && refs.length > 0)
    throw new InvalidArgError(
      "when using the --all switch, you may not pass any container names or IDs",
    );
  if (!opts.all) {
    if (refs.length === 0)
      throw new InvalidArgError("you must provide at least one container name or ID");
    return refs;
  }
  const records = await client(s).call<ContainerRecord[]>("GET", "/containers?all=1");
  return records.filter((r) => states === undefined || states.includes(r.state)).map((r) => r.id);
}

export const init = (s: string, refs: string[]) => each(refs, post(s, "init"));
export const pause = async (s: string, refs: string[], opts: AllOpt = {}) =>
  each(await targets(s, refs, opts, ["running"]), post(s, "pause"));
export const unpause = async (s: string, refs: string[], opts: AllOpt = {}) =>
  each(await targets(s, refs, opts, ["paused"]), post(s, "unpause"));
export const cleanup = (s: string, refs: string[]) => each(refs, post(s, "cleanup"));

export async function start(
  s: string,
  refs: string[],
  opts: { attach?: boolean; interactive?: boolean; detachKeys?: string; recursive?: boolean } = {},
) {
  if (!opts.attach) {
    const query = opts.recursive ? "?recursive=1" : "";
    const run = (ref: string) =>
      client(s).call("POST", `/containers/${enc(ref)}/start${query}`, IF_NEEDED);
    return each(refs, run);
  }
  if (refs.length !== 1) throw new InvalidArgError("start --attach takes exactly one container");
  const { startAttach } = await import("./attach.js");
  return withCommandExit(() =>
    startAttach(s, refs[0]!, {
      stdin: opts.interactive ?? false,
      detachKeys: opts.detachKeys,
    }),
  );
}

export async function attach(
  s: string,
  ref: string,
  opts: { stdin: boolean; detachKeys?: string },
) {
  const { attach: run } = await import("./attach.js");
  return run(s, ref, { stdin: opts.stdin, detachKeys: opts.detachKeys });
}

export const stop = async (s: string, refs: string[], opts: { time?: number } & AllOpt) =>
  each(
    await targets(s, refs, opts, ["running", "paused"]),
    post(s, "stop", { timeout: opts.time, ...IF_NEEDED }),
  );

export const kill = async (s: string, refs: string[], opts: { signal: string } & AllOpt) =>
  each(await targets(s, refs, opts, ["running"]), post(s, "kill", { signal: opts.signal }));

export const rm = async (
  s: string,
  refs: string[],
  opts: { force?: boolean; time?: number } & AllOpt,
) =>
  each(await targets(s, refs, opts), (ref) => {
    const time = opts.time === undefined ? "" : `&timeout=${opts.time}`;
    return client(s).call("DELETE", `/containers/${enc(ref)}?force=${opts.force ? 1 : 0}${time}`);
  });

export const restart = (s: string, refs: string[], opts: { time?: number }) =>
  each(refs, post(s, "restart", { timeout: opts.time }));

export const sync = (s: string, refs: string[]) => each(refs, post(s, "sync"));

export async function mount(s: string, refs: string[]) {
  for (const ref of refs) {
    const { path } = await client(s).call<{ path: string }>(
      "POST",
      `/containers/${enc(ref)}/mount`,
      {},
    );
    out(`${path}\n`);
  }
}

export const unmount = (s: string, refs: string[], opts: { force?: boolean }) =>
  each(refs, (ref) =>
    client(s).call("POST", `/containers/${enc(ref)}/unmount?force=${opts.force ? 1 : 0}`, {}),
  );

export const checkpoint = (
  s: string,
  refs: string[],
  opts: { keep?: boolean; leaveRunning?: boolean; tcpEstablished?: boolean; export?: string },
) =>
  each(
    refs,
    post(s, "checkpoint", {
      keep: opts.keep,
      keepRunning: opts.leaveRunning,
      tcpEstablished: opts.tcpEstablished,
      targetFile: opts.export,
    }),
  );

export const restore = (s: string, refs: string[], opts: { keep?: boolean; import?: string }) =>
  each(
    refs,
    post(s, "restore", {
      keep: opts.keep,
      targetFile: opts.import,
    }),
  );

export async function batch(s: string, ref: string, operations: string[]) {
  const commands = operations.map((op) => ({ type: op.toUpperCase() }));
  await client(s).call("POST", `/containers/${enc(ref)}/batch`, { commands });
  out(`${ref}\n`);
}

export async function artifactGet(s: string, ref: string, name: string) {
  process.stdout.write(
    await client(s).raw("GET", `/containers/${enc(ref)}/artifacts/${enc(name)}`),
  );
}

export async function artifactRm(s: string, ref: string, name: string) {
  await client(s).call("DELETE", `/containers/${enc(ref)}/artifacts/${enc(name)}`);
}

export async function refresh(s: string) {
  await client(s).call("POST", "/refresh");
}

export async function wait(
  s: string,
  refs: string[],
  opts: { condition?: string[]; interval?: number } = {},
) {
  const query = new URLSearchParams();
  for (const c of opts.condition ?? []) query.append("condition", c);
  if (opts.interval !== undefined) query.set("interval", String(opts.interval));
  for (const ref of refs) {
    const { exitCode } = await client(s).call<{ exitCode: number }>(
      "POST",
      `/containers/${enc(ref)}/wait?${query.toString()}`,
    );
    out(`${exitCode}\n`);
  }
}

export { auditExport, auditVerify, replay } from "./audit-verbs.js";

export async function exec(
  s: string,
  ref: string,
  command: string[],
  opts: ExecOptions,
): Promise<number> {
  const { execCommand } = await import("./exec.js");
  return execCommand(s, ref, command, opts);
}
