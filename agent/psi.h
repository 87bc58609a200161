/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PSI trigger: a file descriptor that polls POLLPRI when memory stall passes a threshold. */
#ifndef SB_AGENT_PSI_H
#define SB_AGENT_PSI_H

#include <stdint.h>

/*
 * Opens path (…/proc/pressure/memory) and registers "some <stall_us>
 * <window_us>". Returns the fd (poll it for POLLPRI; POLLERR means the
 * source went away) or -errno (e.g. -ENOENT without PSI, -EINVAL for a
 * rejected trigger, -EPERM for unprivileged windows that are not a multiple
 * of 2 s, -EMEDIUMTYPE when the file is not procfs's: a fake tree under
 * --root, or a symlink, is never written).
 */
int psi_trigger_open(const char *path, uint64_t stall_us, uint64_t window_us);

#endif
