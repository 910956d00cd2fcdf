#!/usr/bin/env python3
"""Indirect forms of attacks, for spec/rules/cases_indirect.yaml: each does
what a packaged rule watches for, by a second-easiest way.  Connections stay
on this machine (loopback, or addresses the case adds to lo inside its own
network namespace).

  evade.py proc-dirfd FILE      open /proc/PPID/FILE relative to a dirfd on /proc/PPID
  evade.py proc-own FILE        chdir to /proc/self, open FILE there (its own)
  evade.py vm-write child|self  process_vm_writev into a child, or into itself
  evade.py fdup F_DUPFD|F_DUPFD_CLOEXEC|dup3
                                connect over loopback, move the socket onto
                                stdin/stdout with fcntl or dup3 (not dup2)
  evade.py cgi                  accept a loopback connection, run a CGI-style
                                child (sh) with the accepted socket as stdio
  evade.py connect6 IP PORT     connect an AF_INET6 socket to IP (an ::ffff:
                                address) on PORT, where an IPv4 listener
                                waits; PORT 0: to port 80, where none does
  evade.py rename-as NAME FILE  prctl(PR_SET_NAME, NAME), then read FILE
"""
import ctypes
import fcntl
import os
import socket
import sys

libc = ctypes.CDLL(None, use_errno=True)


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def loopback_pair():
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    cli = socket.socket()
    cli.connect(lst.getsockname())
    srv, _ = lst.accept()
    return lst, cli, srv


def vm_write(target):
    buf = ctypes.create_string_buffer(b"lanner!", 8)
    local = IoVec(ctypes.addressof(buf), 8)
    remote = IoVec(ctypes.addressof(buf), 8)  # same address in the fork
    if target == "self":
        pid = os.getpid()
    else:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(w)
            os.read(r, 1)   # wait to be written, then go
            os._exit(0)
        os.close(r)
    n = libc.process_vm_writev(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if target != "self":
        os.close(w)
        os.waitpid(pid, 0)
    return 0 if n == 8 else 1


def fdup(how):
    lst, cli, srv = loopback_pair()
    if how == "dup3":
        os.dup2(cli.fileno(), 0, inheritable=False)   # dup3(fd, 0, O_CLOEXEC)
        os.dup2(cli.fileno(), 1, inheritable=False)
    else:
        cmd = getattr(fcntl, how)
        os.close(0)
        fcntl.fcntl(cli.fileno(), cmd, 0)      # lowest free fd: 0
        os.close(1)
        fcntl.fcntl(cli.fileno(), cmd, 0)      # then 1
    os._exit(0)


def cgi():
    lst, cli, srv = loopback_pair()
    cli.sendall(b"GET / HTTP/1.0\r\n\r\n")
    pid = os.fork()
    if pid == 0:
        os.dup2(srv.fileno(), 0)
        os.dup2(srv.fileno(), 1)
        os.execv("/bin/sh", ["sh", "-c", "read line; printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'"])
    srv.close()
    os.waitpid(pid, 0)
    cli.recv(256)
    return 0


def connect6(ip, port):
    port = int(port)
    if port == 0:
        s = socket.socket(socket.AF_INET6)
        s.connect_ex((ip, 80))
        return 0
    lst = socket.socket(socket.AF_INET)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((ip.replace("::ffff:", ""), port))
    lst.listen(1)
    s = socket.socket(socket.AF_INET6)
    s.connect((ip, port))
    lst.accept()[0].close()
    return 0


def rename_as(name, path):
    libc.prctl(15, name.encode(), 0, 0, 0)    # PR_SET_NAME
    with open(path, "rb") as f:
        f.read(1)
    return 0


def main(argv):
    cmd, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if cmd == "proc-dirfd":
        d = os.open("/proc/%d" % os.getppid(), os.O_RDONLY | os.O_DIRECTORY)
        os.close(os.open(args[0], os.O_RDONLY, dir_fd=d))
        return 0
    if cmd == "proc-own":
        os.chdir("/proc/self")
        os.close(os.open(args[0], os.O_RDONLY))
        return 0
    if cmd == "vm-write":
        return vm_write(args[0])
    if cmd == "fdup":
        return fdup(args[0])
    if cmd == "cgi":
        return cgi()
    if cmd == "connect6":
        return connect6(args[0], args[1])
    if cmd == "rename-as":
        return rename_as(args[0], args[1])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
