#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# selfballoon-host against stand-ins: a QMP server, Firecracker's and Cloud
# Hypervisor's HTTP APIs (tests/integration/fake-vmm.py) and a guest end
# (fake-guest.py). Checks the protocol replies, the clamp to --min/--max, the
# rate limit on inflation with "latest request wins" (a smaller balloon goes at
# once), hostile input (bad numbers, long lines, control bytes, unknown verbs,
# a flood), BALLOON_CHANGE events, reconnects, and the exact requests each VMM
# receives. No root needed; nothing leaves the temporary directory.
. "${top_srcdir:-.}/tests/integration/lib.sh"
WAIT_STEP_MS=50
need_cmd python3
H=${top_builddir:-.}/host/selfballoon-host
S=${top_srcdir:-.}/tests/integration
[ -x "$H" ] || skip_all "build first (host/selfballoon-host)"

T=$(mktemp -d /tmp/sb-relay.XXXXXX)
PIDS=
stop() {
	for p in "$@"; do kill "$p" 2>/dev/null; done
	for p in "$@"; do wait "$p" 2>/dev/null; done
}
cleanup() {
	exec 3>&- 2>/dev/null
	stop $PIDS
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# start_vmm MODE: the stand-in on $T/vmm.sock, its log in $T/vmm.log (1024 MiB of RAM)
start_vmm() {
	rm -f "$T/vmm.sock"
	python3 "$S/fake-vmm.py" "$1" "$T/vmm.sock" "$T/vmm.log" 1024 &
	VMM=$!
	PIDS="$PIDS $VMM"
	wait_until 5000 test -S "$T/vmm.sock"
}
# start_guest MODE: the guest end; lines written to fd 3 go to the relay
start_guest() {
	rm -f "$T/g.in" "$T/g.out"
	mkfifo "$T/g.in"
	: >"$T/g.out"
	python3 "$S/fake-guest.py" "$1" "$T/port.sock" "$T/g.out" <"$T/g.in" &
	GUEST=$!
	PIDS="$PIDS $GUEST"
	exec 3>"$T/g.in"
}
# start_relay ARGS...: the relay, its log in $T/relay.log
start_relay() {
	"$H" -v "$@" >"$T/relay.log" 2>&1 &
	RELAY=$!
	PIDS="$PIDS $RELAY"
}
send() { printf '%s\n' "$*" >&3; }
got() { grep -q -- "$1" "$T/g.out"; }
expect() {
	if wait_until 5000 got "$2"; then ok "$1"; else
		not_ok "$1: no '$2' from the relay"
		sed 's/^/# guest got: /' "$T/g.out" | tail -5
		sed 's/^/# relay: /' "$T/relay.log" | tail -5
	fi
}
# the balloon sizes (KiB) the VMM was asked for, in order
vmm_sets() { sed -n 's/.*"set_balloon_kb": \([0-9]*\).*/\1/p' "$T/vmm.log" 2>/dev/null | tr '\n' ' '; }
MIB=1024

# --- the command line ---
out=$("$H" --qmp "$T/q" --port "$T/p" 2>&1); rc=$?
case "$rc:$out" in 2:*"--min is required"*) ok "--min is required" ;; *) not_ok "no --min: $rc $out" ;; esac
out=$("$H" --qmp "$T/q" --port "$T/p" --min 2048 2>&1); rc=$?
case "$rc:$out" in 2:*"below 16 MiB"*) ok "--min without a unit (2048 bytes) is refused" ;; *) not_ok "$rc $out" ;; esac
out=$("$H" --qmp "$T/q" --port "$T/p" --min 512M --max 256M 2>&1); rc=$?
[ "$rc" -eq 2 ] && ok "--max below --min is refused" || not_ok "--max < --min: $rc $out"
out=$("$H" --qmp "$T/q" --firecracker "$T/f" --port "$T/p" --min 512M 2>&1); rc=$?
[ "$rc" -eq 2 ] && ok "two VMMs are refused" || not_ok "two VMMs: $rc $out"

# --- QMP: protocol, clamp, rate limit ---
start_vmm qmp
start_guest listen
start_relay --qmp "$T/vmm.sock" --port "$T/port.sock" --min 256M --interval 1s
send "hello version=1"
expect "hello is answered with the protocol version" "^hello version=1$"
expect "the host's limits: balloon 0..768 MiB for 1024 MiB RAM and --min 256M" \
	"^limits min_kb=0 max_kb=$((768 * MIB))$"
send "balloon seq=1 kb=$((300 * MIB))"
expect "a request is applied and reported" "^applied seq=1 kb=$((300 * MIB)) limit=none$"
expect "the balloon's progress is reported (BALLOON_CHANGE)" \
	"^state target_kb=$((300 * MIB)) actual_kb=$((300 * MIB))$"
[ "$(vmm_sets)" = "$((300 * MIB)) " ] && ok "QMP balloon got value = RAM - balloon (724 MiB)" ||
	not_ok "QMP requests: $(vmm_sets)"
grep -q '"value": 759169024' "$T/vmm.log" && ok "QMP balloon value is in bytes of guest RAM" ||
	not_ok "QMP balloon value: $(cat "$T/vmm.log")"
send "balloon seq=2 kb=$((1000 * MIB))"
expect "a request below --min is clamped at the floor" "^applied seq=2 kb=$((768 * MIB)) limit=floor$"
grep -q "clamped at the host's floor: the guest keeps 256 of 1024 MiB" "$T/relay.log" &&
	ok "the relay logs what it applied and why" || not_ok "no clamp in the log"
# a smaller balloon goes at once; larger ones within one interval: the latest wins
send "balloon seq=3 kb=$((100 * MIB))"
expect "a smaller balloon is applied" "^applied seq=3 kb=$((100 * MIB)) limit=none$"
send "balloon seq=4 kb=$((110 * MIB))"
send "balloon seq=5 kb=$((120 * MIB))"
expect "the latest of two quick larger requests is applied" "^applied seq=5 kb=$((120 * MIB)) limit=none$"
if got "^applied seq=4"; then not_ok "a superseded request was applied"; else
	ok "a superseded request is not applied"; fi
n=$(vmm_sets | wc -w)
[ "$n" -eq 4 ] && ok "four balloon commands for five requests (rate limit)" || not_ok "$n commands: $(vmm_sets)"
send "query"
expect "query answers the state" "^state target_kb=$((120 * MIB)) actual_kb="

# --- hostile input: every line answered, nothing applied, the relay keeps working ---
send "balloon seq=x kb=1"
expect "a non-number is a syntax error" "^error code=syntax$"
send "balloon seq=6 kb=99999999999999999999999"
expect "a number too large is a range error" "^error code=range$"
send "balloon seq=6 kb=-5"
send "balloon seq=6"
send "hello version=0"
expect "version 0 is refused" "^error code=version$"
send "reboot now=1"
expect "an unknown verb is answered" "^error code=unknown-verb$"
send "!long 5000"
expect "a 5000-byte line is refused" "^error code=line-too-long$"
send "!hex 62616c6c6f6f6e2073"00"65713d37206b623d310a"
expect "a NUL byte makes the line bad" "^error code=bad-byte$"
send "balloon  seq=7   kb=$((200 * MIB))   "
expect "extra spaces are accepted" "^applied seq=7 kb=$((200 * MIB)) limit=none$"
[ "$(grep -c '^error' "$T/g.out")" -eq 8 ] && ok "each bad line got exactly one error" ||
	not_ok "errors: $(grep '^error' "$T/g.out" | tr '\n' ' ')"
case " $(vmm_sets)" in *" $((99999 * MIB))"* | *" 1 "* | *" 0 "*) not_ok "a bad line reached the VMM: $(vmm_sets)" ;;
	*) ok "no bad line reached the VMM" ;; esac

# --- a deflate behind the host's back (deflate-on-oom) is reported ---
wait_until 5000 got "^state target_kb=$((200 * MIB)) actual_kb=$((200 * MIB))$"
kill -USR1 "$VMM"
expect "BALLOON_CHANGE from an OOM deflate reaches the guest" \
	"^state target_kb=$((200 * MIB)) actual_kb=$((136 * MIB))$"

# --- flood: throttled and logged, then back to work ---
send "!flood 100"
expect "a flood of 100 lines is throttled" "^error code=throttled ms=1000$"
grep -q "floods its port" "$T/relay.log" && ok "the flood is logged" || not_ok "flood not logged"
sleep 1.2
send "balloon seq=8 kb=$((50 * MIB))"
expect "after the pause the next request is applied" "^applied seq=8 kb=$((50 * MIB))"
kill -0 "$RELAY" 2>/dev/null && ok "the relay survived all of it" || not_ok "the relay died"

# --- QMP goes away and comes back: the pending request is applied to the new one ---
stop "$VMM"
start_vmm qmp
send "balloon seq=9 kb=$((64 * MIB))"
expect "after QMP reconnects the pending request is applied" "^applied seq=9 kb=$((64 * MIB))"
grep -q "reconnecting\|retrying" "$T/relay.log" && ok "the lost QMP connection is logged" ||
	not_ok "no reconnect logged"
stop "$RELAY" "$GUEST" "$VMM"
exec 3>&-

# --- --max: the ceiling, with Firecracker (whole MiB, rounded toward the guest) ---
rm -f "$T/vmm.log"
start_vmm firecracker
rm -f "$T/port.sock"
start_relay --firecracker "$T/vmm.sock" --listen "$T/port.sock" --min 128M --max 768M
wait_until 5000 test -S "$T/port.sock"
start_guest connect
send "hello version=2"
expect "Firecracker: a newer guest gets version 1" "^hello version=1$"
expect "Firecracker: limits with --max 768M: at least 256 MiB of balloon" \
	"^limits min_kb=$((256 * MIB)) max_kb=$((896 * MIB))$"
send "balloon seq=1 kb=0"
expect "Firecracker: a request above --max is clamped at the ceiling" \
	"^applied seq=1 kb=$((256 * MIB)) limit=ceiling$"
grep -q '"amount_mib": 256' "$T/vmm.log" && ok "Firecracker: PATCH /balloon {\"amount_mib\": 256}" ||
	not_ok "Firecracker requests: $(cat "$T/vmm.log")"
send "balloon seq=2 kb=$((300 * MIB + 1000))"
expect "Firecracker: applied" "^applied seq=2"
grep -q '"amount_mib": 300}' "$T/vmm.log" && ok "Firecracker: a part MiB is rounded down (less balloon)" ||
	not_ok "Firecracker rounding: $(tail -1 "$T/vmm.log")"
expect "Firecracker: the actual size from /balloon/statistics" "^state target_kb=.* actual_kb=$((300 * MIB))$"
n0=$(grep -c '^state' "$T/g.out")
send "!reconnect"
send "query"
wait_until 3000 sh -c "[ \$(grep -c '^state' '$T/g.out') -gt $n0 ]" &&
	ok "Firecracker: a new guest connection is served" || not_ok "no reply after reconnect"
stop "$RELAY" "$GUEST" "$VMM"
exec 3>&-

# --- Cloud Hypervisor ---
rm -f "$T/vmm.log"
start_vmm cloud-hypervisor
start_guest listen
start_relay --cloud-hypervisor "$T/vmm.sock" --port "$T/port.sock" --min 512M --interval 60s
send "balloon seq=1 kb=$((600 * MIB))"
expect "Cloud Hypervisor: clamped at the floor" "^applied seq=1 kb=$((512 * MIB)) limit=floor$"
grep -q "\"desired_balloon\": $((512 * MIB * 1024))" "$T/vmm.log" &&
	ok "Cloud Hypervisor: PUT /api/v1/vm.resize {\"desired_balloon\": BYTES}" ||
	not_ok "Cloud Hypervisor requests: $(cat "$T/vmm.log")"
expect "Cloud Hypervisor: the actual size from vm.info" "^state target_kb=$((512 * MIB)) actual_kb=$((512 * MIB))$"
# --interval 60s: a larger balloon waits for it, memory back to the guest does not
send "balloon seq=2 kb=$((900 * MIB))"
send "balloon seq=3 kb=$((100 * MIB))"
expect "memory back to the guest is applied at once, whatever --interval" \
	"^applied seq=3 kb=$((100 * MIB)) limit=none$"
[ "$(grep -c desired_balloon "$T/vmm.log")" -eq 2 ] && ok "the larger request it replaced was not applied" ||
	not_ok "Cloud Hypervisor requests: $(cat "$T/vmm.log")"
kill -TERM "$RELAY"
wait "$RELAY"
rc=$?
[ "$rc" -eq 0 ] && ok "SIGTERM: the relay exits 0" || not_ok "SIGTERM: exit $rc"
grep -q "the balloon stays where it is (100 MiB)" "$T/relay.log" && ok "and says the balloon stays" ||
	not_ok "no stop message"

# --- the template unit, made like `make` makes it but pointing at this build ---
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$T/unit"
	sed -e "s|@sbindir@|$(cd "$(dirname "$H")" && pwd)|g" -e 's|@pkgsysconfdir@|/etc/selfballoon|g' \
		"${top_srcdir:-.}/packaging/systemd/selfballoon-host@.service.in" >"$T/unit/selfballoon-host@vm1.service"
	out=$(systemd-analyze verify --man=no "$T/unit/selfballoon-host@vm1.service" 2>&1)
	[ -z "$out" ] && ok "systemd-analyze verify selfballoon-host@vm1.service: clean" || not_ok "verify: $out"
	sc=$(systemd-analyze security --offline=true --no-pager "$T/unit/selfballoon-host@vm1.service" 2>&1 |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	awk -v s="${sc:-99}" 'BEGIN {exit !(s <= 2.0)}' && ok "systemd-analyze security: exposure $sc (at most 2.0)" ||
		not_ok "systemd-analyze security: exposure '$sc'"
else
	skip_case "systemd-analyze not installed: the template unit is not verified"
fi
done_testing
