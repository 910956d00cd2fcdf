#!/usr/bin/env python3
"""Network triggers for spec/rules/cases.yaml.  Every connection stays on
this machine: the cases run the commands that use a non-loopback address
inside a fresh network namespace (unshare -n) where only lo exists.

  net.py tcp IP PORT           listen on IP:PORT, connect to it, accept, close
  net.py serve IP PORT READY   listen on IP:PORT, create file READY, accept one
  net.py unix PATH             listen on a unix socket at PATH and connect to it
  net.py revshell              connect over loopback, dup2 the socket onto 0, 1, 2
  net.py dup-high              the same socket dup2'ed onto fd 9 instead
  net.py packet                open (and close) an AF_PACKET socket
  net.py dns SERVER NAME       send one DNS query for NAME to SERVER:53 over UDP
"""
import os
import socket
import struct
import sys


def family(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def listener(ip, port):
    s = socket.socket(family(ip), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(1)
    return s


def connected_pair(ip="127.0.0.1", port=0):
    lst = listener(ip, port)
    cli = socket.socket(family(ip), socket.SOCK_STREAM)
    cli.connect(lst.getsockname()[:2])
    srv, _ = lst.accept()
    return lst, cli, srv


def dns_query(name):
    header = struct.pack(">HHHHHH", 0x4c4e, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p)
    return header + labels + b"\x00" + struct.pack(">HH", 1, 1)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "tcp":
        lst, cli, srv = connected_pair(argv[2], int(argv[3]))
        for s in (cli, srv, lst):
            s.close()
    elif cmd == "serve":
        lst = listener(argv[2], int(argv[3]))
        open(argv[4], "w").close()
        lst.settimeout(10)
        srv, _ = lst.accept()
        srv.settimeout(2)
        try:
            srv.recv(64)
        except OSError:
            pass
        srv.close()
        lst.close()
    elif cmd == "unix":
        path = argv[2]
        lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lst.bind(path)
        lst.listen(1)
        cli = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        cli.connect(path)
        cli.close()
        lst.close()
        os.unlink(path)
    elif cmd in ("revshell", "dup-high"):
        lst, cli, srv = connected_pair()
        targets = (0, 1, 2) if cmd == "revshell" else (9,)
        for fd in targets:
            os.dup2(cli.fileno(), fd)
        os._exit(0)   # nothing flushed into the socket
    elif cmd == "packet":
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        s.close()
    elif cmd == "dns":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(dns_query(argv[3]), (argv[2], 53))
        s.close()
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
