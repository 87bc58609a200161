#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Stands in for a VMM's control socket in the relay tests.

usage: fake-vmm.py qmp|firecracker|cloud-hypervisor SOCKET LOG [RAM_MIB]

qmp: QEMU's QMP (greeting, qmp_capabilities, query-memory-size-summary,
query-balloon, balloon, BALLOON_CHANGE events) as QEMU 7.2 answers them.
firecracker: its API (GET /machine-config, GET /balloon, PATCH /balloon,
GET /balloon/statistics) after src/firecracker/swagger/firecracker.yaml.
cloud-hypervisor: its API (GET /api/v1/vm.info, PUT /api/v1/vm.resize)
after vmm/src/api/openapi/cloud-hypervisor.yaml.

The balloon reaches each new target 0.3 s after it is set (one event).
Every balloon change a client asks for is appended to LOG as one JSON line
({"set_balloon_kb": N, "raw": ...}). Sending SIGUSR1 makes the guest
"deflate on OOM" by 64 MiB (QMP: a BALLOON_CHANGE event follows). Serves
until killed.
"""
import json
import os
import signal
import socket
import sys
import threading
import time

mode, path, logpath = sys.argv[1], sys.argv[2], sys.argv[3]
RAM = int(sys.argv[4]) * 1024 * 1024 if len(sys.argv) > 4 else 1 << 30
MIB = 1 << 20
state = {"target": 0, "actual": 0}  # balloon, bytes
lock = threading.Lock()
qmp_clients = []


def log(entry):
    with open(logpath, "a") as f:
        f.write(json.dumps(entry) + "\n")


def qmp_event(actual_ram):
    msg = {"timestamp": {"seconds": int(time.time()), "microseconds": 0},
           "event": "BALLOON_CHANGE", "data": {"actual": actual_ram}}
    for c in list(qmp_clients):
        try:
            c.sendall((json.dumps(msg) + "\r\n").encode())
        except OSError:
            qmp_clients.remove(c)


def set_target(balloon, raw):
    with lock:
        state["target"] = balloon
    log({"set_balloon_kb": balloon // 1024, "raw": raw})

    def settle():
        time.sleep(0.3)
        with lock:
            if state["target"] != balloon:
                return
            state["actual"] = balloon
        qmp_event(RAM - balloon)
    threading.Thread(target=settle, daemon=True).start()


def oom_deflate(*_):
    with lock:
        state["actual"] = max(0, state["actual"] - 64 * MIB)
        actual = state["actual"]
    qmp_event(RAM - actual)


def qmp_answer(req):
    cmd, args = req.get("execute"), req.get("arguments", {})
    if cmd == "qmp_capabilities":
        return {}
    if cmd == "query-memory-size-summary":
        return {"base-memory": RAM, "plugged-memory": 0}
    if cmd == "query-balloon":
        return {"actual": RAM - state["actual"]}
    if cmd == "balloon":
        value = args.get("value")
        if not isinstance(value, int) or value <= 0:
            raise ValueError("Parameter 'value' expects a positive size")
        set_target(RAM - min(value, RAM), {"value": value})
        return {}
    raise KeyError(cmd)


def serve_qmp(conn):
    qmp_clients.append(conn)
    conn.sendall(b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, '
                 b'"capabilities": ["oob"]}}\r\n')
    f = conn.makefile("rb")
    for line in f:
        req = json.loads(line)
        reply = {}
        try:
            reply["return"] = qmp_answer(req)
        except (KeyError, ValueError) as e:
            reply["error"] = {"class": "GenericError", "desc": str(e)}
        if "id" in req:
            reply["id"] = req["id"]
        conn.sendall((json.dumps(reply) + "\r\n").encode())


def fc_route(method, url, body):
    if method == "GET" and url == "/machine-config":
        return 200, {"vcpu_count": 2, "mem_size_mib": RAM // MIB, "smt": False}
    if method == "GET" and url == "/balloon":
        return 200, {"amount_mib": state["target"] // MIB, "deflate_on_oom": True,
                     "stats_polling_interval_s": 1}
    if method == "PATCH" and url == "/balloon":
        mib = body.get("amount_mib")
        if not isinstance(mib, int) or mib < 0 or mib * MIB > RAM:
            return 400, {"fault_message": "Amount of pages requested is too large."}
        set_target(mib * MIB, body)
        return 204, None
    if method == "GET" and url == "/balloon/statistics":
        return 200, {"target_pages": state["target"] // 4096, "actual_pages":
                     state["actual"] // 4096, "target_mib": state["target"] // MIB,
                     "actual_mib": state["actual"] // MIB}
    return 400, {"fault_message": "Invalid request method and/or path: %s %s" % (method, url)}


def ch_route(method, url, body):
    if method == "GET" and url == "/api/v1/vm.info":
        return 200, {"config": {"memory": {"size": RAM, "mergeable": False},
                                "balloon": {"size": state["target"], "deflate_on_oom": True,
                                            "free_page_reporting": True}},
                     "state": "Running", "memory_actual_size": RAM - state["actual"]}
    if method == "PUT" and url == "/api/v1/vm.resize":
        b = body.get("desired_balloon")
        if not isinstance(b, int) or b < 0 or b > RAM:
            return 500, None
        set_target(b, body)
        return 204, None
    return 404, None


def serve_http(conn, route):
    f = conn.makefile("rb")
    start = f.readline().decode().split()
    headers = {}
    while True:
        h = f.readline().decode()
        if h in ("\r\n", "\n", ""):
            break
        k, _, v = h.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    body = json.loads(f.read(n)) if n else {}
    status, obj = route(start[0], start[1], body)
    data = json.dumps(obj).encode() if obj is not None else b""
    reason = {200: "OK", 204: "No Content", 400: "Bad Request", 404: "Not Found"}.get(status, "X")
    head = "HTTP/1.1 %d %s\r\nServer: Firecracker API\r\n" % (status, reason)
    if obj is not None:
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
    conn.sendall(head.encode() + b"\r\n" + data)


def main():
    signal.signal(signal.SIGUSR1, oom_deflate)
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    while True:
        conn, _ = srv.accept()
        if mode == "qmp":
            target = serve_qmp
        else:
            route = fc_route if mode == "firecracker" else ch_route
            target = lambda c, r=route: serve_http(c, r)

        def run(c=conn, t=target):
            try:
                t(c)
            except (OSError, ValueError):
                pass
            finally:
                c.close()
        threading.Thread(target=run, daemon=True).start()


main()
