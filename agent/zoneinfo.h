/* SPDX-License-Identifier: GPL-2.0-or-later */
/* totalreserve from /proc/zoneinfo, as the kernel's calculate_totalreserve_pages() computes it. */
#ifndef SB_AGENT_ZONEINFO_H
#define SB_AGENT_ZONEINFO_H

#include <stdint.h>

/*
 * Sum over zones of min(managed, high watermark + largest lowmem_reserve
 * ("protection:" entry)), in pages. Returns 0 and sets *pages, or -EINVAL
 * when no zone could be parsed.
 */
int zoneinfo_totalreserve(const char *buf, uint64_t *pages);

/* Reads root/proc/zoneinfo (read(2), static buffer) and converts to kB. */
int zoneinfo_read_kb(const char *root, unsigned page_kb, uint64_t *kb);

#endif
