/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The wire protocol between vssd and its watchdog (vss/watchdog.c, vss/watchdog_main.c). */
#ifndef SB_VSS_WATCHDOG_PROTO_H
#define SB_VSS_WATCHDOG_PROTO_H

#include <stdint.h>

#include "fsops.h"

#define WATCHDOG_MAX_FDS 4096

#define FDS_PER_MSG 250 /* below the kernel's SCM_MAX_FD (253) */

/*
 * vssd -> watchdog: FDS (fds ride along), ARM (the watchdog holds them and
 * acknowledges; vssd flushes meanwhile), RECORD (the freeze record's fd: after
 * thawing at vssd's death the watchdog empties it, so a later vssd does not
 * thaw what others froze since), START (the timeout runs from here), then per
 * filesystem k in freeze order FREEZING k (before FIFREEZE), FROZEN k (it
 * succeeded) or DISOWN k (not ours), and DISARM when vssd has thawed.
 * watchdog -> vssd: ARMED (ok or not) and FIRED (the timeout thawed).
 *
 * The bell (an eventfd, the watchdog's fd 4; optional): from START on the
 * watchdog does not wake for each message. FREEZING, FROZEN and DISOWN wait
 * in the socket, in order, and are read at the deadline, at vssd's death
 * (end of file) or when vssd rings the bell: after DISARM, and when the
 * socket is full. Without a bell every message wakes it.
 */
enum wd_op {
	WD_FDS = 1,  /* arg: how many fds ride along (SCM_RIGHTS) */
	WD_ARM,      /* arg: total fds, gen, arg64: timeout ms (the clock starts at START) */
	WD_FREEZING, /* arg: index */
	WD_FROZEN,   /* arg: index */
	WD_DISOWN,   /* arg: index */
	WD_DISARM,   /* gen */
	WD_ARMED,    /* child -> parent: gen, arg: 1 = holds every fd, 0 = failed */
	WD_FIRED,    /* child -> parent: gen, arg: confirmations seen (indexes below are thawed) */
	WD_RECORD,   /* before START: the freeze record's fd rides along (SCM_RIGHTS) */
	WD_START,    /* gen: the timeout starts now (at the latest with the first FREEZING) */
};

struct wd_msg {
	uint32_t op;
	uint32_t arg;
	uint32_t gen;
	uint32_t pad;
	uint64_t arg64;
};

/*
 * The watchdog's loop on sock (its end of the SEQPACKET pair), thawing with
 * ops: never returns. In vssd-watchdog, an executable with only libc; in a
 * forked vssd when that cannot be run, or for a test's fake ops.
 */
void watchdog_main(int sock, int bell, const struct fs_ops *ops) __attribute__((noreturn));

#define WATCHDOG_SOCK_FD 3 /* in vssd-watchdog: its socket */
#define WATCHDOG_BELL_FD 4 /* and the bell, if vssd gave one */

#endif
