/**
 * A pull's progress on the terminal, one line per blob as Podman prints it:
 *
 *   Copying blob 3f4ca61aafcd done
 *   Copying blob 9a0b0ce99936 [=====>                        ] 12.3MiB / 40.1MiB
 *   Copying blob 5e1b2ba3bd8f skipped: already exists
 *
 * The rendering is pure (blobLine, progressFrame); PullProgress only keeps
 * the blobs' state and decides when to write. On a terminal the lines are
 * redrawn in place, at most every `intervalMs`, because a layer reports
 * progress per network chunk (thousands a second) and a terminal redrawn that
 * often flickers and slows the pull. Anywhere else (a log file, a pipe)
 * cursor movement would be garbage, so each blob gets one final line.
 */

/**
 * One blob's progress: the shape of src/images' BlobProgress, restated so the
 * CLI needs no import from the image store (the layer diagram has no such
 * edge; a `pull` verb will receive these events from the daemon, not from
 * the store). pullImage's `onProgress` can still feed `update` directly.
 */
export interface BlobProgress {
  digest: string;
  size: number;
  received: number;
  skipped: boolean;
}

/** Where the display writes: a stream such as process.stderr. */
export interface ProgressOutput {
  write(text: string): unknown;
  /** True for a terminal: the lines are then redrawn in place. */
  isTTY?: boolean;
  /** The terminal's width; longer lines are cut so they never wrap. */
  columns?: number;
}

export interface PullProgressOptions {
  /** Least time between two redraws on a terminal (default 100 ms). */
  intervalMs?: number;
  /** Characters inside the bar's brackets (default 30). */
  barWidth?: number;
}

const UNITS = ["KiB", "MiB", "GiB", "TiB"] as const;

/**
 * `bytes` in binary units with one decimal, as Podman shows sizes
 * (`12.3MiB`); below 1 KiB a whole count of bytes (`512B`).
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.max(0, Math.floor(bytes))}B`;
  let value = bytes / 1024;
  let unit = 0;
  // Rounding decides the unit, so 1023.99 KiB shows as 1.0MiB, not 1024.0KiB.
  while (Number(value.toFixed(1)) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)}${UNITS[unit]}`;
}

/** The 12 hex digits Podman and Docker show for a digest. */
export const shortDigest = (digest: string): string =>
  digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 13);

/** A bar of `width` characters: `=` for what arrived, `>` at its tip, spaces for the rest. */
export function progressBar(received: number, size: number, width: number): string {
  const ratio = size > 0 ? Math.min(1, Math.max(0, received / size)) : 0;
  const filled = Math.floor(ratio * width);
  if (filled >= width) return "=".repeat(width);
  if (filled === 0) return " ".repeat(width);
  return `${"=".repeat(filled - 1)}>${" ".repeat(width - filled)}`;
}

/** True once a blob needs no more lines: skipped, or every byte arrived. */
export const isFinal = (p: BlobProgress): boolean => p.skipped || p.received >= p.size;

/** One blob's line, without a newline. */
export function blobLine(p: BlobProgress, barWidth = 30): string {
  const head = `Copying blob ${shortDigest(p.digest)}`;
  if (p.skipped) return `${head} skipped: already exists`;
  if (p.received >= p.size) return `${head} done`;
  const bar = progressBar(p.received, p.size, barWidth);
  return `${head} [${bar}] ${formatBytes(p.received)} / ${formatBytes(p.size)}`;
}

/**
 * What redraws `lines` over the `previous` lines drawn before them: the
 * cursor goes up to the first of those, and each line is cleared before it
 * is written (a line may have become shorter, `[==> ] …` → `done`).
 * `previous` may be fewer than `lines` (new blobs); never more, since blobs
 * are never dropped from the display.
 */
export function progressFrame(lines: readonly string[], previous: number): string {
  const up = previous > 0 ? `\x1b[${previous}A` : "";
  return up + lines.map((l) => `\r\x1b[2K${l}\n`).join("");
}

/**
 * Shows a pull's BlobProgress events: pass `update` as pullImage's
 * `onProgress`, and call `finish` once the pull ends (either way).
 */
export class PullProgress {
  private readonly blobs = new Map<string, BlobProgress>();
  private readonly printed = new Set<string>();
  private readonly intervalMs: number;
  private readonly barWidth: number;
  private drawn = 0;
  private lastDraw = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly out: ProgressOutput,
    options: PullProgressOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.barWidth = options.barWidth ?? 30;
  }

  /** Records one event; writes now, later (throttled), or only at the end. */
  update(p: BlobProgress): void {
    if (this.finished) return;
    this.blobs.set(p.digest, { ...p });
    if (this.out.isTTY !== true) {
      if (isFinal(p)) this.printFinal(p);
      return;
    }
    const wait = this.lastDraw + this.intervalMs - Date.now();
    if (wait <= 0) this.draw();
    else this.timer ??= setTimeout(() => this.draw(), wait).unref();
  }

  /** Writes the last state of every blob; later events are ignored. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.out.isTTY === true) this.draw();
    else for (const p of this.blobs.values()) this.printFinal(p);
  }

  private draw(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastDraw = Date.now();
    const lines = [...this.blobs.values()].map((p) => this.fit(blobLine(p, this.barWidth)));
    this.out.write(progressFrame(lines, this.drawn));
    this.drawn = lines.length;
  }

  private printFinal(p: BlobProgress): void {
    if (this.printed.has(p.digest)) return;
    this.printed.add(p.digest);
    this.out.write(`${blobLine(p, this.barWidth)}\n`);
  }

  /** A wrapped line would take two rows, and the cursor-up count would be off. */
  private fit(line: string): string {
    const columns = this.out.columns;
    return columns !== undefined && columns > 1 && line.length >= columns
      ? line.slice(0, columns - 1)
      : line;
  }
}
