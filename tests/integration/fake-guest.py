#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Stands in for the guest end of the balloon port in the relay tests.

usage: fake-guest.py listen|connect SOCKET OUTLOG < COMMANDS

listen: like QEMU's chardev (server=on), the relay connects to SOCKET.
connect: like a guest's vsock connection through Firecracker, SOCKET is the
relay's --listen socket.
Each line read from stdin is sent to the relay as it is, except:
  !flood N      N requests as fast as possible
  !long N       one line of N bytes
  !hex HEX      raw bytes
  !reconnect    drop the connection and make a new one (connect mode)
  !sleep S      wait S seconds
Everything the relay sends is appended to OUTLOG line by line.
"""
import os
import socket
import sys
import threading
import time

mode, path, outlog = sys.argv[1], sys.argv[2], sys.argv[3]
conn = None
ready = threading.Event()


def reader(c):
    with open(outlog, "ab", buffering=0) as out:
        while True:
            try:
                data = c.recv(4096)
            except OSError:
                return
            if not data:
                return
            out.write(data)


def connect():
    global conn
    if conn is not None:
        conn.close()
    if mode == "listen":
        if os.path.exists(path):
            os.unlink(path)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        conn, _ = srv.accept()
        srv.close()
    else:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
    threading.Thread(target=reader, args=(conn,), daemon=True).start()


def main():
    connect()
    for line in sys.stdin.buffer:
        words = line.split()
        cmd = words[0].decode() if words else ""
        try:
            if cmd == "!flood":
                conn.sendall(b"".join(b"balloon seq=%d kb=1024\n" % i
                                      for i in range(int(words[1]))))
            elif cmd == "!long":
                conn.sendall(b"x" * int(words[1]) + b"\n")
            elif cmd == "!hex":
                conn.sendall(bytes.fromhex(words[1].decode()))
            elif cmd == "!reconnect":
                connect()
            elif cmd == "!sleep":
                time.sleep(float(words[1]))
            else:
                conn.sendall(line)
        except OSError as e:
            print("fake-guest: %s" % e, file=sys.stderr)


main()
