/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Processes holding fanotify permission marks (FAN_OPEN_PERM,
 * FAN_ACCESS_PERM, FAN_OPEN_EXEC_PERM): fapolicyd, antivirus scanners. Every
 * open they watch waits for their answer; if they must read a frozen
 * filesystem to answer, every such open on the machine hangs until the thaw.
 */
#ifndef SB_VSS_FANOTIFY_H
#define SB_VSS_FANOTIFY_H

#include <stddef.h>
#include <sys/types.h>

struct fan_holder {
	pid_t pid;
	char comm[32];
};

/*
 * Scans proc ("/proc" normally) for fanotify fds with permission marks (their
 * fdinfo "mask:" lines). Fills out[0..max) and returns how many processes
 * hold such marks (may exceed max), or -errno when proc cannot be read.
 */
int fanotify_perm_holders(const char *proc, struct fan_holder *out, size_t max);

#endif
