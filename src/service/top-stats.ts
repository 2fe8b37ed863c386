/**
 * `top` and `stats`: looks at a running container's processes and counters
 * through the probe port. Nothing is journaled; a container that is not
 * running is refused with Podman's words, and one whose processes exit while
 * they are read is refused the same way rather than failing the daemon.
 */
import {
  isGone,
  statsLine,
  type CgroupReading,
  type ContainerProbe,
  type ContainerStats,
  type TopResult,
} from "../effects/index.js";
import { CtrStateInvalidError, UnsupportedError } from "../errors.js";
import type { ContainerRecord } from "../machines/index.js";
import { isTombstone, type Known } from "./registry.js";

// What top and stats answer, for the CLI and clients, which read no effects.
export type { ContainerStats, TopResult };

/** The interval of a single sample's CPU rate: long enough to measure, short enough to answer. */
export const SAMPLE_MS = 250;
/** How often a stream of stats refreshes, as Podman's does. */
export const STREAM_MS = 1000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** top and stats over the containers `lookup` resolves. */
export class ContainerLooks {
  constructor(
    private readonly lookup: (ref: string) => Known,
    private readonly probe: ContainerProbe | undefined,
  ) {}

  private running(ref: string, what: string): { record: ContainerRecord; pid: number } {
    const record = this.lookup(ref);
    if (
      isTombstone(record) ||
      (record.state !== "running" && record.state !== "paused") ||
      record.pid === undefined
    ) {
      throw new CtrStateInvalidError(
        `can only ${what} running containers: container ${record.id} is ${record.state}`,
      );
    }
    return { record, pid: record.pid };
  }

  private port(): ContainerProbe {
    if (!this.probe) throw new UnsupportedError("this daemon has no process probe");
    return this.probe;
  }

  /** The container's processes (Podman's default top descriptors). */
  async top(ref: string): Promise<TopResult & { id: string }> {
    const { record } = this.running(ref, "top");
    try {
      return { id: record.id, ...(await this.port().top(record.id)) };
    } catch (err) {
      // runc forgets a container the moment it exits; say so in the lifecycle's terms.
      this.running(record.id, "top");
      throw err;
    }
  }

  private async read(ref: string): Promise<{ record: ContainerRecord; reading: CgroupReading }> {
    const { record, pid } = this.running(ref, "get stats of");
    try {
      return { record, reading: await this.port().read(pid, record.id) };
    } catch (err) {
      if (isGone(err)) {
        throw new CtrStateInvalidError(
          `can only get stats of running containers: container ${record.id} exited`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** One sample, its CPU rate measured over SAMPLE_MS. */
  async stats(ref: string): Promise<ContainerStats> {
    const first = await this.read(ref);
    await sleep(SAMPLE_MS);
    const now = await this.read(first.record.id);
    return statsLine(first.record.id, first.record.name, first.reading, now.reading);
  }

  /** A sample every STREAM_MS until `signal` aborts or the container stops running. */
  async *statsStream(ref: string, signal: AbortSignal): AsyncGenerator<ContainerStats> {
    let before = await this.read(ref);
    const id = before.record.id;
    await sleep(SAMPLE_MS, signal);
    while (!signal.aborted) {
      const now = await this.read(id);
      yield statsLine(id, now.record.name, before.reading, now.reading);
      before = now;
      await sleep(STREAM_MS, signal);
    }
  }
}
