/**
 * Seccomp profiles: the Docker/moby format that Podman's default profile
 * (/usr/share/containers/seccomp.json) is written in, the OCI runtime-spec
 * `linux.seccomp` form that runc reads, and the pure conversion from one to the
 * other for one host and one capability set.
 *
 * The moby format is a superset: a rule may apply only on some architectures,
 * only with (or without) some capabilities, or only from some kernel version
 * on. The conversion keeps the rules that apply here and drops those
 * conditions, which the OCI form does not have.
 */
import { z } from "zod";

const ACTIONS = [
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW",
  "SCMP_ACT_LOG",
] as const;

const OPERATORS = [
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
] as const;

/** An action runc knows; SCMP_ACT_NOTIFY is left out: it needs a listener berth does not run. */
export type SeccompAction = (typeof ACTIONS)[number];

/** Argument values above 2^53 would lose precision in a JavaScript number. */
const argValue = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const SeccompArg = z.object({
  index: z.number().int().min(0).max(5),
  value: argValue,
  valueTwo: argValue.optional(),
  op: z.enum(OPERATORS),
});

const Condition = z.object({
  caps: z.array(z.string()).nullish(),
  arches: z.array(z.string()).nullish(),
  minKernel: z.string().nullish(),
});

const MobySyscall = z.object({
  name: z.string().optional(),
  names: z.array(z.string()).nullish(),
  action: z.enum(ACTIONS),
  errnoRet: z.number().int().nonnegative().optional(),
  args: z.array(SeccompArg).nullish(),
  includes: Condition.nullish(),
  excludes: Condition.nullish(),
});

/** The moby profile format; unknown fields (comments, errno names) are ignored. */
export const MobyProfile = z.object({
  defaultAction: z.enum(ACTIONS),
  defaultErrnoRet: z.number().int().nonnegative().optional(),
  architectures: z.array(z.string()).nullish(),
  archMap: z
    .array(z.object({ architecture: z.string(), subArchitectures: z.array(z.string()).nullish() }))
    .nullish(),
  flags: z.array(z.string()).nullish(),
  syscalls: z.array(MobySyscall).nullish(),
});

export type MobyProfile = z.infer<typeof MobyProfile>;
export type SeccompArg = z.infer<typeof SeccompArg>;

/** One rule of the OCI form: these system calls get this action (when the args match). */
export interface OciSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
}

/** The OCI runtime spec's `linux.seccomp`. */
export interface OciSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  syscalls: OciSyscall[];
}

/** The host a profile is converted for. */
export interface SeccompHost {
  /** libseccomp's name for the native architecture, as the profile's `arches` use it: amd64, arm64, ... */
  arch: string;
  /** The kernel release (`uname -r`), compared with a rule's `minKernel`. */
  kernel: string;
  /** The capabilities the container's process holds (its bounding set). */
  capabilities: readonly string[];
}

/** Node's name for an architecture to libseccomp's, which moby profiles use. */
const LIBSECCOMP_ARCH: Record<string, string> = {
  x64: "amd64",
  ia32: "x86",
  arm64: "arm64",
  arm: "arm",
  s390x: "s390x",
  ppc64: "ppc64le",
  riscv64: "riscv64",
  mips64el: "mipsel64",
  loong64: "loong64",
};

/** The profile's `archMap` key for each libseccomp architecture name. */
const SCMP_ARCH: Record<string, string> = {
  amd64: "SCMP_ARCH_X86_64",
  x86: "SCMP_ARCH_X86",
  arm64: "SCMP_ARCH_AARCH64",
  arm: "SCMP_ARCH_ARM",
  s390x: "SCMP_ARCH_S390X",
  ppc64le: "SCMP_ARCH_PPC64LE",
  riscv64: "SCMP_ARCH_RISCV64",
  mipsel64: "SCMP_ARCH_MIPSEL64",
  loong64: "SCMP_ARCH_LOONGARCH64",
};

/** libseccomp's name for a Node `process.arch`, or undefined for one berth does not know. */
export function seccompArch(nodeArch: string): string | undefined {
  return LIBSECCOMP_ARCH[nodeArch];
}

/** [major, minor] of a kernel release such as "6.1.0-18-amd64"; undefined when it has none. */
function kernelVersion(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** True when `release` is at least `min`; an unreadable version is taken as too old. */
function kernelAtLeast(release: string, min: string): boolean {
  const have = kernelVersion(release);
  const want = kernelVersion(min);
  if (!have || !want) return false;
  return have[0] > want[0] || (have[0] === want[0] && have[1] >= want[1]);
}

type MobyRule = NonNullable<MobyProfile["syscalls"]>[number];

/** Whether a moby rule applies on `host`, as Docker and Podman decide it. */
function applies(rule: MobyRule, host: SeccompHost): boolean {
  const has = (cap: string) => host.capabilities.includes(cap);
  const { includes, excludes } = rule;
  if (excludes?.arches?.includes(host.arch)) return false;
  if (excludes?.caps?.some(has)) return false;
  if (includes?.arches?.length && !includes.arches.includes(host.arch)) return false;
  if (includes?.caps?.length && !includes.caps.every(has)) return false;
  if (includes?.minKernel && !kernelAtLeast(host.kernel, includes.minKernel)) return false;
  return true;
}

/** The architectures the filter covers: the native one and its sub-architectures. */
function architectures(profile: MobyProfile, arch: string): string[] {
  if (profile.architectures?.length) return [...profile.architectures];
  const native = SCMP_ARCH[arch];
  const entry = profile.archMap?.find((a) => a.architecture === native);
  // No entry: an empty list lets runc's libseccomp filter for the native architecture only.
  return entry ? [entry.architecture, ...(entry.subArchitectures ?? [])] : [];
}

/**
 * The OCI form of a moby profile for `host`: the rules that apply to its
 * architecture, kernel and capabilities, in the profile's order. Throws
 * (a plain Error, for the caller to type) on a rule with both `name` and `names`.
 */
export function convertProfile(profile: MobyProfile, host: SeccompHost): OciSeccomp {
  const syscalls: OciSyscall[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (rule.name !== undefined && rule.names?.length) {
      throw new Error(`a rule has both name ${JSON.stringify(rule.name)} and names`);
    }
    const names = rule.name !== undefined ? [rule.name] : [...(rule.names ?? [])];
    if (names.length === 0 || !applies(rule, host)) continue;
    syscalls.push({
      names,
      action: rule.action,
      ...(rule.errnoRet !== undefined ? { errnoRet: rule.errnoRet } : {}),
      ...(rule.args?.length ? { args: rule.args.map((a) => ({ ...a })) } : {}),
    });
  }
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures: architectures(profile, host.arch),
    ...(profile.flags?.length ? { flags: [...profile.flags] } : {}),
    syscalls,
  };
}
