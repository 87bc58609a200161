# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for integration tests (sourced). Output follows a TAP-like
# form that tests/tally.sh counts: "ok N - what", "not ok N - what", "skip N - why".
# A test that cannot run at all calls skip_all (exit 77, automake's SKIP).

t_n=0
t_failed=0

ok() { t_n=$((t_n + 1)); echo "ok $t_n - $*"; }
not_ok() { t_n=$((t_n + 1)); t_failed=$((t_failed + 1)); echo "not ok $t_n - $*"; }
skip_case() { t_n=$((t_n + 1)); echo "skip $t_n - $*"; }
skip_all() { echo "SKIP: $*"; exit 77; }

# check DESCRIPTION COMMAND...: runs COMMAND, ok if it exits 0.
check() {
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

done_testing() {
	echo "# $t_n cases, $t_failed failed"
	[ "$t_failed" -eq 0 ]
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
