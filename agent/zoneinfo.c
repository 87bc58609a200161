/* SPDX-License-Identifier: GPL-2.0-or-later */
/* totalreserve_pages from /proc/zoneinfo: per zone, high watermark + largest lowmem_reserve. */

#include "zoneinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fileio.h"
#include "util.h"

struct zone_acc {
	uint64_t high, managed, maxprot;
	bool have_high, have_managed;
};

static uint64_t zone_reserve(const struct zone_acc *z)
{
	uint64_t r = z->high + z->maxprot;

	return r > z->managed ? z->managed : r;
}

static const char *skip_sp(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int zoneinfo_totalreserve(const char *buf, uint64_t *pages)
{
	struct zone_acc z = { 0 };
	bool in_zone = false;
	unsigned zones = 0;
	uint64_t total = 0, v;
	const char *p, *nl, *q;

	for (p = buf; p && *p;) {
		nl = strchr(p, '\n');
		if (strncmp(p, "Node ", 5) == 0) {
			if (in_zone && z.have_high && z.have_managed) {
				total += zone_reserve(&z);
				zones++;
			}
			memset(&z, 0, sizeof(z));
			in_zone = true;
		} else if (in_zone) {
			q = skip_sp(p);
			/* "high" followed by a blank: the per-cpu "high:" lines do not match. */
			if (strncmp(q, "high ", 5) == 0) {
				q = skip_sp(q + 5);
				if (take_u64(&q, &v)) {
					z.high = v;
					z.have_high = true;
				}
			} else if (strncmp(q, "managed ", 8) == 0) {
				q = skip_sp(q + 8);
				if (take_u64(&q, &v)) {
					z.managed = v;
					z.have_managed = true;
				}
			} else if (strncmp(q, "protection: (", 13) == 0) {
				q += 13;
				while (take_u64(&q, &v)) {
					if (v > z.maxprot)
						z.maxprot = v;
					q = skip_sp(q);
					if (*q != ',')
						break;
					q = skip_sp(q + 1);
				}
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	if (in_zone && z.have_high && z.have_managed) {
		total += zone_reserve(&z);
		zones++;
	}
	if (!zones)
		return -EINVAL;
	*pages = total;
	return 0;
}

/* zoneinfo grows with the number of CPUs (per-cpu pagesets); 256 KiB covers large guests. */
static char zi_buf[256 * 1024];

int zoneinfo_read_kb(const char *root, unsigned page_kb, uint64_t *kb)
{
	char path[256];
	uint64_t pages;
	ssize_t n;
	int r;

	if (path_join(path, sizeof(path), root, "proc/zoneinfo"))
		return -ENAMETOOLONG;
	n = read_file(path, zi_buf, sizeof(zi_buf));
	if (n < 0)
		return (int)n;
	r = zoneinfo_totalreserve(zi_buf, &pages);
	if (r < 0)
		return r;
	*kb = pages * page_kb;
	return 0;
}
