#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A second, independent QEMU guest agent client for the end-to-end test.

Speaks the documented wire protocol on the host end of a virtio-serial
chardev: a 0xFF byte to reset the agent's parser, guest-sync-delimited with a
random id (the reply is preceded by 0xFF; anything before it is stale), then
one JSON request per line and one JSON reply per line.

usage: qga-client.py SOCKET MOUNTPOINT
Freezes MOUNTPOINT with guest-fsfreeze-freeze-list, checks the status says
frozen, thaws, checks thawed. Prints each exchange; exits 0 on success.
"""
import json
import random
import socket
import sys


class Agent:
    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("agent closed the channel")
        self.buf += chunk

    def sync(self):
        ident = random.randint(1, 2**31)
        req = {"execute": "guest-sync-delimited", "arguments": {"id": ident}}
        self.sock.sendall(b"\xff" + json.dumps(req).encode() + b"\n")
        while b"\xff" not in self.buf:
            self._recv()
        self.buf = self.buf[self.buf.index(b"\xff") + 1:]
        reply = self._line()
        if reply.get("return") != ident:
            raise RuntimeError("guest-sync-delimited: %r" % reply)
        return ident

    def _line(self):
        while b"\n" not in self.buf:
            self._recv()
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line.replace(b"\xff", b""))

    def cmd(self, name, **args):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        reply = self._line()
        print("-> %s\n<- %s" % (json.dumps(req), json.dumps(reply)))
        return reply


def main():
    path, mountpoint = sys.argv[1], sys.argv[2]
    agent = Agent(path)
    agent.sync()
    checks = [
        (agent.cmd("guest-ping"), {"return": {}}),
        (agent.cmd("guest-fsfreeze-status"), {"return": "thawed"}),
        (agent.cmd("guest-fsfreeze-freeze-list", mountpoints=[mountpoint]), {"return": 1}),
        (agent.cmd("guest-fsfreeze-status"), {"return": "frozen"}),
        (agent.cmd("guest-fsfreeze-thaw"), {"return": 1}),
        (agent.cmd("guest-fsfreeze-status"), {"return": "thawed"}),
    ]
    bad = [(got, want) for got, want in checks if got != want]
    for got, want in bad:
        print("MISMATCH: got %s, want %s" % (json.dumps(got), json.dumps(want)))
    unknown = agent.cmd("guest-no-such-command")
    if unknown.get("error", {}).get("class") != "CommandNotFound":
        print("MISMATCH: unknown command answered %s" % json.dumps(unknown))
        bad.append(unknown)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
