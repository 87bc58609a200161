/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * selfballoon-host: the host end of selfballoond's `driver = host`. It reads
 * the guest's balloon requests from its port, clamps them to the host's limits
 * (--min, --max), applies them through the VMM (QMP, Firecracker or Cloud
 * Hypervisor API): a smaller balloon at once, a larger one at most once per
 * --interval, and tells the guest what it applied and what the balloon holds.
 * See selfballoon-host(8).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "parse.h"
#include "port.h"
#include "relay.h"
#include "util.h"
#include "vmm.h"

#define EXIT_USAGE 2
#define MIN_FLOOR_KB (16 * 1024) /* a smaller --min is a units mistake */
#define VMM_RETRY_MS 1000
#define QUERY_MOVING_MS 1000 /* HTTP backends: how often to look while the balloon moves */
#define QUERY_IDLE_MS 10000
#define READ_MAX 4096 /* bytes read from the guest per wake-up */

struct host {
	struct vmm vmm;
	bool vmm_up, vmm_warned;
	uint64_t vmm_retry_at, next_query_at;
	struct vmm_state st;
	struct port port;
	struct relay relay;
	int sigfd;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: selfballoon-host (--qmp | --firecracker | --cloud-hypervisor) SOCKET\n"
		"                        (--port | --listen) SOCKET --min SIZE [--max SIZE]\n"
		"                        [--interval DURATION] [-v]\n"
		"  --qmp SOCKET               QEMU's QMP socket (-qmp unix:SOCKET,server=on,wait=off)\n"
		"  --firecracker SOCKET       Firecracker's API socket\n"
		"  --cloud-hypervisor SOCKET  Cloud Hypervisor's API socket\n"
		"  --port SOCKET     connect to the guest's port (QEMU chardev socket, server=on)\n"
		"  --listen SOCKET   listen for the guest (Firecracker/Cloud Hypervisor vsock: UDS_PORT)\n"
		"  --min SIZE        the least memory the guest keeps, whatever it asks (required)\n"
		"  --max SIZE        the most memory it may have (default: its RAM size)\n"
		"  --interval DUR    a larger balloon at most once per DUR (default 1s)\n"
		"  -v, --verbose     debug messages\n"
		"  -h, --help        this help; -V, --version  the version\n");
}

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "selfballoon-host: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(EXIT_USAGE);
}

static uint64_t size_kb_arg(const char *opt, const char *s)
{
	uint64_t bytes;

	if (parse_size(s, &bytes) < 0)
		usage_error("%s: '%s' is not a size (e.g. 512M, 2G)", opt, s);
	return bytes / 1024;
}

static void set_backend(struct host *h, const struct vmm_ops *ops, const char *path)
{
	if (h->vmm.ops)
		usage_error("give one of --qmp, --firecracker, --cloud-hypervisor");
	if (strlen(path) >= sizeof(h->vmm.path))
		usage_error("socket path too long: %s", path);
	h->vmm.ops = ops;
	strcpy(h->vmm.path, path);
}

static void check_args(struct host *h, struct relay_conf *c, const char *port, bool listening)
{
	int r;

	if (!h->vmm.ops)
		usage_error("no VMM: give --qmp, --firecracker or --cloud-hypervisor");
	if (!port)
		usage_error("no guest port: give --port or --listen");
	if (!c->min_kb)
		usage_error("--min is required: the host's floor on the guest's memory");
	if (c->min_kb < MIN_FLOOR_KB)
		usage_error("--min %" PRIu64 " KiB is below 16 MiB; sizes take a unit (--min 512M)",
			    c->min_kb);
	if (c->max_kb && c->max_kb < c->min_kb)
		usage_error("--max is below --min");
	r = port_init(&h->port, port, listening);
	if (r < 0) {
		fprintf(stderr, "selfballoon-host: %s: %s\n", port, strerror(-r));
		exit(1);
	}
}

static void parse_args(int argc, char **argv, struct host *h, struct relay_conf *c)
{
	static const struct option lo[] = {
		{ "qmp", required_argument, NULL, 'q' },
		{ "firecracker", required_argument, NULL, 'F' },
		{ "cloud-hypervisor", required_argument, NULL, 'C' },
		{ "port", required_argument, NULL, 'p' },
		{ "listen", required_argument, NULL, 'l' },
		{ "min", required_argument, NULL, 'm' },
		{ "max", required_argument, NULL, 'M' },
		{ "interval", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *port = NULL;
	bool listening = false;
	int o;

	while ((o = getopt_long(argc, argv, "vhV", lo, NULL)) != -1) {
		switch (o) {
		case 'q': set_backend(h, &vmm_qmp_ops, optarg); break;
		case 'F': set_backend(h, &vmm_firecracker_ops, optarg); break;
		case 'C': set_backend(h, &vmm_cloud_hypervisor_ops, optarg); break;
		case 'p':
		case 'l':
			if (port)
				usage_error("give one of --port, --listen");
			port = optarg;
			listening = o == 'l';
			break;
		case 'm': c->min_kb = size_kb_arg("--min", optarg); break;
		case 'M': c->max_kb = size_kb_arg("--max", optarg); break;
		case 'i':
			if (parse_duration_ms(optarg, &c->interval_ms) < 0 || c->interval_ms < 100)
				usage_error("--interval: '%s' is not a duration of 100ms or more",
					    optarg);
			break;
		case 'v': log_set_max_level(LOG_DEBUG); break;
		case 'h': usage(stdout); exit(0);
		case 'V': print_version("selfballoon-host"); exit(0);
		default: usage(stderr); exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	check_args(h, c, port, listening);
}

static void vmm_down(struct host *h, uint64_t now, int err)
{
	log_warn("%s %s: %s; reconnecting", h->vmm.ops->name, h->vmm.path, strerror(-err));
	h->vmm.ops->close(&h->vmm);
	h->vmm_up = false;
	h->vmm_retry_at = now + VMM_RETRY_MS;
}

static void got_state(struct host *h, uint64_t now)
{
	relay_set_ram(&h->relay, h->st.ram_kb);
	if (h->st.actual_known)
		relay_actual(&h->relay, h->st.actual_kb);
	h->next_query_at = now + (h->st.actual_known && h->relay.applied_any &&
						  h->st.actual_kb == h->relay.target_kb
					  ? QUERY_IDLE_MS
					  : QUERY_MOVING_MS);
}

static void try_vmm(struct host *h, uint64_t now)
{
	int r = h->vmm.ops->open(&h->vmm, &h->st);

	if (r < 0) {
		if (!h->vmm_warned)
			log_warn("%s %s: %s; retrying every %d ms", h->vmm.ops->name, h->vmm.path,
				 strerror(-r), VMM_RETRY_MS);
		h->vmm_warned = true;
		h->vmm_retry_at = now + VMM_RETRY_MS;
		return;
	}
	h->vmm_up = true;
	h->vmm_warned = false;
	log_info("%s %s: guest RAM %" PRIu64 " MiB, balloon %s%" PRIu64 " MiB", h->vmm.ops->name,
		 h->vmm.path, h->st.ram_kb / 1024, h->st.actual_known ? "" : "(unknown) ",
		 h->st.actual_kb / 1024);
	got_state(h, now);
}

static void status(const struct host *h)
{
	char s[160];

	snprintf(s, sizeof(s),
		 "STATUS=balloon %" PRIu64 " MiB applied, guest keeps %" PRIu64 " of %" PRIu64
		 " MiB",
		 h->relay.target_kb / 1024, (h->st.ram_kb - h->relay.target_kb) / 1024,
		 h->st.ram_kb / 1024);
	notify_send(s);
}

/* Everything that is due: connections, the rate-limited request, a status query. */
static void run_due(struct host *h, uint64_t now)
{
	uint64_t kb;
	int r;

	if (!h->vmm_up && now >= h->vmm_retry_at)
		try_vmm(h, now);
	if (port_try_connect(&h->port, now) > 0)
		relay_port_reset(&h->relay);
	if (h->vmm_up && relay_due(&h->relay, now, &kb)) {
		r = h->vmm.ops->set_balloon(&h->vmm, kb);
		relay_applied(&h->relay, now, r);
		if (r == 0)
			status(h);
		h->next_query_at = now;
		if (r < 0 && r != -EIO && r != -ENODEV && r != -ERANGE)
			vmm_down(h, now, r);
	}
	if (h->vmm_up && h->vmm.fd < 0 && now >= h->next_query_at) {
		r = h->vmm.ops->query(&h->vmm, &h->st);
		if (r < 0)
			vmm_down(h, now, r);
		else
			got_state(h, now);
	}
}

static int poll_timeout(const struct host *h, uint64_t now)
{
	uint64_t at = now + 60000;
	int rt = relay_timeout_ms(&h->relay, now);

	if (rt >= 0 && now + (uint64_t)rt < at)
		at = now + (uint64_t)rt;
	if (!h->vmm_up && h->vmm_retry_at < at)
		at = h->vmm_retry_at;
	if (h->vmm_up && h->vmm.fd < 0 && h->next_query_at < at)
		at = h->next_query_at;
	if (!h->port.listen && h->port.fd < 0 && h->port.retry_at_ms < at)
		at = h->port.retry_at_ms;
	return at <= now ? 0 : (int)(at - now);
}

static void port_io(struct host *h, short revents, uint64_t now)
{
	char buf[READ_MAX];
	long n;

	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		n = port_read(&h->port, buf, sizeof(buf), now);
		if (n > 0)
			relay_input(&h->relay, buf, (size_t)n, now);
		else if (n < 0)
			relay_port_reset(&h->relay);
	}
	if (h->port.fd >= 0 && h->relay.outlen) {
		n = port_write(&h->port, h->relay.out, h->relay.outlen, now);
		if (n > 0)
			relay_consumed(&h->relay, (size_t)n);
		else if (n < 0)
			relay_port_reset(&h->relay);
	}
}

/* SIGTERM, SIGINT: stop (false). SIGHUP: log where things stand. */
static bool on_signal(struct host *h)
{
	struct signalfd_siginfo si;

	if (read(h->sigfd, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGHUP)
		return false;
	log_info("%s: %s; balloon target %" PRIu64 " MiB, actual %s%" PRIu64 " MiB; %" PRIu64
		 " requests, %" PRIu64 " applied (%" PRIu64 " clamped), %" PRIu64
		 " bad lines, %" PRIu64 " throttles",
		 h->vmm.path, h->vmm_up ? "connected" : "not connected", h->relay.target_kb / 1024,
		 h->st.actual_known ? "" : "(unknown) ", h->st.actual_kb / 1024,
		 h->relay.st.requests, h->relay.st.applied, h->relay.st.clamped,
		 h->relay.st.bad_lines, h->relay.st.throttles);
	return true;
}

/* One poll round. Returns false when a signal asks to stop. */
static bool step(struct host *h)
{
	struct pollfd p[4] = { { .fd = h->sigfd, .events = POLLIN } };
	uint64_t now = now_ms();
	bool reading = relay_reading(&h->relay, now);
	int n;

	run_due(h, now);
	p[1].fd = h->port.fd;
	p[1].events = (short)((reading ? POLLIN : 0) | (h->relay.outlen ? POLLOUT : 0));
	p[2].fd = reading ? h->port.lfd : -1;
	p[2].events = POLLIN;
	p[3].fd = h->vmm_up ? h->vmm.fd : -1;
	p[3].events = POLLIN;
	n = poll(p, 4, poll_timeout(h, now));
	if (n < 0 && errno != EINTR) {
		log_err("poll: %s", strerror(errno));
		return false;
	}
	now = now_ms();
	if (p[0].revents && !on_signal(h))
		return false;
	if (p[2].revents && port_accept(&h->port) > 0)
		relay_connected(&h->relay, now);
	if (p[1].revents || (h->port.fd >= 0 && h->relay.outlen))
		port_io(h, p[1].revents, now);
	if (p[3].revents) {
		n = h->vmm.ops->event(&h->vmm, &h->st);
		if (n < 0)
			vmm_down(h, now, n);
		else if (n > 0)
			got_state(h, now);
	}
	return true;
}

int main(int argc, char **argv)
{
	struct relay_conf c = { .interval_ms = 1000, .lines_per_s = 20, .bytes_per_s = 8192 };
	static struct host h = { .vmm.fd = -1 };

	log_open("selfballoon-host", LOG_TARGET_STDERR);
	parse_args(argc, argv, &h, &c);
	relay_init(&h.relay, &c);
	h.sigfd = daemon_signals((const int[]){ SIGTERM, SIGINT, SIGHUP, 0 });
	if (h.sigfd < 0) {
		log_err("signalfd: %s", strerror(-h.sigfd));
		return 1;
	}
	log_info("relaying %s %s to %s; the guest keeps %" PRIu64 " MiB at least%s", h.port.path,
		 h.port.listen ? "(listening)" : "", h.vmm.path, c.min_kb / 1024,
		 c.max_kb ? ", and no more than --max" : "");
	notify_send("READY=1");
	while (step(&h))
		;
	notify_send("STOPPING=1");
	log_info("stopping; the balloon stays where it is (%" PRIu64 " MiB)",
		 h.relay.target_kb / 1024);
	port_close(&h.port);
	if (h.vmm_up)
		h.vmm.ops->close(&h.vmm);
	return 0;
}
