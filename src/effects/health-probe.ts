/**
 * Healthcheck probes: the check's command run in a running container by
 * `runc exec`, as the container's own process (user, capabilities, limits).
 * A probe is not an exec session: it is neither journaled nor attachable,
 * so a probe every few seconds costs no journal entry until the health changes.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { OciSpec } from "./bundle.js";
import { execProcessSpec } from "./exec-spec.js";
import { parseJson } from "./fsutil.js";
import { containerPaths, type Layout } from "./paths.js";
import { parseProcStat } from "./proc-top.js";

/** What one probe reports. A probe that cannot run at all fails with its reason as output. */
export interface ProbeOutcome {
  exitCode: number;
  /** The end of stdout and stderr, interleaved, at most `outputLimit` characters. */
  output: string;
}

/** What the health monitor runs probes through; tests of the monitor can give another. */
export interface HealthProber {
  probe(req: {
    containerId: string;
    command: string[];
    timeoutMs: number;
    outputLimit: number;
    signal?: AbortSignal;
  }): Promise<ProbeOutcome>;
}

/** Docker's code for a probe that timed out or could not run: a failure, never a success. */
const PROBE_FAILED = 1;

export class LinuxHealthProber implements HealthProber {
  constructor(private readonly o: { layout: Layout; runcPath?: string }) {}

  async probe(req: Parameters<HealthProber["probe"]>[0]): Promise<ProbeOutcome> {
    const container = containerPaths(this.o.layout, req.containerId);
    // Not in the container's folder: a removal deleting it must not race a probe writing into it.
    // The staging folder is private and swept at start, so a probe cut off leaves nothing behind.
    const dir = this.o.layout.staging;
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const name = `probe-${randomBytes(8).toString("hex")}`;
    const processFile = path.join(dir, `${name}.json`);
    const pidFile = path.join(dir, `${name}.pid`);
    try {
      const config = parseJson(await fs.readFile(container.config, "utf8")) as OciSpec;
      const spec = execProcessSpec(config.process, { command: req.command, env: [], tty: false });
      await fs.writeFile(processFile, JSON.stringify(spec), { mode: 0o600 });
      return await this.run(req, processFile, pidFile);
    } catch (err) {
      return { exitCode: PROBE_FAILED, output: `healthcheck could not run: ${String(err)}` };
    } finally {
      await Promise.all([fs.rm(processFile, { force: true }), fs.rm(pidFile, { force: true })]);
    }
  }

  private run(
    req: Parameters<HealthProber["probe"]>[0],
    processFile: string,
    pidFile: string,
  ): Promise<ProbeOutcome> {
    const runc = this.o.runcPath ?? "/usr/sbin/runc";
    const args = ["--root", this.o.layout.runc, "exec", "--process", processFile];
    const child = spawn(runc, [...args, "--pid-file", pidFile, req.containerId], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      // Only the end is kept: a chatty probe must not grow the daemon.
      output = (output + chunk.toString("utf8")).slice(-req.outputLimit);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    let timedOut = false;
    // runc exec does not take its process down when it is killed itself: kill that first.
    const stop = () => void killProbe(pidFile).finally(() => child.kill("SIGKILL"));
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, req.timeoutMs);
    req.signal?.addEventListener("abort", stop, { once: true });
    return new Promise<ProbeOutcome>((resolve) => {
      child.on("error", (err) => {
        clearTimeout(timer);
        resolve({ exitCode: PROBE_FAILED, output: `healthcheck could not run: ${err.message}` });
      });
      child.on("close", (code, sig) => {
        clearTimeout(timer);
        req.signal?.removeEventListener("abort", stop);
        if (timedOut) {
          // runc may have written the pid file only after the first kill looked for it.
          void killProbe(pidFile).finally(() =>
            resolve({
              exitCode: PROBE_FAILED,
              output: `healthcheck timed out after ${req.timeoutMs} ms\n${output}`.slice(
                -req.outputLimit,
              ),
            }),
          );
        } else resolve({ exitCode: code ?? 128 + signalNumber(sig), output });
      });
    });
  }
}

function signalNumber(sig: NodeJS.Signals | null): number {
  return sig === "SIGKILL" ? 9 : sig === "SIGTERM" ? 15 : 0;
}

/** The probe's process and everything it started (a shell's children outlive the shell). */
async function killProbe(pidFile: string): Promise<void> {
  const pid = Number((await fs.readFile(pidFile, "utf8").catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  for (const p of [pid, ...(await descendants(pid))]) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // Already gone; nothing else can fail for root, and a kill must never reject.
    }
  }
}

async function descendants(root: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const name of await fs.readdir("/proc").catch(() => [])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await fs.readFile(`/proc/${name}/stat`, "utf8").catch(() => undefined);
    if (!stat) continue;
    const { pid, ppid } = parseProcStat(stat);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
