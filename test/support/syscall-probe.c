/*
 * Calls each system call the default sandbox must refuse, with harmless
 * arguments, and prints one line per call: "<name>=OK" or "<name>=<errno name>".
 * Built static at test time (gcc -static) so it runs in the busybox image.
 * Raw syscall(2) is used because libc may lack a wrapper (keyctl, io_uring).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* From linux/keyctl.h and linux/userfaultfd.h, which a minimal libc may lack. */
#define PROBE_KEYCTL_GET_KEYRING_ID 0
#define PROBE_KEY_SPEC_PROCESS_KEYRING -2
#define PROBE_UFFD_USER_MODE_ONLY 1

static void report(const char *name, long rc) {
  if (rc >= 0) printf("%s=OK\n", name);
  else printf("%s=%s\n", name, strerrorname_np(errno));
}

int main(void) {
  report("keyctl", syscall(SYS_keyctl, PROBE_KEYCTL_GET_KEYRING_ID, PROBE_KEY_SPEC_PROCESS_KEYRING, 1));
  report("add_key", syscall(SYS_add_key, "user", "berth-probe", "x", 1, PROBE_KEY_SPEC_PROCESS_KEYRING));

  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.size = sizeof attr;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  report("perf_event_open", syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));

  report("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC | PROBE_UFFD_USER_MODE_ONLY));

  unsigned char params[120]; /* struct io_uring_params: 120 bytes, zeroed means defaults */
  memset(params, 0, sizeof params);
  report("io_uring_setup", syscall(SYS_io_uring_setup, 1, params));

  report("unshare_newuser", syscall(SYS_unshare, CLONE_NEWUSER));
  return 0;
}
