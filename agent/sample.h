/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One sample of the guest's memory state: /proc/meminfo, /proc/vmstat, /proc/pressure/memory. */
#ifndef SB_AGENT_SAMPLE_H
#define SB_AGENT_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

/* Bits of meminfo.present. */
enum {
	MI_MEMTOTAL = 1u << 0,
	MI_MEMFREE = 1u << 1,
	MI_MEMAVAILABLE = 1u << 2,
	MI_BUFFERS = 1u << 3,
	MI_CACHED = 1u << 4,
	MI_SWAPTOTAL = 1u << 5,
	MI_SWAPFREE = 1u << 6,
	MI_COMMITTED_AS = 1u << 7,
	MI_COMMITLIMIT = 1u << 8,
	MI_SHMEM = 1u << 9,
	MI_MLOCKED = 1u << 10,
	MI_UNEVICTABLE = 1u << 11,
};

/* All values in kB. */
struct meminfo {
	uint64_t mem_total, mem_free, mem_available, buffers, cached;
	uint64_t swap_total, swap_free, committed_as, commit_limit;
	uint64_t shmem, mlocked, unevictable;
	unsigned present;
};

enum {
	VM_PSWPIN = 1u << 0,
	VM_PSWPOUT = 1u << 1,
	VM_PGMAJFAULT = 1u << 2,
	VM_REFAULT_ANON = 1u << 3,
	VM_REFAULT_FILE = 1u << 4,
	VM_OOM_KILL = 1u << 5,
};

/* Cumulative counters (pages or events) since boot. */
struct vmstat {
	uint64_t pswpin, pswpout, pgmajfault, refault_anon, refault_file, oom_kill;
	unsigned present;
};

struct psi_line {
	unsigned avg10, avg60, avg300; /* percent x 100 ("12.34" -> 1234) */
	uint64_t total_us;
	bool present;
};

struct psi {
	struct psi_line some, full;
};

struct sample {
	struct meminfo mi;
	struct vmstat vm;
	struct psi psi;
	bool have_vmstat, have_psi;
	bool mi_stale;            /* mi is the last believed meminfo, not this read's */
	uint64_t totalreserve_kb; /* from zoneinfo; 0 when unknown */
	uint64_t now_ms;          /* CLOCK_MONOTONIC */
};

/*
 * Parsers over a NUL-terminated buffer. Keys are matched at the start of a
 * line only; unknown keys and malformed lines are skipped. meminfo_parse
 * returns -EINVAL when MemTotal or Committed_AS is missing; when MemAvailable
 * is missing (kernels before 3.14) it is estimated as MemFree + Buffers +
 * Cached - Shmem. vmstat_parse and psi_parse return -EINVAL when nothing
 * usable was found. Old kernels' single "workingset_refault" counts as file.
 */
int meminfo_parse(const char *buf, struct meminfo *m);
int vmstat_parse(const char *buf, struct vmstat *v);
int psi_parse(const char *buf, struct psi *p);

/* Absolute paths of the files read every tick (built once under the root). */
struct sample_paths {
	char meminfo[256], vmstat[256], psi[256];
	bool keep_open; /* the real /proc: the files stay open between reads */
};

int sample_paths_init(struct sample_paths *sp, const char *root);

/*
 * Reads and parses all three files with read(2) into static buffers (no
 * allocation, no stdio). Missing vmstat/PSI files are not errors (the have_*
 * flags say so). totalreserve_kb is left as it is (zoneinfo is read apart).
 * Returns 0 or -errno (meminfo unreadable or unusable).
 */
int sample_read(const struct sample_paths *sp, struct sample *s);

struct plausible;

/*
 * A decision's sample: like sample_read, with meminfo checked by the intake
 * (plausible.h), and it never fails: when meminfo cannot be read or is not
 * believed, s->mi is the last believed one and s->mi_stale is set (the
 * policy then lowers nothing). Set s->now_ms first. Returns 0, or why the
 * meminfo was not taken (-errno or PLAUSIBLE_*), to be logged once.
 */
int sample_take(const struct sample_paths *sp, struct plausible *p, struct sample *s);

/* Only /proc/meminfo (the fast watch check). */
int sample_read_meminfo(const struct sample_paths *sp, struct meminfo *m);

#endif
