/**
 * What each verb's `--help` adds after commander's own text: the defaults
 * that live in the daemon or the container rather than in a flag (commander
 * prints a flag's own default beside it), and one example, as Podman's help
 * does. Kept apart from main.ts so that adding a verb there and its help here
 * stay separate edits; `addHelp` walks whatever main.ts declared.
 */
import type { Command } from "commander";

interface VerbHelp {
  /** Defaults the flags do not show, one line each. */
  defaults?: string[];
  example: string;
}

const STOP_TIMEOUT =
  "-t, --time: the container's stop timeout (10 seconds unless created with --stop-timeout)";

/** Keyed by the command's path under `berth` ("image ls"); image verbs' top-level aliases too. */
export const VERB_HELP: Record<string, VerbHelp> = {
  serve: {
    defaults: ["--socket: /run/berth/berth.sock", "--default-network: bridge"],
    example: "berth serve --root /var/lib/berth --nats nats://127.0.0.1:4222",
  },
  "image import": { example: "berth image import rootfs.tar busybox" },
  "image pull": {
    defaults: ["--tls-verify: true"],
    example: "berth image pull docker.io/library/busybox:latest",
  },
  pull: {
    defaults: ["--tls-verify: true"],
    example: "berth pull docker.io/library/busybox:latest",
  },
  "image ls": { example: "berth image ls --format json" },
  images: { example: "berth images -q" },
  "image inspect": { example: "berth image inspect busybox" },
  "image tag": { example: "berth image tag busybox localhost/busybox:stable" },
  tag: { example: "berth tag busybox localhost/busybox:stable" },
  "image untag": { example: "berth image untag busybox localhost/busybox:stable" },
  "image rm": { example: "berth image rm busybox" },
  rmi: { example: "berth rmi busybox" },
  "image prune": { example: "berth image prune --all" },
  "image load": { defaults: ["-i, --input: stdin"], example: "berth image load -i busybox.tar" },
  load: { defaults: ["-i, --input: stdin"], example: "berth load < busybox.tar" },
  "volume create": { example: "berth volume create --label team=web data" },
  "volume ls": { example: "berth volume ls -q" },
  "volume inspect": { example: "berth volume inspect data" },
  "volume rm": { example: "berth volume rm data" },
  "volume prune": { example: "berth volume prune" },
  create: {
    defaults: [
      "--stop-timeout: 10 seconds",
      "--stop-signal: the image's, else SIGTERM",
      "--restart: no",
      "--network: the daemon's --default-network (bridge)",
    ],
    example: "berth create --name web -p 8080:80 busybox httpd -f -p 80",
  },
  run: {
    defaults: ["--stop-timeout: 10 seconds", "--detach-keys: ctrl-p,ctrl-q", "--restart: no"],
    example: "berth run --rm -it busybox sh",
  },
  start: { defaults: ["--detach-keys: ctrl-p,ctrl-q"], example: "berth start -a web" },
  exec: {
    defaults: ["-u, --user: the container's user", "-w, --workdir: the container's"],
    example: "berth exec -it web sh",
  },
  attach: { defaults: ["--detach-keys: ctrl-p,ctrl-q"], example: "berth attach web" },
  init: { example: "berth init web" },
  pause: { example: "berth pause web" },
  unpause: { example: "berth unpause web" },
  cleanup: { example: "berth cleanup web" },
  sync: { example: "berth sync web" },
  stop: { defaults: [STOP_TIMEOUT], example: "berth stop -t 5 web" },
  kill: { example: "berth kill -s SIGHUP web" },
  rm: { defaults: [STOP_TIMEOUT], example: "berth rm -f web" },
  restart: { defaults: [STOP_TIMEOUT], example: "berth restart web" },
  wait: {
    defaults: [
      "--condition: stopped, exited",
      "-i, --interval: 1000 milliseconds (a safety net: events end the wait)",
    ],
    example: "berth wait web",
  },
  mount: { example: "berth mount web" },
  unmount: { example: "berth unmount web" },
  export: { defaults: ["-o, --output: stdout"], example: "berth export -o web.tar web" },
  checkpoint: { example: "berth checkpoint -e web.ckpt web" },
  restore: { example: "berth restore -i web.ckpt web" },
  batch: { example: "berth batch web stop start" },
  "artifact add": { example: "berth artifact add web notes ./notes.txt" },
  "artifact get": { example: "berth artifact get web notes" },
  "artifact rm": { example: "berth artifact rm web notes" },
  refresh: { example: "berth refresh" },
  ps: { example: "berth ps -a --format json" },
  inspect: { example: "berth inspect --at 10m web" },
  "audit verify": {
    defaults: [
      "--key: the daemon's (GET /audit/key); a key kept apart from the host also catches a replaced one",
      "--stream: the daemon's relay stream, else BERTH",
      "--prefix: berth",
      "--host: the host in the journal's events' source",
    ],
    example: "berth audit verify --witness nats://10.0.0.2:4222 --key host.pub.pem",
  },
  "audit export": { example: "berth audit export --since 24h > audit.jsonl" },
  "audit key": { example: "berth audit key > berth-host.pub.pem" },
  "audit checkpoint": { example: "berth audit checkpoint" },
  "audit prove": { example: "berth audit prove 42 > seq42.proof.json" },
  "audit check-proof": {
    example: "berth audit check-proof --key berth-host.pub.pem seq42.proof.json",
  },
  replay: { example: "berth replay --verify" },
  logs: { example: "berth logs web" },
  top: {
    defaults: ["descriptors: user pid ppid pcpu etime tty time args"],
    example: "berth top web pid args",
  },
  "healthcheck run": { example: "berth healthcheck run web" },
  stats: { defaults: ["containers: every running one"], example: "berth stats --no-stream web" },
  history: { example: "berth history web" },
  events: {
    defaults: ["without --since or --after-seq: live events only, from now on"],
    example: "berth events --since 1h --filter container=web",
  },
  status: { example: "berth status" },
  completion: { example: "source <(berth completion bash)" },
};

/** `cmd`'s path under the program: "image ls" for `berth image ls`. */
function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** The text shown after `cmd`'s help, or undefined when VERB_HELP has no entry for it. */
export function helpAfter(path: string): string | undefined {
  const help = VERB_HELP[path];
  if (!help) return undefined;
  const defaults = help.defaults?.length
    ? `\nDefaults:\n${help.defaults.map((d) => `  ${d}\n`).join("")}`
    : "";
  return `${defaults}\nExample:\n  ${help.example}\n`;
}

/**
 * Adds the defaults and example to every visible verb under `program`.
 * Answers the paths that have none, for a test to list.
 */
export function addHelp(program: Command): string[] {
  const missing: string[] = [];
  const visit = (cmd: Command) => {
    if (cmd.name().startsWith("__")) return;
    if (cmd.commands.length > 0) {
      cmd.commands.forEach(visit);
      return;
    }
    const path = pathOf(cmd);
    const text = helpAfter(path);
    if (text === undefined) missing.push(path);
    else cmd.addHelpText("after", text);
  };
  program.commands.forEach(visit);
  return missing;
}
