/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing of /proc/meminfo, /proc/vmstat and /proc/pressure/memory from fixed buffers. */

#include "sample.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "plausible.h"
#include "util.h"

static const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : NULL;
}

static bool at_eol(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\n' || *p == '\0';
}

struct key {
	const char *name;
	size_t off;
	unsigned bit;
};

/* The first of keys[0..n) named by the klen bytes at p, or NULL. */
static const struct key *find_key(const struct key *keys, size_t n, const char *p, size_t klen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(keys[i].name) == klen && memcmp(p, keys[i].name, klen) == 0)
			return &keys[i];
	return NULL;
}

#define MI(n, f, b)                               \
	{                                         \
		n, offsetof(struct meminfo, f), b \
	}
static const struct key mi_keys[] = {
	MI("MemTotal", mem_total, MI_MEMTOTAL),
	MI("MemFree", mem_free, MI_MEMFREE),
	MI("MemAvailable", mem_available, MI_MEMAVAILABLE),
	MI("Buffers", buffers, MI_BUFFERS),
	MI("Cached", cached, MI_CACHED),
	MI("SwapTotal", swap_total, MI_SWAPTOTAL),
	MI("SwapFree", swap_free, MI_SWAPFREE),
	MI("Committed_AS", committed_as, MI_COMMITTED_AS),
	MI("CommitLimit", commit_limit, MI_COMMITLIMIT),
	MI("Shmem", shmem, MI_SHMEM),
	MI("Mlocked", mlocked, MI_MLOCKED),
	MI("Unevictable", unevictable, MI_UNEVICTABLE),
};

int meminfo_parse(const char *buf, struct meminfo *m)
{
	const char *p, *colon, *v;
	const struct key *k;
	uint64_t val;

	memset(m, 0, sizeof(*m));
	for (p = buf; p && *p; p = next_line(p)) {
		colon = p;
		while (*colon && *colon != ':' && *colon != '\n' && *colon != ' ')
			colon++;
		if (*colon != ':')
			continue;
		k = find_key(mi_keys, ARRAY_SIZE(mi_keys), p, (size_t)(colon - p));
		if (!k)
			continue;
		v = colon + 1;
		val = 0;
		while (*v == ' ' || *v == '\t')
			v++;
		if (!take_u64(&v, &val))
			continue;
		while (*v == ' ')
			v++;
		if (strncmp(v, "kB", 2) == 0)
			v += 2;
		if (!at_eol(v))
			continue; /* "MemFree: 12 MB", "MemFree: 12x": malformed */
		*(uint64_t *)((char *)m + k->off) = val;
		m->present |= k->bit;
	}
	if (!(m->present & MI_MEMTOTAL) || !(m->present & MI_COMMITTED_AS))
		return -EINVAL;
	if (!(m->present & MI_MEMAVAILABLE)) {
		uint64_t est = m->mem_free + m->buffers + m->cached;

		m->mem_available = est > m->shmem ? est - m->shmem : 0;
	}
	return 0;
}

#define VM(n, f, b)                              \
	{                                        \
		n, offsetof(struct vmstat, f), b \
	}
static const struct key vm_keys[] = {
	VM("pswpin", pswpin, VM_PSWPIN),
	VM("pswpout", pswpout, VM_PSWPOUT),
	VM("pgmajfault", pgmajfault, VM_PGMAJFAULT),
	VM("workingset_refault_anon", refault_anon, VM_REFAULT_ANON),
	VM("workingset_refault_file", refault_file, VM_REFAULT_FILE),
	VM("workingset_refault", refault_file, VM_REFAULT_FILE), /* before 5.9 */
	VM("oom_kill", oom_kill, VM_OOM_KILL),
};

int vmstat_parse(const char *buf, struct vmstat *v)
{
	const char *p, *sp, *q;
	const struct key *k;
	uint64_t val;

	memset(v, 0, sizeof(*v));
	for (p = buf; p && *p; p = next_line(p)) {
		sp = p;
		while (*sp && *sp != ' ' && *sp != '\n')
			sp++;
		if (*sp != ' ')
			continue;
		k = find_key(vm_keys, ARRAY_SIZE(vm_keys), p, (size_t)(sp - p));
		q = sp + 1;
		val = 0;
		if (k && take_u64(&q, &val) && at_eol(q)) {
			*(uint64_t *)((char *)v + k->off) = val;
			v->present |= k->bit;
		}
	}
	return v->present ? 0 : -EINVAL;
}

/* "12.34" -> 1234; accepts "12", "12.3". */
static bool take_pct(const char **s, unsigned *out)
{
	uint64_t ip = 0, fp = 0;
	const char *p = *s;
	int digits = 0;

	if (!take_u64(&p, &ip) || ip > 100)
		return false;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (digits < 2)
				fp = fp * 10 + (uint64_t)(*p - '0');
			digits++;
			p++;
		}
		if (digits == 0)
			return false;
		if (digits == 1)
			fp *= 10;
	}
	*out = (unsigned)(ip * 100 + fp);
	*s = p;
	return true;
}

static bool parse_psi_line(const char *p, struct psi_line *l)
{
	struct psi_line t = { 0 };
	static const char *const names[] = { "avg10=", "avg60=", "avg300=", "total=" };
	unsigned *avgs[] = { &t.avg10, &t.avg60, &t.avg300 };
	size_t n;
	int i;

	for (i = 0; i < 4; i++) {
		while (*p == ' ')
			p++;
		n = strlen(names[i]);
		if (strncmp(p, names[i], n) != 0)
			return false;
		p += n;
		if (i < 3 ? !take_pct(&p, avgs[i]) : !take_u64(&p, &t.total_us))
			return false;
	}
	if (!at_eol(p))
		return false;
	t.present = true;
	*l = t;
	return true;
}

int psi_parse(const char *buf, struct psi *ps)
{
	const char *p;

	memset(ps, 0, sizeof(*ps));
	for (p = buf; p && *p; p = next_line(p)) {
		if (strncmp(p, "some ", 5) == 0)
			parse_psi_line(p + 5, &ps->some);
		else if (strncmp(p, "full ", 5) == 0)
			parse_psi_line(p + 5, &ps->full);
	}
	return ps->some.present ? 0 : -EINVAL;
}

int sample_paths_init(struct sample_paths *sp, const char *root)
{
	if (path_join(sp->meminfo, sizeof(sp->meminfo), root, "proc/meminfo") ||
	    path_join(sp->vmstat, sizeof(sp->vmstat), root, "proc/vmstat") ||
	    path_join(sp->psi, sizeof(sp->psi), root, "proc/pressure/memory"))
		return -ENAMETOOLONG;
	sp->keep_open = strcmp(sp->meminfo, "/proc/meminfo") == 0;
	return 0;
}

/* Fixed buffers: meminfo is ~1.5 KiB, vmstat ~5 KiB on 6.x kernels. */
static char mi_buf[8192];
static char vm_buf[32768];
static char psi_buf[512];

/*
 * The real procfs files stay open (keep_open): each look is then one or two
 * pread(2) instead of open, fstat, read, read, close. A read that fails closes
 * the file; the next one opens it again. Test trees are read afresh each time.
 */
enum { KEPT_MEMINFO, KEPT_VMSTAT, KEPT_PSI, KEPT_N };
static int kept[KEPT_N] = { -1, -1, -1 };

static ssize_t read_proc(const struct sample_paths *sp, int which, const char *path, char *buf,
			 size_t size)
{
	ssize_t n;

	if (!sp->keep_open)
		return read_file(path, buf, size);
	if (kept[which] < 0) {
		kept[which] = open_file(path);
		if (kept[which] < 0) {
			n = kept[which];
			kept[which] = -1;
			return n;
		}
	}
	n = pread_file(kept[which], buf, size);
	if (n < 0) {
		close(kept[which]);
		kept[which] = -1;
	}
	return n;
}

int sample_read_meminfo(const struct sample_paths *sp, struct meminfo *m)
{
	ssize_t n = read_proc(sp, KEPT_MEMINFO, sp->meminfo, mi_buf, sizeof(mi_buf));

	if (n < 0)
		return (int)n;
	return meminfo_parse(mi_buf, m);
}

/* vmstat and PSI: missing or unparsable files only clear the have_* flags. */
static void read_counters(const struct sample_paths *sp, struct sample *s)
{
	s->have_vmstat = read_proc(sp, KEPT_VMSTAT, sp->vmstat, vm_buf, sizeof(vm_buf)) >= 0 &&
			 vmstat_parse(vm_buf, &s->vm) == 0;
	if (!s->have_vmstat)
		memset(&s->vm, 0, sizeof(s->vm));
	s->have_psi = read_proc(sp, KEPT_PSI, sp->psi, psi_buf, sizeof(psi_buf)) >= 0 &&
		      psi_parse(psi_buf, &s->psi) == 0;
	if (!s->have_psi)
		memset(&s->psi, 0, sizeof(s->psi));
}

int sample_read(const struct sample_paths *sp, struct sample *s)
{
	int r = sample_read_meminfo(sp, &s->mi);

	if (r < 0)
		return r;
	s->mi_stale = false;
	read_counters(sp, s);
	return 0;
}

int sample_take(const struct sample_paths *sp, struct plausible *p, struct sample *s)
{
	int r = sample_read_meminfo(sp, &s->mi);

	r = plausible_meminfo(p, r, &s->mi, s->now_ms);
	s->mi_stale = r != PLAUSIBLE_OK;
	read_counters(sp, s);
	return r;
}
