/*
 * attach.c: wa_attach_dump(), the driver of `whyalive dump --pid` and
 * whyalive.dump_pid() (include/whyalive/attach.h).
 *
 * Steps: check the process (exists, not traced, a CPython 3.9+ found from
 * /proc/PID/exe and /proc/PID/maps), check that ptrace may attach (uid,
 * CAP_SYS_PTRACE, Yama), find gdb and the extension built for the target's
 * version, stage what the target must see (a status file, the extension
 * when the target cannot read ours or lives in another mount namespace,
 * the dump when it must be copied out), run gdb with the embedded script
 * (attach_gdb.py) in its own session, then follow the status file the
 * target's dump thread writes until the dump is done or the deadline for
 * the GIL passed.
 *
 * Invariant: every refusal comes before gdb runs; gdb's output goes to a
 * file, not a pipe, and gdb is in its own session, so killing the caller at
 * any moment lets gdb finish and detach (it never inserts breakpoints).
 */
#include "whyalive/attach.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach_gdb_script.h" /* generated: wa_attach_gdb_script[] */

#define WA_ATTACH_MIN_MINOR 9
#define WA_ATTACH_MAX_MINOR 15

typedef struct target {
    int pid;
    char exe[PATH_MAX];
    char root[64];             /* "/proc/PID/root", or "" when the target sees our paths */
    int minor;                 /* 3.<minor> */
    char python_bin[PATH_MAX]; /* libpython or the executable where the version was found */
    uid_t uid;
    gid_t gid;
} target;

static double realtime_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* snprintf into a path buffer: 0, or -1 when it did not fit. */
static int fmt_path(char *dst, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

static void detail_add(wa_attach_result *r, const char *fmt, ...) {
    size_t n = strlen(r->detail);
    if (n + 2 >= sizeof r->detail) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail + n, sizeof r->detail - n, fmt, ap);
    va_end(ap);
}

/* The whole of a small file (/proc) into buf; its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t k = read(fd, buf + n, cap - 1 - n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        n += (size_t)k;
    }
    close(fd);
    buf[n] = '\0';
    return (ssize_t)n;
}

/* A "Key:\tvalue" field of /proc/PID/status as a number, or -1. */
static long status_field(const char *status, const char *key) {
    size_t kl = strlen(key);
    for (const char *p = status; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, key, kl) && p[kl] == ':') return strtol(p + kl + 1, NULL, 10);
    return -1;
}

/* "python3.12" or "libpython3.12.so.1.0" in a file name: the minor
 * version, or -1; *flags gets the ABI letters after the version ("t", "d"). */
static int python_minor(const char *name, char flags[8]) {
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *p = strstr(base, "python3.");
    if (!p || (p != base && strncmp(base, "libpython3.", 11) != 0)) return -1;
    p += 8;
    if (!isdigit((unsigned char)*p)) return -1;
    int minor = (int)strtol(p, (char **)&p, 10);
    size_t k = 0;
    while (*p && isalpha((unsigned char)*p) && k < 7) flags[k++] = *p++;
    flags[k] = '\0';
    if (*p && *p != '.' && *p != '-') return -1;
    return minor;
}

static int same_mount_ns(int pid) {
    char a[128], b[128], p[64];
    snprintf(p, sizeof p, "/proc/%d/ns/mnt", pid);
    ssize_t n1 = readlink("/proc/self/ns/mnt", a, sizeof a - 1);
    ssize_t n2 = readlink(p, b, sizeof b - 1);
    if (n1 < 0 || n2 < 0) return 1; /* cannot tell: assume the same */
    a[n1] = b[n2] = '\0';
    return strcmp(a, b) == 0;
}

static int have_cap_sys_ptrace(void) {
    char st[8192];
    if (read_small("/proc/self/status", st, sizeof st) < 0) return 0;
    const char *p = strstr(st, "\nCapEff:");
    if (!p) return 0;
    unsigned long long caps = strtoull(p + 8, NULL, 16);
    return (caps >> 19) & 1; /* CAP_SYS_PTRACE */
}

/* Yama's setting, or -1 when Yama is absent. WA_TEST_YAMA_PTRACE_SCOPE
 * stands in for the file in the tests (this machine may have no Yama). */
static int yama_scope(void) {
    const char *t = getenv("WA_TEST_YAMA_PTRACE_SCOPE");
    if (t && *t) return atoi(t);
    char buf[32];
    if (read_small("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof buf) <= 0) return -1;
    return atoi(buf);
}

static wa_status ptrace_denied(wa_error *err, int pid, const char *why) {
    return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                        "ptrace may not attach to process %d (%s): run as the target's user or "
                        "as root; in a container, add the CAP_SYS_PTRACE capability "
                        "(docker run --cap-add=SYS_PTRACE); with Yama, "
                        "sysctl kernel.yama.ptrace_scope=0 (or 1 with CAP_SYS_PTRACE)",
                        pid, why);
}

static wa_status check_ptrace(const target *t, wa_error *err) {
    int cap = geteuid() == 0 || have_cap_sys_ptrace();
    int scope = yama_scope();
    if (scope >= 3)
        return ptrace_denied(err, t->pid,
                             "kernel.yama.ptrace_scope=3 forbids every attach "
                             "until reboot");
    if (scope == 2 && !cap)
        return ptrace_denied(err, t->pid, "kernel.yama.ptrace_scope=2 needs CAP_SYS_PTRACE");
    if (scope == 1 && !cap)
        return ptrace_denied(err, t->pid,
                             "kernel.yama.ptrace_scope=1 allows tracing only descendants");
    if (!cap && t->uid != geteuid())
        return ptrace_denied(err, t->pid,
                             "it runs as another user and this process lacks "
                             "CAP_SYS_PTRACE");
    return WA_OK;
}

static wa_status inspect_target(int pid, target *t, wa_attach_result *r, wa_error *err) {
    memset(t, 0, sizeof *t);
    t->pid = pid;
    if (pid <= 0)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "--pid must be a process id greater than 0, got %d", pid);
    char p[64];
    char st[8192];
    snprintf(p, sizeof p, "/proc/%d/status", pid);
    if (read_small(p, st, sizeof st) < 0 || (kill(pid, 0) != 0 && errno == ESRCH))
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "no process with pid %d", pid);
    const char *u = strstr(st, "\nUid:");
    const char *g = strstr(st, "\nGid:");
    if (u) sscanf(u + 5, "%*u %u", &t->uid); /* effective uid */
    if (g) sscanf(g + 5, "%*u %u", &t->gid);
    long tracer = status_field(st, "TracerPid");
    snprintf(p, sizeof p, "/proc/%d/exe", pid);
    ssize_t n = readlink(p, t->exe, sizeof t->exe - 1);
    if (n < 0) {
        if (errno == EACCES || errno == EPERM)
            return ptrace_denied(err, pid, "its /proc entries are not readable by this user");
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "process %d has no executable (a kernel thread or a zombie?)", pid);
    }
    t->exe[n] = '\0';
    if (tracer > 0) {
        char comm[64] = "?", cp[64];
        snprintf(cp, sizeof cp, "/proc/%ld/comm", tracer);
        if (read_small(cp, comm, sizeof comm) > 0) comm[strcspn(comm, "\n")] = '\0';
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "process %d is already traced by process %ld (%s): a process has "
                            "one tracer at a time; detach that debugger first",
                            pid, tracer, comm);
    }
    /* the version: libpython in the maps, else the executable's name */
    char flags[8] = "";
    int minor = -1;
    snprintf(p, sizeof p, "/proc/%d/maps", pid);
    FILE *f = fopen(p, "re");
    if (!f) return ptrace_denied(err, pid, "its memory map is not readable by this user");
    char line[PATH_MAX + 128], exe_flags[8] = "", exe_path[PATH_MAX] = "";
    int exe_minor = -1;
    while (minor < 0 && fgets(line, sizeof line, f)) {
        char *path = strchr(line, '/');
        if (!path) continue;
        path[strcspn(path, "\n")] = '\0';
        const char *base = strrchr(path, '/') + 1;
        if (!strncmp(base, "libpython3.", 11) && strstr(base, ".so")) {
            minor = python_minor(path, flags);
            if (minor >= 0) snprintf(t->python_bin, sizeof t->python_bin, "%s", path);
        } else if (exe_minor < 0 && !strncmp(base, "python3.", 8)) {
            /* an interpreter run through a loader (ld.so python3.X) */
            exe_minor = python_minor(path, exe_flags);
            if (exe_minor >= 0) snprintf(exe_path, sizeof exe_path, "%s", path);
        }
    }
    fclose(f);
    if (minor < 0 && exe_minor >= 0) {
        minor = exe_minor;
        memcpy(flags, exe_flags, sizeof exe_flags);
        snprintf(t->python_bin, sizeof t->python_bin, "%s", exe_path);
    }
    if (minor < 0) {
        minor = python_minor(t->exe, flags);
        if (minor >= 0) snprintf(t->python_bin, sizeof t->python_bin, "%s", t->exe);
    }
    if (minor < 0)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "process %d (%.200s) is not a CPython process: no libpython3.X in its "
                            "memory map and its executable is not named python3.X",
                            pid, t->exe);
    snprintf(r->python, sizeof r->python, "3.%u%.4s", (unsigned)minor % 1000u, flags);
    if (minor < WA_ATTACH_MIN_MINOR || minor > WA_ATTACH_MAX_MINOR)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "process %d runs Python 3.%d; whyalive attaches to CPython 3.%d to "
                            "3.%d",
                            pid, minor, WA_ATTACH_MIN_MINOR, WA_ATTACH_MAX_MINOR);
    if (flags[0])
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "process %d runs a Python 3.%d%s build (%s): only the default "
                            "(GIL, non-debug) build is supported",
                            pid, minor, flags, strchr(flags, 't') ? "free-threaded" : "debug");
    t->minor = minor;
    if (!same_mount_ns(pid)) snprintf(t->root, sizeof t->root, "/proc/%d/root", pid);
    return WA_OK;
}

/* ---- finding things ---- */

static int is_file(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISREG(s.st_mode);
}

static int is_dir(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISDIR(s.st_mode);
}

/* "gdb" on PATH, or an explicit one. */
static wa_status find_gdb(const char *want, char out[PATH_MAX], wa_error *err) {
    if (!want || !*want) want = getenv("WHYALIVE_GDB");
    if (want && *want && strchr(want, '/')) {
        if (access(want, X_OK) != 0)
            return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                                "gdb %.300s is not an executable file", want);
        snprintf(out, PATH_MAX, "%s", want);
        return WA_OK;
    }
    const char *name = want && *want ? want : "gdb";
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/bin:/bin";
    char *copy = strdup(path), *save = NULL;
    if (!copy)
        return wa_error_set(err, WA_ERR_NOMEM, NULL, WA_POS_NONE, WA_POS_NONE, "out of memory");
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, PATH_MAX, "%s/%s", *d ? d : ".", name);
        if (is_file(out) && access(out, X_OK) == 0) {
            free(copy);
            return WA_OK;
        }
    }
    free(copy);
    return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                        "gdb is not installed (not on PATH): attaching needs it; on Debian and "
                        "Ubuntu: apt-get install gdb (the package `gdb`)");
}

/* The extension for 3.<minor> in dir: dir/_core.cpython-3M-*.so,
 * dir/whyalive/..., dir/python-3.M/whyalive/..., dir/python/whyalive/... */
static int ext_in_dir(const char *dir, int minor, char out[PATH_MAX]) {
    const char *subs[] = {"", "/whyalive", "/python-3.%d/whyalive", "/python/whyalive"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char sub[64], pat[PATH_MAX + 128];
        snprintf(sub, sizeof sub, subs[i], minor);
        snprintf(pat, sizeof pat, "%s%s/_core.cpython-3%d-*.so", dir, sub, minor);
        glob_t g;
        if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
            snprintf(out, PATH_MAX, "%s", g.gl_pathv[0]);
            globfree(&g);
            return 1;
        }
        globfree(&g);
    }
    return 0;
}

static int try_dir(const char *dir, int minor, char out[PATH_MAX], wa_attach_result *r) {
    if (!dir || !*dir || !is_dir(dir)) return 0;
    detail_add(r, "  searched %s\n", dir);
    return ext_in_dir(dir, minor, out);
}

/* The target's own package directories, seen through its root. */
static int ext_in_target(const target *t, char out[PATH_MAX], wa_attach_result *r) {
    char dirs[12][PATH_MAX];
    int nd = 0;
    /* site-packages directories the target already loads from */
    char p[64], line[PATH_MAX + 128];
    snprintf(p, sizeof p, "/proc/%d/maps", t->pid);
    FILE *f = fopen(p, "re");
    while (f && nd < 6 && fgets(line, sizeof line, f)) {
        char *path = strchr(line, '/');
        if (!path) continue;
        path[strcspn(path, "\n")] = '\0';
        char *sp = strstr(path, "/site-packages/");
        if (!sp) sp = strstr(path, "/dist-packages/");
        if (!sp) continue;
        sp[14] = '\0';
        int dup = 0;
        for (int i = 0; i < nd; i++) dup |= !strcmp(dirs[i], path);
        if (!dup) snprintf(dirs[nd++], PATH_MAX, "%s", path);
    }
    if (f) fclose(f);
    /* a virtual environment named in its environment */
    char env[65536];
    snprintf(p, sizeof p, "/proc/%d/environ", t->pid);
    ssize_t n = read_small(p, env, sizeof env);
    for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(env + i) + 1)
        if (!strncmp(env + i, "VIRTUAL_ENV=", 12) && nd < 10)
            snprintf(dirs[nd++], PATH_MAX, "%s/lib/python3.%d/site-packages", env + i + 12,
                     t->minor);
    /* the interpreter's prefix */
    char prefix[PATH_MAX];
    snprintf(prefix, sizeof prefix, "%s", t->python_bin);
    for (int k = 0; k < 2; k++) {
        char *s = strrchr(prefix, '/');
        if (s) *s = '\0';
    }
    if (nd < 12)
        fmt_path(dirs[nd++], PATH_MAX, "%s/lib/python3.%d/site-packages", prefix, t->minor);
    if (nd < 12)
        fmt_path(dirs[nd++], PATH_MAX, "%s/local/lib/python3.%d/dist-packages", prefix, t->minor);
    for (int i = 0; i < nd; i++) {
        char seen[PATH_MAX];
        if (fmt_path(seen, sizeof seen, "%s%s", t->root, dirs[i]) == 0 &&
            try_dir(seen, t->minor, out, r))
            return 1;
    }
    return 0;
}

static wa_status find_extension(const wa_attach_options *o, const target *t, char out[PATH_MAX],
                                wa_attach_result *r, wa_error *err) {
    const char *want = o->extension && *o->extension ? o->extension : getenv("WHYALIVE_EXTENSION");
    if (want && *want) {
        if (is_file(want)) {
            char flags[8];
            const char *base = strrchr(want, '/');
            base = base ? base + 1 : want;
            const char *tag = strstr(base, ".cpython-3");
            int minor = tag ? atoi(tag + 10) % 100 : -1;
            (void)flags;
            if (tag && minor != t->minor)
                return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                                    "the extension %.200s is built for another Python than the "
                                    "target's 3.%d",
                                    want, t->minor);
            snprintf(out, PATH_MAX, "%s", want);
            return WA_OK;
        }
        if (try_dir(want, t->minor, out, r)) return WA_OK;
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "no whyalive extension for Python 3.%d in %.300s (given with "
                            "--extension or WHYALIVE_EXTENSION)",
                            t->minor, want);
    }
    for (const char *const *d = o->search_dirs; d && *d; d++)
        if (try_dir(*d, t->minor, out, r)) return WA_OK;
    if (ext_in_target(t, out, r)) return WA_OK;
    return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                        "no whyalive extension for the target's Python 3.%d: install whyalive "
                        "into that interpreter (python3.%d -m pip install whyalive), build it "
                        "(cmake -DWA_EXTRA_PYTHONS=/path/to/python3.%d gives "
                        "BUILD/python-3.%d/whyalive) or pass --extension PATH",
                        t->minor, t->minor, t->minor, t->minor);
}

/* ---- staging ---- */

/* A new empty file in the target's /tmp, owned by the target's user, mode
 * 0600 (suffix kept). in_target: the path as the target sees it; ours: as
 * we see it. */
static int stage_file(const target *t, const char *prefix, const char *suffix,
                      char in_target[PATH_MAX], char ours[PATH_MAX]) {
    snprintf(ours, PATH_MAX, "%s/tmp/%sXXXXXX%s", t->root, prefix, suffix);
    int fd = mkstemps(ours, (int)strlen(suffix));
    if (fd < 0) return -1;
    if (fchown(fd, t->uid, t->gid) != 0 && geteuid() == 0) {
        close(fd);
        unlink(ours);
        return -1;
    }
    fchmod(fd, 0600);
    close(fd);
    snprintf(in_target, PATH_MAX, "%s", ours + strlen(t->root));
    return 0;
}

static int copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    int out = open(to, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t k;
    int rc = 0;
    while ((k = read(in, buf, sizeof buf)) != 0) {
        if (k < 0) {
            if (errno == EINTR) continue;
            rc = -1;
            break;
        }
        for (ssize_t off = 0; off < k;) {
            ssize_t w = write(out, buf + off, (size_t)(k - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc) break;
    }
    close(in);
    if (close(out) != 0) rc = -1;
    return rc;
}

/* ---- gdb ---- */

/* Run gdb with the script; its whole output into out (NUL-terminated).
 * Returns gdb's exit status, or -1 with errno. Gives gdb until hard_deadline,
 * then SIGTERM (the script has its own, earlier deadline). */
static int run_gdb(const char *gdb, const target *t, const char *lib, const char *lib_ours,
                   const char *status_ours, const char *req, double deadline, double hard_deadline,
                   char *out, size_t cap) {
    char script[] = "/tmp/whyalive-gdb-XXXXXX.py";
    int sfd = mkstemps(script, 3);
    if (sfd < 0) return -1;
    size_t len = sizeof wa_attach_gdb_script - 1;
    if (write(sfd, wa_attach_gdb_script, len) != (ssize_t)len) {
        close(sfd);
        unlink(script);
        return -1;
    }
    close(sfd);
    char logp[] = "/tmp/whyalive-gdb-XXXXXX.log";
    int lfd = mkstemps(logp, 4);
    if (lfd < 0) {
        unlink(script);
        return -1;
    }
    unlink(logp);
    char pidbuf[32], dl[64];
    snprintf(pidbuf, sizeof pidbuf, "%d", t->pid);
    snprintf(dl, sizeof dl, "%.6f", deadline);
    pid_t g = fork();
    if (g < 0) {
        close(lfd);
        unlink(script);
        return -1;
    }
    if (g == 0) {
        setsid(); /* no terminal signals; survives its parent */
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) dup2(nul, 0);
        dup2(lfd, 1);
        dup2(lfd, 2);
        setenv("WA_ATTACH_PID", pidbuf, 1);
        setenv("WA_ATTACH_LIB", lib, 1);
        setenv("WA_ATTACH_REQ", req, 1);
        setenv("WA_ATTACH_DEADLINE", dl, 1);
        setenv("WA_ATTACH_SCRIPT", script, 1);
        setenv("WA_ATTACH_STATUS_OURS", status_ours, 1);
        if (lib_ours[0]) setenv("WA_ATTACH_LIB_OURS", lib_ours, 1);
        unsetenv("PYTHONPATH");
        unsetenv("PYTHONHOME");
        unsetenv("LD_PRELOAD"); /* a sanitizer runtime meant for us, not gdb */
        execl(gdb, "gdb", "-nx", "-nh", "-q", "--batch", "-iex", "set auto-load no", "-x", script,
              (char *)NULL);
        _exit(127);
    }
    int st = 0, termed = 0;
    for (;;) {
        pid_t w = waitpid(g, &st, WNOHANG);
        if (w == g) break;
        if (w < 0 && errno != EINTR) {
            st = 127 << 8;
            break;
        }
        if (realtime_now() > hard_deadline && termed < 2) {
            kill(g, termed ? SIGKILL : SIGTERM);
            termed++;
            hard_deadline += 5;
        }
        sleep_ms(5);
    }
    unlink(script); /* normally gone already: the script removes itself */
    size_t n = 0;
    if (lseek(lfd, 0, SEEK_SET) == 0) {
        ssize_t k;
        while (n + 1 < cap && (k = read(lfd, out + n, cap - 1 - n)) > 0) n += (size_t)k;
    }
    out[n] = '\0';
    close(lfd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the status file ---- */

typedef struct status_seen {
    int gil, final, ok, timeout;
    long child;
    double pause_fork;
    char line[700]; /* the final line */
} status_seen;

static void status_read(const char *path, status_seen *s) {
    char buf[4096];
    memset(s, 0, sizeof *s);
    if (read_small(path, buf, sizeof buf) <= 0) return;
    for (char *p = buf, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        *nl = '\0';
        if (!strcmp(p, "gil"))
            s->gil = 1;
        else if (!strncmp(p, "forked ", 7))
            sscanf(p, "forked pid=%ld pause=%lf", &s->child, &s->pause_fork);
        else if (!strncmp(p, "ok ", 3) || !strncmp(p, "error ", 6) || !strcmp(p, "timeout")) {
            if (s->final && !strncmp(s->line, "error ", 6)) continue; /* the first error stays */
            s->final = 1;
            s->ok = !strncmp(p, "ok ", 3);
            s->timeout = !strcmp(p, "timeout");
            fmt_path(s->line, sizeof s->line, "%s", p);
        }
    }
}

static int process_alive(int pid) {
    if (kill(pid, 0) == 0 || errno == EPERM) {
        char p[64], st[4096];
        snprintf(p, sizeof p, "/proc/%d/status", pid);
        if (read_small(p, st, sizeof st) > 0 && strstr(st, "\nState:\tZ")) return 0;
        return 1;
    }
    return 0;
}

/* The last meaningful lines of gdb's output, for the detail. */
static void gdb_tail(wa_attach_result *r, const char *out) {
    size_t n = strlen(out);
    const char *p = n > 600 ? out + n - 600 : out;
    detail_add(r, "  gdb said: ");
    for (; *p; p++) detail_add(r, "%c", (*p == '\n' || isprint((unsigned char)*p)) ? *p : '?');
    detail_add(r, "\n");
}

static const char *find_result(const char *out, char kind[16], const char **text) {
    const char *p = strstr(out, "WA-RESULT ");
    if (!p) return NULL;
    p += 10;
    size_t k = strcspn(p, " \n");
    snprintf(kind, 16, "%.*s", (int)(k < 15 ? k : 15), p);
    *text = p + k + (p[k] == ' ');
    return p;
}

static wa_status gdb_failure(const target *t, const char *kind, const char *text, const char *lib,
                             double timeout, wa_attach_result *r, wa_error *err) {
    char msg[300];
    snprintf(msg, sizeof msg, "%.*s", (int)strcspn(text, "\n"), text);
    if (!strcmp(kind, "attach")) {
        if (strstr(msg, "not permitted") || strstr(msg, "denied"))
            return ptrace_denied(err, t->pid, "the kernel refused ptrace");
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "gdb could not attach to process %d: %s", t->pid, msg);
    }
    if (!strcmp(kind, "nosafe"))
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "no thread of process %d stopped at a safe point within %.0f s "
                            "(every look found them inside libc or another library); the target "
                            "was left as it was: retry, or raise --timeout",
                            t->pid, timeout);
    if (!strcmp(kind, "dlopen"))
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "process %d could not load %.200s: %s", t->pid, lib, msg);
    if (!strcmp(kind, "start")) {
        int code = atoi(msg);
        if (code == 2)
            return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                                "process %d has no initialised Python interpreter (starting or "
                                "exiting?)",
                                t->pid);
        if (code == 3)
            return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                                "process %d runs another Python version than the extension "
                                "%.200s was built for",
                                t->pid, lib);
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "the dump thread could not start in process %d (code %d)", t->pid,
                            code);
    }
    (void)r;
    return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                        "gdb failed while attached to process %d: %s", t->pid, msg);
}

/* ---- the whole ---- */

wa_status wa_attach_dump(const wa_attach_options *o, wa_attach_result *r, wa_error *err) {
    memset(r, 0, sizeof *r);
    wa_error_clear(err);
    double t0 = realtime_now();
    double timeout = o->timeout > 0 ? o->timeout : 30.0;
    target t;
    wa_status st = inspect_target(o->pid, &t, r, err);
    if (st != WA_OK) return st;
    if ((st = check_ptrace(&t, err)) != WA_OK) return st;
    char gdb[PATH_MAX];
    if ((st = find_gdb(o->gdb, gdb, err)) != WA_OK) return st;
    char ext[PATH_MAX];
    if ((st = find_extension(o, &t, ext, r, err)) != WA_OK) return st;
    snprintf(r->extension, sizeof r->extension, "%s", ext);
    if (realpath(ext, r->extension) == NULL) snprintf(r->extension, sizeof r->extension, "%s", ext);

    /* the output, as we name it */
    wa_format fmt = o->format;
    int zc = -1; /* a wa_compression, -1: from the path */
    if (o->compress) {
        if (!strcmp(o->compress, "none"))
            zc = WA_COMPRESSION_NONE;
        else if (!strcmp(o->compress, "gzip"))
            zc = WA_COMPRESSION_GZIP;
        else if (!strcmp(o->compress, "zstd"))
            zc = WA_COMPRESSION_ZSTD;
        else
            return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                                "unknown compression '%s' (expected none, gzip or zstd)",
                                o->compress);
    }
    if (o->output && *o->output) {
        if (o->output[0] == '/')
            snprintf(r->path, sizeof r->path, "%s", o->output);
        else {
            char cwd[PATH_MAX];
            if (!getcwd(cwd, sizeof cwd))
                return wa_error_set(err, WA_ERR_IO, NULL, WA_POS_NONE, WA_POS_NONE,
                                    "cannot read the current directory: %s", strerror(errno));
            if (fmt_path(r->path, sizeof r->path, "%s/%s", cwd, o->output) != 0)
                return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                                    "the output path is too long");
        }
    } else {
        char cwd[PATH_MAX], stamp[32];
        if (!getcwd(cwd, sizeof cwd))
            return wa_error_set(err, WA_ERR_IO, NULL, WA_POS_NONE, WA_POS_NONE,
                                "cannot read the current directory: %s", strerror(errno));
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        if (fmt_path(r->path, sizeof r->path, "%s/whyalive-%d-%s.%s%s", cwd, t.pid, stamp,
                     fmt == WA_FORMAT_JSONL ? "jsonl" : "wa",
                     zc == WA_COMPRESSION_ZSTD   ? ".zst"
                     : zc == WA_COMPRESSION_GZIP ? ".gz"
                                                 : "") != 0)
            return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                                "the current directory's path is too long");
    }
    if (fmt == WA_FORMAT_AUTO) fmt = wa_format_from_path(r->path);
    if (zc < 0) zc = (int)wa_compression_from_path(r->path);

    /* what the target must see */
    char status_t[PATH_MAX], status_o[PATH_MAX], lib_t[PATH_MAX], lib_o[PATH_MAX] = "";
    char dump_t[PATH_MAX], dump_o[PATH_MAX] = "";
    if (stage_file(&t, "whyalive-status-", "", status_t, status_o) != 0)
        return wa_error_set(err, WA_ERR_IO, NULL, WA_POS_NONE, WA_POS_NONE,
                            "cannot create a status file in %s/tmp: %s", t.root[0] ? t.root : "",
                            strerror(errno));
    snprintf(lib_t, sizeof lib_t, "%s", r->extension);
    if (t.root[0] || t.uid != geteuid()) {
        /* the target may not see or read ours: a copy in its /tmp, removed
         * once loaded (the mapping stays) */
        if (stage_file(&t, "whyalive-ext-", ".so", lib_t, lib_o) != 0 ||
            copy_file(r->extension, lib_o) != 0 || chmod(lib_o, 0500) != 0) {
            int e = errno;
            unlink(status_o);
            if (lib_o[0]) unlink(lib_o);
            return wa_error_set(err, WA_ERR_IO, NULL, WA_POS_NONE, WA_POS_NONE,
                                "cannot copy the extension into %s/tmp: %s",
                                t.root[0] ? t.root : "", strerror(e));
        }
        r->copied = 1;
    }
    if (t.root[0]) {
        /* another mount namespace: the target writes into its /tmp, we copy out */
        if (stage_file(&t, "whyalive-dump-", fmt == WA_FORMAT_JSONL ? ".jsonl" : ".wa", dump_t,
                       dump_o) != 0) {
            unlink(status_o);
            if (lib_o[0]) unlink(lib_o);
            return wa_error_set(err, WA_ERR_IO, NULL, WA_POS_NONE, WA_POS_NONE,
                                "cannot create the dump file in %s/tmp: %s", t.root,
                                strerror(errno));
        }
        unlink(dump_o); /* the dump is written atomically by rename */
    } else {
        snprintf(dump_t, sizeof dump_t, "%s", r->path);
    }

    double deadline = t0 + timeout;
    /* our pid, when the target sees it: its dump thread removes the status
     * file itself should we be killed before reading it */
    long owner = 0;
    {
        char a[128], b[128], pp[64];
        snprintf(pp, sizeof pp, "/proc/%d/ns/pid", t.pid);
        ssize_t n1 = readlink("/proc/self/ns/pid", a, sizeof a - 1);
        ssize_t n2 = readlink(pp, b, sizeof b - 1);
        if (n1 > 0 && n2 > 0 && n1 == n2 && memcmp(a, b, (size_t)n1) == 0) owner = (long)getpid();
    }
    char req[PATH_MAX * 2 + 256];
    snprintf(req, sizeof req,
             "status=%s\npath=%s\nformat=%d\ncompress=%d\nvalues=%u\ntracemalloc=%d\n"
             "background=%d\ndeadline=%.6f\nowner=%ld\n",
             status_t, dump_t, (int)fmt, zc, o->values, o->tracemalloc, o->foreground ? 0 : 1,
             deadline, owner);
    static char out[65536];
    int grc =
        run_gdb(gdb, &t, lib_t, lib_o, status_o, req, deadline, deadline + 15, out, sizeof out);
    if (lib_o[0]) unlink(lib_o);
    if (grc < 0) {
        int e = errno;
        unlink(status_o);
        return wa_error_set(err, WA_ERR_IO, NULL, WA_POS_NONE, WA_POS_NONE,
                            "cannot run gdb (%s): %s", gdb, strerror(e));
    }
    char kind[16];
    const char *text = NULL;
    if (!find_result(out, kind, &text)) {
        unlink(status_o);
        gdb_tail(r, out);
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "gdb ended (status %d) without attaching to process %d", grc, t.pid);
    }
    if (strcmp(kind, "ok") != 0) {
        unlink(status_o);
        gdb_tail(r, out);
        return gdb_failure(&t, kind, text, r->extension, timeout, r, err);
    }

    const char *sp = strstr(text, "stopped=");
    if (sp) r->stopped = strtod(sp + 8, NULL);

    /* the dump thread runs in the target: follow its status */
    status_seen s;
    for (;;) {
        status_read(status_o, &s);
        if (s.final) break;
        if (!s.gil && realtime_now() > deadline + 1.0) break;
        if (!process_alive(t.pid)) {
            status_read(status_o, &s);
            break;
        }
        if (s.child > 0 && !s.final && !process_alive((int)s.child) && t.root[0] == '\0') {
            sleep_ms(20);
            status_read(status_o, &s);
            break;
        }
        sleep_ms(5);
    }
    unlink(status_o);
    r->total = realtime_now() - t0;
    if (!s.gil || s.timeout)
        return wa_error_set(err, WA_ERR_ARG, NULL, WA_POS_NONE, WA_POS_NONE,
                            "process %d did not let the dump thread take the GIL within %.0f s "
                            "(a thread holds it in a long C call?): nothing was dumped; the "
                            "thread left in the target gives up as soon as it gets the GIL",
                            t.pid, timeout);
    if (!s.final)
        return wa_error_set(err, WA_ERR_IO, NULL, WA_POS_NONE, WA_POS_NONE,
                            "the dump in process %d ended without a result (the process or the "
                            "dump child exited)",
                            t.pid);
    if (!s.ok)
        return wa_error_set(err, WA_ERR_IO, NULL, WA_POS_NONE, WA_POS_NONE,
                            "the dump in process %d failed: %s", t.pid, s.line + 6);
    sscanf(s.line,
           "ok objects=%" SCNu64 " edges=%" SCNu64 " roots=%" SCNu64 " bytes=%" SCNu64
           " seconds=%lf pause=%lf",
           &r->objects, &r->edges, &r->roots, &r->bytes, &r->seconds, &r->pause);
    if (s.child > 0) {
        r->child = s.child;
        r->pause = s.pause_fork;
    }
    if (t.root[0]) {
        /* copy out of the target's filesystem (ours is written atomically) */
        char tmp[PATH_MAX + 16];
        snprintf(tmp, sizeof tmp, "%s.tmp%d", r->path, (int)getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) close(fd);
        fmt_path(dump_o, sizeof dump_o, "%s%s", t.root, dump_t);
        if (fd < 0 || copy_file(dump_o, tmp) != 0 || rename(tmp, r->path) != 0) {
            int e = errno;
            unlink(tmp);
            return wa_error_set(err, WA_ERR_IO, NULL, WA_POS_NONE, WA_POS_NONE,
                                "cannot copy the dump from %.200s to %.200s: %s", dump_o, r->path,
                                strerror(e));
        }
        unlink(dump_o);
    }
    r->total = realtime_now() - t0;
    return WA_OK;
}
