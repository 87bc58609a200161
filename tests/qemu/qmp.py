#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal QMP client for the balloon tests and the density benchmark.

usage: qmp.py SOCKET COMMAND [ARGUMENTS_JSON]
       qmp.py SOCKET query-balloon          prints {"actual": BYTES}
       qmp.py SOCKET balloon '{"value": BYTES}'

Connects, negotiates capabilities, runs one command and prints its "return"
member as JSON on one line; exits 1 with the QMP error on stderr otherwise.
Events that arrive in between are skipped. Bounded: 10 s in all.
"""
import json
import socket
import sys
import time


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    path, cmd = sys.argv[1], sys.argv[2]
    args = json.loads(sys.argv[3]) if len(sys.argv) == 4 else None
    deadline = time.monotonic() + 10
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rwb")

    def reply():
        while time.monotonic() < deadline:
            line = f.readline()
            if not line:
                raise EOFError("QMP closed")
            msg = json.loads(line)
            if "return" in msg or "error" in msg:
                return msg
        raise TimeoutError("no QMP reply")

    greeting = json.loads(f.readline())
    if "QMP" not in greeting:
        raise ValueError("not a QMP greeting")
    f.write(b'{"execute": "qmp_capabilities"}\n')
    f.flush()
    reply()
    req = {"execute": cmd}
    if args is not None:
        req["arguments"] = args
    f.write(json.dumps(req).encode() + b"\n")
    f.flush()
    msg = reply()
    if "error" in msg:
        print(json.dumps(msg["error"]), file=sys.stderr)
        return 1
    print(json.dumps(msg["return"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
