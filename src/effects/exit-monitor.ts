/**
 * Watches conmon's exit dir and reports each container exit. fs.watch gives
 * low latency; a periodic rescan catches what inotify can miss (events while
 * the dir was being recreated, overflowed queues), so no exit is lost.
 */
import { type FSWatcher, watch } from "node:fs";
import * as fs from "node:fs/promises";
import { abortReason, throwIfAborted } from "./abort.js";
import { errnoCode } from "./fsutil.js";
import { readExitFile } from "./exit-file.js";
import { assertContainerId, containerPaths, isContainerId, layout, type Layout } from "./paths.js";
import type { ExitInfo } from "./types.js";

/** Called once per appearance of an exit file. */
export type ExitListener = (id: string, exit: ExitInfo) => void;

export interface ExitMonitorOptions {
  /** The berth root whose `exits` dir is watched. */
  root: string;
  /** Milliseconds between fallback rescans. Default 500. */
  rescanMs?: number;
  /** Told about scan failures and throwing listeners; the monitor keeps running. */
  onError?: (err: unknown) => void;
}

interface Waiter {
  id: string;
  settle: (exit: ExitInfo | undefined) => void;
}

/**
 * Reports container exits found in `<root>/exits`. Nothing is scanned until
 * `start()` (or `ready`, or a `waitFor`): attach listeners and make them able
 * to act first, because the first scan reports the exit files already there.
 */
export class ExitMonitor {
  private readonly layout: Layout;
  private readonly rescanMs: number;
  private readonly listeners = new Set<ExitListener>();
  private readonly waiters = new Set<Waiter>();
  /** mtime (ms) of each exit file already dispatched; an id + mtime is dispatched once. */
  private readonly seen = new Map<string, number>();
  private readonly onError: (err: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private watcher: FSWatcher | undefined;
  private scanning: Promise<void> | undefined;
  private rescanRequested = false;
  private closed = false;

  constructor(options: ExitMonitorOptions) {
    this.layout = layout(options.root);
    this.rescanMs = options.rescanMs ?? 500;
    this.onError = options.onError ?? (() => undefined);
  }

  /**
   * Starts watching (idempotent). Resolves once the first scan has reported
   * the exit files already present; never rejects, failures go to `onError`
   * and the rescans keep trying.
   */
  start(): Promise<void> {
    this.started ??= this.firstScan().catch((err: unknown) => this.onError(err));
    return this.started;
  }

  /** Same as `start()`: starts the monitor if needed and resolves after the first scan. */
  get ready(): Promise<void> {
    return this.start();
  }

  /** Adds a listener; returns a function that removes it. */
  onExit(listener: ExitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The exit of container `id`: at once if its exit file exists, else when it
   * appears. Undefined after `timeoutMs` or when the monitor closes; rejects
   * with the signal's reason when `signal` aborts.
   */
  async waitFor(
    id: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ExitInfo | undefined> {
    assertContainerId(id);
    throwIfAborted(signal);
    return new Promise<ExitInfo | undefined>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        id,
        settle: (exit) => {
          cleanup();
          resolve(exit);
        },
      };
      const onAbort = (): void => {
        cleanup();
        if (signal) reject(abortReason(signal));
      };
      const timer = setTimeout(() => waiter.settle(undefined), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (this.closed) return waiter.settle(undefined);
      // Register before looking, so an exit landing in between is not missed.
      this.waiters.add(waiter);
      void this.start();
      this.lookFor(id).then(
        (exit) => {
          if (exit && this.waiters.has(waiter)) waiter.settle(exit);
        },
        (err: unknown) => this.onError(err),
      );
    });
  }

  /** Stops watching; pending waiters resolve with undefined. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    for (const waiter of [...this.waiters]) waiter.settle(undefined);
    await this.scanning;
  }

  private async firstScan(): Promise<void> {
    if (this.closed) return;
    this.timer = setInterval(() => this.requestScan(), this.rescanMs);
    this.timer.unref();
    await fs.mkdir(this.layout.exits, { recursive: true });
    this.requestScan();
    await this.scanning;
  }

  private watch(): void {
    if (this.closed || this.watcher) return;
    try {
      this.watcher = watch(this.layout.exits, { persistent: false }, () => this.requestScan());
      this.watcher.on("error", (err) => {
        // The dir may have been removed; the rescan keeps working and re-arms the watch.
        this.watcher?.close();
        this.watcher = undefined;
        this.onError(err);
      });
    } catch (err) {
      // A missing dir is normal until the first container runs; the rescan retries.
      if (errnoCode(err) !== "ENOENT") this.onError(err);
    }
  }

  /** Coalesces scan requests: at most one scan runs, and one more follows if asked meanwhile. */
  private requestScan(): void {
    if (this.closed) return;
    if (this.scanning) {
      this.rescanRequested = true;
      return;
    }
    this.scanning = this.scanLoop().finally(() => {
      this.scanning = undefined;
    });
  }

  private async scanLoop(): Promise<void> {
    do {
      this.rescanRequested = false;
      try {
        await this.scan();
      } catch (err) {
        this.onError(err);
      }
    } while (this.rescanRequested && !this.closed);
  }

  private async scan(): Promise<void> {
    this.watch();
    let names: string[];
    try {
      names = await fs.readdir(this.layout.exits);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return;
      throw err;
    }
    // conmon's temp files (`<id>.XXXXXX`) fail the id check and are skipped.
    const ids = new Set(names.filter(isContainerId));
    for (const id of this.seen.keys()) if (!ids.has(id)) this.seen.delete(id);
    for (const id of ids) {
      if (this.closed) return;
      await this.check(id);
    }
  }

  private async check(id: string): Promise<void> {
    const mtimeMs = await this.mtime(id);
    if (mtimeMs === undefined || this.seen.get(id) === mtimeMs) return;
    const exit = await this.readNow(id);
    if (!exit) return;
    this.seen.set(id, mtimeMs);
    this.dispatch(id, exit);
  }

  private async mtime(id: string): Promise<number | undefined> {
    try {
      return (await fs.stat(containerPaths(this.layout, id).exitFile)).mtimeMs;
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw err;
    }
  }

  /**
   * An exit already dispatched is returned at once. One not yet dispatched is
   * left to a scan, so listeners hear of it before any waiter resolves.
   */
  private async lookFor(id: string): Promise<ExitInfo | undefined> {
    const mtimeMs = await this.mtime(id);
    if (mtimeMs === undefined) return undefined;
    if (this.seen.get(id) === mtimeMs) return this.readNow(id);
    this.requestScan();
    return undefined;
  }

  private readNow(id: string): Promise<ExitInfo | undefined> {
    return readExitFile(containerPaths(this.layout, id));
  }

  /** Listeners first, then waiters: whoever waits sees the listeners' effects. */
  private dispatch(id: string, exit: ExitInfo): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(id, exit);
      } catch (err) {
        this.onError(err);
      }
    }
    for (const waiter of [...this.waiters]) if (waiter.id === id) waiter.settle(exit);
  }
}
