/**
 * The verbs that only look: ps, inspect, history, events and status, with
 * their tables, templates and timelines. Apart from verbs.ts, whose verbs
 * change containers, so that neither kind loads the other's modules at
 * start-up (bench/cli.ts).
 */
import { BerthClient } from "../client/index.js";
import { InvalidArgError } from "../errors.js";
import { parseTimeArg, type CloudEvent, type EventQuery } from "../events/index.js";
import { publishedPorts, type ContainerRecord } from "../machines/index.js";
import { inspectAt } from "./audit-verbs.js";
import { eventView, inspectView, PS_HEADERS, psView } from "./container-views.js";
import { eventLine, NameBook } from "./event-line.js";
import { idCell, printable, psTable } from "./format.js";
import { historyTable } from "./history-format.js";
import { currentHolders, namesFromDaemon } from "./names-over-time.js";
import { outputFormat } from "./output-format.js";
import { checkPsQuery, psWantsAll, selectContainers, type PsQuery } from "./ps-query.js";
import { timeline } from "./timeline.js";

type FormatOpt = { format: string };

const client = (socket: string) => new BerthClient({ socketPath: socket });
const out = (text: string) => process.stdout.write(text);
const json = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);
const enc = encodeURIComponent;

/**
 * `ps` with Podman's flags. `--no-trunc` comes from commander as `trunc:
 * false`; `-q` prints ids only.
 */
export async function ps(
  s: string,
  opts: PsQuery & FormatOpt & { quiet?: boolean; trunc?: boolean },
) {
  const noTrunc = opts.trunc === false;
  const format = outputFormat(opts.format, { headers: PS_HEADERS });
  checkPsQuery(opts);
  const listed = await client(s).call<ContainerRecord[]>(
    "GET",
    `/containers?all=${psWantsAll(opts) ? 1 : 0}`,
  );
  const records = selectContainers(listed, opts);
  const now = Date.now();
  if (opts.quiet) out(records.map((r) => `${idCell(r.id, noTrunc)}\n`).join(""));
  // Podman's ps JSON carries the ports as bound; a record keeps them in two places by state.
  else if (format.kind === "json") json(records.map((r) => ({ ...r, ports: publishedPorts(r) })));
  else if (format.kind === "template")
    out(format.template.render(records.map((r) => psView(r, now, noTrunc))));
  else out(psTable(records, { now, noTrunc }));
}

/**
 * `inspect C...`: a JSON array of records, as Podman prints it, or one line
 * per container from a Go template over Podman's field names. Every
 * container is looked up before anything is printed; one missing fails it.
 * With `--at`, one container as it was then (`--all`: every holder of the name).
 */
export async function inspect(
  s: string,
  refs: string[],
  opts: { at?: string; all?: boolean } & FormatOpt,
) {
  const format = outputFormat(opts.format, { table: false });
  if (opts.at !== undefined) {
    if (refs.length !== 1) throw new InvalidArgError("inspect --at takes exactly one container");
    if (format.kind !== "json") throw new InvalidArgError("inspect --at prints JSON only");
    return inspectAt(s, refs[0]!, opts.at, opts.all ?? false);
  }
  if (opts.all) throw new InvalidArgError("inspect --all needs --at: now, a name has one holder");
  const records: ContainerRecord[] = [];
  for (const ref of refs)
    records.push(await client(s).call<ContainerRecord>("GET", `/containers/${enc(ref)}`));
  if (format.kind === "template") out(format.template.render(records.map(inspectView)));
  else json(records);
}

/** Events per container, in the order each first appears (the oldest holder of a name first). */
function byContainer(events: CloudEvent[]): CloudEvent[][] {
  const streams = new Map<string, CloudEvent[]>();
  for (const e of events) streams.set(e.subject, [...(streams.get(e.subject) ?? []), e]);
  return [...streams.values()];
}

/** `--all`'s heading over each container: which one, and whether it is gone. */
function holderHeading(events: CloudEvent[]): string {
  const first = events[0]!;
  const name = (first.data as { name?: unknown }).name;
  const removed = events.some((e) => e.type === "io.berth.container.remove");
  return printable(
    `${typeof name === "string" ? name : "?"} ${first.subject.slice(0, 12)} created ${first.time}${removed ? " (removed)" : ""}\n`,
  );
}

export async function history(
  s: string,
  ref: string,
  // Commander names `--no-trunc` as `trunc: false`.
  opts: FormatOpt & { trunc?: boolean; timeline?: boolean; all?: boolean },
) {
  const format = outputFormat(opts.format);
  const query = opts.all ? "?all=1" : "";
  const events = await client(s).call<CloudEvent[]>(
    "GET",
    `/containers/${enc(ref)}/history${query}`,
  );
  // Returned values become the exit code: print, then return nothing.
  if (format.kind === "json") {
    json(events);
    return;
  }
  if (format.kind === "template") {
    out(format.template.render(events.map(eventView)));
    return;
  }
  const width = process.stdout.isTTY ? process.stdout.columns : 80;
  const now = Date.now();
  const sections = byContainer(events).map((stream) => {
    const body = opts.timeline
      ? timeline(stream, { width, now })
      : historyTable(stream, { noTrunc: opts.trunc === false });
    // The timeline's first line already names the container.
    return opts.all && !opts.timeline ? `${holderHeading(stream)}${body}` : body;
  });
  out(sections.join("\n"));
}

export async function events(
  s: string,
  opts: {
    stream: string | boolean;
    afterSeq?: number;
    since?: string;
    until?: string;
    filter?: string[];
    all?: boolean;
  } & FormatOpt,
) {
  const format = outputFormat(opts.format);
  const api = client(s);
  const filters = opts.all ? (opts.filter ?? []) : await currentHolders(api, opts.filter ?? []);
  const follow = !(opts.stream === false || opts.stream === "false" || opts.stream === "0");
  // As in Podman, durations count from the client's clock: the daemon gets absolute times.
  const now = Date.now();
  const at = (raw: string | undefined, kind: "since" | "until") => {
    if (raw === undefined) return undefined;
    const ms = parseTimeArg(raw, kind, now);
    return new Date(kind === "since" ? Math.ceil(ms) : Math.floor(ms)).toISOString();
  };
  // As `docker events`: a stream with no starting point shows only what happens from now on.
  const live = follow && opts.since === undefined && opts.afterSeq === undefined;
  const query: EventQuery = {
    follow,
    ...(live ? { live } : {}),
    ...(opts.afterSeq !== undefined ? { afterSeq: opts.afterSeq } : {}),
    ...(opts.since !== undefined ? { since: at(opts.since, "since") } : {}),
    ...(opts.until !== undefined ? { until: at(opts.until, "until") } : {}),
    ...(filters.length ? { filters } : {}),
  };
  // A stream cannot wait for its widest cell: a template's rows are printed as they come.
  const header = format.kind === "template" ? format.template.header() : undefined;
  if (header !== undefined) out(header);
  const names = new NameBook(namesFromDaemon(api));
  const line =
    format.kind === "json"
      ? (e: CloudEvent) => `${JSON.stringify(e)}\n`
      : format.kind === "template"
        ? (e: CloudEvent) => format.template.line(eventView(e))
        : (e: CloudEvent) => eventLine(e, names.of(e));
  for await (const batch of api.eventBatches(query)) {
    if (format.kind === "table") await names.learn(batch);
    if (!process.stdout.write(batch.map(line).join(""))) {
      await new Promise((resolve) => process.stdout.once("drain", resolve));
    }
  }
}

/** The daemon's status: JSON (the default), or a Go template over its fields. */
export async function status(s: string, opts: FormatOpt = { format: "json" }) {
  const format = outputFormat(opts.format, { table: false });
  const answer = await client(s).call("GET", "/status");
  if (format.kind === "template") out(format.template.render([answer]));
  else json(answer);
}
