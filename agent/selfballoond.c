/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * selfballoond: the guest sizes its own memory. One event loop (common/loop.h)
 * over a PSI trigger fd, the kernel log (OOM kills), the udev monitor, the
 * balloon driver's fd and a signalfd; between events it sleeps by the sleep
 * rule (policy_watch_sleep_ms). See selfballoond(8).
 */

#include "agent_config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "driver.h"
#include "hotplug.h"
#include "log.h"
#include "logonce.h"
#include "loop.h"
#include "metrics.h"
#include "notify.h"
#include "plausible.h"
#include "policy.h"
#include "psi.h"
#include "sample.h"
#include "util.h"
#include "writefile.h"
#include "zoneinfo.h"

struct opts {
	const char *conf_path;
	bool conf_given;
	const char *root;
	char conf_abs[PATH_MAX], root_abs[PATH_MAX]; /* -c and --root made absolute */
	bool foreground, once, dry_run, check_config, verbose;
	const char *sets[32];
	int nsets;
};

/* What the callbacks of one loop round gathered. */
struct round {
	struct policy_events ev;
	bool now;   /* decide at the end of the round */
	uint64_t t; /* a decision or a look was due at t ms: the textfile may be too */
};

/* signalfd, PSI trigger, kernel log, udev monitor, the driver's fd, and room to spare */
#define AGENT_LOOP_FDS 8

struct agent {
	struct opts o;
	struct agent_conf conf;
	struct policy_conf pc;
	struct policy_state st;
	struct sample_paths sp;
	struct sample s;
	struct balloon_driver drv;
	struct hotplug hp;
	struct metrics m;
	struct decision last;
	bool have_last;
	unsigned page_kb;
	uint64_t totalreserve_kb;
	uint64_t last_decide_ms, last_textfile_ms;
	uint64_t next_full_ms, next_watch_ms; /* when the next decision, the next look are due */
	uint64_t kmsg_unmute_ms;              /* /dev/kmsg muted until then (0: watched) */
	int last_set_err, last_metrics_err;
	int kfd, sfd, psifd, drvfd; /* kfd: /dev/kmsg; drvfd: the driver's fd the loop watches */
	struct plausible intake;    /* the last believed meminfo */
	struct logonce meminfo_err, view_err; /* read failures, logged once per condition */
	struct loop loop;
	struct round round;
	bool stop;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: selfballoond [OPTIONS]\n"
		"Sizes this guest's memory balloon from Committed_AS and memory pressure.\n\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -o, --set SEC.KEY=VAL override one configuration key (repeatable)\n"
		"  -f, --foreground      stay in the foreground, log to stderr\n"
		"      --root DIR        read /proc and /sys under DIR (tests)\n"
		"      --once            sample, decide, print key=value lines, apply, exit\n"
		"      --dry-run         with --once: do not apply the decision\n"
		"      --check-config    parse the configuration and exit\n"
		"  -v, --verbose         log every decision (debug)\n"
		"  -V, --version         print the version\n"
		"  -h, --help            this text\n",
		SELFBALLOOND_DEFAULT_CONFIG);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { OPT_ROOT = 256, OPT_ONCE, OPT_DRY, OPT_CHECK };
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 'o' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	o->conf_path = SELFBALLOOND_DEFAULT_CONFIG;
	o->root = "/";
	while ((c = getopt_long(argc, argv, "c:o:fvhV", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->conf_path = optarg;
			o->conf_given = true;
			break;
		case 'o':
			if (o->nsets == 32) {
				fprintf(stderr, "selfballoond: too many --set options\n");
				return 2;
			}
			o->sets[o->nsets++] = optarg;
			break;
		case 'f': o->foreground = true; break;
		case 'v': o->verbose = true; break;
		case OPT_ROOT: o->root = optarg; break;
		case OPT_ONCE: o->once = true; break;
		case OPT_DRY: o->dry_run = true; break;
		case OPT_CHECK: o->check_config = true; break;
		case 'V': print_version("selfballoond"); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "selfballoond: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	/* after daemon() the working directory is "/": relative paths are resolved now */
	c = path_absolute(o->conf_path, o->conf_abs, sizeof(o->conf_abs));
	if (c == 0)
		c = path_absolute(o->root, o->root_abs, sizeof(o->root_abs));
	if (c < 0) {
		fprintf(stderr, "selfballoond: cannot make -c %s or --root %s absolute: %s\n",
			o->conf_path, o->root, strerror(-c));
		return 2;
	}
	o->conf_path = o->conf_abs;
	if (o->root[0])
		o->root = o->root_abs;
	if (o->dry_run && !o->once) {
		fprintf(stderr,
			"selfballoond: --dry-run goes with --once (for a daemon that applies nothing: driver = none)\n");
		return 2;
	}
	return 0;
}

/* The defaults, the file (if any) and the -o overrides into c. */
static int load_conf(const struct opts *o, struct agent_conf *c, char *err, size_t errlen)
{
	return agent_conf_build(c, o->conf_path, o->conf_given || o->check_config, o->sets,
				o->nsets, err, errlen);
}

static void read_totalreserve(struct agent *a)
{
	int r = zoneinfo_read_kb(a->o.root, a->page_kb, &a->totalreserve_kb);
	if (r < 0) {
		log_warn("zoneinfo: %s; totalreserve counts as 0", strerror(-r));
		a->totalreserve_kb = 0;
	}
}

static void print_decision(const struct agent *a, const struct balloon_view *bv,
			   const struct decision *d)
{
	const struct meminfo *mi = &a->s.mi;
	char pb[96];

	printf("driver=%s\nmode=%s\n", driver_name(&a->drv), mode_name(a->conf.mode));
	printf("mem_total_kb=%llu\nmem_free_kb=%llu\nmem_available_kb=%llu\ncommitted_as_kb=%llu\n",
	       (unsigned long long)mi->mem_total, (unsigned long long)mi->mem_free,
	       (unsigned long long)mi->mem_available, (unsigned long long)mi->committed_as);
	printf("swap_total_kb=%llu\nswap_free_kb=%llu\nmlocked_kb=%llu\ntotalreserve_kb=%llu\n",
	       (unsigned long long)mi->swap_total, (unsigned long long)mi->swap_free,
	       (unsigned long long)mi->mlocked, (unsigned long long)a->s.totalreserve_kb);
	if (a->s.have_psi)
		printf("psi_some_avg10=%u.%02u\npsi_full_avg10=%u.%02u\n",
		       a->s.psi.some.avg10 / 100, a->s.psi.some.avg10 % 100,
		       a->s.psi.full.avg10 / 100, a->s.psi.full.avg10 % 100);
	if (a->s.have_vmstat)
		printf("pswpin=%llu\nworkingset_refault=%llu\noom_kill=%llu\n",
		       (unsigned long long)a->s.vm.pswpin,
		       (unsigned long long)(a->s.vm.refault_anon + a->s.vm.refault_file),
		       (unsigned long long)a->s.vm.oom_kill);
	printf("current_kb=%llu\ngoal_kb=%llu\nfloor_kb=%llu\nceiling_kb=%llu\ntarget_kb=%llu\n",
	       (unsigned long long)d->current_kb, (unsigned long long)d->goal_kb,
	       (unsigned long long)d->floor_kb, (unsigned long long)d->ceiling_kb,
	       (unsigned long long)d->target_kb);
	printf("balloon_kb=%llu\nreason=%s\npressure=%s\n",
	       (unsigned long long)(bv->boot_kb > d->target_kb ? bv->boot_kb - d->target_kb : 0),
	       reason_name(d->reason), pressure_names(d->pressure, pb, sizeof(pb)));
}

/* The next look at MemAvailable after seeing mi at t: the sleep rule, never past the next decision. */
static void plan_watch(struct agent *a, const struct meminfo *mi, uint64_t t)
{
	uint64_t left = a->next_full_ms > t ? a->next_full_ms - t : 0;

	a->next_watch_ms = t + policy_watch_sleep_ms(&a->pc, mi, a->conf.watch_interval_ms, left);
}

/* The driver's own numbers after --once applied (reclaim, host). */
static void print_driver_stats(struct agent *a)
{
	struct driver_stats ds = { 0 };

	if (!a->drv.ops->stats || a->drv.ops->stats(&a->drv, &ds) < 0)
		return;
	if (ds.kind && !ds.host)
		printf("reclaim_method=%s\nreclaimed_kb=%llu\nreclaim_writes=%llu\n"
		       "reclaim_partial=%llu\nreclaim_swapout_kb=%llu\ncompactions=%llu\n",
		       ds.kind, (unsigned long long)ds.reclaimed_kb,
		       (unsigned long long)ds.reclaim_chunks,
		       (unsigned long long)ds.reclaim_partial,
		       (unsigned long long)ds.reclaim_swapout_kb,
		       (unsigned long long)ds.compactions);
	if (ds.have_reportable)
		printf("reportable_kb=%llu\n", (unsigned long long)ds.reportable_kb);
	if (ds.host)
		printf("host_transport=%s\nhost_connected=%s\nhost_wanted_kb=%llu\n"
		       "host_applied_kb=%llu\n",
		       ds.kind ? ds.kind : "?", ds.connected ? "yes" : "no",
		       (unsigned long long)ds.wanted_kb, (unsigned long long)ds.applied_kb);
}

/* One decision: sample, ask the policy, apply. No allocation, no stdio. */
static void decide(struct agent *a, const struct policy_events *ev)
{
	struct balloon_view bv;
	struct decision d;
	uint64_t moved;
	bool notable;
	char pb[96];
	int r;

	/*
	 * A read that fails or is not believed still decides, from the last
	 * believed values, marked stale: the policy then lowers nothing, and a
	 * pressure deflate still happens (issue 13 item 7). Logged once.
	 */
	a->s.now_ms = now_ms();
	r = sample_take(&a->sp, &a->intake, &a->s);
	if (r != 0)
		logonce_fail(&a->meminfo_err, r, LOG_ERR, "reading meminfo: %s",
			     plausible_why(r, pb, sizeof(pb)));
	else
		logonce_ok(&a->meminfo_err, "reading meminfo");
	if (!a->s.mi.mem_total)
		return; /* nothing believed yet to decide from */
	a->s.totalreserve_kb = a->totalreserve_kb;
	r = driver_read_view(&a->drv, &a->s.mi, &bv);
	if (r < 0)
		logonce_fail(&a->view_err, r, LOG_ERR, "driver %s: reading balloon: %s",
			     driver_name(&a->drv), strerror(-r));
	else
		logonce_ok(&a->view_err, "driver: reading balloon");
	policy_decide(&a->pc, &a->st, &a->s, &bv, ev, &d);
	a->m.decisions[d.reason]++;
	if (d.pressure)
		a->m.pressure_events++;
	a->m.balloon_kb = bv.boot_kb > bv.current_kb ? bv.boot_kb - bv.current_kb : 0;
	if (a->drv.ops->stats)
		a->drv.ops->stats(&a->drv, &a->m.drv);
	/* Info when something changed that matters (reason, pressure, a move of 1/256 of memory); else debug. */
	moved = d.target_kb > a->last.target_kb ? d.target_kb - a->last.target_kb
						: a->last.target_kb - d.target_kb;
	notable = !a->have_last || d.reason != a->last.reason || d.pressure != a->last.pressure ||
		  moved >= a->s.mi.mem_total / 256;
	if (notable || a->o.verbose)
		log_msg(notable ? LOG_INFO : LOG_DEBUG,
			"decision: t_ms=%llu target_kb=%llu current_kb=%llu goal_kb=%llu balloon_kb=%llu "
			"mem_available_kb=%llu reason=%s pressure=%s",
			(unsigned long long)a->s.now_ms, (unsigned long long)d.target_kb,
			(unsigned long long)d.current_kb, (unsigned long long)d.goal_kb,
			(unsigned long long)a->m.balloon_kb,
			(unsigned long long)a->s.mi.mem_available, reason_name(d.reason),
			pressure_names(d.pressure, pb, sizeof(pb)));
	if (notable) {
		char status[160];
		snprintf(status, sizeof(status),
			 "STATUS=target %llu MiB (%s), balloon %llu MiB, goal %llu MiB",
			 (unsigned long long)d.target_kb / 1024, reason_name(d.reason),
			 (unsigned long long)a->m.balloon_kb / 1024,
			 (unsigned long long)d.goal_kb / 1024);
		notify_send(status);
	}
	r = a->drv.ops->set_target(&a->drv, &a->s.mi, d.target_kb);
	if (r < 0) {
		a->m.set_errors++;
		if (r != a->last_set_err)
			log_err("driver %s: setting target %llu kB: %s", driver_name(&a->drv),
				(unsigned long long)d.target_kb, strerror(-r));
	}
	a->last_set_err = r;
	a->last = d;
	a->have_last = true;
	a->last_decide_ms = a->s.now_ms;
	a->next_full_ms = a->s.now_ms + a->conf.interval_ms;
	plan_watch(a, &a->s.mi, a->s.now_ms);
}

/*
 * The textfile, once per interval (at least 1 s apart), from the timer only:
 * not from each decision woken by PSI or the fast watch. No fsync.
 */
static void write_metrics(struct agent *a, uint64_t t)
{
	uint64_t every = a->conf.interval_ms > 1000 ? a->conf.interval_ms : 1000;
	int r;

	if (!a->conf.textfile[0] || !a->have_last ||
	    (a->last_textfile_ms && t - a->last_textfile_ms < every))
		return;
	r = metrics_write(a->conf.textfile, &a->m, &a->last, &a->s, driver_name(&a->drv),
			  mode_name(a->conf.mode));
	if (r < 0 && r != a->last_metrics_err)
		log_warn("metrics %s: %s", a->conf.textfile, strerror(-r));
	a->last_metrics_err = r;
	a->last_textfile_ms = t;
}

/* Start and reload: a textfile on a freezable filesystem can stall the loop. */
static void check_metrics_fs(const struct agent *a)
{
	unsigned long type = 0;
	int r;

	if (!a->conf.textfile[0])
		return;
	r = metrics_check_fs(a->conf.textfile, &type);
	if (r < 0)
		log_warn("metrics textfile %s: checking its directory: %s", a->conf.textfile,
			 strerror(-r));
	else if (r == 0)
		log_warn(
			"metrics textfile %s is not on tmpfs/ramfs (f_type 0x%lx): a freeze of that "
			"filesystem (fsfreeze, vssd during a backup) stalls the agent, and deflation under "
			"pressure with it, until the thaw; put it under /run (the packaged unit makes "
			"/run/selfballoond writable)",
			a->conf.textfile, type);
}

/* A watch on the loop; a failure only costs that source's wake-ups (logged). */
static void watch(struct agent *a, int fd, short events, loop_fn *fn)
{
	int r = loop_add(&a->loop, fd, events, fn, a);

	if (r < 0)
		log_err("event loop: watching fd %d: %s", fd, strerror(-r));
}

static void on_psi(int fd, short revents, void *arg)
{
	struct agent *a = arg;

	if (revents & (POLLERR | POLLNVAL)) {
		log_warn("PSI trigger went away");
		loop_del(&a->loop, fd);
		close(fd);
		a->psifd = -1;
		return;
	}
	a->round.ev.psi_trigger = true;
	a->round.now = true;
}

static int open_psi(struct agent *a)
{
	int fd;

	if (a->psifd >= 0) {
		loop_del(&a->loop, a->psifd);
		close(a->psifd);
	}
	a->psifd = -1;
	if (a->conf.mode != MODE_ADAPTIVE)
		return 0;
	fd = psi_trigger_open(a->sp.psi, a->conf.psi_stall_us, a->conf.psi_window_us);
	if (fd == -EINVAL && a->conf.psi_window_us % 2000000) {
		/* Without CAP_SYS_RESOURCE the kernel takes only windows in multiples of 2 s. */
		uint64_t w = (a->conf.psi_window_us / 2000000 + 1) * 2000000;
		uint64_t st = a->conf.psi_stall_us * w / a->conf.psi_window_us;
		fd = psi_trigger_open(a->sp.psi, st, w);
		if (fd >= 0)
			log_notice(
				"PSI trigger: window %llums refused (no CAP_SYS_RESOURCE); using %llums in %llums",
				(unsigned long long)a->conf.psi_window_us / 1000,
				(unsigned long long)st / 1000, (unsigned long long)w / 1000);
	}
	if (fd < 0) {
		log_warn("PSI trigger on %s: %s; pressure is seen at the next tick only", a->sp.psi,
			 strerror(-fd));
		return fd;
	}
	a->psifd = fd;
	watch(a, fd, POLLPRI, on_psi);
	return 0;
}

static void reload(struct agent *a)
{
	struct agent_conf c;
	char err[512], names[256];

	if (load_conf(&a->o, &c, err, sizeof(err)) < 0) {
		log_err("reload: %s; keeping the running configuration", err);
		return;
	}
	if (agent_conf_keep_driver(&c, &a->conf, names, sizeof(names)) > 0)
		log_warn("reload: driver settings change only at restart (%s); keeping driver %s "
			 "as it runs",
			 names, driver_name(&a->drv));
	a->conf = c;
	read_totalreserve(a);
	policy_conf_resolve(&a->pc, &a->conf, a->s.mi.mem_total, a->page_kb);
	a->hp.policy = c.online;
	a->hp.retries = c.online_retries;
	open_psi(a);
	a->next_full_ms = a->last_decide_ms + a->conf.interval_ms;
	a->next_watch_ms = now_ms(); /* the new rule from the next round on */
	check_metrics_fs(a);
	a->last_textfile_ms = 0; /* a new path gets a file at the next tick */
	log_notice("configuration reloaded (mode %s)", mode_name(c.mode));
}

/* Why lowering oom_score_adj failed, for the warning; "" when it is not a permission error. */
static const char *oom_hint(int r)
{
	if (r != -EPERM && r != -EACCES)
		return "";
	if (geteuid() == 0)
		return " (lowering it needs CAP_SYS_RESOURCE, which this process's capability bounding "
		       "set lacks: a container? Or set [daemon] oom_score_adj = 0)";
	return " (lowering it needs CAP_SYS_RESOURCE: run as root, or set [daemon] oom_score_adj = 0)";
}

static void set_own_oom_score(const struct agent *a)
{
	char v[16];
	int n = snprintf(v, sizeof(v), "%d", a->conf.oom_score_adj);
	int r;

	if (strcmp(a->o.root, "/") != 0)
		return; /* tests on fake trees: leave ourselves alone */
	r = write_file("/proc/self/oom_score_adj", v, (size_t)n);
	if (r < 0)
		log_warn("cannot set oom_score_adj %s: %s%s", v, strerror(-r), oom_hint(r));
}

static int run_once(struct agent *a)
{
	struct balloon_view bv;
	struct decision d;
	struct policy_events ev = { 0 };
	int r;

	r = a->drv.ops->read(&a->drv, &a->s.mi, &bv);
	if (r < 0) {
		fprintf(stderr, "selfballoond: driver %s: %s\n", driver_name(&a->drv),
			strerror(-r));
		return 1;
	}
	policy_decide(&a->pc, &a->st, &a->s, &bv, &ev, &d);
	print_decision(a, &bv, &d);
	if (a->o.dry_run || !a->drv.writes) {
		printf("applied=no\n");
	} else if (a->drv.ops->flags & DRIVER_DIES_WITH_DAEMON) {
		printf("applied=no\n");
		log_notice(
			"--once: the userspace balloon lives only as long as the daemon; not applied");
	} else {
		r = a->drv.ops->set_target(&a->drv, &a->s.mi, d.target_kb);
		printf("applied=%s\n", r < 0 ? "failed" : "yes");
		print_driver_stats(a);
		if (r < 0) {
			log_err("driver %s: %s", driver_name(&a->drv), strerror(-r));
			return 1;
		}
	}
	return 0;
}

static void on_signal(int fd, short revents, void *arg)
{
	struct agent *a = arg;
	struct signalfd_siginfo si;

	(void)revents;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(a);
		} else {
			a->stop = true;
			loop_quit(&a->loop); /* nothing else in this round */
		}
	}
}

static loop_fn on_driver;

/*
 * The driver's fd comes and goes with its child: watch the one it has now,
 * right after each driver call that may change it, so that no other source
 * can get the old number while the loop still holds it.
 */
static void watch_driver(struct agent *a)
{
	int fd = a->drv.ops->poll_fd ? a->drv.ops->poll_fd(&a->drv) : -1;

	if (fd == a->drvfd)
		return;
	if (a->drvfd >= 0)
		loop_del(&a->loop, a->drvfd);
	a->drvfd = fd;
	if (fd >= 0)
		watch(a, fd, POLLIN, on_driver);
}

static void on_driver(int fd, short revents, void *arg)
{
	struct agent *a = arg;
	struct driver_report rep;
	int r;

	(void)fd;
	(void)revents;
	r = a->drv.ops->handle(&a->drv, &rep);
	watch_driver(a); /* handle() may have closed it (the child exited) */
	if (r <= 0)
		return;
	if (rep.balloon_oom) {
		a->m.oom_deflates++;
		a->m.oom_deflated_kb += rep.freed_kb;
		a->round.ev.balloon_oom = true;
		a->round.now = true;
		log_warn("balloon OOM-killed: %llu kB went back to the guest at once",
			 (unsigned long long)rep.freed_kb);
	} else {
		log_err("balloon child exited (status 0x%x); it is restarted when needed",
			rep.status);
	}
}

static void on_hotplug(int fd, short revents, void *arg)
{
	struct agent *a = arg;

	(void)fd;
	(void)revents;
	hotplug_handle_events(&a->hp);
	read_totalreserve(a); /* new zones change the watermarks */
}

/*
 * Reads what the kernel logged since the last call: how many records, and
 * in *oom whether one came from the OOM killer. On an error other than
 * EAGAIN the rest is skipped, and if that fails the log is given up.
 */
static int drain_kmsg(struct agent *a, bool *oom)
{
	char rec[8192]; /* the longest record the kernel makes (CONSOLE_EXT_LOG_MAX) */
	int records = 0;
	ssize_t n;

	*oom = false;
	while ((n = read(a->kfd, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0 && errno == EPIPE)
			continue; /* records overwritten before we read them */
		if (n < 0 && errno != EAGAIN && lseek(a->kfd, 0, SEEK_END) < 0) {
			log_warn("/dev/kmsg: %s; an OOM kill is seen at the next decision",
				 strerror(errno));
			loop_del(&a->loop, a->kfd);
			close(a->kfd);
			a->kfd = -1;
		}
		if (n < 0)
			break; /* EAGAIN: all read (or the rest skipped) */
		rec[n] = '\0';
		records++;
		if (strstr(rec, "Out of memory") || strstr(rec, "oom-kill:"))
			*oom = true;
	}
	return records;
}

/* Mutes the kernel log for watch_interval: a chatty kernel wakes the agent at most that often. */
static void mute_kmsg(struct agent *a, uint64_t t)
{
	if (a->kfd < 0)
		return;
	loop_mod(&a->loop, a->kfd, 0);
	a->kmsg_unmute_ms = t + a->conf.watch_interval_ms;
}

/*
 * The kernel log as the OOM killer's doorbell: a record from the OOM killer
 * makes the agent decide at once (the policy then reads vmstat's oom_kill,
 * the count it acts on). Any other record mutes the log for watch_interval;
 * at the end of it what came meanwhile is read, so a kill among a chatty
 * kernel's records is still seen within watch_interval.
 */
static void on_kmsg(int fd, short revents, void *arg)
{
	struct agent *a = arg;
	bool oom;

	(void)fd;
	(void)revents;
	drain_kmsg(a, &oom);
	if (oom)
		a->round.now = true;
	else
		mute_kmsg(a, now_ms());
}

/* The mute is over: what came meanwhile, then the log watched again if it was quiet. */
static void unmute_kmsg(struct agent *a, uint64_t t)
{
	bool oom;

	a->kmsg_unmute_ms = 0;
	if (a->kfd < 0)
		return;
	if (drain_kmsg(a, &oom) > 0 && !oom)
		mute_kmsg(a, t);
	else if (a->kfd >= 0)
		loop_mod(&a->loop, a->kfd, POLLIN);
	if (oom)
		a->round.now = true;
}

/*
 * The loop's timeout ran out: a full decision when one is due (retried after
 * watch_interval if it fails), else a look at MemAvailable alone (the fast
 * watch), a decision at once when it is under the floor.
 */
static void on_time(struct agent *a, uint64_t t)
{
	struct meminfo mi;

	if (a->kmsg_unmute_ms && t >= a->kmsg_unmute_ms)
		unmute_kmsg(a, t);
	if (t + 5 >= a->next_full_ms) {
		a->round.t = t;
		a->round.now = true;
		a->next_full_ms = t + a->conf.watch_interval_ms;
		a->next_watch_ms = a->next_full_ms;
		if (hotplug_tick(&a->hp) > 0)
			read_totalreserve(a);
	} else if (t >= a->next_watch_ms) {
		a->round.t = t;
		a->next_watch_ms = t + a->conf.watch_interval_ms;
		if (sample_read_meminfo(&a->sp, &mi) < 0)
			return;
		if (policy_avail_short(&a->pc, &mi) || policy_demand_rose(&a->pc, &a->s.mi, &mi))
			a->round.now = true;
		else
			plan_watch(a, &mi, t);
	}
}

/* ms until the next decision or look is due, for the loop's timeout */
static int sleep_ms(const struct agent *a)
{
	uint64_t t = now_ms();
	uint64_t due = a->next_watch_ms < a->next_full_ms ? a->next_watch_ms : a->next_full_ms;

	if (a->kmsg_unmute_ms && a->kmsg_unmute_ms < due)
		due = a->kmsg_unmute_ms;
	if (due <= t)
		return 0;
	return due - t > INT_MAX ? INT_MAX : (int)(due - t);
}

static void open_kmsg(struct agent *a)
{
	int e;

	if (strcmp(a->o.root, "/") != 0)
		return; /* tests on fake trees: no kernel log */
	a->kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (a->kfd < 0 || lseek(a->kfd, 0, SEEK_END) < 0) {
		e = errno;
		if (a->kfd >= 0)
			close(a->kfd);
		a->kfd = -1;
		log_notice("/dev/kmsg: %s; an OOM kill is seen at the next decision", strerror(e));
		return;
	}
	watch(a, a->kfd, POLLIN, on_kmsg);
}

/* Locks, signals, the timer, PSI, hotplug and the loop's watches; then the first decision. */
static int start(struct agent *a)
{
	struct policy_events none = { 0 };
	int r;

	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		log_warn("mlockall: %s", strerror(errno));
	set_own_oom_score(a);
	r = loop_init(&a->loop, AGENT_LOOP_FDS);
	if (r < 0) {
		log_err("event loop: %s", strerror(-r));
		return -1;
	}
	a->sfd = daemon_signals((const int[]){ SIGHUP, SIGTERM, SIGINT, 0 });
	if (a->sfd < 0) {
		log_err("signalfd: %s", strerror(-a->sfd));
		return -1;
	}
	watch(a, a->sfd, POLLIN, on_signal);
	open_kmsg(a);
	open_psi(a);
	hotplug_open(&a->hp, a->o.root, a->conf.online, a->conf.online_retries,
		     strcmp(a->o.root, "/") == 0);
	r = hotplug_scan(&a->hp);
	if (r < 0 && a->conf.online != ONLINE_OFF)
		log_warn("memory blocks: %s", strerror(-r));
	if (hotplug_fd(&a->hp) >= 0)
		watch(a, hotplug_fd(&a->hp), POLLIN, on_hotplug);

	check_metrics_fs(a);
	decide(a, &none);
	write_metrics(a, now_ms());
	notify_send("READY=1");
	log_notice("started: driver %s, mode %s, interval %llums", driver_name(&a->drv),
		   mode_name(a->conf.mode), (unsigned long long)a->conf.interval_ms);
	return 0;
}

/* Until SIGTERM or SIGINT: wait, let the callbacks gather what happened, decide once. */
static int serve(struct agent *a)
{
	int r;

	while (!a->stop) {
		watch_driver(a);
		a->round = (struct round){ 0 };
		r = loop_run_once(&a->loop, sleep_ms(a));
		if (r < 0) {
			log_err("poll: %s", strerror(-r));
			return 1;
		}
		if (a->stop)
			break;
		on_time(a, now_ms());
		if (a->round.now) {
			decide(a, &a->round.ev);
			watch_driver(a); /* set_target() may have started a child */
		}
		if (a->round.t)
			write_metrics(a, a->round.t);
	}
	return 0;
}

static int run_daemon(struct agent *a)
{
	int r;

	if (start(a) < 0)
		return 1;
	r = serve(a);
	if (r)
		return r;
	notify_send("STOPPING=1");
	log_notice("stopping: %s",
		   a->drv.ops->flags & DRIVER_DIES_WITH_DAEMON ? "releasing the balloon"
		   : !a->drv.writes                            ? "nothing was applied"
		   : a->conf.on_exit == ON_EXIT_RESTORE        ? "restoring the initial target"
							       : "keeping the target");
	return 0;
}

int main(int argc, char **argv)
{
	static struct agent a;
	struct driver_params dp;
	char err[512], why[512];
	int r;
	long ps;

	/* a heap grown by what it needs, not 128 KiB ahead: mlockall keeps all of it resident */
	mallopt(M_TOP_PAD, 16 * 1024);
	a.psifd = a.kfd = a.sfd = a.drvfd = -1;
	r = parse_opts(argc, argv, &a.o);
	if (r)
		return r;
	log_open("selfballoond", a.o.foreground || a.o.once || a.o.check_config
					 ? LOG_TARGET_STDERR
					 : LOG_TARGET_SYSLOG);
	log_set_max_level(a.o.verbose ? LOG_DEBUG : LOG_INFO);
	r = load_conf(&a.o, &a.conf, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "selfballoond: %s\n", err);
		return 1;
	}
	if (a.o.check_config) {
		printf("%s: ok\n", a.o.conf_path); /* --check-config: the file must exist */
		return 0;
	}
	ps = sysconf(_SC_PAGESIZE);
	a.page_kb = ps >= 1024 ? (unsigned)(ps / 1024) : 4;
	if (sample_paths_init(&a.sp, a.o.root) < 0 || (r = sample_read(&a.sp, &a.s)) < 0) {
		fprintf(stderr, "selfballoond: reading %s: %s\n", a.sp.meminfo,
			strerror(r < 0 ? -r : ENAMETOOLONG));
		return 1;
	}
	a.s.now_ms = now_ms();
	read_totalreserve(&a);
	a.s.totalreserve_kb = a.totalreserve_kb;
	policy_conf_resolve(&a.pc, &a.conf, a.s.mi.mem_total, a.page_kb);

	if (!a.o.foreground && !a.o.once && daemon(0, 0) < 0) {
		log_err("daemon: %s", strerror(errno));
		return 1;
	}
	dp = (struct driver_params){ .root = a.o.root,
				     .conf = &a.conf,
				     .page_kb = a.page_kb,
				     .mi = &a.s.mi,
				     .sync = a.o.once };
	r = driver_open(&a.drv, &dp, why, sizeof(why));
	if (why[0])
		log_msg(r < 0 ? LOG_ERR : LOG_INFO, "%s", why);
	if (r < 0)
		return 1;
	r = a.o.once ? run_once(&a) : run_daemon(&a);
	a.drv.ops->close(&a.drv, a.conf.on_exit == ON_EXIT_RESTORE && !a.o.once);
	hotplug_close(&a.hp);
	log_close();
	return r;
}
