/**
 * This terminal's size as the `h` and `w` query of an attach, exec or resize.
 * A terminal that reports no size (0×0: a pty under `script` or a CI runner
 * with no window) has none to pass on, so it gets no query rather than one the
 * daemon refuses; the container's terminal keeps the runtime's default.
 */
export function terminalSizeQuery(
  out: { rows?: number; columns?: number } = process.stdout,
): string | undefined {
  const { rows, columns } = out;
  if (!rows || !columns) return undefined;
  return `h=${rows}&w=${columns}`;
}

/**
 * Sends this terminal's size through `resize` whenever it changes (and at
 * once with `now`); answers the function that stops following. A failed
 * resize is dropped: the session goes on at the old size.
 */
export function followTerminalSize(
  resize: (sizeQuery: string) => Promise<unknown>,
  now = false,
): () => void {
  const onResize = () => {
    const sizeQuery = terminalSizeQuery();
    if (sizeQuery !== undefined) resize(sizeQuery).catch(() => undefined);
  };
  if (now) onResize();
  process.stdout.on("resize", onResize);
  return () => process.stdout.off("resize", onResize);
}
