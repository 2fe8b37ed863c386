/**
 * The berth CLI. Kept light: only commander loads up front, each verb imports
 * what it needs when it runs, so `berth --version` answers fast.
 */
import { Command, Option } from "commander";
import { endQuietlyOnClosedPipe } from "./closed-pipe.js";
import { addHelp } from "./help-text.js";
import { only, verbWanted } from "./verb-subset.js";
import type { ServeFlags } from "./serve.js";

endQuietlyOnClosedPipe();

/** package.json's version, written in by scripts/bundle-cli.ts: reading the file cost start-up. */
declare const BERTH_VERSION: string;

const DEFAULT_SOCKET = "/run/berth/berth.sock";
const program = new Command("berth")
  .description("container lifecycle service whose event journal is the source of truth")
  .version(BERTH_VERSION, "-v, --version")
  .option("--socket <path>", "daemon socket (env BERTH_SOCKET)")
  .enablePositionalOptions()
  // Podman's usage errors (unknown verb or flag, missing argument) exit 125, not commander's 1;
  // help and version still exit 0. Subcommands made after this inherit it.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 125));

/** `--socket` may come before or after the verb. */
const socketOf = (cmd: Command) =>
  cmd.opts<{ socket?: string }>().socket ??
  program.opts<{ socket?: string }>().socket ??
  process.env.BERTH_SOCKET ??
  DEFAULT_SOCKET;
const format = () =>
  new Option("--format <format>", "output format: table, json or a Go template").default("table");
/** For verbs that print their table or JSON, and no template yet. */
const tableOrJson = () =>
  new Option("--format <format>", "output format: table or json").default("table");
/** For output that is data only: JSON unless a Go template is given. */
const dataFormat = () =>
  new Option("--format <format>", "output format: json or a Go template").default("json");
/** Podman's `-a` on verbs that act on containers: every one they apply to, instead of names. */
const allOf = (which: string) => new Option("-a, --all", `every ${which} container`);

type Args = unknown[];
/** For repeatable options: `--x a --x b` gives ["a", "b"]. */
const collect = (value: string, previous: string[]) => [...previous, value];
/**
 * Runs a verb from a module loaded when it runs; every failure becomes a
 * message on stderr and exit 125, as in Podman.
 */
const verbOf =
  (load: () => Promise<object>) =>
  (name: string) =>
  async (...args: Args) => {
    try {
      const cmd = args[args.length - 1] as Command;
      const verbs = await load();
      const fn = verbs[name as keyof typeof verbs] as (
        socket: string,
        ...a: Args
      ) => Promise<number | void>;
      const code = await fn(socketOf(cmd), ...args.slice(0, -1));
      process.exitCode = code ?? 0;
    } catch (err) {
      process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 125;
    }
  };
const verb = verbOf(() => import("./verbs.js"));
const imageVerb = verbOf(() => import("./image-verbs.js"));
const lookVerb = verbOf(() => import("./top-stats-verbs.js"));
const healthVerb = verbOf(() => import("./health-verbs.js"));
const logsVerb = verbOf(() => import("./logs-verbs.js"));
const fileVerb = verbOf(() => import("./file-verbs.js"));
const viewVerb = verbOf(() => import("./view-verbs.js"));
// Apart from `verb`: checking proofs loads zod and the Merkle code, which other verbs need not.
const proofVerb = verbOf(() => import("./proof-verbs.js"));

/**
 * Every verb, with its flags and help. Declares on whatever `program` it is
 * given: the real one, or `only(...)` of it (verb-subset.ts).
 */
function declareVerbs(program: Command): void {
  program
    .command("serve")
    .description("run the daemon")
    .option("--root <dir>", "state folder", "/var/lib/berth")
    .option("--nats <url...>", "NATS server URL(s) for the event relay")
    .option("--host <id>", "host id in event sources and subjects")
    .option("--prefix <prefix>", "NATS subject prefix", "berth")
    .option("--stream <name>", "JetStream stream for events", "BERTH")
    .option("--stream-replicas <n>", "stream replicas in a JetStream cluster", (v) => Number(v))
    .addOption(new Option("--nats-user <user>", "NATS user").env("BERTH_NATS_USER"))
    .addOption(new Option("--nats-pass <password>", "NATS password").env("BERTH_NATS_PASS"))
    .addOption(new Option("--nats-token <token>", "NATS token").env("BERTH_NATS_TOKEN"))
    .option("--nats-creds <file>", "NATS credentials file (JWT and NKey seed)")
    .option("--nats-tls-ca <file>", "CA certificate for the NATS servers (PEM)")
    .option("--nats-tls-cert <file>", "client certificate for NATS (PEM)")
    .option("--nats-tls-key <file>", "client certificate key for NATS (PEM)")
    .option("--nats-api", "serve the control API over NATS request/reply (needs --nats-api-keys)")
    .option(
      "--nats-api-keys <file>",
      "NATS API allow-list: user NKey, name, role per line (or JSON)",
    )
    .option(
      "--nats-api-max-inflight <n>",
      "NATS API: requests in flight before BUSY answers (default 64)",
      (v) => Number(v),
    )
    .option(
      "--checkpoint-interval <seconds>",
      "sign a checkpoint of the journal this often while events arrive; 0: on demand only (default 600)",
      (v) => Number(v),
    )
    .option(
      "--host-lease-ttl <seconds>",
      "with --nats: how long a dead daemon's claim on its --host lasts (default 15)",
      (v) => Number(v),
    )
    .option(
      "--events-stall-ms <ms>",
      "GET /events: disconnect a consumer that reads nothing this long (default 30000)",
      (v) => Number(v),
    )
    .option(
      "--events-heartbeat-ms <ms>",
      "GET /events: keep-alive after this much silence (default 15000)",
      (v) => Number(v),
    )
    .option(
      "--events-live-buffer <n>",
      "GET /events: live events queued per consumer before it reads from the journal (default 4096)",
      (v) => Number(v),
    )
    .option(
      "--events-max-subscribers <n>",
      "GET /events: consumers served at once; more are refused with 503 (default 256)",
      (v) => Number(v),
    )
    .option(
      "--events-buffer-bytes <n>",
      "GET /events: bytes held per consumer, queued and unsent (default 524288, at least 65536)",
      (v) => Number(v),
    )
    .option(
      "--max-import-bytes <n>",
      "largest image archive a client may upload (default 4 GiB)",
      (v) => Number(v),
    )
    .option(
      "--default-network <mode>",
      "network of a container whose create names none: bridge (default), none or host",
    )
    .option(
      "--network-state <dir>",
      "host-wide bridge address leases and published-port claims, shared by every berth daemon on the host (default /run/berth)",
    )
    .option(
      "--log-size-max <bytes>",
      "most bytes of each container's log file; conmon starts it afresh at the limit (default 16777216, -1: none)",
      (v) => Number(v),
    )
    .option(
      "--docker-socket <path>",
      "also serve the Docker Engine API (1.24 to 1.47) on this unix socket, mode 0600",
    )
    .action(async (opts: ServeFlags, cmd: Command) => {
      const { serve } = await (await import("./serve-loader.js")).loadServe();
      await serve({ ...opts, socket: socketOf(cmd), version: BERTH_VERSION });
    });

  const image = program.command("image").description("manage images");
  image
    .command("import <tar> [name]")
    .description(
      "import a rootfs tarball as a one-layer image (an image archive is loaded, with [name] added)",
    )
    .option(
      "--force-local",
      "admin: the daemon reads <tar> from its own host instead of an upload (absolute path)",
    )
    .action(fileVerb("imageImport"));

  /** The image verbs, under `image` and, where Podman has one, as a top-level alias. */
  const imageCommands: [string, string | undefined, (c: Command) => Command][] = [
    [
      "pull",
      "pull",
      (c) =>
        c
          .description("pull an image from a registry (prints its id)")
          .argument("<reference>")
          .option(
            "--tls-verify [bool]",
            "verify the registry's certificate (false: also plain HTTP)",
          )
          .option("--creds <user:password>", "registry credentials")
          .option("--authfile <file>", "auth.json or config.json with registry credentials")
          .option("--cert-dir <dir>", "folder of CA certificates (*.crt) for the registry")
          .option("-q, --quiet", "no progress display")
          .action(imageVerb("imagePull")),
    ],
    [
      "ls",
      "images",
      (c) =>
        c
          .description("list images")
          .addOption(format())
          .option("-q, --quiet", "ids only")
          .option("--digests", "show manifest digests")
          .option("--no-trunc", "full ids")
          .action(imageVerb("imageList")),
    ],
    [
      "inspect",
      undefined,
      (c) =>
        c
          .description("show images' records and configurations (JSON)")
          .argument("<images...>")
          .action(imageVerb("imageInspect")),
    ],
    [
      "tag",
      "tag",
      (c) =>
        c
          .description("add names to an image")
          .argument("<image>")
          .argument("<names...>")
          .action(imageVerb("imageTag")),
    ],
    [
      "untag",
      undefined,
      (c) =>
        c
          .description("take names off an image")
          .argument("<image>")
          .argument("<names...>")
          .action(imageVerb("imageUntag")),
    ],
    [
      "rm",
      "rmi",
      (c) =>
        c
          .description("remove images (refused while a container uses one, unless forced)")
          .option("-f, --force", "remove even if containers use it (they keep its layers)")
          .argument("<images...>")
          .action(imageVerb("imageRemove")),
    ],
    [
      "prune",
      undefined,
      (c) =>
        c
          .description("remove unused images without a name, and unreferenced blobs and layers")
          .option("-a, --all", "every unused image")
          .action(imageVerb("imagePrune")),
    ],
    [
      "load",
      "load",
      (c) =>
        c
          .description(
            "load images from a docker-archive, an OCI archive or an OCI layout folder (uploaded)",
          )
          .option("-i, --input <path>", "the archive or layout folder (default: stdin)")
          .action(imageVerb("imageLoad")),
    ],
  ];
  for (const [sub, alias, define] of imageCommands) {
    define(image.command(sub));
    if (alias !== undefined) define(program.command(alias));
  }
  const volume = program.command("volume").description("manage named volumes");
  volume
    .command("create")
    .description("create a named volume (prints its name)")
    .argument("[name]", "volume name (default: a random one)")
    .option("-l, --label <key=value>", "metadata (repeatable)", collect, [])
    .action(verb("volumeCreate"));
  volume
    .command("ls")
    .alias("list")
    .description("list volumes")
    .addOption(tableOrJson())
    .option("-q, --quiet", "print only names")
    .action(verb("volumeLs"));
  volume
    .command("inspect")
    .description("show volumes' details (JSON)")
    .argument("<names...>")
    .action(verb("volumeInspect"));
  volume
    .command("rm")
    .alias("remove")
    .description("remove volumes and their data; refused while a container uses them")
    .option("-f, --force", "accepted for Podman's sake; berth still refuses volumes in use")
    .argument("<names...>")
    .action(verb("volumeRm"));
  volume
    .command("prune")
    .description("remove every volume no container uses")
    .option("-f, --force", "do not ask (berth never asks)")
    .action(verb("volumePrune"));

  /** The flags of `create`, which `run` takes too. */
  const createFlags = (c: Command): Command =>
    c
      .option("--name <name>", "container name")
      .option("--stop-timeout <seconds>", "seconds before SIGKILL on stop", (v) => Number(v))
      .option("--stop-signal <signal>", "signal sent on stop")
      .option("-t, --tty", "allocate a terminal")
      .option("-i, --interactive", "keep stdin open")
      .option("--restart <policy>", "no, always, unless-stopped or on-failure[:N]")
      .option(
        "--entrypoint <cmd>",
        'replace the image\'s entrypoint (a program or a JSON array; "" clears it)',
      )
      .option(
        "-e, --env <KEY=VALUE>",
        "environment variable over the image's (repeatable)",
        collect,
        [],
      )
      .option("-w, --workdir <dir>", "working directory inside the container")
      .option("-u, --user <user[:group]>", "user to run as: a name from the image or a number")
      .option(
        "--requires <container>",
        "a container that must run before this one (repeatable)",
        collect,
        [],
      )
      .option("-l, --label <key=value>", "metadata for filters (repeatable)", collect, [])
      .option(
        "--security-opt <opt>",
        "seccomp=unconfined: run without the seccomp filter",
        collect,
        [],
      )
      .option("--pids-limit <n>", "most processes (default 2048; 0 or -1: no limit)", (v) =>
        Number(v),
      )
      .option(
        "-v, --volume <SRC:CTR[:OPTIONS]>",
        "bind mount an absolute host path, or mount a named volume (made on first use); options ro, rw, bind, rbind, nosuid, nodev, noexec (repeatable)",
        collect,
        [],
      )
      .option(
        "--ulimit <nofile=soft[:hard]>",
        "open-file limit (default nofile=1024:1024)",
        collect,
        [],
      )
      .option(
        "--hostname <name>",
        "the container's hostname (default: its id's first 12 characters)",
      )
      .option("--read-only", "mount the root file system read-only")
      .option(
        "--read-only-tmpfs <bool>",
        "with --read-only, tmpfs on /tmp, /var/tmp, /run (default true)",
      )
      .option(
        "--tmpfs <path[:options]>",
        "a tmpfs mount, e.g. /scratch:size=64m (repeatable)",
        collect,
        [],
      )
      .option(
        "--env-file <file>",
        "KEY=VALUE lines to add to the environment (repeatable)",
        collect,
        [],
      )
      .option("-m, --memory <bytes>", "memory limit, with b, k, m or g (e.g. 512m)")
      .option("--memory-swap <bytes>", "memory plus swap limit (-1: unlimited swap)")
      .option("--cpus <n>", "CPUs the container may use (e.g. 0.5)")
      .option("-c, --cpu-shares <n>", "relative CPU weight")
      .option("--cap-add <cap>", "add a capability (or ALL) (repeatable)", collect, [])
      .option("--cap-drop <cap>", "drop a capability (or ALL) (repeatable)", collect, [])
      .option("--privileged", "all capabilities, no seccomp, every device, no masked paths")
      .option("--network <mode>", "none, host or bridge (default bridge: berth0, 10.89.0.0/24)")
      .option(
        "-p, --publish <[ip:]host:ctr[/proto]>",
        "publish a container port on the host; no host port: a free one (repeatable)",
        collect,
        [],
      )
      .option("--dns <ip>", "nameserver for /etc/resolv.conf (repeatable)", collect, [])
      .option(
        "--health-cmd <command>",
        'healthcheck: a shell command line, or a JSON array run without a shell ("none" disables the image\'s)',
      )
      .option("--health-interval <duration>", 'time between probes, or "disable" (default 30s)')
      .option("--health-timeout <duration>", "a probe running longer fails (default 30s)")
      .option("--health-retries <n>", "failures in a row that make it unhealthy (default 3)")
      .option(
        "--health-start-period <duration>",
        "failures after a start do not count for this long (default 0s)",
      )
      .option(
        "--health-on-failure <action>",
        "when unhealthy: none, kill, restart or stop (default none)",
      )
      .option("--no-healthcheck", "ignore the image's healthcheck");

  createFlags(program.command("create").description("create a container (prints its id)"))
    .argument("<image>")
    .argument("[command...]", "replaces the image's command")
    .passThroughOptions()
    .action(verb("create"));

  createFlags(
    program
      .command("run")
      .description("create a container, start it and attach to it; exits with its exit code"),
  )
    .option("-d, --detach", "start it and print its id instead of attaching")
    .option("--rm", "remove the container once it has exited")
    .option("--detach-keys <keys>", "keys that detach (default ctrl-p,ctrl-q)")
    .argument("<image>")
    .argument("[command...]", "replaces the image's command")
    .passThroughOptions()
    .action(verb("run"));

  program
    .command("start")
    .description("start containers")
    .option("-a, --attach", "attach to the container's output (one container)")
    .option("-i, --interactive", "with --attach, forward stdin")
    .option("--detach-keys <keys>", "keys that detach (default ctrl-p,ctrl-q)")
    .option("--recursive", "start the containers it requires first")
    .argument("<containers...>")
    .action(verb("start"));
  program
    .command("exec")
    .description("run a command in a running container (exits with its code)")
    .option("-i, --interactive", "keep stdin open and forward it")
    .option("-t, --tty", "allocate a terminal")
    .option("-d, --detach", "run in the background; print the session id")
    .option("-e, --env <KEY=value>", "set an environment variable (repeatable)", collect, [])
    .option(
      "-u, --user <user[:group]>",
      "run as this user (names from the container's /etc/passwd)",
    )
    .option("-w, --workdir <dir>", "working directory inside the container")
    .option("--detach-keys <keys>", "keys that detach (default ctrl-p,ctrl-q)")
    .argument("<container>")
    .argument("<command...>")
    .passThroughOptions()
    .action(verb("exec"));
  program
    .command("attach")
    .description("attach to a running container's stdin, stdout and stderr")
    .option("--no-stdin", "do not forward stdin")
    .option("--detach-keys <keys>", "keys that detach (default ctrl-p,ctrl-q)")
    .argument("<container>")
    .action(verb("attach"));

  for (const [name, description] of [
    ["init", "create containers in the runtime"],
    ["cleanup", "clean up stopped containers"],
    ["sync", "compare containers with the runtime and journal any difference"],
  ] as const) {
    program.command(name).description(description).argument("<containers...>").action(verb(name));
  }

  for (const [name, which] of [
    ["pause", "running"],
    ["unpause", "paused"],
  ] as const) {
    program
      .command(name)
      .description(`${name} containers`)
      .addOption(allOf(which))
      .argument("[containers...]")
      .action(verb(name));
  }
  program
    .command("stop")
    .description("stop containers: stop signal, then SIGKILL after the timeout")
    .option("-t, --time <seconds>", "seconds to wait before SIGKILL", (v) => Number(v))
    .addOption(allOf("running or paused"))
    .argument("[containers...]")
    .action(verb("stop"));
  program
    .command("kill")
    .description("send a signal to containers")
    .option("-s, --signal <signal>", "signal name or number", "SIGKILL")
    .addOption(allOf("running"))
    .argument("[containers...]")
    .action(verb("kill"));
  program
    .command("rm")
    .description("remove containers")
    .option("-f, --force", "stop running containers first")
    .option("-t, --time <seconds>", "with --force: seconds before SIGKILL", (v) => Number(v))
    .addOption(allOf("existing"))
    .argument("[containers...]")
    .action(verb("rm"));
  program
    .command("restart")
    .description(
      "restart containers: stop (stop signal, then SIGKILL after the timeout), then start",
    )
    .option("-t, --time <seconds>", "seconds to wait before SIGKILL", (v) => Number(v))
    .argument("<containers...>")
    .action(verb("restart"));
  program
    .command("wait")
    .description("wait for containers to stop (or reach a condition); print exit codes")
    .option(
      "--condition <state>",
      "a state to wait for (repeatable; default stopped, exited)",
      collect,
      [],
    )
    .option("-i, --interval <ms>", "how often to re-check, in milliseconds", (v) => Number(v))
    .argument("<containers...>")
    .action(verb("wait"));
  program
    .command("mount")
    .description("mount containers' root filesystems; print the paths")
    .argument("<containers...>")
    .action(verb("mount"));
  program
    .command("unmount")
    .alias("umount")
    .description("undo a mount")
    .option("-f, --force", "unmount even if mounted more than once")
    .argument("<containers...>")
    .action(verb("unmount"));
  program
    .command("export")
    .description("export a container's root filesystem as a tar archive (streamed from the daemon)")
    .option("-o, --output <file>", "tar file to write (default: stdout, never a terminal)")
    .argument("<container>")
    .action(fileVerb("exportRootfs"));
  program
    .command("checkpoint")
    .description("checkpoint running containers with criu")
    .option("-k, --keep", "keep checkpoint files")
    .option("-R, --leave-running", "leave the container running")
    .option("--tcp-established", "checkpoint established TCP connections")
    .option(
      "-e, --export <name>",
      "also keep the checkpoint as a tar of this name in the daemon's root",
    )
    .argument("<containers...>")
    .action(verb("checkpoint"));
  program
    .command("restore")
    .description("restore checkpointed containers")
    .option("-k, --keep", "keep checkpoint files")
    .option(
      "-i, --import <name>",
      "restore from the checkpoint tar of this name in the daemon's root",
    )
    .argument("<containers...>")
    .action(verb("restore"));
  program
    .command("batch")
    .description("run several operations on one container with nothing in between")
    .argument("<container>")
    .argument(
      "<operations...>",
      "init, start, stop, restart, kill, pause, unpause, cleanup, mount, unmount, sync",
    )
    .action(verb("batch"));
  const artifact = program.command("artifact").description("named files kept with a container");
  artifact
    .command("add <container> <name> <file>")
    .description("add or replace an artifact")
    .action(fileVerb("artifactAdd"));
  artifact
    .command("get <container> <name>")
    .description("print an artifact")
    .action(verb("artifactGet"));
  artifact
    .command("rm <container> <name>")
    .description("remove an artifact")
    .action(verb("artifactRm"));
  program
    .command("refresh")
    .description("removed from the API; always fails")
    .action(verb("refresh"));
  program
    .command("ps")
    .description("list containers, newest first")
    .option("-a, --all", "include stopped containers")
    .option("-q, --quiet", "print only ids")
    .option(
      "-f, --filter <key=value>",
      "status=, name= (regex), label=key[=value], id= (prefix), ancestor=, health= (repeatable)",
      collect,
      [],
    )
    .option("--no-trunc", "full ids and commands")
    .option("-n, --last <n>", "the n newest containers, in any state", (v) => Number(v))
    .option("--sort <key>", "command, created, id, image, names, runningfor or status", "created")
    .addOption(format())
    .action(viewVerb("ps"));
  program
    .command("inspect")
    .description(
      "show containers' records as a JSON array (or one, --at a time or sequence, replayed from the journal)",
    )
    .option("--at <when>", "RFC3339 time, global sequence number, or a duration ago such as 10m")
    .addOption(dataFormat())
    .option("--all", "with --at: every container that carried the name, not just the current one")
    .argument("<containers...>")
    .action(viewVerb("inspect"));
  const audit = program
    .command("audit")
    .description("prove who did what: verify and export the journal");
  audit
    .command("verify")
    .description(
      "recompute the hash chain, and with --witness compare the journal with its copy in JetStream; report the first bad position (exit 1)",
    )
    .option("--root <dir>", "check a stopped daemon's root directly")
    .option(
      "--witness <url>",
      "NATS server whose stream holds this host's events and checkpoints: name the first difference",
    )
    .option(
      "--key <file>",
      "with --witness: the host's checkpoint public key (SPKI PEM); pinning it is stronger than asking the daemon",
    )
    .option("--stream <name>", "with --witness: the JetStream stream")
    .option("--prefix <prefix>", "with --witness: the NATS subject prefix")
    .option("--host <id>", "with --witness: the host id in the subjects")
    .action(verb("auditVerify"));
  audit
    .command("export")
    .description("write the journal as JSON Lines of CloudEvents: who, what, when, outcome")
    .option("--since <when>", "RFC3339 time, sequence number, or duration ago (10m)")
    .option("--until <when>", "RFC3339 time, sequence number, or duration ago")
    .option("--container <container>", "only this container's events (removed ones too)")
    .option(
      "--proofs",
      "each line {event, proof}: the event and its inclusion proof under one signed checkpoint",
    )
    .action(verb("auditExport"));
  audit
    .command("key")
    .description("print the public key checkpoints are signed with (PEM), for auditors to pin")
    .option("--root <dir>", "read a stopped daemon's key directly")
    .action(proofVerb("auditKey"));
  audit
    .command("checkpoint")
    .description("sign a checkpoint of the journal now: size, Merkle root, head hash, time")
    .action(proofVerb("auditCheckpoint"));
  audit
    .command("prove")
    .description(
      "print a proof: that event SEQ is in the journal, or (--from, --to) that a checkpoint extends another",
    )
    .argument("[seq]", "the event's global sequence number")
    .option("--checkpoint <size>", "prove under the checkpoint of this size (default: the newest)")
    .option("--from <size>", "the earlier checkpoint's size")
    .option("--to <size>", "the later checkpoint's size")
    .action(proofVerb("auditProve"));
  audit
    .command("check-proof")
    .description(
      "check a proof (or an export with --proofs) with the public key alone; no daemon needed",
    )
    .argument("<file>", "the proof, or JSON lines of {event, proof}; - for stdin")
    .requiredOption("--key <pem>", "the host's public key, as `audit key` printed it")
    .option("--event <file>", "the event the proof is for: checks it is the proof's leaf")
    .action(proofVerb("auditCheckProof"));
  program
    .command("replay")
    .description(
      "rebuild every projection from the journal: compare (--verify) or replace (--rebuild)",
    )
    .option("--verify", "print any difference between stored projections and the journal's fold")
    .option("--rebuild", "replace the stored projections (needs --root and a stopped daemon)")
    .option("--root <dir>", "work on a stopped daemon's root directly")
    .action(verb("replay"));
  program
    .command("logs")
    .description("show containers' output; with several, each line names its container")
    .argument("<containers...>")
    .option("-f, --follow", "keep printing new output until the container exits or is removed")
    .option("--tail <n>", "only the last n lines (-1: all)", "-1")
    .option("--since <time>", "output since this time: RFC3339, Unix seconds, or a duration (10m)")
    .option("--until <time>", "output until this time: RFC3339, Unix seconds, or a duration")
    .option("-t, --timestamps", "start each line with its time (RFC3339Nano)")
    .option("-n, --names", "name each container by its name, not its id, when showing several")
    .addHelpText("after", "\nExample:\n  berth logs -f --tail 10 web")
    .action(logsVerb("logs"));
  program
    .command("top")
    .description("show a running container's processes")
    .argument("<container>")
    .argument(
      "[descriptors...]",
      "columns: user pid ppid pcpu etime tty time args (comma or space)",
    )
    .action(lookVerb("top"));
  program
    .command("healthcheck")
    .description("run a container's healthcheck")
    .command("run")
    .description("probe now: no output and exit 0 when healthy, else the status and exit 1")
    .argument("<container>")
    .action(healthVerb("healthcheckRun"));
  program
    .command("stats")
    .description("show running containers' resource use, refreshed every second")
    .argument("[containers...]", "containers (default: every running one)")
    .option("--no-stream", "print one sample and exit")
    .addOption(tableOrJson())
    .action(lookVerb("stats"));
  program
    .command("history")
    .description("show a container's events, each request with the facts it caused")
    .argument("<container>")
    .option("--timeline", "draw the container's life as a bar over time, with who asked for what")
    .option("--no-trunc", "show errors whole")
    .option("--all", "every container that carried the name, not just the current one")
    .addOption(format())
    .action(viewVerb("history"));
  program
    .command("events")
    .description("show journal events, then follow live ones")
    .option(
      "--stream [bool]",
      "keep streaming new events (--stream=false to stop at the present)",
      "true",
    )
    .option("--after-seq <n>", "start after this global sequence", (v) => Number(v))
    .option("--since <time>", "events since this time: RFC3339, Unix seconds, or a duration (10m)")
    .option("--until <time>", "events until this time; a duration counts from now (ends a stream)")
    .option(
      "--filter <key=value>",
      "container=, event=, image=, label=, type= (repeatable)",
      collect,
      [],
    )
    .option("--all", "container=NAME matches every container that carried the name")
    .addOption(format())
    .action(viewVerb("events"));
  program
    .command("status")
    .description("show the daemon's journal head and relay lag")
    .addOption(dataFormat())
    .action(viewVerb("status"));
  program
    .command("completion")
    .description("print a shell completion script: source <(berth completion bash)")
    .argument("<shell>", "bash, zsh or fish")
    .action(verbOf(() => import("./completion.js"))("completion"));
  program
    .command("__complete", { hidden: true })
    .argument("[words...]")
    .action(async (words: string[], _opts: unknown, cmd: Command) => {
      const { complete } = await import("./completion.js");
      await complete(program, words, socketOf(cmd));
    });
}

const wanted = verbWanted(process.argv.slice(2));
declareVerbs(wanted === undefined ? program : only(program, wanted));
// An alias, a typo or `help`: declared nothing, so declare every verb for commander to find or suggest.
if (program.commands.length === 0) declareVerbs(program);

const withSocket = (cmd: Command): void => {
  if (cmd.commands.length === 0) cmd.option("--socket <path>", "daemon socket (env BERTH_SOCKET)");
  cmd.commands.forEach(withSocket);
};
program.commands.forEach(withSocket);
addHelp(program);

// Not a top-level await: the CLI is bundled as CommonJS (scripts/bundle-cli.ts).
// Verbs catch their own failures (verbOf); this is for commander's.
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 125;
});
