/*
 * The freeze watchdog: a child process that holds the same directory fds as
 * vssd and thaws them when the freeze timeout passes or vssd dies.
 */
#ifndef VSS_WATCHDOG_H
#define VSS_WATCHDOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct watchdog {
	pid_t pid;      /* 0: not running */
	int sock;       /* our end of the SEQPACKET pair */
};

/* exit codes of the watchdog process */
enum {
	WATCHDOG_EXIT_STOOD_DOWN = 0,
	WATCHDOG_EXIT_TIMEOUT = 10,
	WATCHDOG_EXIT_ORPHANED = 11,
};

/*
 * Forks the watchdog. fds[i] are the directory fds vssd is about to freeze
 * (indexed by the same i used in watchdog_freezing()). The child thaws,
 * in the reverse order of watchdog_freezing() calls, every fd announced and
 * not disowned, when timeout_ms passes or the parent goes away.
 */
int watchdog_start(struct watchdog *w, const int *fds, size_t n, uint64_t timeout_ms);

/* Announces, before FIFREEZE, that fds[i] is being frozen. */
int watchdog_freezing(struct watchdog *w, size_t i);

/* fds[i] turned out not to be ours to thaw (EBUSY, EOPNOTSUPP, error). */
int watchdog_disown(struct watchdog *w, size_t i);

/*
 * Tells the watchdog to exit without thawing and reaps it (bounded wait).
 * Returns its exit code (WATCHDOG_EXIT_*), or -errno.
 */
int watchdog_stop(struct watchdog *w);

#endif
