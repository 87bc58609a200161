/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prometheus textfile with target, current, goal, pressure, decisions by reason, OOM deflates. */

#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util.h"
#include "writefile.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif

#define ADD(...)                                                   \
	do {                                                       \
		int w_ = snprintf(buf + n, size - n, __VA_ARGS__); \
		if (w_ < 0 || (unsigned)w_ >= size - n)            \
			return (int)n;                             \
		n += (unsigned)w_;                                 \
	} while (0)

/* The driver's own numbers (reclaim, host), after the rest; returns the new length. */
static unsigned format_driver(char *buf, unsigned size, unsigned n, const struct driver_stats *ds)
{
	if (ds->kind && !ds->host) {
		ADD("# HELP selfballoond_reclaimed_bytes_total Memory freed by proactive reclaim.\n"
		    "# TYPE selfballoond_reclaimed_bytes_total counter\n"
		    "selfballoond_reclaimed_bytes_total{method=\"%s\"} %llu\n",
		    ds->kind, (unsigned long long)ds->reclaimed_kb * 1024);
		ADD("# HELP selfballoond_reclaim_writes_total Reclaim writes, and those that fell short.\n"
		    "# TYPE selfballoond_reclaim_writes_total counter\n"
		    "selfballoond_reclaim_writes_total %llu\nselfballoond_reclaim_partial_total %llu\n",
		    (unsigned long long)ds->reclaim_chunks,
		    (unsigned long long)ds->reclaim_partial);
		ADD("# HELP selfballoond_reclaim_swapout_bytes_total Swapped out while reclaiming.\n"
		    "# TYPE selfballoond_reclaim_swapout_bytes_total counter\n"
		    "selfballoond_reclaim_swapout_bytes_total %llu\n"
		    "selfballoond_compactions_total %llu\n",
		    (unsigned long long)ds->reclaim_swapout_kb * 1024,
		    (unsigned long long)ds->compactions);
	}
	if (ds->have_reportable)
		ADD("# HELP selfballoond_reportable_bytes Free memory in blocks free page reporting returns.\n"
		    "# TYPE selfballoond_reportable_bytes gauge\nselfballoond_reportable_bytes %llu\n",
		    (unsigned long long)ds->reportable_kb * 1024);
	if (ds->host)
		ADD("# HELP selfballoond_host_balloon_bytes Balloon asked of the host, and applied.\n"
		    "# TYPE selfballoond_host_balloon_bytes gauge\n"
		    "selfballoond_host_balloon_bytes{what=\"wanted\"} %llu\n"
		    "selfballoond_host_balloon_bytes{what=\"applied\"} %llu\n"
		    "selfballoond_host_connected %u\nselfballoond_host_errors_total %llu\n",
		    (unsigned long long)ds->wanted_kb * 1024,
		    (unsigned long long)ds->applied_kb * 1024, ds->connected ? 1u : 0u,
		    (unsigned long long)ds->host_errors);
	return n;
}

int metrics_format(char *buf, unsigned size, const struct metrics *m, const struct decision *d,
		   const struct sample *s, const char *driver, const char *mode)
{
	unsigned n = 0;
	int r;

	buf[0] = '\0';
	ADD("# HELP selfballoond_info Driver and policy mode.\n# TYPE selfballoond_info gauge\n"
	    "selfballoond_info{driver=\"%s\",mode=\"%s\"} 1\n",
	    driver, mode);
	ADD("# HELP selfballoond_target_bytes Memory the guest should keep.\n"
	    "# TYPE selfballoond_target_bytes gauge\nselfballoond_target_bytes %llu\n",
	    (unsigned long long)d->target_kb * 1024);
	ADD("# HELP selfballoond_current_bytes Memory the guest has now.\n"
	    "# TYPE selfballoond_current_bytes gauge\nselfballoond_current_bytes %llu\n",
	    (unsigned long long)d->current_kb * 1024);
	ADD("# HELP selfballoond_goal_bytes Committed_AS + totalreserve + reserved.\n"
	    "# TYPE selfballoond_goal_bytes gauge\nselfballoond_goal_bytes %llu\n",
	    (unsigned long long)d->goal_kb * 1024);
	ADD("# HELP selfballoond_balloon_bytes Memory taken from the guest by the balloon.\n"
	    "# TYPE selfballoond_balloon_bytes gauge\nselfballoond_balloon_bytes %llu\n",
	    (unsigned long long)m->balloon_kb * 1024);
	ADD("# HELP selfballoond_mem_available_bytes MemAvailable at the last decision.\n"
	    "# TYPE selfballoond_mem_available_bytes gauge\nselfballoond_mem_available_bytes %llu\n",
	    (unsigned long long)s->mi.mem_available * 1024);
	ADD("# HELP selfballoond_psi_some_ratio Share of time some task stalled on memory (last period).\n"
	    "# TYPE selfballoond_psi_some_ratio gauge\nselfballoond_psi_some_ratio %u.%04u\n",
	    d->psi_some_pct / 10000, d->psi_some_pct % 10000);
	ADD("# HELP selfballoond_pressure Whether the last decision saw pressure.\n"
	    "# TYPE selfballoond_pressure gauge\nselfballoond_pressure %u\n",
	    d->pressure ? 1u : 0u);
	ADD("# HELP selfballoond_decisions_total Decisions by reason.\n"
	    "# TYPE selfballoond_decisions_total counter\n");
	for (r = 0; r < REASON_COUNT; r++)
		ADD("selfballoond_decisions_total{reason=\"%s\"} %llu\n",
		    reason_name((enum reason)r), (unsigned long long)m->decisions[r]);
	ADD("# HELP selfballoond_pressure_events_total Decisions that saw pressure.\n"
	    "# TYPE selfballoond_pressure_events_total counter\nselfballoond_pressure_events_total %llu\n",
	    (unsigned long long)m->pressure_events);
	ADD("# HELP selfballoond_oom_deflates_total Times the OOM killer took the userspace balloon.\n"
	    "# TYPE selfballoond_oom_deflates_total counter\nselfballoond_oom_deflates_total %llu\n",
	    (unsigned long long)m->oom_deflates);
	ADD("# HELP selfballoond_set_errors_total Failed driver writes.\n"
	    "# TYPE selfballoond_set_errors_total counter\nselfballoond_set_errors_total %llu\n",
	    (unsigned long long)m->set_errors);
	return (int)format_driver(buf, size, n, &m->drv);
}

static char metrics_buf[8192];
/*
 * tmp + rename, and no fsync: the textfile is a cache for node_exporter, not
 * worth a stall of the loop (fsync waits for the disk, and for the whole of a
 * freeze of that filesystem). After a crash it is rewritten within a second.
 */
int metrics_write(const char *path, const struct metrics *m, const struct decision *d,
		  const struct sample *s, const char *driver, const char *mode)
{
	int n = metrics_format(metrics_buf, sizeof(metrics_buf), m, d, s, driver, mode);

	return write_file_replace(path, metrics_buf, (size_t)n, 0644);
}

int metrics_check_fs(const char *path, unsigned long *fs_type)
{
	char dir[4096];
	struct statfs sf;

	if (path_dirname(path, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	if (statfs(dir, &sf) < 0)
		return -errno;
	*fs_type = (unsigned long)sf.f_type;
	return (unsigned long)sf.f_type == TMPFS_MAGIC || (unsigned long)sf.f_type == RAMFS_MAGIC;
}
