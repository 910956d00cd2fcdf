#!/usr/bin/env python3
"""System-call triggers for spec/rules/cases.yaml, made so that they fail or
touch nothing: a ptrace attach to a pid that cannot exist, a bpf load with
no program, a module load from an empty file, a module unload of a name
that is not loaded.

  sys.py ptrace               PTRACE_ATTACH to pid 4194305 (> pid_max): ESRCH
  sys.py bpf-load             bpf(BPF_PROG_LOAD, NULL, 0): fails
  sys.py bpf-next-id          bpf(BPF_PROG_GET_NEXT_ID, NULL, 0): fails, harmless
  sys.py userfaultfd          userfaultfd(O_CLOEXEC), then close
  sys.py finit-module FILE    finit_module on FILE (created empty): fails
  sys.py delete-module NAME   delete_module(NAME, O_NONBLOCK): ENOENT
  sys.py memfd-exec           copy /bin/true into a memfd and execute it
"""
import ctypes
import os
import platform
import sys

NR = {
    "x86_64": {"bpf": 321, "userfaultfd": 323, "finit_module": 313, "delete_module": 176},
    "aarch64": {"bpf": 280, "userfaultfd": 282, "finit_module": 273, "delete_module": 106},
}[platform.machine()]

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.ptrace.restype = ctypes.c_long
PTRACE_ATTACH = 16
BPF_PROG_LOAD, BPF_PROG_GET_NEXT_ID = 5, 11


def syscall(name, *args):
    return libc.syscall(NR[name], *args)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "ptrace":
        libc.ptrace(PTRACE_ATTACH, 4194305, None, None)
    elif cmd == "bpf-load":
        syscall("bpf", BPF_PROG_LOAD, None, 0)
    elif cmd == "bpf-next-id":
        syscall("bpf", BPF_PROG_GET_NEXT_ID, None, 0)
    elif cmd == "userfaultfd":
        fd = syscall("userfaultfd", os.O_CLOEXEC)
        if fd >= 0:
            os.close(fd)
    elif cmd == "finit-module":
        open(argv[2], "wb").close()
        fd = os.open(argv[2], os.O_RDONLY)
        syscall("finit_module", fd, b"", 0)
        os.close(fd)
    elif cmd == "delete-module":
        syscall("delete_module", argv[2].encode(), os.O_NONBLOCK)
    elif cmd == "memfd-exec":
        fd = os.memfd_create("lanner-spec")
        with open("/bin/true", "rb") as f:
            os.write(fd, f.read())
        os.execv("/proc/self/fd/%d" % fd, ["lanner-spec"])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
