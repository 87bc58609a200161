/* SPDX-License-Identifier: GPL-2.0-or-later */
/* totalreserve from /proc/zoneinfo, as the kernel's calculate_totalreserve_pages() computes it. */
#ifndef SB_AGENT_ZONEINFO_H
#define SB_AGENT_ZONEINFO_H

#include <stdint.h>

struct zoneinfo_sum {
	uint64_t reserve_pages; /* totalreserve */
	uint64_t present_pages; /* memory present in all zones */
};

/*
 * Sum over zones of min(managed, high watermark + largest lowmem_reserve
 * ("protection:" entry)), and of "present", in pages; the sums saturate.
 * Returns 0, or -EINVAL when no zone could be parsed.
 */
int zoneinfo_parse(const char *buf, struct zoneinfo_sum *sum);

/* Only the totalreserve pages of zoneinfo_parse(). */
int zoneinfo_totalreserve(const char *buf, uint64_t *pages);

/* root/proc/zoneinfo's totalreserve in kB (read(2), no stdio; saturating). */
int zoneinfo_read_kb(const char *root, unsigned page_kb, uint64_t *kb);

#endif
