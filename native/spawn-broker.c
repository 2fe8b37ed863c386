/*
 * berth-spawn: runs commands for the berth daemon with posix_spawn.
 *
 * Why: libuv starts a child with fork(), which copies the page tables of the
 * whole daemon, so each spawn blocks the daemon's event loop for a time that
 * grows with its RSS (7.7 ms at 51 MB, 22 ms at 473 MB on a Firecracker VM).
 * glibc's posix_spawn uses clone(CLONE_VM|CLONE_VFORK) and costs the same at
 * any size. The daemon starts this small program once and asks it to run
 * commands; the one fork that starts it happens while nothing else is waiting.
 *
 * Protocol, on stdin (requests) and stdout (answers). Every integer is
 * little-endian. A frame is `u32 body_length, body`; a body is
 * `u8 type, u32 id, payload`. A string is `u32 length, bytes` (no NUL inside
 * argv or env: the kernel would cut the string there, so such a request is refused).
 *
 *   requests
 *     1 RUN     u32 flags (1: cwd follows, 2: env follows, 4: files follow,
 *               8: new session), u32 argc, argc strings, [cwd string],
 *               [u32 envc, envc strings "NAME=value"],
 *               [u32 nfiles, nfiles times: u32 fd, u32 open flags, u32 mode, path string]
 *               argv[0] is looked up in PATH (posix_spawnp); without env the child
 *               inherits the broker's environment; stdin is /dev/null. Each file is
 *               opened in the child onto its fd (3 to MAX_FILE_FD, at most MAX_FILES,
 *               each fd once), after stdout and stderr are set. Those opens run
 *               while the broker waits for the child to exec (posix_spawn is a
 *               vfork): the daemon must make sure none blocks (a FIFO needs its
 *               other end open first). With flag 8 the child calls setsid.
 *     2 CANCEL  u32 signal: sends it to the running child of that id; an id that
 *               is not running (finished, unknown) is ignored, as cancels race exits.
 *   answers
 *     0x81 STARTED  u32 pid
 *     0x82 EXIT     u8 kind (0: exited, 1: killed by signal), u32 code or signal,
 *                   u8 truncated (1: stdout, 2: stderr), stdout string, stderr string
 *     0x83 ERROR    i32 errno, message string. The request of that id did not run
 *                   (bad frame, id in use, spawn failure such as ENOENT). A frame too
 *                   short to carry an id is answered with id 0.
 *
 * Each of stdout and stderr keeps its first MAX_CAPTURE bytes (16 MiB); the
 * rest is read and dropped, so a chatty child never blocks on a full pipe, and
 * the EXIT frame says which stream was cut.
 *
 * Once the child is reaped, what is left in its pipes is read without waiting
 * and the answer is sent: a grandchild that kept the pipe open (a daemonizing
 * helper) does not hold the answer back.
 *
 * When stdin closes (the daemon exited or crashed), the broker lets the
 * running children finish and then exits, killing with SIGKILL whatever still
 * runs after a grace period (argv[1], milliseconds, default 30000). Why not
 * kill at once: these are runc start/kill/delete, mount and umount calls; one
 * cut in the middle can leave a container half-deleted or a mount half-made,
 * while one that finishes leaves a state the next daemon reads back on
 * recovery (runc state, mountinfo). That is also what happened before the
 * broker: a child of a daemon that died ran on, reparented. The grace period
 * bounds a hung call (a stuck cgroup), as the daemon's own timeouts would have.
 *
 * The broker never exits on a bad request: every request it cannot run is
 * answered with an ERROR frame. It exits when stdin is closed and its
 * children are gone, or when its stdout is unusable and it has nothing left to run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { REQ_RUN = 1, REQ_CANCEL = 2 };
enum { ANS_STARTED = 0x81, ANS_EXIT = 0x82, ANS_ERROR = 0x83 };
enum { FLAG_CWD = 1, FLAG_ENV = 2, FLAG_FILES = 4, FLAG_SETSID = 8 };
#define KNOWN_FLAGS (FLAG_CWD | FLAG_ENV | FLAG_FILES | FLAG_SETSID)

/* conmon needs three extra descriptors; a few more leave room without inviting misuse. */
#define MAX_FILES 8
#define MAX_FILE_FD 63

struct file_action {
  uint32_t fd, flags, mode;
  char *path;
};

/* A request larger than this is skipped and refused: argv and env together cannot pass ARG_MAX anyway. */
#define MAX_FRAME (64u << 20)
#define MAX_CAPTURE (16u << 20)
#define DEFAULT_GRACE_MS 30000

struct capture {
  int fd; /* -1 once closed */
  char *data;
  size_t len, cap;
  int truncated;
};

struct child {
  uint32_t id;
  pid_t pid;
  int reaped;
  int status;
  struct capture out, err;
};

static struct child *children;
static size_t nchildren, capchildren;

static int stdout_broken;
static int stdin_open = 1;

/* ---- small helpers ---- */

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    /* Out of memory leaves no way to answer: say so on stderr and stop. */
    fprintf(stderr, "berth-spawn: out of memory\n");
    _exit(70);
  }
  return q;
}

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes all of buf to stdout, which is blocking: the daemon always reads its end. */
static void write_all(const unsigned char *buf, size_t len) {
  while (len > 0 && !stdout_broken) {
    ssize_t n = write(STDOUT_FILENO, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
        poll(&p, 1, -1);
        continue;
      }
      stdout_broken = 1; /* EPIPE: the daemon is gone; answers have nowhere to go */
      return;
    }
    buf += n;
    len -= (size_t)n;
  }
}

/* Sends one answer: header (type, id) then `nparts` pieces, in one frame. */
static void send_frame(uint8_t type, uint32_t id, const struct iovec *parts, int nparts) {
  size_t body = 5;
  for (int i = 0; i < nparts; i++) body += parts[i].iov_len;
  unsigned char *buf = xrealloc(NULL, 4 + body);
  put_u32(buf, (uint32_t)body);
  buf[4] = type;
  put_u32(buf + 5, id);
  size_t off = 9;
  for (int i = 0; i < nparts; i++) {
    if (parts[i].iov_len) memcpy(buf + off, parts[i].iov_base, parts[i].iov_len);
    off += parts[i].iov_len;
  }
  write_all(buf, off);
  free(buf);
}

static void send_error(uint32_t id, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void send_error(uint32_t id, int err, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  unsigned char head[8];
  put_u32(head, (uint32_t)err);
  put_u32(head + 4, (uint32_t)n);
  struct iovec parts[2] = {{head, 8}, {msg, (size_t)n}};
  send_frame(ANS_ERROR, id, parts, 2);
}

static void send_started(uint32_t id, pid_t pid) {
  unsigned char b[4];
  put_u32(b, (uint32_t)pid);
  struct iovec parts[1] = {{b, 4}};
  send_frame(ANS_STARTED, id, parts, 1);
}

static void send_exit(struct child *c) {
  unsigned char head[6], olen[4], elen[4];
  if (WIFSIGNALED(c->status)) {
    head[0] = 1;
    put_u32(head + 1, (uint32_t)WTERMSIG(c->status));
  } else {
    head[0] = 0;
    put_u32(head + 1, (uint32_t)WEXITSTATUS(c->status));
  }
  head[5] = (uint8_t)((c->out.truncated ? 1 : 0) | (c->err.truncated ? 2 : 0));
  put_u32(olen, (uint32_t)c->out.len);
  put_u32(elen, (uint32_t)c->err.len);
  struct iovec parts[5] = {
      {head, 6}, {olen, 4}, {c->out.data, c->out.len}, {elen, 4}, {c->err.data, c->err.len}};
  send_frame(ANS_EXIT, c->id, parts, 5);
}

/* ---- children ---- */

static struct child *find_child(uint32_t id) {
  for (size_t i = 0; i < nchildren; i++)
    if (children[i].id == id) return &children[i];
  return NULL;
}

static void capture_close(struct capture *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

/* Reads what the pipe holds now; closes it at EOF. */
static void capture_read(struct capture *c) {
  char tmp[65536];
  while (c->fd >= 0) {
    ssize_t n = read(c->fd, tmp, sizeof tmp);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) capture_close(c);
      return;
    }
    if (n == 0) {
      capture_close(c);
      return;
    }
    size_t keep = (size_t)n;
    if (c->len + keep > MAX_CAPTURE) {
      keep = MAX_CAPTURE - c->len;
      c->truncated = 1;
    }
    if (keep) {
      if (c->len + keep > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + keep) cap *= 2;
        c->data = xrealloc(c->data, cap);
        c->cap = cap;
      }
      memcpy(c->data + c->len, tmp, keep);
      c->len += keep;
    }
  }
}

/* Answers and forgets every reaped child. */
static void finish_reaped(void) {
  size_t i = 0;
  while (i < nchildren) {
    struct child *c = &children[i];
    if (!c->reaped) {
      i++;
      continue;
    }
    capture_read(&c->out);
    capture_read(&c->err);
    capture_close(&c->out);
    capture_close(&c->err);
    send_exit(c);
    free(c->out.data);
    free(c->err.data);
    children[i] = children[--nchildren];
  }
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    for (size_t i = 0; i < nchildren; i++) {
      if (children[i].pid == pid && !children[i].reaped) {
        children[i].reaped = 1;
        children[i].status = status;
        break;
      }
    }
  }
  finish_reaped();
}

/* ---- requests ---- */

/* A bounded reader over one request body. */
struct reader {
  const unsigned char *p;
  size_t left;
  int bad;
};

static uint32_t rd_u32(struct reader *r) {
  if (r->bad || r->left < 4) {
    r->bad = 1;
    return 0;
  }
  uint32_t v = get_u32(r->p);
  r->p += 4;
  r->left -= 4;
  return v;
}

/* A NUL-terminated copy of the next string, or NULL (and r->bad) when it does not fit or holds a NUL. */
static char *rd_str(struct reader *r) {
  uint32_t n = rd_u32(r);
  if (r->bad || n > r->left || memchr(r->p, 0, n) != NULL) {
    r->bad = 1;
    return NULL;
  }
  char *s = xrealloc(NULL, (size_t)n + 1);
  memcpy(s, r->p, n);
  s[n] = 0;
  r->p += n;
  r->left -= n;
  return s;
}

static void free_strv(char **v) {
  if (!v) return;
  for (char **s = v; *s; s++) free(*s);
  free(v);
}

/* Reads `n` strings into a NULL-terminated vector; NULL when the body is short. */
static char **rd_strv(struct reader *r, uint32_t n) {
  /* Each string costs at least its 4-byte length: bound n before allocating for it. */
  if (r->bad || n > r->left / 4) {
    r->bad = 1;
    return NULL;
  }
  char **v = xrealloc(NULL, ((size_t)n + 1) * sizeof *v);
  size_t i = 0;
  for (; i < n; i++) {
    v[i] = rd_str(r);
    if (!v[i]) break;
  }
  v[i] = NULL;
  if (r->bad) {
    free_strv(v);
    return NULL;
  }
  return v;
}

static void handle_run(uint32_t id, struct reader *r) {
  if (find_child(id)) {
    send_error(id, EEXIST, "request id %u is already running", id);
    return;
  }
  uint32_t flags = rd_u32(r);
  uint32_t argc = rd_u32(r);
  char **argv = rd_strv(r, argc);
  char *cwd = NULL;
  char **env = NULL;
  if (!r->bad && (flags & FLAG_CWD)) cwd = rd_str(r);
  if (!r->bad && (flags & FLAG_ENV)) env = rd_strv(r, rd_u32(r));
  struct file_action files[MAX_FILES];
  uint32_t nfiles = 0;
  int too_many = 0;
  if (!r->bad && (flags & FLAG_FILES)) {
    uint32_t n = rd_u32(r);
    if (n > MAX_FILES) too_many = 1;
    for (; !r->bad && !too_many && nfiles < n; nfiles++) {
      struct file_action *f = &files[nfiles];
      f->fd = rd_u32(r);
      f->flags = rd_u32(r);
      f->mode = rd_u32(r);
      f->path = rd_str(r);
      if (!f->path) break;
    }
  }
  if (r->bad || (flags & ~(uint32_t)KNOWN_FLAGS)) {
    send_error(id, EINVAL, "malformed run request");
    goto out;
  }
  if (too_many) {
    send_error(id, E2BIG, "more than %d files to open in the child", MAX_FILES);
    goto out;
  }
  for (uint32_t i = 0; i < nfiles; i++) {
    struct file_action *f = &files[i];
    if (f->fd < 3 || f->fd > MAX_FILE_FD) {
      send_error(id, EBADF, "cannot open %s onto fd %u: only fds 3 to %d can be given", f->path,
                 f->fd, MAX_FILE_FD);
      goto out;
    }
    for (uint32_t j = 0; j < i; j++) {
      if (files[j].fd == f->fd) {
        send_error(id, EINVAL, "fd %u is given twice", f->fd);
        goto out;
      }
    }
    /* A failed open in the child comes back as posix_spawn's errno, which reads like a
       missing program; a file that is not there is named here instead. */
    struct stat st;
    if (!(f->flags & O_CREAT) && stat(f->path, &st) != 0) {
      int e = errno;
      send_error(id, e, "cannot open %s onto fd %u: %s", f->path, f->fd, strerror(e));
      goto out;
    }
  }
  if (argc == 0 || argv[0][0] == 0) {
    send_error(id, EINVAL, "run request without a program");
    goto out;
  }
  if (cwd) {
    /* posix_spawn reports a bad working folder with the same ENOENT as a missing
       program; checking first names the right culprit. */
    struct stat st;
    if (stat(cwd, &st) != 0) {
      int e = errno;
      send_error(id, e, "cannot use %s as working folder: %s", cwd, strerror(e));
      goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
      send_error(id, ENOTDIR, "cannot use %s as working folder: not a folder", cwd);
      goto out;
    }
  }

  int outp[2] = {-1, -1}, errp[2] = {-1, -1};
  if (pipe2(outp, O_CLOEXEC | O_NONBLOCK) != 0 || pipe2(errp, O_CLOEXEC | O_NONBLOCK) != 0) {
    int e = errno;
    send_error(id, e, "pipe: %s", strerror(e));
    for (int i = 0; i < 2; i++) {
      if (outp[i] >= 0) close(outp[i]);
      if (errp[i] >= 0) close(errp[i]);
    }
    goto out;
  }
  /* The child's ends must block: programs are not written for a nonblocking stdout. */
  fcntl(outp[1], F_SETFL, 0);
  fcntl(errp[1], F_SETFL, 0);

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
  for (uint32_t i = 0; i < nfiles; i++)
    posix_spawn_file_actions_addopen(&fa, (int)files[i].fd, files[i].path, (int)files[i].flags,
                                     (mode_t)files[i].mode);
  if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
  /* The broker blocks SIGCHLD (signalfd) and ignores SIGPIPE, SIGINT and SIGHUP;
     a child starts as node would start it: nothing blocked, every signal at its
     default. (Except glibc's two internal signals, 32 and 33, which glibc's
     posix_spawn leaves ignored in every child by design; nothing sends them.) */
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                     ((flags & FLAG_SETSID) ? POSIX_SPAWN_SETSID : 0));

  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, env ? env : environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(outp[1]);
  close(errp[1]);
  if (rc != 0) {
    close(outp[0]);
    close(errp[0]);
    send_error(id, rc, "cannot run %s: %s", argv[0], strerror(rc));
    goto out;
  }
  if (nchildren == capchildren) {
    capchildren = capchildren ? capchildren * 2 : 16;
    children = xrealloc(children, capchildren * sizeof *children);
  }
  struct child *c = &children[nchildren++];
  memset(c, 0, sizeof *c);
  c->id = id;
  c->pid = pid;
  c->out.fd = outp[0];
  c->err.fd = errp[0];
  send_started(id, pid);
out:
  free_strv(argv);
  free_strv(env);
  free(cwd);
  for (uint32_t i = 0; i < nfiles; i++) free(files[i].path);
}

static void handle_cancel(uint32_t id, struct reader *r) {
  uint32_t sig = rd_u32(r);
  if (r->bad || sig == 0 || sig >= (uint32_t)NSIG) {
    send_error(id, EINVAL, "malformed cancel request");
    return;
  }
  struct child *c = find_child(id);
  if (c && !c->reaped) kill(c->pid, (int)sig);
}

static void handle_frame(const unsigned char *body, size_t len) {
  if (len < 5) {
    send_error(0, EINVAL, "frame of %zu bytes is too short for a type and an id", len);
    return;
  }
  uint8_t type = body[0];
  uint32_t id = get_u32(body + 1);
  struct reader r = {body + 5, len - 5, 0};
  switch (type) {
  case REQ_RUN:
    handle_run(id, &r);
    break;
  case REQ_CANCEL:
    handle_cancel(id, &r);
    break;
  default:
    send_error(id, EINVAL, "unknown request type %u", type);
  }
}

/* ---- stdin framing ---- */

static unsigned char *inbuf;
static size_t inlen, incap;
/* Bytes of an oversized frame still to be dropped, and the id to refuse it under. */
static size_t skip_left;

static void consume_input(void) {
  size_t off = 0;
  for (;;) {
    if (skip_left > 0) {
      size_t n = inlen - off < skip_left ? inlen - off : skip_left;
      off += n;
      skip_left -= n;
      if (skip_left > 0) break;
      continue;
    }
    if (inlen - off < 4) break;
    uint32_t len = get_u32(inbuf + off);
    if (len > MAX_FRAME) {
      /* Refused now, under its id when the bytes at hand carry one. */
      uint32_t id = inlen - off >= 9 ? get_u32(inbuf + off + 5) : 0;
      send_error(id, E2BIG, "frame of %u bytes is larger than %u", len, MAX_FRAME);
      off += 4;
      skip_left = len;
      continue;
    }
    if (inlen - off < 4 + (size_t)len) break;
    handle_frame(inbuf + off + 4, len);
    off += 4 + (size_t)len;
  }
  memmove(inbuf, inbuf + off, inlen - off);
  inlen -= off;
}

static void read_input(void) {
  for (;;) {
    if (incap - inlen < 65536) {
      incap = incap ? incap * 2 : 131072;
      inbuf = xrealloc(inbuf, incap);
    }
    ssize_t n = read(STDIN_FILENO, inbuf + inlen, incap - inlen);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      stdin_open = 0;
      break;
    }
    if (n == 0) {
      stdin_open = 0;
      break;
    }
    inlen += (size_t)n;
    consume_input();
  }
  /* Keep the buffer from staying huge after one large request. */
  if (inlen == 0 && incap > (1u << 20)) {
    free(inbuf);
    inbuf = NULL;
    incap = 0;
  }
}

/* ---- main loop ---- */

int main(int argc, char **argv) {
  long grace_ms = argc > 1 ? strtol(argv[1], NULL, 10) : DEFAULT_GRACE_MS;
  if (grace_ms < 0) grace_ms = DEFAULT_GRACE_MS;

  signal(SIGPIPE, SIG_IGN);
  /* The daemon's terminal may send SIGINT or SIGHUP to the whole process group:
     the broker then sees stdin close and winds down as described above. */
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    perror("berth-spawn: signalfd");
    return 71;
  }
  /* Two pipes per running child: let the broker use every descriptor it may. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
  fcntl(STDIN_FILENO, F_SETFD, FD_CLOEXEC);
  fcntl(STDOUT_FILENO, F_SETFD, FD_CLOEXEC);

  struct pollfd *fds = NULL;
  size_t capfds = 0;
  int64_t deadline = -1;
  int killed_all = 0;

  for (;;) {
    if (!stdin_open && deadline < 0) deadline = now_ms() + grace_ms;
    if ((!stdin_open || stdout_broken) && nchildren == 0) break;
    if (stdout_broken && stdin_open) {
      /* Answers cannot be delivered; treat it as the daemon gone. */
      stdin_open = 0;
      continue;
    }
    if (deadline >= 0 && !killed_all && now_ms() >= deadline) {
      for (size_t i = 0; i < nchildren; i++)
        if (!children[i].reaped) kill(children[i].pid, SIGKILL);
      killed_all = 1;
    }

    size_t need = 2 + 2 * nchildren;
    if (need > capfds) {
      capfds = need * 2;
      fds = xrealloc(fds, capfds * sizeof *fds);
    }
    size_t n = 0;
    fds[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN};
    for (size_t i = 0; i < nchildren; i++) {
      fds[n++] = (struct pollfd){.fd = children[i].out.fd, .events = POLLIN};
      fds[n++] = (struct pollfd){.fd = children[i].err.fd, .events = POLLIN};
    }
    int timeout = -1;
    if (deadline >= 0 && !killed_all) {
      int64_t left = deadline - now_ms();
      timeout = left < 0 ? 0 : (int)(left > INT_MAX ? INT_MAX : left);
    }
    int rc = poll(fds, n, timeout);
    if (rc < 0) {
      if (errno == EINTR) continue;
      perror("berth-spawn: poll");
      return 72;
    }
    /* Output first: a child's pipes are drained before its exit is answered. */
    size_t before = nchildren;
    for (size_t i = 0; i < before && i < nchildren; i++) {
      if (fds[2 + 2 * i].revents) capture_read(&children[i].out);
      if (fds[3 + 2 * i].revents) capture_read(&children[i].err);
    }
    if (fds[0].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
      }
      reap();
    }
    if (fds[1].revents) read_input();
  }
  return 0;
}
