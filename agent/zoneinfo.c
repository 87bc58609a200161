/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * totalreserve_pages from /proc/zoneinfo: per zone, high watermark + largest
 * lowmem_reserve; and the pages present (the memory the guest was given, a
 * bound for the boot size). Every sum saturates.
 */

#include "zoneinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "fileio.h"
#include "plausible.h"
#include "util.h"

struct zone_acc {
	uint64_t high, managed, maxprot, present;
	bool have_high, have_managed;
};

static uint64_t zone_reserve(const struct zone_acc *z)
{
	uint64_t r = sat_add(z->high, z->maxprot);

	return r > z->managed ? z->managed : r;
}

static const char *skip_sp(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* "name <value>" at q: true and *v set when the line is that key with a number. */
static bool key_value(const char *q, const char *name, uint64_t *v)
{
	size_t n = strlen(name);

	if (strncmp(q, name, n) != 0 || q[n] != ' ')
		return false;
	q = skip_sp(q + n);
	return take_u64(&q, v);
}

/* One line inside a zone. */
static void zone_line(struct zone_acc *z, const char *q)
{
	uint64_t v;

	/* "high" followed by a blank: the per-cpu "high:" lines do not match. */
	if (key_value(q, "high", &v)) {
		z->high = v;
		z->have_high = true;
	} else if (key_value(q, "managed", &v)) {
		z->managed = v;
		z->have_managed = true;
	} else if (key_value(q, "present", &v)) {
		z->present = v;
	} else if (strncmp(q, "protection: (", 13) == 0) {
		q += 13;
		while (take_u64(&q, &v)) {
			if (v > z->maxprot)
				z->maxprot = v;
			q = skip_sp(q);
			if (*q != ',')
				break;
			q = skip_sp(q + 1);
		}
	}
}

static void zone_end(const struct zone_acc *z, struct zoneinfo_sum *sum, unsigned *zones)
{
	sum->present_pages = sat_add(sum->present_pages, z->present);
	if (z->have_high && z->have_managed) {
		sum->reserve_pages = sat_add(sum->reserve_pages, zone_reserve(z));
		(*zones)++;
	}
}

int zoneinfo_parse(const char *buf, struct zoneinfo_sum *sum)
{
	struct zone_acc z = { 0 };
	bool in_zone = false;
	unsigned zones = 0;
	const char *p, *nl;

	memset(sum, 0, sizeof(*sum));
	for (p = buf; p && *p;) {
		nl = strchr(p, '\n');
		if (strncmp(p, "Node ", 5) == 0) {
			if (in_zone)
				zone_end(&z, sum, &zones);
			memset(&z, 0, sizeof(z));
			in_zone = true;
		} else if (in_zone) {
			zone_line(&z, skip_sp(p));
		}
		p = nl ? nl + 1 : NULL;
	}
	if (in_zone)
		zone_end(&z, sum, &zones);
	return zones ? 0 : -EINVAL;
}

int zoneinfo_totalreserve(const char *buf, uint64_t *pages)
{
	struct zoneinfo_sum sum;
	int r = zoneinfo_parse(buf, &sum);

	if (r == 0)
		*pages = sum.reserve_pages;
	return r;
}

/*
 * zoneinfo grows with the number of CPUs (per-cpu pagesets); 256 KiB covers
 * large guests. Read at start, reload and hot-add only: the buffer is mapped
 * for the read and unmapped after, not kept (and, under mlockall, kept
 * resident) for the daemon's life.
 */
#define ZI_SIZE (256 * 1024)

/*
 * Reads root/proc/zoneinfo (read(2) into a buffer mapped for the read) and converts to kB
 * (saturating); present_kb may be NULL.
 */
static int zoneinfo_read(const char *root, unsigned page_kb, uint64_t *reserve_kb,
			 uint64_t *present_kb)
{
	struct zoneinfo_sum sum;
	char path[256], *buf;
	ssize_t n;
	int r;

	if (path_join(path, sizeof(path), root, "proc/zoneinfo"))
		return -ENAMETOOLONG;
	buf = mmap(NULL, ZI_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return -errno;
	n = read_file(path, buf, ZI_SIZE);
	r = n < 0 ? (int)n : zoneinfo_parse(buf, &sum);
	munmap(buf, ZI_SIZE);
	if (r < 0)
		return r;
	*reserve_kb = sat_mul(sum.reserve_pages, page_kb);
	if (present_kb)
		*present_kb = sat_mul(sum.present_pages, page_kb);
	return 0;
}

int zoneinfo_read_kb(const char *root, unsigned page_kb, uint64_t *kb)
{
	return zoneinfo_read(root, page_kb, kb, NULL);
}
