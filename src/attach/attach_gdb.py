# attach_gdb.py: the gdb side of `whyalive dump --pid` (src/attach/attach.c
# embeds this file and runs `gdb -nx --batch -x <copy>`; it runs in gdb's
# own Python, not in the target).
#
# Steps: attach (all threads stop), find a thread stopped at a point where
# calling into libc is safe (blocked in a known waiting system call, or
# running the interpreter's own code; never inside libc or the dynamic
# loader, whose locks it may hold), there dlopen() the whyalive extension
# built for the target's Python and call whyalive_attach_start(request),
# which only starts a thread (src/dumper/attach_entry.c), then detach. When
# no thread is at a safe point, detach, let the target run a few
# milliseconds and look again, until the deadline.
#
# No breakpoint is ever inserted: if this gdb is killed, nothing of it is
# left in the target's code. Output: one line "WA-RESULT <kind> <text>" on
# stdout (kinds: ok, attach, nosafe, dlopen, start, gdb).
#
# Inputs (environment): WA_ATTACH_PID, WA_ATTACH_LIB (the extension, as the
# target sees the path), WA_ATTACH_REQ (the request text),
# WA_ATTACH_DEADLINE (CLOCK_REALTIME seconds).
import os
import random
import time

import gdb  # noqa: F401  (provided by gdb)

# x86-64 system calls a thread waits in without holding a libc lock:
# read, poll, select, readv, pause, nanosleep, accept, recvfrom, recvmsg,
# wait4, rt_sigtimedwait, rt_sigsuspend, clock_nanosleep, epoll_wait,
# pselect6, ppoll, epoll_pwait, accept4, recvmmsg, epoll_pwait2.
SAFE_SYSCALLS = {0, 7, 23, 19, 34, 35, 43, 45, 47, 61, 128, 130, 230, 232, 270, 271, 281, 288,
                 299, 441}


def result(kind, text=""):
    if kind != "ok":
        # no dump thread will report: the status file is of no use (the
        # caller removes it too, unless it was killed)
        for line in os.environ.get("WA_ATTACH_REQ", "").splitlines():
            if line.startswith("status="):
                try:
                    os.unlink(os.environ.get("WA_ATTACH_STATUS_OURS") or line[7:])
                except OSError:
                    pass
    print("WA-RESULT %s %s" % (kind, " ".join(str(text).split())), flush=True)


def quiet(cmd):
    try:
        gdb.execute(cmd, to_string=True)
        return True
    except gdb.error:
        return False


def c_string(s):
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append("\\%03o" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def safety(thread, pid):
    """2: waiting in a safe system call; 1: in the interpreter's code; 0:
    elsewhere (libc, the loader, another library)."""
    thread.switch()
    try:
        pc = int(gdb.newest_frame().pc())
    except gdb.error:
        return 0
    lib = gdb.solib_name(pc)
    base = os.path.basename(lib) if lib else ""
    if lib is None or base.startswith("libpython3"):
        return 1
    if base.startswith("libc.so") or base.startswith("libc-"):
        try:
            insn = bytes(gdb.selected_inferior().read_memory(pc - 2, 2))
            nr = int(gdb.parse_and_eval("$orig_rax"))
        except (gdb.error, gdb.MemoryError):
            return 0
        if insn == b"\x0f\x05" and nr in SAFE_SYSCALLS:
            return 2
    return 0


def pick(pid):
    best, best_score = None, 0
    for t in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
        s = safety(t, pid)
        # ties go to the main thread (lowest number)
        if s > best_score:
            best, best_score = t, s
    return best


STOPPED = [0.0, None]  # seconds the target spent stopped; when the current stop began


def attach(pid):
    STOPPED[1] = time.time()
    gdb.execute("attach %d" % pid, to_string=True)


def detach():
    quiet("detach")
    if STOPPED[1] is not None:
        STOPPED[0] += time.time() - STOPPED[1]
        STOPPED[1] = None


def main():
    script = os.environ.get("WA_ATTACH_SCRIPT")
    if script:
        try:
            os.unlink(script)  # read already; nothing left behind if we are killed
        except OSError:
            pass
    pid = int(os.environ["WA_ATTACH_PID"])
    lib = os.environ["WA_ATTACH_LIB"]
    req = os.environ["WA_ATTACH_REQ"]
    deadline = float(os.environ["WA_ATTACH_DEADLINE"])
    for cmd in ("set pagination off", "set confirm off", "set auto-solib-add off",
                "set debuginfod enabled off", "set unwindonsignal on",
                "set unwind-on-terminating-exception on", "set print thread-events off",
                "handle all nostop noprint pass"):
        quiet(cmd)
    # read the executable's symbols before the target is stopped
    quiet("file /proc/%d/exe" % pid)
    try:
        attach(pid)
    except gdb.error as e:
        result("attach", e)
        return
    try:
        while True:
            thread = pick(pid)
            if thread is not None:
                break
            if time.time() > deadline:
                result("nosafe", "no thread reached a safe point")
                return
            detach()
            time.sleep(random.uniform(0.002, 0.02))
            try:
                attach(pid)
            except gdb.error as e:
                result("attach", e)
                return
        thread.switch()
        quiet("sharedlibrary libc\\.so")
        handle = None
        for fn in ("dlopen", "__libc_dlopen_mode"):
            try:
                handle = int(gdb.parse_and_eval(
                    "((void *(*)(const char *, int))%s)(%s, 2)" % (fn, c_string(lib))))
                break
            except gdb.error:
                continue
        staged = os.environ.get("WA_ATTACH_LIB_OURS")
        if staged:
            try:
                os.unlink(staged)  # our copy: loaded now (or not loadable); the mapping stays
            except OSError:
                pass
        if handle is None:
            result("dlopen", "no dlopen() in the target")
            return
        if handle == 0:
            try:
                why = gdb.parse_and_eval("(char *)dlerror()").string()
            except gdb.error:
                why = "dlopen failed"
            result("dlopen", why)
            return
        entry = int(gdb.parse_and_eval(
            "((void *(*)(void *, const char *))dlsym)((void *)%d, %s)"
            % (handle, c_string("whyalive_attach_start"))))
        if entry == 0:
            result("dlopen", "whyalive_attach_start not found in %s" % lib)
            return
        rc = int(gdb.parse_and_eval("((int (*)(const char *))%d)(%s)" % (entry, c_string(req))))
        if rc != 0:
            result("start", rc)
            return
        num = thread.num
        detach()
        result("ok", "thread=%d stopped=%.6f" % (num, STOPPED[0]))
    except gdb.error as e:
        result("gdb", e)
    finally:
        detach()


main()
