#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# What an operator types and reads, for every program: configuration files that
# are not files (a directory, a FIFO, /dev/zero) refused at once with what they
# are, --check-config of a missing file never "ok", usage errors before any
# connection (exit 2), one version form. Needs no root and touches nothing of
# this machine (every path is under a temporary directory).
. "${top_srcdir:-.}/tests/integration/lib.sh"

B=${top_builddir:-.}
VSSD=$B/vss/vssd
VSSCTL=$B/vss/vssctl
AGENT=$B/agent/selfballoond
HOST=$B/host/selfballoon-host
for p in "$VSSD" "$VSSCTL" "$AGENT" "$HOST"; do [ -x "$p" ] || skip_all "build first ($p)"; done

tmp=$(mktemp -d /tmp/sb-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
mkfifo "$tmp/fifo"
mkdir "$tmp/dir"

# expect_fail DESCRIPTION PATTERN COMMAND...: COMMAND exits 1 (RC=N: N) within 5 s
# and its stderr matches the shell PATTERN
expect_fail() {
	_d=$1 _p=$2; shift 2
	_out=$(timeout 5 "$@" 2>&1 >/dev/null); _rc=$?
	case "$_rc:$_out" in
	${RC:-1}:$_p) ok "$_d" ;;
	*) not_ok "$_d: rc $_rc, said: $_out" ;;
	esac
}

# --- configuration files that are not files ---
for p in "$VSSD" "$AGENT"; do
	n=${p##*/}
	expect_fail "$n --check-config -c DIR: refused as a directory" \
		"$n: $tmp/dir: a directory, not a configuration file (expected a regular file)" \
		"$p" --check-config -c "$tmp/dir"
	expect_fail "$n --check-config -c FIFO: refused at once, no writer waited for" \
		"$n: $tmp/fifo: a FIFO, not a configuration file*" "$p" --check-config -c "$tmp/fifo"
	expect_fail "$n --check-config -c /dev/zero: refused at once, not read forever" \
		"$n: /dev/zero: a character device, not a configuration file*" \
		"$p" --check-config -c /dev/zero
	expect_fail "$n --check-config of a missing file is not ok" \
		"$n: $tmp/none.conf: No such file or directory" "$p" --check-config -c "$tmp/none.conf"
	out=$("$p" --check-config -c /dev/null 2>&1); rc=$?
	[ "$rc" -eq 0 ] && ok "$n --check-config -c /dev/null: the built-in defaults ($out)" ||
		not_ok "$n -c /dev/null: rc $rc: $out"
done
# the default path, when no file is there: named, not "ok" (the daemon itself runs
# on the built-in defaults then, as the man pages say)
for p in "$VSSD" "$AGENT"; do
	n=${p##*/}
	def=$("$p" --help | sed -n 's/.*(default \(\/[^)]*\.conf\)).*/\1/p' | head -1)
	if [ -z "$def" ]; then not_ok "$n --help names no default configuration file"
	elif [ -e "$def" ]; then skip_case "$n: $def exists on this machine: cannot check a missing default"
	else
		expect_fail "$n --check-config without -c and no $def: not ok" \
			"$n: $def: No such file or directory" "$p" --check-config
	fi
done
# the daemon itself refuses a directory too (it used to start on the built-in defaults)
expect_fail "selfballoond --once -c DIR refused" "*a directory, not a configuration file*" \
	"$AGENT" --once --dry-run -c "$tmp/dir"
expect_fail "vssd -f -c DIR refused" "*a directory, not a configuration file*" "$VSSD" -f -c "$tmp/dir"

# --- the README keeps its promises: it starts with the two commands, and they exist ---
S=${top_srcdir:-.}
first=$(sed -n '/^```sh$/,/^```$/p' "$S/README.md" | sed -n '2,3p')
case $first in "sudo scripts/demo "*"
sudo scripts/test "*) ok "README starts with 'sudo scripts/demo' and 'sudo scripts/test'" ;;
*) not_ok "README's first commands: $first" ;; esac
if [ -e "$S/scripts/build" ]; then
	check "scripts/demo and scripts/test exist and are executable" test -x "$S/scripts/demo" -a -x "$S/scripts/test"
else
	skip_case "scripts/demo, scripts/test: not in a dist tarball (make distcheck)"
fi
for f in docs/evidence.md ARCHITECTURE.md; do
	check "README points at $f, which exists" sh -c 'grep -q "$1" "$2/README.md" && test -f "$2/$1"' sh "$f" "$S"
done
# the troubleshooting section quotes messages: each is one the programs print
for m in "filesystems were frozen for" "(left frozen by a previous vssd)" "recovered from a stopped freeze" \
	"thawed by the watchdog" "serving the guest agent protocol on" ": not serving it" \
	"(ended by the watchdog)" "no answer to guest-sync-delimited (is a guest agent running?)" \
	"connection closed after CONNECT (is the guest listening on" "may not use vssd" \
	"vssd refused this client" "the filesystems are frozen already"; do
	grep -qF -- "$m" "$S/README.md" || { not_ok "README no longer quotes '$m' (update this list)"; continue; }
	if grep -rqF -- "$m" "$S/vss"; then ok "README quotes '$m', which vss/ prints"
	else not_ok "README quotes '$m', which nothing prints"; fi
done

# --- one version form: "NAME (selfballoon) VERSION", for --version and -V alike ---
for p in "$VSSD" "$VSSCTL" "$AGENT" "$HOST"; do
	n=${p##*/}
	v=$("$p" --version 2>&1)
	case $v in
	"$n (selfballoon) "[0-9]*.[0-9]*) ok "$n --version: $v" ;;
	*) not_ok "$n --version printed '$v'" ;;
	esac
	[ "$("$p" -V 2>&1)" = "$v" ] && ok "$n -V prints the same" || not_ok "$n -V: $("$p" -V 2>&1)"
done

# --- vssctl: usage errors are found before connecting (exit 2, with vssd down) ---
down=$tmp/no-vssd.sock
RC=2 expect_fail "vssctl unknown command: usage error, not 'cannot connect'" \
	"vssctl: unknown command 'frobnicate' (status, freeze, thaw, backup, plan)" "$VSSCTL" -s "$down" frobnicate
RC=2 expect_fail "vssctl status with an argument: usage error" "vssctl: 'status' takes no arguments" \
	"$VSSCTL" -s "$down" status /srv
RC=2 expect_fail "vssctl freeze --timeout x: usage error before connecting" \
	"vssctl: bad --timeout 'x' (100ms to 1h, e.g. 30s, 2min)" "$VSSCTL" -s "$down" freeze --timeout x /srv
RC=2 expect_fail "vssctl backup without '-- CMD': usage error before connecting" \
	"vssctl: backup needs '-- CMD \[ARG...\]'" "$VSSCTL" -s "$down" backup /srv
RC=2 expect_fail "vssctl backup with nothing after '--'" "vssctl: backup needs a command after '--'" \
	"$VSSCTL" -s "$down" backup /srv --
RC=2 expect_fail "vssctl freeze -- CMD: '--' is only for backup" "vssctl: '--' is only for backup" \
	"$VSSCTL" -s "$down" freeze /srv -- true
RC=2 expect_fail "vssctl freeze of a relative path: usage error" \
	"vssctl: 'srv': a mountpoint is an absolute path" "$VSSCTL" -s "$down" freeze srv
RC=2 expect_fail "vssctl --vsock 2: usage error" "vssctl: --vsock wants CID:PORT, not '2'" \
	"$VSSCTL" --vsock 2 status
expect_fail "vssctl with vssd down: says how to check it" \
	"vssctl: cannot connect to $down: No such file or directory (is vssd running? systemctl status vssd)" \
	"$VSSCTL" -s "$down" status

# --- vssctl as a user who may not open vssd's socket (0600, root's) ---
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	skip_case "vssctl as nobody needs root, setpriv and python3 (a root-owned 0600 socket to be refused by)"
else
	chmod 711 "$tmp"
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(10)' "$tmp/root.sock" &
	spid=$!
	wait_until 5000 test -S "$tmp/root.sock"
	chmod 600 "$tmp/root.sock"
	expect_fail "vssctl as nobody: says vssd is root's, and to use sudo" \
		"vssctl: cannot connect to $tmp/root.sock: Permission denied (vssd serves root and its socket_group only: run vssctl as root, e.g. with sudo)" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$VSSCTL" -s "$tmp/root.sock" status
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
fi
done_testing
