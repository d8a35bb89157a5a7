"""The executor's seccomp filter (x86_64, raw BPF via ctypes: no extra dependency)."""
from __future__ import annotations

import os
import struct

_AUDIT_ARCH_X86_64 = 0xC000003E
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_EPERM, _ENOSYS = 1, 38
_CLONE_THREAD = 0x00010000
# syscalls that a grid transform never needs and that an attacker would: new processes, exec,
# sockets, tracing, namespaces/mounts, raising limits, kernel attack surface.
_DENY_X86_64 = {
    41: "socket", 42: "connect", 43: "accept", 49: "bind", 50: "listen", 53: "socketpair",
    288: "accept4", 57: "fork", 58: "vfork", 59: "execve", 322: "execveat", 101: "ptrace",
    310: "process_vm_readv", 311: "process_vm_writev", 165: "mount", 166: "umount2",
    155: "pivot_root", 161: "chroot", 272: "unshare", 308: "setns", 160: "setrlimit",
    302: "prlimit64", 321: "bpf", 298: "perf_event_open", 323: "userfaultfd", 250: "keyctl",
    248: "add_key", 249: "request_key", 425: "io_uring_setup", 200: "tkill", 169: "reboot",
    246: "kexec_load", 175: "init_module", 313: "finit_module", 139: "sysfs", 103: "syslog",
}
_NR_CLONE, _NR_CLONE3, _NR_KILL, _NR_TGKILL = 56, 435, 62, 234


def install_seccomp() -> str:
    """Install the filter in this process (inherited by nothing: it cannot fork). Returns a short
    status string; raises on failure so the caller decides whether that is fatal."""
    import ctypes
    import platform

    if platform.machine() not in ("x86_64", "AMD64"):
        raise OSError(f"seccomp filter only written for x86_64, not {platform.machine()}")
    pid = os.getpid()

    def stmt(code, k):
        return struct.pack("=HBBI", code, 0, 0, k & 0xFFFFFFFF)

    def jump(code, k, jt, jf):
        return struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF)

    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
    deny = _RET_ERRNO | _EPERM
    prog = [
        stmt(LD, 4), jump(JEQ, _AUDIT_ARCH_X86_64, 1, 0), stmt(RET, deny),
        stmt(LD, 0), jump(JGE, 0x40000000, 0, 1), stmt(RET, deny),  # x32 ABI
    ]
    for nr in sorted(_DENY_X86_64):
        prog += [jump(JEQ, nr, 0, 1), stmt(RET, deny)]
    prog += [jump(JEQ, _NR_CLONE3, 0, 1), stmt(RET, _RET_ERRNO | _ENOSYS)]  # glibc falls back to clone
    # clone: threads only (CLONE_THREAD in the low word of arg0)
    prog += [jump(JEQ, _NR_CLONE, 0, 4), stmt(LD, 16), jump(JSET, _CLONE_THREAD, 0, 1), stmt(RET, _RET_ALLOW), stmt(RET, deny)]
    # kill / tgkill: only ourselves (arg0 == our pid, high word 0): never the zygote, a process
    # group (0, negative) or everyone (-1). Only paths that return clobber A.
    for nr in (_NR_KILL, _NR_TGKILL):
        prog += [
            jump(JEQ, nr, 0, 6), stmt(LD, 16), jump(JEQ, pid, 0, 3), stmt(LD, 20), jump(JEQ, 0, 0, 1),
            stmt(RET, _RET_ALLOW), stmt(RET, deny),
        ]
    prog += [stmt(RET, _RET_ALLOW)]
    buf = b"".join(prog)
    n = len(prog)
    libc = ctypes.CDLL(None, use_errno=True)
    filt = ctypes.create_string_buffer(buf, len(buf))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(n, ctypes.cast(filt, ctypes.c_void_p))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP failed")
    return "seccomp"


def probe_seccomp() -> bool:
    """Fork a child that installs the filter and checks that socket() is refused."""
    pid = os.fork()
    if pid == 0:
        rc = 1
        try:
            install_seccomp()
            import socket

            try:
                socket.socket()
            except PermissionError:
                rc = 0
        except BaseException:
            rc = 1
        os._exit(rc)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
