/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vssd: answers freeze/thaw requests; main loop and command line. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vssd_config.h"
#include "control.h"
#include "freeze.h"
#include "hooks.h"
#include "hyperv.h"
#include "log.h"
#include "loop.h"
#include "memlock.h"
#include "notify.h"
#include "record.h"
#include "util.h"
#include "vport.h"

struct opts {
	const char *config;
	bool explicit_config, foreground, check, thaw_record, verbose;
};

/* Hyper-V, the virtio port, the watchdog, a freeze hook (2), the control listeners and clients */
#define VSSD_DYN_FDS (5 + CONTROL_MAX_LISTENERS + CONTROL_MAX_CLIENTS)

struct dyn_watch {
	int fd;
	loop_fn *fn;
};

/* The daemon: its settings (the running ones and a reload's), engine and channels. */
struct vssd {
	struct opts o;
	struct vssd_config cfgs[2];
	int cur; /* cfgs[cur] is in force */
	struct engine engine;
	struct control ctl;
	struct hv_channel hv;
	struct vport vp;
	int sfd; /* signalfd: TERM, INT, HUP, CHLD */
	bool running, reload_pending, notified_frozen;
	struct loop loop;
	struct dyn_watch dyn[VSSD_DYN_FDS]; /* the channels' fds the loop watches */
	size_t ndyn;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vssd [options]\n"
		"Freezes and thaws filesystems for host-driven live backups.\n\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"  -f, --foreground    log to stderr instead of syslog\n"
		"      --check-config  check the configuration and exit\n"
		"      --thaw-record   thaw what a stopped vssd left frozen, then exit\n"
		"  -v, --verbose       log debug messages\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n",
		VSSD_DEFAULT_CONFIG);
}

/* Thaws what a previous instance left frozen; then its thaw hooks. */
static int recover(const struct vssd_config *cfg)
{
	int r = record_thaw(cfg->state_dir, cfg->mountinfo);

	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_err("cannot replay the freeze record in %s: %s", cfg->state_dir, strerror(-r));
		return r;
	}
	log_notice("recovered from a stopped freeze: %d filesystem(s) thawed; running thaw hooks",
		   r);
	hooks_thaw_all(cfg->hooks_dir, cfg->hook_timeout_ms);
	return r;
}

/* Returns -1 to go on, else the exit status (help, version, a usage error). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "thaw-record", no_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = VSSD_DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:fvhV", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			o->explicit_config = true;
			break;
		case 'f': o->foreground = true; break;
		case 'C': o->check = true; break;
		case 'T': o->thaw_record = true; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': print_version("vssd"); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vssd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return -1;
}

/* The vsock listener, the virtio port and Hyper-V: each optional, none fatal. */
static void open_channels(struct vssd *d)
{
	const struct vssd_config *c = &d->cfgs[d->cur];
	char path[256];
	int r;

	if (c->vsock_port) {
		r = control_listen_vsock(&d->ctl, c->vsock_port, c->vsock_cids, c->n_vsock_cids);
		if (r < 0)
			log_err("cannot listen on vsock port %u: %s", c->vsock_port, strerror(-r));
		else
			log_info("listening on vsock port %u", c->vsock_port);
	}
	if (c->virtio_port[0]) {
		r = vport_resolve(c->virtio_port, c->sysfs, path, sizeof(path));
		if (r == 0)
			r = vport_open(&d->vp, path, &d->engine);
		if (r == 0)
			log_info("serving the guest agent protocol on %s", d->vp.path);
		else if (r == -ENOENT)
			log_info("no virtio port %s: not serving it", c->virtio_port);
		else
			log_err("cannot open virtio port %s: %s", c->virtio_port, strerror(-r));
	}
	hv_init(&d->hv, c->hyperv_device, &d->engine);
	if (c->hyperv == 1 || (c->hyperv == -1 && access(d->hv.path, F_OK) == 0))
		hv_open(&d->hv);
}

static void on_signals(struct vssd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT: d->running = false; break;
		case SIGCHLD: engine_reap_watchdog(&d->engine); break;
		case SIGHUP: d->reload_pending = true; break;
		}
	}
}

static void on_signalfd(int fd, short revents, void *arg)
{
	(void)fd;
	if (revents & POLLIN)
		on_signals(arg);
}

/* Everything before serving: memory lock, signals, recovery, the watchdog, the socket. */
static int setup(struct vssd *d)
{
	const struct vssd_config *c = &d->cfgs[d->cur];
	char dir[PATH_MAX];
	int r;

	r = memlock_start();
	if (r < 0)
		log_warn(
			"cannot lock memory: %s (vssd may be paged out while filesystems are frozen)",
			strerror(-r));
	d->sfd = daemon_signals((const int[]){ SIGTERM, SIGINT, SIGHUP, SIGCHLD, 0 });
	r = d->sfd < 0 ? d->sfd : loop_init(&d->loop, 1 + VSSD_DYN_FDS);
	if (r == 0)
		r = loop_add(&d->loop, d->sfd, POLLIN, on_signalfd, d);
	if (r < 0) {
		log_err("%s: %s", d->sfd < 0 ? "signalfd" : "event loop", strerror(-r));
		return -1;
	}
	recover(c);
	if (path_dirname(c->socket, dir, sizeof(dir)) == 0 && mkdir_p(dir, 0755) < 0) {
		log_err("cannot create %s: %m", dir);
		return -1;
	}
	engine_init(&d->engine, c);
	r = engine_start(&d->engine);
	if (r < 0) {
		log_err("cannot start the watchdog process: %s", strerror(-r));
		return -1;
	}
	control_init(&d->ctl, &d->engine);
	r = control_listen_unix(&d->ctl, c->socket, c->have_gid, c->socket_gid);
	if (r < 0) {
		log_err("cannot listen on %s: %s%s", c->socket, strerror(-r),
			r == -EADDRINUSE ? " (is another vssd running?)" : "");
		return -1;
	}
	open_channels(d);
	return 0;
}

/* socket_group changed: applied to the socket at once (a revoked group loses access) */
static void reload_group(struct vssd *d, const struct vssd_config *next)
{
	int r = control_set_unix_group(&d->ctl, next->have_gid, next->socket_gid);

	if (r < 0)
		log_err("socket_group: cannot set the mode of %s: %s (only root and the new group "
			"are let in all the same)",
			next->socket, strerror(-r));
	else if (next->have_gid)
		log_notice("socket_group applied: root and gid %u may use %s",
			   (unsigned)next->socket_gid, next->socket);
	else
		log_notice("socket_group removed: only root may use %s", next->socket);
}

/* SIGHUP: read the file again, after the thaw; a bad file keeps the running settings. */
static void reload(struct vssd *d)
{
	struct vssd_config *next = &d->cfgs[!d->cur], *old = &d->cfgs[d->cur];
	char err[512];

	if (!engine_idle(&d->engine)) {
		log_debug("SIGHUP while frozen or freezing: reloading after the thaw");
		return;
	}
	d->reload_pending = false;
	vssd_config_defaults(next);
	if (vssd_config_load(next, d->o.config, d->o.explicit_config, err, sizeof(err)) < 0) {
		log_err("reload failed, keeping the old settings: %s", err);
		return;
	}
	d->cur = !d->cur;
	engine_set_config(&d->engine, next);
	control_set_vsock_cids(&d->ctl, next->vsock_cids, next->n_vsock_cids);
	if (next->have_gid != old->have_gid || next->socket_gid != old->socket_gid)
		reload_group(d, next);
	if (strcmp(next->socket, old->socket) || next->vsock_port != old->vsock_port ||
	    strcmp(next->virtio_port, old->virtio_port) || next->hyperv != old->hyperv ||
	    strcmp(next->hyperv_device, old->hyperv_device))
		log_notice("changed socket, vsock_port, virtio_port or [hyperv] settings "
			   "take effect after a restart");
	log_info("configuration reloaded");
}

static void on_hyperv(int fd, short revents, void *arg)
{
	struct vssd *d = arg;

	if (fd == d->hv.fd) /* not a number the device had before a reset */
		hv_event(&d->hv, revents);
}

static void on_vport(int fd, short revents, void *arg)
{
	struct vssd *d = arg;

	if (fd == d->vp.fd)
		vport_event(&d->vp, revents);
}

/* A FIRED report (a timeout thaw to finish) or the watchdog gone: handled in the round it comes. */
static void on_watchdog(int fd, short revents, void *arg)
{
	struct vssd *d = arg;

	(void)fd;
	(void)revents;
	engine_watchdog_event(&d->engine);
}

/* A freeze hook exited or wrote: the next hook, or the freeze goes on (its reply queued). */
static void on_hook(int fd, short revents, void *arg)
{
	struct vssd *d = arg;

	(void)fd;
	(void)revents;
	engine_hooks_event(&d->engine);
}

static void on_control(int fd, short revents, void *arg)
{
	struct vssd *d = arg;
	struct pollfd p = { .fd = fd, .revents = revents };

	control_dispatch(&d->ctl, &p, 1);
}

static bool wanted(const struct pollfd *p, loop_fn *const *fn, size_t n, const struct dyn_watch *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].fd == w->fd && fn[i] == w->fn)
			return true;
	return false;
}

/*
 * The channels open and close their fds themselves (a client accepted or
 * dropped, the watchdog restarted, the virtio port resting): before each wait
 * the loop is given the fds they have now. Stale watches go first, since an
 * fd number may have moved from one channel to another.
 */
static void watch_channels(struct vssd *d)
{
	struct pollfd p[VSSD_DYN_FDS];
	loop_fn *fn[VSSD_DYN_FDS];
	size_t n = 0, i, k;

	p[n] = (struct pollfd){ .fd = d->hv.fd, .events = POLLIN };
	fn[n++] = on_hyperv;
	p[n] = vport_pollfd(&d->vp);
	fn[n++] = on_vport;
	p[n] = (struct pollfd){ .fd = engine_watchdog_fd(&d->engine), .events = POLLIN };
	fn[n++] = on_watchdog;
	for (k = engine_hook_pollfds(&d->engine, p + n); k > 0; k--)
		fn[n++] = on_hook;
	k = control_pollfds(&d->ctl, p + n, ARRAY_SIZE(p) - n);
	for (i = n; i < n + k; i++)
		fn[i] = on_control;
	n += k;
	for (i = 0; i < d->ndyn; i++)
		if (!wanted(p, fn, n, &d->dyn[i]))
			loop_del(&d->loop, d->dyn[i].fd);
	d->ndyn = 0;
	for (i = 0; i < n; i++) {
		if (p[i].fd < 0)
			continue;
		if (loop_mod(&d->loop, p[i].fd, p[i].events) < 0 &&
		    loop_add(&d->loop, p[i].fd, p[i].events, fn[i], d) < 0)
			log_err("event loop: cannot watch fd %d", p[i].fd);
		else
			d->dyn[d->ndyn++] = (struct dyn_watch){ .fd = p[i].fd, .fn = fn[i] };
	}
}

/* After the callbacks: the channels' timers, a reload put off by a freeze, the status. */
static void after_round(struct vssd *d)
{
	hv_tick(&d->hv);
	vport_tick(&d->vp);
	engine_tick(&d->engine);
	if (d->reload_pending)
		reload(d);
	if (engine_frozen(&d->engine) != d->notified_frozen) {
		d->notified_frozen = engine_frozen(&d->engine);
		notify_send(d->notified_frozen ? "STATUS=frozen" : "STATUS=thawed");
	}
}

static void run(struct vssd *d)
{
	d->running = true;
	while (d->running) {
		int timeout = hv_timeout_ms(&d->hv), vt = vport_timeout_ms(&d->vp), r;

		if (vt >= 0 && (timeout < 0 || vt < timeout))
			timeout = vt;
		vt = engine_timeout_ms(&d->engine); /* vssd's own freeze deadline */
		if (vt >= 0 && (timeout < 0 || vt < timeout))
			timeout = vt;
		watch_channels(d);
		r = loop_run_once(&d->loop, timeout);
		if (r < 0) {
			log_err("poll: %s", strerror(-r));
			break;
		}
		after_round(d);
	}
}

static void stop(struct vssd *d)
{
	char err[512];

	if (!engine_idle(&d->engine)) {
		log_notice("stopping while %s",
			   engine_frozen(&d->engine) ? "frozen: thawing first"
						     : "freeze hooks run: cancelling the freeze");
		if (engine_thaw(&d->engine, &owner_vssd, err, sizeof(err)) < 0)
			log_err("%s", err);
	}
	notify_send("STOPPING=1");
	hv_close(&d->hv);
	vport_close(&d->vp);
	control_close(&d->ctl);
	engine_free(&d->engine);
	loop_free(&d->loop);
	log_info("vssd stopped");
}

int main(int argc, char **argv)
{
	static struct vssd d = { .vp = { .fd = -1 } };
	const struct vssd_config *c = &d.cfgs[0];
	char err[512];
	int r = parse_opts(argc, argv, &d.o);

	if (r >= 0)
		return r;
	log_open("vssd", d.o.foreground || d.o.check ? LOG_TARGET_STDERR : LOG_TARGET_SYSLOG);
	if (d.o.verbose)
		log_set_max_level(LOG_DEBUG);
	vssd_config_defaults(&d.cfgs[0]);
	if (vssd_config_load(&d.cfgs[0], d.o.config, d.o.explicit_config || d.o.check, err,
			     sizeof(err)) < 0) {
		fprintf(stderr, "vssd: %s\n", err);
		return 1;
	}
	if (d.o.check) {
		printf("%s: ok\n", d.o.config);
		return 0;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "vssd: must run as root (freezing needs CAP_SYS_ADMIN)\n");
		return 1;
	}
	/* one owner of state_dir: held until exit, --thaw-record included */
	if (record_lock(c->state_dir, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return 1;
	}
	if (d.o.thaw_record)
		return recover(c) < 0 ? 1 : 0;
	if (setup(&d) < 0)
		return 1;
	log_info("vssd %s ready on %s (freeze timeout %llu ms)", PACKAGE_VERSION, c->socket,
		 (unsigned long long)c->timeout_ms);
	notify_send("READY=1\nSTATUS=thawed");
	run(&d);
	stop(&d);
	return 0;
}
