# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for integration tests (sourced). Output is TAP, read by automake's
# tap-driver.sh: "ok N - what", "not ok N - what", "ok N # SKIP why" for a case that
# cannot run, and the plan "1..N" last (done_testing). A test that dies before
# done_testing has no plan, which the driver reports as an error. A test that cannot
# run at all calls skip_all: "1..0 # SKIP why", one SKIP result.

t_n=0
t_failed=0
# set by a shell whose cases are continued by its parent (fs_enter's namespace
# shell): done_testing prints no plan there, the parent prints it for both
t_nested=

ok() { t_n=$((t_n + 1)); echo "ok $t_n - $*"; }
not_ok() { t_n=$((t_n + 1)); t_failed=$((t_failed + 1)); echo "not ok $t_n - $*"; }
skip_case() { t_n=$((t_n + 1)); echo "ok $t_n # SKIP $*"; }

# skip_all WHY: the whole test skips; once cases were reported, the rest is one
# skipped case instead (a plan of 0 can no longer follow).
skip_all() {
	if [ "$t_n" -eq 0 ] && [ -z "$t_nested" ]; then
		echo "1..0 # SKIP $*"
		exit 0
	fi
	skip_case "$*"
	done_testing
	exit $?
}

# check DESCRIPTION COMMAND...: runs COMMAND, ok if it exits 0.
check() {
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# done_testing: the plan; returns 1 if a case failed.
done_testing() {
	echo "# $t_n cases, $t_failed failed"
	[ -n "$t_nested" ] || echo "1..$t_n"
	[ "$t_failed" -eq 0 ]
}

# stop_pids PID...: SIGTERM, wait up to 3 s each, then SIGKILL; reaps them. Only
# for processes the test started (their pids, never names).
stop_pids() {
	for _p in "$@"; do kill "$_p" 2>/dev/null; done
	for _p in "$@"; do
		wait_until 3000 sh -c "! kill -0 $_p 2>/dev/null" || kill -9 "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
}

need_root() {
	[ -z "${SELFBALLOON_UNIT_TESTS_ONLY:-}" ] || skip_all "SELFBALLOON_UNIT_TESTS_ONLY is set (make distcheck runs unit tests only)"
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (run the suite as root: sudo scripts/test)"
}

need_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "needs $c"
	done
}

# wait_until TIMEOUT_MS COMMAND...: polls COMMAND every WAIT_STEP_MS (default 10) ms
# until it succeeds or the time is up (bounded: never loops forever). Returns 0 on success.
wait_until() {
	_limit=$1; shift
	_step=${WAIT_STEP_MS:-10}
	_pause=$(printf '%d.%03d' $((_step / 1000)) $((_step % 1000)))
	_i=0
	while [ "$_i" -lt $((_limit / _step)) ]; do
		"$@" && return 0
		sleep "$_pause"
		_i=$((_i + 1))
	done
	"$@"
}
