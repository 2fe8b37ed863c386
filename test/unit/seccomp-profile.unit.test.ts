import { describe, expect, it } from "vitest";
import {
  convertProfile,
  MobyProfile,
  seccompArch,
  type OciSeccomp,
  type SeccompHost,
} from "../../src/effects/seccomp-profile.js";
import { tightenSeccomp } from "../../src/effects/seccomp-tightening.js";

const host: SeccompHost = {
  arch: "amd64",
  kernel: "6.1.0-18-amd64",
  capabilities: ["CAP_CHOWN", "CAP_SYS_CHROOT"],
};

/** A profile in the moby format with the shapes Podman's file uses. */
const profile = MobyProfile.parse({
  defaultAction: "SCMP_ACT_ERRNO",
  defaultErrnoRet: 38,
  defaultErrno: "ENOSYS",
  archMap: [
    { architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
    { architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"] },
  ],
  syscalls: [
    { names: ["read", "write", "keyctl", "clone", "clone3", "unshare"], action: "SCMP_ACT_ALLOW" },
    {
      names: ["userfaultfd"],
      action: "SCMP_ACT_ERRNO",
      errnoRet: 1,
      errno: "EPERM",
      comment: "ignored",
    },
    {
      names: ["personality"],
      action: "SCMP_ACT_ALLOW",
      args: [{ index: 0, value: 8, valueTwo: 0, op: "SCMP_CMP_EQ" }],
    },
    { names: ["arch_prctl"], action: "SCMP_ACT_ALLOW", includes: { arches: ["amd64", "x32"] } },
    { names: ["set_tls"], action: "SCMP_ACT_ALLOW", includes: { arches: ["arm", "arm64"] } },
    { names: ["chroot"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_CHROOT"] } },
    { names: ["bpf"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_ADMIN"] } },
    {
      names: ["bpf"],
      action: "SCMP_ACT_ERRNO",
      errnoRet: 1,
      excludes: { caps: ["CAP_SYS_ADMIN"] },
    },
    { names: ["acct"], action: "SCMP_ACT_ERRNO", errnoRet: 1, excludes: { caps: ["CAP_CHOWN"] } },
    {
      names: ["landlock_create_ruleset"],
      action: "SCMP_ACT_ALLOW",
      includes: { minKernel: "5.13" },
    },
    { names: ["futex_waitv"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "7.0" } },
    { names: ["socket"], action: "SCMP_ACT_ALLOW", args: null },
  ],
});

const names = (oci: OciSeccomp) => oci.syscalls.flatMap((r) => r.names);
const rulesFor = (oci: OciSeccomp, name: string) =>
  oci.syscalls.filter((r) => r.names.includes(name));

describe("convertProfile", () => {
  const oci = convertProfile(profile, host);

  it("keeps the default action and errno, and filters the native architecture with its sub-architectures", () => {
    expect(oci.defaultAction).toBe("SCMP_ACT_ERRNO");
    expect(oci.defaultErrnoRet).toBe(38);
    expect(oci.architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
    const arm = convertProfile(profile, { ...host, arch: "arm64" });
    expect(arm.architectures).toEqual(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
  });

  it("keeps only the rules for this host's architecture", () => {
    expect(names(oci)).toContain("arch_prctl");
    expect(names(oci)).not.toContain("set_tls");
    const arm = convertProfile(profile, { ...host, arch: "arm64" });
    expect(names(arm)).toContain("set_tls");
    expect(names(arm)).not.toContain("arch_prctl");
  });

  it("keeps a rule that includes capabilities only when the container holds them all", () => {
    expect(rulesFor(oci, "chroot")).toEqual([{ names: ["chroot"], action: "SCMP_ACT_ALLOW" }]);
    expect(rulesFor(oci, "bpf")).toEqual([
      { names: ["bpf"], action: "SCMP_ACT_ERRNO", errnoRet: 1 },
    ]);
  });

  it("drops a rule that excludes a capability the container holds", () => {
    expect(names(oci)).not.toContain("acct");
    const withoutChown = convertProfile(profile, { ...host, capabilities: [] });
    expect(names(withoutChown)).toContain("acct");
  });

  it("keeps a rule with a minimum kernel only on that kernel or newer", () => {
    expect(names(oci)).toContain("landlock_create_ruleset");
    expect(names(oci)).not.toContain("futex_waitv");
    const old = convertProfile(profile, { ...host, kernel: "5.10.0-28-amd64" });
    expect(names(old)).not.toContain("landlock_create_ruleset");
  });

  it("carries errno and argument conditions over, and drops empty or null args", () => {
    expect(rulesFor(oci, "userfaultfd")).toEqual([
      { names: ["userfaultfd"], action: "SCMP_ACT_ERRNO", errnoRet: 1 },
    ]);
    expect(rulesFor(oci, "personality")).toEqual([
      {
        names: ["personality"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value: 8, valueTwo: 0, op: "SCMP_CMP_EQ" }],
      },
    ]);
    expect(rulesFor(oci, "socket")).toEqual([{ names: ["socket"], action: "SCMP_ACT_ALLOW" }]);
  });

  it("refuses a rule that has both name and names", () => {
    const both = MobyProfile.parse({
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{ name: "read", names: ["write"], action: "SCMP_ACT_ALLOW" }],
    });
    expect(() => convertProfile(both, host)).toThrow(/name/);
  });

  it("rejects a profile with an action runc would not know", () => {
    expect(MobyProfile.safeParse({ defaultAction: "SCMP_ACT_NOTIFY" }).success).toBe(false);
    expect(
      MobyProfile.safeParse({
        defaultAction: "SCMP_ACT_ERRNO",
        syscalls: [{ names: ["read"], action: "ALLOW" }],
      }).success,
    ).toBe(false);
  });

  it("names Node's architectures as libseccomp does", () => {
    expect(seccompArch("x64")).toBe("amd64");
    expect(seccompArch("arm64")).toBe("arm64");
    expect(seccompArch("sparc")).toBeUndefined();
  });
});

describe("tightenSeccomp", () => {
  const tight = tightenSeccomp(convertProfile(profile, host), "amd64");
  const CLONE_NEWUSER = 0x10000000;

  it("refuses the kernel keyring and io_uring with EPERM, and allows them nowhere else", () => {
    const denied = rulesFor(tight, "keyctl");
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ action: "SCMP_ACT_ERRNO", errnoRet: 1 });
    expect(denied[0]?.names).toEqual(
      expect.arrayContaining(["add_key", "request_key", "io_uring_setup", "io_uring_enter"]),
    );
  });

  it("allows clone and unshare only without CLONE_NEWUSER, and refuses it with EPERM", () => {
    for (const call of ["clone", "unshare"]) {
      expect(rulesFor(tight, call)).toEqual([
        {
          names: [call],
          action: "SCMP_ACT_ALLOW",
          args: [{ index: 0, value: CLONE_NEWUSER, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
        },
        {
          names: [call],
          action: "SCMP_ACT_ERRNO",
          errnoRet: 1,
          args: [
            { index: 0, value: CLONE_NEWUSER, valueTwo: CLONE_NEWUSER, op: "SCMP_CMP_MASKED_EQ" },
          ],
        },
      ]);
    }
  });

  it("answers clone3 with ENOSYS so that libc falls back to the checked clone", () => {
    expect(rulesFor(tight, "clone3")).toEqual([
      { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38 },
    ]);
  });

  it("reads clone's flags from its second argument on s390x", () => {
    const s390 = tightenSeccomp(convertProfile(profile, { ...host, arch: "s390x" }), "s390x");
    expect(rulesFor(s390, "clone").map((r) => r.args?.[0]?.index)).toEqual([1, 1]);
    expect(rulesFor(s390, "unshare").map((r) => r.args?.[0]?.index)).toEqual([0, 0]);
  });

  it("keeps every other rule as it was", () => {
    const before = convertProfile(profile, host);
    for (const call of ["read", "write", "userfaultfd", "personality", "chroot", "bpf"]) {
      expect(rulesFor(tight, call)).toEqual(
        rulesFor(before, call).map((r) => ({
          ...r,
          names: r.names.filter((n) => !["keyctl", "clone", "clone3", "unshare"].includes(n)),
        })),
      );
    }
  });

  it("leaves clone alone where the profile already narrowed it by its flags", () => {
    const narrowed: OciSeccomp = {
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 1,
      architectures: [],
      syscalls: [
        {
          names: ["clone"],
          action: "SCMP_ACT_ALLOW",
          args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
        },
      ],
    };
    const out = tightenSeccomp(narrowed, "amd64");
    expect(rulesFor(out, "clone")).toEqual(narrowed.syscalls);
    expect(names(out)).not.toContain("clone3");
  });
});
