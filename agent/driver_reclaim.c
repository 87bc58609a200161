/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * driver = reclaim: no balloon at all. The guest's footprint (MemTotal -
 * MemFree: what the host has to back) is brought down to the policy's target
 * by proactive reclaim, and the VMM's free page reporting hands the freed
 * memory back to the host. The root cgroup's memory.reclaim (Linux 5.19) is
 * written in chunks of [balloon] chunk by a worker thread, so the poll loop
 * never blocks on it; the loop only posts the latest request (set_target).
 * A request that does not shrink (the policy holding or deflating: pressure,
 * cool-down) stops the worker after the chunk under way. Without
 * memory.reclaim, /proc/sys/vm/drop_caches is the crude fallback (all clean
 * page cache at once, at most once per back-off period).
 *
 * Bounds: a chunk the kernel could not fully reclaim (EAGAIN) or one during
 * which pswpout rose (reclaim pushing anon pages to swap) ends the round and
 * holds reclaim for RECLAIM_BACKOFF_MS. After a round that reclaimed, free
 * memory that is mostly in blocks smaller than page_reporting_order (which
 * reporting cannot hand back) is compacted, at most once per
 * RECLAIM_COMPACT_MS.
 *
 * The worker (struct reclaimer) is also driver = host's trimming ([host]
 * reclaim, driver_host.c): the same rounds, posted with the footprint the
 * host driver computes (the guest's own, without the balloon).
 */

#include "driver.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "plausible.h"
#include "util.h"
#include "writefile.h"

#define RECLAIM_BACKOFF_MS 30000
#define RECLAIM_COMPACT_MS 60000
#define RECLAIM_MIN_KB 2048        /* smaller gaps are not worth a write */
#define RECLAIM_STACK (256 * 1024) /* the worker's stack (locked by mlockall) */

int (*driver_reclaim_write)(const char *path, const char *data, size_t len) = write_file;

enum method { M_MEMCG, M_DROP };

struct reclaimer {
	char reclaim[256], drop[256], compact[256], meminfo[256], vmstat[256], buddy[256],
		order[256];
	enum method method;
	unsigned page_kb;
	uint64_t chunk_kb;
	bool threaded;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu: the request (latest wins) and what the worker reports */
	uint64_t want_kb, gen;
	bool pending, shrink, quit;
	struct driver_stats st;
	int last_err;
	/* the worker's own */
	uint64_t hold_until_ms, last_compact_ms;
	char buf[32768];
};

static void stats_add(struct reclaimer *rc, const struct driver_stats *d)
{
	pthread_mutex_lock(&rc->mu);
	rc->st.reclaimed_kb += d->reclaimed_kb;
	rc->st.reclaim_chunks += d->reclaim_chunks;
	rc->st.reclaim_partial += d->reclaim_partial;
	rc->st.reclaim_swapout_kb += d->reclaim_swapout_kb;
	rc->st.compactions += d->compactions;
	if (d->have_reportable) {
		rc->st.have_reportable = true;
		rc->st.reportable_kb = d->reportable_kb;
	}
	pthread_mutex_unlock(&rc->mu);
}

static int read_meminfo(struct reclaimer *rc, struct meminfo *mi)
{
	ssize_t n = read_file(rc->meminfo, rc->buf, sizeof(rc->buf));

	return n < 0 ? (int)n : meminfo_parse(rc->buf, mi);
}

/* pswpout now, or false when vmstat has none (no swap accounting: nothing to bound). */
static bool read_pswpout(struct reclaimer *rc, uint64_t *v)
{
	struct vmstat vm;

	if (read_file(rc->vmstat, rc->buf, sizeof(rc->buf)) < 0 || vmstat_parse(rc->buf, &vm) < 0 ||
	    !(vm.present & VM_PSWPOUT))
		return false;
	*v = vm.pswpout;
	return true;
}

int driver_reclaim_reportable(const char *buddyinfo, unsigned order, unsigned page_kb, uint64_t *kb)
{
	char buf[4096];
	ssize_t n = read_file(buddyinfo, buf, sizeof(buf));
	const char *p = buf;
	uint64_t sum = 0, cnt;
	unsigned o;

	if (n < 0)
		return (int)n;
	while (*p) {
		/* "Node 0, zone   Normal   12 3 ... ": counts by order after the zone name */
		const char *z = strstr(p, "zone");
		const char *eol = strchr(p, '\n');

		if (!eol)
			eol = p + strlen(p);
		if (z && z < eol) {
			p = z + 4;
			while (*p == ' ')
				p++;
			p += strcspn(p, " \n"); /* the zone's name */
			for (o = 0; p < eol; o++) {
				while (*p == ' ')
					p++;
				if (p >= eol || !take_u64(&p, &cnt))
					break;
				if (o >= order && o < 40)
					sum = sat_add(sum, sat_mul(cnt, (uint64_t)page_kb << o));
			}
		}
		p = *eol ? eol + 1 : eol;
	}
	*kb = sum;
	return 0;
}

/* Free memory reporting can hand back now; false when there is no reporting (or no buddyinfo). */
static bool reportable(struct reclaimer *rc, uint64_t *kb)
{
	uint64_t order;

	if (driver_read_u64(rc->order, &order) < 0 || order > 30)
		return false;
	return driver_reclaim_reportable(rc->buddy, (unsigned)order, rc->page_kb, kb) == 0;
}

/* One chunk. Returns 0 (reclaimed in full), -EAGAIN (partly), -EBUSY (swap rose), -errno. */
static int reclaim_chunk(struct reclaimer *rc, uint64_t kb, struct driver_stats *d)
{
	struct meminfo before = { 0 }, after = { 0 };
	uint64_t sw0 = 0, sw1 = 0;
	bool have_sw = read_pswpout(rc, &sw0);
	char v[32];
	int n, r;

	if (rc->method == M_MEMCG) {
		n = snprintf(v, sizeof(v), "%llu", (unsigned long long)kb * 1024);
		r = driver_reclaim_write(rc->reclaim, v, (size_t)n);
		if (r == 0)
			d->reclaimed_kb += kb;
	} else {
		(void)read_meminfo(rc, &before);
		r = driver_reclaim_write(rc->drop, "1", 1);
		if (r == 0 && read_meminfo(rc, &after) == 0)
			d->reclaimed_kb += sat_sub(after.mem_free, before.mem_free);
		if (r == 0)
			r = -EAGAIN; /* everything clean went at once: hold until the back-off */
	}
	d->reclaim_chunks++;
	if (r == -EAGAIN)
		d->reclaim_partial++;
	if (have_sw && read_pswpout(rc, &sw1) && sw1 > sw0) {
		d->reclaim_swapout_kb += (sw1 - sw0) * rc->page_kb;
		if (r == 0)
			r = -EBUSY;
	}
	return r;
}

/* What is reportable; with compact, compacts when free memory is mostly in blocks too small. */
static void check_free(struct reclaimer *rc, bool compact, struct driver_stats *d)
{
	struct meminfo mi;
	uint64_t rep, small, t = now_ms();

	if (!reportable(rc, &rep))
		return;
	d->have_reportable = true;
	d->reportable_kb = rep;
	if (!compact || read_meminfo(rc, &mi) < 0 || mi.mem_free <= rep)
		return;
	small = mi.mem_free - rep;
	if (small < rc->chunk_kb || small < mi.mem_free / 4 ||
	    (rc->last_compact_ms && t - rc->last_compact_ms < RECLAIM_COMPACT_MS))
		return;
	rc->last_compact_ms = t;
	if (driver_reclaim_write(rc->compact, "1", 1) < 0)
		return;
	d->compactions++;
	if (reportable(rc, &rep))
		d->reportable_kb = rep;
}

/* Is the request the worker took (gen) still the latest? */
static bool still_wanted(struct reclaimer *rc, uint64_t gen)
{
	bool yes;

	if (!rc->threaded)
		return true;
	pthread_mutex_lock(&rc->mu);
	yes = rc->gen == gen && !rc->quit;
	pthread_mutex_unlock(&rc->mu);
	return yes;
}

/* One request: want_kb in chunks while it stays the latest; then compaction. */
static void reclaim_round(struct reclaimer *rc, uint64_t want_kb, bool shrink, uint64_t gen)
{
	struct driver_stats d = { 0 };
	uint64_t kb;
	int r = 0;

	while (shrink && want_kb >= RECLAIM_MIN_KB && now_ms() >= rc->hold_until_ms) {
		kb = want_kb < rc->chunk_kb ? want_kb : rc->chunk_kb;
		r = reclaim_chunk(rc, kb, &d);
		want_kb -= kb;
		if (r < 0) {
			if (r == -EAGAIN || r == -EBUSY)
				rc->hold_until_ms = now_ms() + RECLAIM_BACKOFF_MS;
			break;
		}
		if (!still_wanted(rc, gen))
			break;
	}
	check_free(rc, shrink && still_wanted(rc, gen), &d);
	stats_add(rc, &d);
	pthread_mutex_lock(&rc->mu);
	rc->last_err = r == -EAGAIN || r == -EBUSY ? 0 : r;
	pthread_mutex_unlock(&rc->mu);
}

static void *reclaim_worker(void *arg)
{
	struct reclaimer *rc = arg;
	uint64_t want, gen;
	bool shrink;

	pthread_mutex_lock(&rc->mu);
	while (!rc->quit) {
		if (!rc->pending) {
			pthread_cond_wait(&rc->cv, &rc->mu);
			continue;
		}
		rc->pending = false;
		want = rc->want_kb;
		shrink = rc->shrink;
		gen = rc->gen;
		pthread_mutex_unlock(&rc->mu);
		reclaim_round(rc, want, shrink, gen);
		pthread_mutex_lock(&rc->mu);
	}
	pthread_mutex_unlock(&rc->mu);
	return NULL;
}

static int join_paths(struct reclaimer *rc, const char *root)
{
	return path_join(rc->reclaim, sizeof(rc->reclaim), root, "sys/fs/cgroup/memory.reclaim") ||
	       path_join(rc->drop, sizeof(rc->drop), root, "proc/sys/vm/drop_caches") ||
	       path_join(rc->compact, sizeof(rc->compact), root, "proc/sys/vm/compact_memory") ||
	       path_join(rc->meminfo, sizeof(rc->meminfo), root, "proc/meminfo") ||
	       path_join(rc->vmstat, sizeof(rc->vmstat), root, "proc/vmstat") ||
	       path_join(rc->buddy, sizeof(rc->buddy), root, "proc/buddyinfo") ||
	       path_join(rc->order, sizeof(rc->order), root,
			 "sys/module/page_reporting/parameters/page_reporting_order");
}

/* The worker, with every signal blocked (they belong to the main thread's signalfd). */
static int start_worker(struct reclaimer *rc)
{
	pthread_attr_t at;
	sigset_t all, old;
	int r;

	if (pthread_attr_init(&at))
		return -ENOMEM;
	pthread_attr_setstacksize(&at, RECLAIM_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&rc->th, &at, reclaim_worker, rc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	return -r;
}

int reclaimer_open(struct reclaimer **out, const struct driver_params *p, bool drop_ok)
{
	struct reclaimer *rc = calloc(1, sizeof(*rc));
	int r;

	*out = NULL;
	if (!rc)
		return -ENOMEM;
	if (join_paths(rc, p->root)) {
		free(rc);
		return -ENAMETOOLONG;
	}
	rc->page_kb = p->page_kb;
	rc->chunk_kb = p->conf->chunk_bytes / 1024;
	rc->method = access(rc->reclaim, W_OK) == 0 ? M_MEMCG : M_DROP;
	if (rc->method == M_DROP && (!drop_ok || access(rc->drop, W_OK) < 0)) {
		r = drop_ok ? -errno : -ENOENT;
		free(rc);
		return r == -ENOENT ? -ENODEV : r;
	}
	if (rc->method == M_DROP)
		log_notice("reclaim: no %s (Linux < 5.19, or no cgroup2 memory controller): "
			   "falling back to drop_caches",
			   rc->reclaim);
	pthread_mutex_init(&rc->mu, NULL);
	pthread_cond_init(&rc->cv, NULL);
	rc->threaded = !p->sync;
	if (rc->threaded && (r = start_worker(rc)) < 0) {
		free(rc);
		return r;
	}
	*out = rc;
	return 0;
}

int reclaimer_post(struct reclaimer *rc, uint64_t foot_kb, uint64_t target_kb)
{
	int err;

	pthread_mutex_lock(&rc->mu);
	rc->want_kb = sat_sub(foot_kb, target_kb);
	rc->shrink = rc->want_kb > 0;
	rc->gen++;
	rc->pending = true;
	err = rc->last_err;
	rc->last_err = 0;
	pthread_cond_signal(&rc->cv);
	pthread_mutex_unlock(&rc->mu);
	if (!rc->threaded) {
		rc->pending = false;
		reclaim_round(rc, rc->want_kb, rc->shrink, rc->gen);
		err = rc->last_err;
	}
	return err;
}

void reclaimer_stats(struct reclaimer *rc, struct driver_stats *st)
{
	pthread_mutex_lock(&rc->mu);
	st->reclaimed_kb = rc->st.reclaimed_kb;
	st->reclaim_chunks = rc->st.reclaim_chunks;
	st->reclaim_partial = rc->st.reclaim_partial;
	st->reclaim_swapout_kb = rc->st.reclaim_swapout_kb;
	st->compactions = rc->st.compactions;
	st->reportable_kb = rc->st.reportable_kb;
	st->have_reportable = rc->st.have_reportable;
	pthread_mutex_unlock(&rc->mu);
}

const char *reclaimer_kind(const struct reclaimer *rc)
{
	return rc->method == M_MEMCG ? "memory.reclaim" : "drop_caches";
}

void reclaimer_close(struct reclaimer *rc)
{
	if (!rc)
		return;
	if (rc->threaded) {
		pthread_mutex_lock(&rc->mu);
		rc->quit = true;
		pthread_cond_signal(&rc->cv);
		pthread_mutex_unlock(&rc->mu);
		pthread_join(rc->th, NULL);
	}
	pthread_cond_destroy(&rc->cv);
	pthread_mutex_destroy(&rc->mu);
	free(rc);
}

static int reclaim_open(struct balloon_driver *d, const struct driver_params *p)
{
	struct reclaimer *rc;
	int r = reclaimer_open(&rc, p, true);

	if (r < 0)
		return r;
	d->priv = rc;
	d->writes = true;
	return 0;
}

/* The balloon view: nothing is ever taken from the guest; current is its footprint. */
static int reclaim_read(struct balloon_driver *d, const struct meminfo *mi, struct balloon_view *bv)
{
	memset(bv, 0, sizeof(*bv));
	bv->current_kb = sat_sub(mi->mem_total, mi->mem_free);
	bv->max_kb = mi->mem_total;
	bv->boot_kb = mi->mem_total;
	return 0;
}

/*
 * Posts the request: reclaim footprint - target when that shrinks the
 * footprint; anything else stops the worker after its chunk. Never blocks on
 * the reclaim (sync mode, --once: runs it here).
 */
static int reclaim_set_target(struct balloon_driver *d, const struct meminfo *mi,
			      uint64_t target_kb)
{
	return reclaimer_post(d->priv, sat_sub(mi->mem_total, mi->mem_free), target_kb);
}

static int reclaim_stats(struct balloon_driver *d, struct driver_stats *st)
{
	memset(st, 0, sizeof(*st));
	reclaimer_stats(d->priv, st);
	st->kind = reclaimer_kind(d->priv);
	return 0;
}

static void reclaim_close(struct balloon_driver *d, bool restore)
{
	(void)restore; /* nothing was taken: nothing to give back */
	reclaimer_close(d->priv);
	d->priv = NULL;
}

const struct driver_ops driver_reclaim_ops = {
	.name = "reclaim",
	.open = reclaim_open,
	.read = reclaim_read,
	.set_target = reclaim_set_target,
	.stats = reclaim_stats,
	.close = reclaim_close,
};
