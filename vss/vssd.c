/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vssd: answers freeze/thaw requests; main loop and command line. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vssd_config.h"
#include "control.h"
#include "freeze.h"
#include "hooks.h"
#include "hyperv.h"
#include "log.h"
#include "notify.h"
#include "record.h"
#include "util.h"
#include "vport.h"

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

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "thaw-record", no_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct vssd_config cfgs[2];
	static struct engine engine;
	static struct control ctl;
	static struct hv_channel hv;
	static struct vport vp = { .fd = -1 };
	const char *config = VSSD_DEFAULT_CONFIG;
	bool explicit_config = false, foreground = false, check = false, thaw_record = false;
	bool running = true;
	bool notified_frozen = false;
	bool reload_pending = false;
	int cur = 0, sfd, o, r;
	char err[512], dir[256];

	while ((o = getopt_long(argc, argv, "c:fvhV", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			config = optarg;
			explicit_config = true;
			break;
		case 'f': foreground = true; break;
		case 'C': check = true; break;
		case 'T': thaw_record = true; break;
		case 'v': log_set_max_level(LOG_DEBUG); break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vssd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vssd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	log_open("vssd", foreground || check ? LOG_TARGET_STDERR : LOG_TARGET_SYSLOG);
	vssd_config_defaults(&cfgs[0]);
	r = vssd_config_load(&cfgs[0], config, explicit_config, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "vssd: %s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: ok\n", config);
		return 0;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "vssd: must run as root (freezing needs CAP_SYS_ADMIN)\n");
		return 1;
	}
	if (mkdir_p(cfgs[0].state_dir, 0700) < 0) {
		log_err("cannot create state_dir %s: %m", cfgs[0].state_dir);
		return 1;
	}
	if (thaw_record)
		return recover(&cfgs[0]) < 0 ? 1 : 0;

	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		log_warn("mlockall: %m (vssd may be paged out while filesystems are frozen)");
	signal(SIGPIPE, SIG_IGN);
	sfd = open_signals();
	if (sfd < 0) {
		log_err("signalfd: %s", strerror(-sfd));
		return 1;
	}
	recover(&cfgs[0]);
	if (path_dirname(cfgs[0].socket, dir, sizeof(dir)) == 0 && mkdir_p(dir, 0755) < 0) {
		log_err("cannot create %s: %m", dir);
		return 1;
	}
	engine_init(&engine, &cfgs[0]);
	r = engine_start(&engine);
	if (r < 0) {
		log_err("cannot start the watchdog process: %s", strerror(-r));
		return 1;
	}
	control_init(&ctl, &engine);
	r = control_listen_unix(&ctl, cfgs[0].socket, cfgs[0].have_gid, cfgs[0].socket_gid);
	if (r < 0) {
		log_err("cannot listen on %s: %s%s", cfgs[0].socket, strerror(-r),
			r == -EADDRINUSE ? " (is another vssd running?)" : "");
		return 1;
	}
	if (cfgs[0].vsock_port) {
		r = control_listen_vsock(&ctl, cfgs[0].vsock_port, cfgs[0].vsock_cids,
					 cfgs[0].n_vsock_cids);
		if (r < 0)
			log_err("cannot listen on vsock port %u: %s", cfgs[0].vsock_port,
				strerror(-r));
		else
			log_info("listening on vsock port %u", cfgs[0].vsock_port);
	}
	if (cfgs[0].virtio_port[0]) {
		char path[256];

		r = vport_resolve(cfgs[0].virtio_port, cfgs[0].sysfs, path, sizeof(path));
		if (r == 0)
			r = vport_open(&vp, path, &engine);
		if (r == 0)
			log_info("serving the guest agent protocol on %s", vp.path);
		else if (r == -ENOENT)
			log_info("no virtio port %s: not serving it", cfgs[0].virtio_port);
		else
			log_err("cannot open virtio port %s: %s", cfgs[0].virtio_port,
				strerror(-r));
	}
	hv_init(&hv, cfgs[0].hyperv_device, &engine);
	if (cfgs[0].hyperv == 1 || (cfgs[0].hyperv == -1 && access(hv.path, F_OK) == 0))
		hv_open(&hv);
	log_info("vssd %s ready on %s (freeze timeout %llu ms)", PACKAGE_VERSION, cfgs[0].socket,
		 (unsigned long long)cfgs[0].timeout_ms);
	notify_send("READY=1\nSTATUS=thawed");

	while (running) {
		struct pollfd p[CONTROL_MAX_CLIENTS + CONTROL_MAX_LISTENERS + 4];
		int timeout = hv_timeout_ms(&hv), vt = vport_timeout_ms(&vp);
		size_t n;

		if (vt >= 0 && (timeout < 0 || vt < timeout))
			timeout = vt;
		p[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = hv.fd, .events = POLLIN };
		p[2] = vport_pollfd(&vp);
		p[3] = (struct pollfd){ .fd = engine_watchdog_fd(&engine), .events = POLLIN };
		n = 4 + control_pollfds(&ctl, p + 4, CONTROL_MAX_CLIENTS + CONTROL_MAX_LISTENERS);
		if (poll(p, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %m");
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				switch (si.ssi_signo) {
				case SIGTERM:
				case SIGINT: running = false; break;
				case SIGCHLD: engine_reap_watchdog(&engine); break;
				case SIGHUP: reload_pending = true; break;
				}
			}
		}
		if (hv.fd >= 0 && p[1].fd == hv.fd && p[1].revents)
			hv_event(&hv, p[1].revents);
		hv_tick(&hv);
		if (p[2].fd >= 0 && p[2].revents)
			vport_event(&vp, p[2].revents);
		vport_tick(&vp);
		if (p[3].fd >= 0 && p[3].revents)
			engine_watchdog_event(&engine);
		control_dispatch(&ctl, p + 4, n - 4);
		if (reload_pending && !engine_frozen(&engine)) {
			/* a reload waits for the thaw; a bad file keeps the running settings */
			reload_pending = false;
			vssd_config_defaults(&cfgs[!cur]);
			if (vssd_config_load(&cfgs[!cur], config, explicit_config, err,
					     sizeof(err)) < 0) {
				log_err("reload failed, keeping the old settings: %s", err);
			} else {
				cur = !cur;
				engine.cfg = &cfgs[cur];
				control_set_vsock_cids(&ctl, cfgs[cur].vsock_cids,
						       cfgs[cur].n_vsock_cids);
				if (strcmp(cfgs[cur].socket, cfgs[!cur].socket) ||
				    cfgs[cur].vsock_port != cfgs[!cur].vsock_port ||
				    strcmp(cfgs[cur].virtio_port, cfgs[!cur].virtio_port) ||
				    cfgs[cur].hyperv != cfgs[!cur].hyperv ||
				    strcmp(cfgs[cur].hyperv_device, cfgs[!cur].hyperv_device))
					log_notice(
						"changed socket, vsock_port, virtio_port or [hyperv] settings "
						"take effect after a restart");
				log_info("configuration reloaded");
			}
		} else if (reload_pending) {
			log_debug("SIGHUP while frozen: reloading after the thaw");
		}
		if (engine_frozen(&engine) != notified_frozen) {
			notified_frozen = engine_frozen(&engine);
			notify_send(notified_frozen ? "STATUS=frozen" : "STATUS=thawed");
		}
	}
	if (engine_frozen(&engine)) {
		log_notice("stopping while frozen: thawing first");
		r = engine_thaw(&engine, &owner_vssd, err, sizeof(err));
		if (r < 0)
			log_err("%s", err);
	}
	notify_send("STOPPING=1");
	hv_close(&hv);
	vport_close(&vp);
	control_close(&ctl);
	engine_free(&engine);
	log_info("vssd stopped");
	return 0;
}
