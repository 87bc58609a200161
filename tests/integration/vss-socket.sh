#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The control socket: root only (mode 0600 and SO_PEERCRED, checked with the
# file permissions opened up so that only the credential check stands in the
# way); garbage, malformed, oversized and slow requests get errors or a closed
# connection, never a hang, and vssd keeps serving.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs.sh"
fs_require mkfs.xfs setpriv
vss_require
fs_enter "$0"

must "setup: xfs" fs_make xfs xfs
vss_conf
must "vssd starts" vss_start
alive() { kill -0 "$VSSD_PID" 2>/dev/null && vss_ping; }
nothing_frozen() {
	fs_thawed "$T/xfs" && qga "$STATUS" | grep -Eq '"return": *"thawed"'
}

# ---- permissions and peer credentials
check "socket mode is 0600" [ "$(stat -c %a "$SOCK")" = 600 ]
check "socket owned by root" [ "$(stat -c %u "$SOCK")" = 0 ]
chmod 711 "$T" "$T/run"
r=$(QGA_AS=nobody qga '{"execute":"guest-ping"}')
expect "nobody cannot connect through the 0600 socket" '^CONNECT-ERROR' "$r"
chmod 666 "$SOCK"
r=$(QGA_AS=nobody qga '{"execute":"guest-ping"}')
expect "with the socket chmod 666, nobody is still refused (SO_PEERCRED): no return" '^(EOF|CONNECT-ERROR|RECV-ERROR|SEND-ERROR|\{.*"error")' "$r"
r=$(QGA_AS=nobody qga "$(freeze_list_json "$T/xfs")")
expect "nobody's freeze-list is refused" '^(EOF|CONNECT-ERROR|RECV-ERROR|SEND-ERROR|\{.*"error")' "$r"
check "  ... and nothing is frozen" nothing_frozen
setpriv --reuid=65534 --regid=65534 --clear-groups "$VSSCTL" -s "$SOCK" freeze "$T/xfs" >/dev/null 2>"$T/nobody.err"
rc=$?
check "vssctl run as nobody: freeze exits non-zero (rc $rc)" [ "$rc" -ne 0 ]
check "  ... and says vssd refused it, not 'Broken pipe': $(cat "$T/nobody.err")" grep -q \
	"^vssctl: vssd refused this client: permission denied: uid 65534 may not use vssd (run vssctl as root)" "$T/nobody.err"
check "  ... and nothing is frozen" nothing_frozen
chmod 600 "$SOCK"
chmod 700 "$T/run"
check "root is still served" alive

# ---- malformed input
printf 'hello world\n' >"$T/garbage"
expect "garbage line gets an error" '"error"' "$(qga_mode raw "$T/garbage")"
check "  ... vssd still serves" alive
printf '{"execute":\n}\n' >"$T/trunc"
expect "invalid JSON object (missing value) gets an error" '"error"' "$(qga_mode raw "$T/trunc")"
printf '{"execute":"guest-ping",}\n' >"$T/trunc"
expect "invalid JSON object (trailing comma) gets an error" '"error"' "$(qga_mode raw "$T/trunc")"
for j in '[1,2,3]' '"guest-ping"' '42' '{"execute":5}' '{"arguments":{}}' '{"execute":"guest-sync"}' \
	'{"execute":"guest-sync","arguments":{"id":"x"}}' \
	'{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":[1,2]}}' \
	'{"execute":"guest-fsfreeze-freeze-list","arguments":[]}'; do
	expect "malformed request $j gets an error" '"error"' "$(qga "$j")"
done
check "  ... nothing frozen" nothing_frozen
expect "unknown command gets CommandNotFound" '"class": *"CommandNotFound"' "$(qga '{"execute":"guest-no-such-thing"}')"
printf 'garbage\n{"execute":"guest-ping"}\n' >"$T/g2"
r=$(qga_mode raw "$T/g2")
expect "after garbage a new request on a new connection works" '"return"' "$(qga '{"execute":"guest-ping"}')"
printf '\000\377\376{"execute":"guest-ping"}\000\n' >"$T/bin"
expect "NUL and invalid UTF-8 bytes get an error or a closed connection" '^(\{.*"error"|EOF|RECV-ERROR|SEND-ERROR)' "$(qga_mode raw "$T/bin")"
check "  ... vssd still serves" alive
printf '\n\n\n' >"$T/empty"
r=$(qga_mode -t 2 raw "$T/empty")
check "empty lines do not crash vssd (reply: $r)" alive

# ---- two requests in one write are answered in order
printf '%s\n%s\n' '{"execute":"guest-sync","arguments":{"id":7}}' '{"execute":"guest-sync","arguments":{"id":8}}' >"$T/two"
r=$("$VSST_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(open(sys.argv[2], "rb").read()); buf = b""
while buf.count(b"\n") < 2:
    d = s.recv(4096)
    if not d: break
    buf += d
print(buf.decode(errors="replace").replace("\n", " "))' "$SOCK" "$T/two" 2>&1)
expect "two pipelined requests get two replies in order" '"return": *7.*"return": *8' "$r"

# ---- oversized requests
r=$(qga_mode -t 10 big 1048576)
expect "1 MiB request gets an error or a closed connection (no hang)" '^(\{.*"error"|EOF|RECV-ERROR|SEND-ERROR)' "$r"
check "  ... vssd still serves" alive
r=$(qga_mode -t 20 big 16777216)
expect "16 MiB request gets an error or a closed connection (no hang)" '^(\{.*"error"|EOF|RECV-ERROR|SEND-ERROR)' "$r"
check "  ... vssd still serves" alive
rss=$(awk '/^VmRSS:/ {print $2}' /proc/"$VSSD_PID"/status)
check "  ... vssd RSS stays bounded (${rss} kB < 32768 kB)" [ "${rss:-999999}" -lt 32768 ]
r=$(qga_mode -t 10 big 4000)
check "a 4 kB request is still handled (reply: $(echo "$r" | head -c 100))" alive

# ---- slow and idle clients do not block others
# hold SECONDS BYTES: a client that sends BYTES and then sits on the connection
holder() { (exec "$VSST_PY" -c "$VSST_CLIENT" "$SOCK" 60 hold 30 "$1" >/dev/null 2>&1) & holders="$holders $!"; fs_track_pid $!; }
connected() { # N: at least N socket ends on $SOCK are established (best effort: needs ss)
	command -v ss >/dev/null || return 0
	[ "$(ss -xH 2>/dev/null | grep -c "$SOCK")" -ge "$1" ]
}
holders=
holder '{"execute":"guest-pi'
i=0
while [ $i -lt 9 ]; do holder ''; i=$((i + 1)); done
wait_until 3000 connected 20 >/dev/null # (ss counts both ends; best effort)
t0=$(fs_now_ms)
r=$(qga -t 3 '{"execute":"guest-ping"}')
el=$(($(fs_now_ms) - t0))
expect "ping answered while a partial request and 9 idle connections are open (${el} ms)" '"return"' "$r"
r=$(qga -t 3 "$(freeze_list_json "$T/xfs")")
expect "freeze works while they are open" '"return": *1[^0-9]' "$r"
fs_writer a "$T/xfs/a" "data-a"
check "  ... write on xfs blocks" fs_writer_blocked a
expect "thaw works while they are open" '"return": *1[^0-9]' "$(qga -t 3 "$THAW")"
check "  ... writer completes" fs_writer_done a
i=0
while [ $i -lt 12 ]; do holder ''; i=$((i + 1)); done
wait_until 3000 connected 44 >/dev/null
r=$(qga -t 3 '{"execute":"guest-ping"}')
expect "with 22 idle connections a new client gets an error or is served, never a hang" '^(\{.*"(error|return)"|EOF|SEND-ERROR|RECV-ERROR)' "$r"
echo "# with 22 idle connections: $r"
for h in $holders; do kill "$h" 2>/dev/null; done
check "vssd serves again once the idle clients are gone" wait_until 3000 alive

# ---- a client that disconnects mid-request
"$VSST_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"{\"execute\":\"guest-fsfreeze-freeze-list\",\"argu"); s.close()' "$SOCK"
check "client closing mid-request: vssd still serves" alive
"$VSST_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"{\"execute\":\"guest-sync\",\"arguments\":{\"id\":1}}\n" * 200); s.close()' "$SOCK"
check "client closing without reading 200 replies: vssd still serves" alive
"$VSST_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"{\"execute\":\"guest-sync\",\"arguments\":{\"id\":1}}\n" * 20000)' "$SOCK" &
flood=$!
fs_track_pid $flood
check "client flooding requests without reading replies: vssd still serves others" wait_until 3000 alive
kill "$flood" 2>/dev/null
check "nothing frozen" nothing_frozen

# ---- guest-sync-delimited and guest-info
r=$("$VSST_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(b"\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":99}}\n")
buf = b""
while b"\n" not in buf:
    d = s.recv(4096)
    if not d: break
    buf += d
print(repr(buf))' "$SOCK" 2>&1)
expect "guest-sync-delimited: reply starts with 0xff and returns the id" "^b'\\\\xff\\{.*\"return\": *99" "$r"
expect "guest-info returns a version" '"return": *\{.*"version"' "$(qga '{"execute":"guest-info"}')"
check "vssd stops" vss_stop

# idle_clients OUT: 16 connections that send nothing for 30 s (IDLE_PID; "holding" in OUT)
idle_clients() {
	python3 -c '
import socket, sys, time
conns = []
for i in range(16):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    conns.append(s)
print("holding", flush=True)
time.sleep(30)' "$SOCK" >"$1" 2>&1 &
	IDLE_PID=$!
	fs_track_pid "$IDLE_PID"
	must "16 idle clients connected" wait_until 5000 grep -q holding "$1"
}

# ---- 16 idle connections hold every client slot: a new client (a thaw) still gets through
must "vssd starts (client slots)" vss_start
idle_clients "$T/idle.out"
expect "with every slot held by idle clients, a new request is still answered" '"return"' \
	"$(qga '{"execute":"guest-fsfreeze-status"}')"
check "vssd logged that it closed the idlest client" grep -q "closing the one idle longest" "$T/vssd.log"
kill "$IDLE_PID" 2>/dev/null
wait "$IDLE_PID" 2>/dev/null
check "vssd stops" vss_stop

# ---- the client holding the freeze is never the one closed to make room
must "vssd starts (holder)" vss_start
"$VSST_PY" -c "$VSST_CLIENT" "$SOCK" 30 req-then "$T/go" "$(freeze_list_json "$T/xfs")" "$THAW" \
	>"$T/holder.out" 2>&1 &
HOLDER_PID=$!
fs_track_pid "$HOLDER_PID"
must "a client froze and keeps its connection" wait_until 5000 grep -q '"return"' "$T/holder.out"
closed=$(grep -c "closing the one idle longest" "$T/vssd.log")
idle_clients "$T/idle2.out"
must "a new client is answered (vssd accepted the idle ones before it)" vss_ping
touch "$T/go"
must "the holder sent its thaw" wait_until 10000 sh -c "! kill -0 $HOLDER_PID 2>/dev/null"
expect "the holder, the idlest client, was not closed: it thawed on its own connection" \
	'"return": *1[^0-9]' "$(sed -n 2p "$T/holder.out")"
# (logged while frozen: the lines are written after the thaw)
check "  ... while vssd closed another client to make room" \
	[ "$(grep -c "closing the one idle longest" "$T/vssd.log")" -gt "$closed" ]
check "nothing frozen" nothing_frozen
kill "$IDLE_PID" 2>/dev/null
wait "$IDLE_PID" 2>/dev/null
check "vssd stops" vss_stop

# ---- SIGHUP: the file is read again, after the thaw; a bad file keeps the running settings
must "vssd starts (reload)" vss_start
timeout_ms() { qga '{"execute":"vssd-status"}' | sed -n 's/.*"timeout_ms": *\([0-9]*\).*/\1/p'; }
check "the freeze timeout is 60000 ms" [ "$(timeout_ms)" = 60000 ]
expect "freeze" '"return": *1[^0-9]' "$(qga "$(freeze_list_json "$T/xfs")")"
sed -i 's/^timeout = .*/timeout = 45s/' "$T/vssd.conf"
kill -HUP "$VSSD_PID"
check "SIGHUP while frozen: the settings stay until the thaw" [ "$(timeout_ms)" = 60000 ]
expect "thaw" '"return": *1[^0-9]' "$(qga "$THAW")"
check "  ... then the new timeout is in force" [ "$(timeout_ms)" = 45000 ]
echo "timeout = soon" >>"$T/vssd.conf"
kill -HUP "$VSSD_PID"
check "a bad file: the running settings stay" [ "$(timeout_ms)" = 45000 ]
check "  ... and vssd says why" grep -q "reload failed, keeping the old settings: .*timeout" \
	"$T/vssd.log"
check "vssd stops" vss_stop
vss_conf

# ---- socket_group: members of that group may connect, others still may not
if getent group nogroup >/dev/null; then
	sed 's|^state_dir = .*|&\nsocket_group = nogroup|' "$T/vssd.conf" >"$T/vssd-grp.conf"
	"$VSSD" -f -c "$T/vssd-grp.conf" 2>>"$T/vssd.log" &
	VSSD_PID=$!
	fs_track_pid "$VSSD_PID"
	must "vssd starts with socket_group = nogroup" wait_until 5000 vss_ping
	chmod 711 "$T" "$T/run"
	check "socket group is nogroup" [ "$(stat -c %G "$SOCK")" = nogroup ]
	r=$(QGA_AS=nobody qga '{"execute":"guest-ping"}')
	expect "uid nobody / gid nogroup is served" '"return"' "$r"
	r=$(setpriv --reuid=65534 --regid=1 --clear-groups "$VSST_PY" -c "$VSST_CLIENT" "$SOCK" 5 req '{"execute":"guest-ping"}')
	expect "uid nobody with another group is refused" '^(EOF|CONNECT-ERROR|RECV-ERROR|SEND-ERROR|\{.*"error")' "$r"
	chmod 700 "$T/run"
	check "vssd stops" vss_stop
else
	skip_case "socket_group: no group nogroup on this system"
fi
end_test
