#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Stands in for Firecracker's host-side vsock socket in tests.

usage: fake-firecracker.py UDS_PATH PORT TARGET_UNIX_SOCKET

Firecracker exposes a guest's vsock device as a unix socket on the host; a
host process connects, writes "CONNECT <port>\\n", gets "OK <host port>\\n" and
then talks to the guest's listener on <port>. Here the "guest listener" is
vssd's local unix socket: after the handshake the bytes are relayed to it.
A wrong port gets the connection closed, as Firecracker does. Serves
connections one after another until killed.
"""
import os
import select
import socket
import sys

path, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(4)
while True:
    conn, _ = srv.accept()
    line = b""
    while not line.endswith(b"\n") and len(line) < 64:
        b = conn.recv(1)
        if not b:
            break
        line += b
    parts = line.split()
    if len(parts) != 2 or parts[0] != b"CONNECT" or parts[1] != str(port).encode():
        conn.close()
        continue
    guest = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    guest.connect(target)
    conn.sendall(b"OK 1073741824\n")
    socks = [conn, guest]
    done = False
    while not done:
        r, _, _ = select.select(socks, [], [], 120)
        if not r:
            break
        for s in r:
            data = s.recv(65536)
            if not data:
                done = True
                break
            (guest if s is conn else conn).sendall(data)
    conn.close()
    guest.close()
