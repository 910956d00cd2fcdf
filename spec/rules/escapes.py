#!/usr/bin/env python3
"""Escape attempts for spec/rules/cases_escapes.yaml (rules/05-escapes.yaml),
made with raw syscalls through ctypes so that no build is needed.  Each
prints what the kernel (or lanner) answered.

  escapes.py listener        seccomp(SET_MODE_FILTER, NEW_LISTENER) with a
                             filter sending openat to the listener; the
                             listener (if any) is closed at once, so the
                             opens that follow fail with ENOSYS
  escapes.py errno-filter    seccomp filter failing ptrace with EPERM (a
                             sandbox's usual shape)
  escapes.py allow-filter    seccomp filter allowing everything
  escapes.py prctl-filter    prctl(PR_SET_SECCOMP) filter failing ptrace
                             only for PTRACE_ATTACH (its first argument)
  escapes.py io-uring        io_uring_setup(8), then close
  escapes.py by-handle PATH  name_to_handle_at + open_by_handle_at(PATH),
                             read one byte
"""
import ctypes
import errno
import os
import platform
import struct
import sys

NR = {
    "x86_64": {"seccomp": 317, "io_uring_setup": 425, "name_to_handle_at": 303,
               "open_by_handle_at": 304, "openat": 257, "ptrace": 101},
    "aarch64": {"seccomp": 277, "io_uring_setup": 425, "name_to_handle_at": 264,
                "open_by_handle_at": 265, "openat": 56, "ptrace": 117},
}[platform.machine()]
ARCH = {"x86_64": 0xc000003e, "aarch64": 0xc00000b7}[platform.machine()]

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.prctl.restype = ctypes.c_int

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
PTRACE_ATTACH = 16
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_NEW_LISTENER = 8
RET_ALLOW, RET_ERRNO, RET_USER_NOTIF = 0x7fff0000, 0x00050000, 0x7fc00000
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06


def syscall(name, *args):
    r = libc.syscall(NR[name], *args)
    return r if r >= 0 else -ctypes.get_errno()


def res(r):
    return "ok" if r >= 0 else errno.errorcode.get(-r, str(-r))


def filter_for(nr, action, arg0=None):
    """allow everything but syscall nr (with its first argument arg0, if
    given), which gets action"""
    insns = [(LD_W_ABS, 0, 0, 4), (JEQ_K, 1, 0, ARCH), (RET_K, 0, 0, RET_ALLOW),
             (LD_W_ABS, 0, 0, 0), (JEQ_K, 0, 3 if arg0 is not None else 1, nr)]
    if arg0 is not None:
        insns += [(LD_W_ABS, 0, 0, 16), (JEQ_K, 0, 1, arg0)]
    insns += [(RET_K, 0, 0, action), (RET_K, 0, 0, RET_ALLOW)]
    code = b"".join(struct.pack("=HBBI", *i) for i in insns)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("=HxxxxxxQ", len(insns), ctypes.addressof(buf))
    return buf, ctypes.create_string_buffer(fprog, len(fprog))


def install(nr, action, flags):
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    buf, fprog = filter_for(nr, action)
    return syscall("seccomp", SECCOMP_SET_MODE_FILTER, flags, fprog)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "listener":
        fd = install(NR["openat"], RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER)
        print("install:", res(fd))
        if fd >= 0:
            os.close(fd)
    elif cmd == "errno-filter":
        print("install:", res(install(NR["ptrace"], RET_ERRNO | errno.EPERM, 0)))
    elif cmd == "prctl-filter":
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        buf, fprog = filter_for(NR["ptrace"], RET_ERRNO | errno.EPERM, PTRACE_ATTACH)
        r = libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0)
        print("install:", res(r if r == 0 else -ctypes.get_errno()))
    elif cmd == "allow-filter":
        print("install:", res(install(NR["ptrace"], RET_ALLOW, 0)))
    elif cmd == "io-uring":
        params = ctypes.create_string_buffer(120)
        fd = syscall("io_uring_setup", 8, params)
        print("io_uring_setup:", res(fd))
        if fd >= 0:
            os.close(fd)
    elif cmd == "by-handle":
        path = argv[2].encode()
        handle = ctypes.create_string_buffer(8 + 128)
        struct.pack_into("=Ii", handle, 0, 128, 0)
        mount_id = ctypes.c_int()
        r = syscall("name_to_handle_at", -100, path, handle, ctypes.byref(mount_id), 0)
        print("name_to_handle_at:", res(r))
        # any fd on the same mount names it: the file's directory
        mfd = os.open(os.path.dirname(argv[2]) or ".", os.O_RDONLY | os.O_DIRECTORY)
        fd = syscall("open_by_handle_at", mfd, handle, os.O_RDONLY)
        print("open_by_handle_at:", res(fd))
        if fd >= 0:
            os.read(fd, 1)
            os.close(fd)
        os.close(mfd)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
