/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * driver = host: the balloon is the host's to set (KVM, QEMU, Firecracker,
 * Cloud Hypervisor); the agent asks a relay on the host (selfballoon-host(8))
 * for the balloon it wants, in the protocol of common/balloonproto.h, over a
 * virtio-serial port ([host] virtio_port) or AF_VSOCK to the host
 * ([host] vsock_port). Sizes on the wire are balloon KiB, never MemTotal.
 *
 * What the guest has is read from /proc/vmstat (balloon_inflate -
 * balloon_deflate, in pages): with deflate-on-oom (virtio feature 2) MemTotal
 * does not move and the guest has MemTotal - balloon; without it MemTotal
 * shrinks with the balloon. The latest request wins: a new target replaces
 * one not yet sent; requests go out only when they change, a smaller balloon
 * (memory back to the guest) at once, a larger one at most every
 * HOST_SEND_GAP_MS, and never more than HOST_LINES_PER_S lines in a second
 * (the relay throttles a guest that sends more than 20). The channel is
 * reopened at the next decision when the host end goes away (a virtio port
 * polls POLLHUP while nobody is connected on the host: it is closed then,
 * never spun on).
 *
 * Trimming ([host] reclaim): free page reporting returns free memory but
 * never page cache. Where the guest offers it (auto: and root memory.reclaim
 * exists), the reclaim driver's worker (struct reclaimer) brings the guest's
 * own footprint (used memory less the balloon) down to the policy's target,
 * and reporting hands the rest back; the balloon asked for is then no longer
 * sized to the target but leaves the guest [host] margin above it (room for
 * a burst without a stall), and it never grows while the target is at or
 * above the footprint (the guest needs what it uses). A target that does not
 * shrink (pressure) stops the trimming at once, as does a balloon that cannot
 * be read.
 */

#include "driver.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "balloonproto.h"
#include "fileio.h"
#include "log.h"
#include "logonce.h"
#include "plausible.h"
#include "util.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#define VMADDR_CID_HOST_ 2

#define HOST_SEND_GAP_MS 100
#define HOST_SEND_MIN_KB 1024
#define HOST_LINES_PER_S 10 /* half the relay's flood limit */

/* struct sockaddr_vm, without depending on linux/vm_sockets.h */
struct vsock_addr {
	unsigned short family, reserved;
	unsigned int port, cid;
	unsigned char zero[4];
};

struct host {
	char port_path[256]; /* the virtio port (or a unix socket, for tests) */
	char vmstat[256];
	unsigned vsock_port;
	unsigned page_kb;
	bool doom; /* deflate-on-oom: MemTotal does not move */
	int fd;
	bool connecting; /* vsock: non-blocking connect under way */
	bool hello_sent;
	struct bp_reader rd;
	char out[BP_LINE_MAX * 2];
	size_t outlen;
	uint64_t seq, want_kb, sent_kb, sent_ms;
	bool have_want, have_sent;
	uint64_t line_ms[HOST_LINES_PER_S]; /* when the last lines went out, a ring */
	unsigned line_next;
	uint64_t initial_balloon_kb;
	bool warned_open;
	struct reclaimer *trim; /* NULL: no trimming */
	struct size_pct margin;
	struct logonce trim_err;
	struct driver_stats st;
	char vbuf[32768];
};

/* balloon_inflate - balloon_deflate from vmstat, kB; -ENOENT when the kernel has none. */
static int read_balloon_kb(struct host *h, uint64_t *kb)
{
	ssize_t n = read_file(h->vmstat, h->vbuf, sizeof(h->vbuf));
	uint64_t v[2] = { 0, 0 };
	const char *keys[2] = { "\nballoon_inflate ", "\nballoon_deflate " };
	unsigned i, found = 0;

	if (n < 0)
		return (int)n;
	for (i = 0; i < 2; i++) {
		const char *p = strstr(h->vbuf, keys[i]);

		if (!p && strncmp(h->vbuf, keys[i] + 1, strlen(keys[i]) - 1) == 0)
			p = h->vbuf - 1;
		if (!p)
			continue;
		p += strlen(keys[i]);
		if (take_u64(&p, &v[i]))
			found++;
	}
	if (found < 2)
		return -ENOENT;
	*kb = sat_mul(sat_sub(v[0], v[1]), h->page_kb);
	return 0;
}

/* True when one more line now keeps within HOST_LINES_PER_S in any second. */
static bool line_budget(const struct host *h, uint64_t t)
{
	uint64_t oldest = h->line_ms[h->line_next];

	return !oldest || t - oldest >= 1000;
}

/* Queues a line; the channel is non-blocking, what does not fit waits for the next flush. */
static void queue_line(struct host *h, const char *line)
{
	size_t n = strlen(line);

	if (h->outlen + n > sizeof(h->out)) {
		h->st.host_errors++;
		return;
	}
	memcpy(h->out + h->outlen, line, n);
	h->outlen += n;
	h->line_ms[h->line_next] = now_ms();
	h->line_next = (h->line_next + 1) % HOST_LINES_PER_S;
}

static void host_disconnect(struct host *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->connecting = false;
	h->hello_sent = false;
	h->have_sent = false; /* the latest request goes again to the next connection */
	h->outlen = 0;
	h->st.connected = false;
	bp_reader_init(&h->rd);
}

static int flush_out(struct host *h)
{
	ssize_t n;

	while (h->outlen) {
		n = write(h->fd, h->out, h->outlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;
			host_disconnect(h);
			return e;
		}
		memmove(h->out, h->out + n, h->outlen - (size_t)n);
		h->outlen -= (size_t)n;
	}
	return 0;
}

static int open_vsock(struct host *h)
{
	struct vsock_addr a = { .family = AF_VSOCK,
				.port = h->vsock_port,
				.cid = VMADDR_CID_HOST_ };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		int e = -errno;
		close(fd);
		return e;
	}
	h->connecting = true;
	return fd;
}

/* The virtio port (a character device), or a unix stream socket at that path (tests). */
static int open_port(struct host *h)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd;

	if (stat(h->port_path, &sb) < 0)
		return -errno;
	if (!S_ISSOCK(sb.st_mode)) {
		fd = open(h->port_path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		return fd < 0 ? -errno : fd;
	}
	if (strlen(h->port_path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, h->port_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* A vsock connect under way: 1 done, 0 not yet, -errno failed. */
static int connect_done(struct host *h)
{
	struct pollfd p = { .fd = h->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	if (err)
		return -err;
	h->connecting = false;
	return 1;
}

/* Opens the channel when it is closed; says once why it cannot. 1 when it is up. */
static int host_connect(struct host *h)
{
	int fd, r;

	if (h->fd < 0) {
		fd = h->vsock_port ? open_vsock(h) : open_port(h);
		if (fd < 0) {
			if (!h->warned_open && h->vsock_port)
				log_warn("host: vsock port %u: %s; retried at each decision",
					 h->vsock_port, strerror(-fd));
			else if (!h->warned_open)
				log_warn("host: %s: %s; retried at each decision", h->port_path,
					 strerror(-fd));
			h->warned_open = true;
			return fd;
		}
		h->fd = fd;
	}
	if (h->connecting && (r = connect_done(h)) <= 0) {
		if (r < 0)
			host_disconnect(h);
		return r;
	}
	if (!h->hello_sent) {
		char line[48];

		snprintf(line, sizeof(line), "hello version=%d\n", BP_VERSION);
		queue_line(h, line);
		h->hello_sent = true;
	}
	return 1;
}

/*
 * A request to send now: the first; any smaller balloon (memory back to the
 * guest, however little) at once; a larger one by at least HOST_SEND_MIN_KB
 * (the policy's target moves by kB from one decision to the next) and
 * HOST_SEND_GAP_MS after the last. Either within the line budget.
 */
static bool want_due(const struct host *h, uint64_t t)
{
	if (!h->have_want || !line_budget(h, t))
		return false;
	if (!h->have_sent || h->want_kb < h->sent_kb)
		return true;
	return h->want_kb - h->sent_kb >= HOST_SEND_MIN_KB && t - h->sent_ms >= HOST_SEND_GAP_MS;
}

/* Sends the latest wanted balloon when it is due (want_due). */
static int host_send(struct host *h)
{
	uint64_t t = now_ms();
	char line[BP_LINE_MAX];
	int r = host_connect(h);

	if (r <= 0)
		return r == 0 ? 0 : r;
	if (want_due(h, t)) {
		h->seq = h->seq < BP_SEQ_MAX ? h->seq + 1 : 1;
		snprintf(line, sizeof(line), "balloon seq=%" PRIu64 " kb=%" PRIu64 "\n", h->seq,
			 h->want_kb);
		queue_line(h, line);
		h->have_sent = true;
		h->sent_kb = h->want_kb;
		h->sent_ms = t;
		h->st.requests++;
	}
	return flush_out(h);
}

/* One line from the relay (untrusted as any input: checked, unknown verbs ignored). */
static void host_line(struct host *h, const char *line)
{
	struct bp_msg m;
	uint64_t v;

	if (bp_parse(line, &m) < 0)
		return;
	if (!h->st.connected) { /* the relay answers on this connection */
		if (h->warned_open)
			log_notice("host: the relay answers");
		h->warned_open = false;
		h->st.connected = true;
	}
	if (strcmp(m.verb, "limits") == 0) {
		if (bp_get_u64(&m, "min_kb", BP_KB_MAX, &v) == 0)
			h->st.min_kb = v;
		if (bp_get_u64(&m, "max_kb", BP_KB_MAX, &v) == 0)
			h->st.max_kb = v;
	} else if (strcmp(m.verb, "applied") == 0) {
		if (bp_get_u64(&m, "kb", BP_KB_MAX, &v) == 0)
			h->st.applied_kb = v;
	} else if (strcmp(m.verb, "state") == 0) {
		if (bp_get_u64(&m, "actual_kb", BP_KB_MAX, &v) == 0)
			h->st.host_actual_kb = v;
	} else if (strcmp(m.verb, "error") == 0) {
		h->st.host_errors++;
		log_debug("host: the relay answered an error");
	}
}

/* The host end closed (a virtio port with nobody there polls as hung up): closed until the next decision. */
static void channel_ended(struct host *h, int err)
{
	if (h->st.connected)
		log_notice("host: the relay went away (%s); reopened at each decision",
			   err ? strerror(err) : "end of file");
	else if (!h->warned_open)
		log_warn("host: nobody answers at the host end of %s%s; retried at each decision",
			 h->vsock_port ? "the vsock port" : h->port_path,
			 err ? " (connection refused or reset)" : "");
	h->warned_open = true;
	host_disconnect(h);
}

/* The relay's lines (bounded per call); the channel's end closes it until the next decision. */
static int host_handle(struct balloon_driver *d, struct driver_report *rep)
{
	struct host *h = d->priv;
	char buf[512];
	size_t used, off;
	ssize_t n;
	int i;

	memset(rep, 0, sizeof(*rep));
	for (i = 0; i < 16 && h->fd >= 0; i++) {
		n = read(h->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			channel_ended(h, n < 0 ? errno : 0);
			break;
		}
		for (off = 0; off < (size_t)n; off += used)
			if (bp_feed(&h->rd, buf + off, (size_t)n - off, &used) == BP_LINE)
				host_line(h, h->rd.buf);
	}
	if (h->fd >= 0 && h->connecting && connect_done(h) < 0)
		host_disconnect(h);
	return 0;
}

static bool same_name(const char *value, const void *arg)
{
	return strcmp(value, arg) == 0;
}

int driver_host_find_port(const char *root, const char *name, char *out, size_t len)
{
	char p[512], dev[256];

	if (strchr(name, '/'))
		return path_join(out, len, root, name) ? -ENAMETOOLONG : 0;
	if (snprintf(p, sizeof(p), "dev/virtio-ports/%s", name) >= (int)sizeof(p) ||
	    path_join(out, len, root, p))
		return -ENAMETOOLONG;
	if (access(out, F_OK) == 0)
		return 0;
	/* no udev (an initramfs): the port's name is in sysfs, its node is /dev/vportNpM */
	if (driver_sysfs_scan(root, "sys/class/virtio-ports", "name", same_name, name, dev,
			      sizeof(dev)) < 0)
		return -ENOENT;
	snprintf(p, sizeof(p), "dev/%s", dev);
	return path_join(out, len, root, p) ? -ENAMETOOLONG : 0;
}

/* Trimming, by [host] reclaim: auto only where reporting returns what it frees, never drop_caches. */
static void open_trim(struct host *h, const struct driver_params *p, bool fpr)
{
	enum host_reclaim mode = p->conf->host_reclaim;
	int r;

	h->margin = p->conf->host_margin;
	if (mode == HOST_RECLAIM_OFF || (mode == HOST_RECLAIM_AUTO && !fpr))
		return;
	r = reclaimer_open(&h->trim, p, mode == HOST_RECLAIM_ON);
	if (r < 0 && mode == HOST_RECLAIM_AUTO)
		log_notice("host: no trimming (reclaim = auto): no root memory.reclaim "
			   "(Linux < 5.19, or no cgroup2 memory controller)");
	else if (r < 0)
		log_warn("host: no trimming (reclaim = on): %s",
			 r == -ENODEV ? "neither memory.reclaim nor drop_caches" : strerror(-r));
	else
		log_notice("host: trimming the footprint to the target by %s%s; the balloon "
			   "leaves the margin above it",
			   reclaimer_kind(h->trim),
			   fpr ? " (free page reporting returns it)"
			       : " (no free page reporting: the host gets it only by the balloon)");
}

static int host_open(struct balloon_driver *d, const struct driver_params *p)
{
	const struct agent_conf *c = p->conf;
	struct host *h = calloc(1, sizeof(*h));
	char feat[128];
	bool have_feat;
	int r;

	if (!h)
		return -ENOMEM;
	h->fd = -1;
	h->page_kb = p->page_kb;
	h->vsock_port = c->vsock_port;
	bp_reader_init(&h->rd);
	r = path_join(h->vmstat, sizeof(h->vmstat), p->root, "proc/vmstat") ? -ENAMETOOLONG : 0;
	if (r == 0 && !h->vsock_port)
		r = driver_host_find_port(p->root, c->host_port, h->port_path,
					  sizeof(h->port_path));
	if (r == 0)
		r = read_balloon_kb(h, &h->initial_balloon_kb);
	if (r < 0) {
		free(h);
		return r == -ENOENT ? -ENODEV : r;
	}
	have_feat = driver_virtio_balloon_features(p->root, feat, sizeof(feat)) == 0;
	h->doom = have_feat && strlen(feat) > 2 && feat[2] == '1';
	open_trim(h, p, have_feat && strlen(feat) > 5 && feat[5] == '1');
	d->priv = h;
	d->writes = true;
	host_send(h); /* hello now: the relay answers with its limits */
	return 0;
}

/* The guest's full size (no balloon) and what it has now, from vmstat's balloon. */
static int host_sizes(struct host *h, const struct meminfo *mi, uint64_t *full, uint64_t *has)
{
	uint64_t b;
	int r = read_balloon_kb(h, &b);

	if (r < 0)
		return r;
	if (b > plausible_current_max_kb(mi->mem_total))
		return -ERANGE;
	*full = h->doom ? mi->mem_total : sat_add(mi->mem_total, b);
	*has = sat_sub(*full, b);
	return 0;
}

/* The guest's own footprint: used memory, less the balloon where it shows as used (deflate-on-oom). */
static uint64_t own_footprint(const struct host *h, const struct meminfo *mi, uint64_t balloon_kb)
{
	uint64_t used = sat_sub(mi->mem_total, mi->mem_free);

	return h->doom ? sat_sub(used, balloon_kb) : used;
}

/*
 * current_kb: what the guest has; when trimming, its footprint (as driver =
 * reclaim sees it: the policy steps the target down from there, the worker
 * follows it).
 */
static int host_read(struct balloon_driver *d, const struct meminfo *mi, struct balloon_view *bv)
{
	struct host *h = d->priv;
	uint64_t full, has;
	int r = host_sizes(h, mi, &full, &has);

	if (r < 0)
		return r;
	memset(bv, 0, sizeof(*bv));
	bv->current_kb = has;
	if (h->trim && own_footprint(h, mi, full - has) < has)
		bv->current_kb = own_footprint(h, mi, full - has);
	bv->max_kb = full;
	bv->boot_kb = full;
	return 0;
}

/*
 * Trimming: the footprint to target_kb by the worker; the balloon that
 * leaves the guest the margin above the target, never larger than balloon_kb
 * (the one held) while target_kb is at or above the footprint.
 */
static uint64_t trim_balloon(struct host *h, const struct meminfo *mi, uint64_t full,
			     uint64_t balloon_kb, uint64_t target_kb)
{
	uint64_t foot = own_footprint(h, mi, balloon_kb);
	uint64_t keep = sat_add(target_kb, size_pct_kb(&h->margin, target_kb));
	uint64_t want = sat_sub(full, keep);
	int r = reclaimer_post(h->trim, foot, target_kb);

	if (r < 0)
		logonce_fail(&h->trim_err, r, LOG_WARNING, "host: trimming by %s: %s",
			     reclaimer_kind(h->trim), strerror(-r));
	else
		logonce_ok(&h->trim_err, "host: trimming");
	if (target_kb >= foot && want > balloon_kb)
		want = balloon_kb;
	return want;
}

/* Asks for the balloon that leaves the guest target_kb (latest wins); never blocks. */
static int host_set_target(struct balloon_driver *d, const struct meminfo *mi, uint64_t target_kb)
{
	struct host *h = d->priv;
	uint64_t full, has;
	int r = host_sizes(h, mi, &full, &has);

	if (r < 0) {
		if (h->trim) /* nothing known: stop trimming */
			reclaimer_post(h->trim, 0, 0);
		return r;
	}
	if (h->trim)
		h->want_kb = trim_balloon(h, mi, full, full - has, target_kb);
	else
		h->want_kb = sat_sub(full, target_kb);
	h->have_want = true;
	r = host_send(h);
	return r == -ENOENT || r == -ECONNREFUSED || r == -ENODEV ? 0 : r;
}

static int host_poll_fd(struct balloon_driver *d)
{
	struct host *h = d->priv;

	return h->fd;
}

static int host_stats(struct balloon_driver *d, struct driver_stats *st)
{
	struct host *h = d->priv;

	*st = h->st;
	if (h->trim)
		reclaimer_stats(h->trim, st);
	st->host = true;
	st->kind = h->vsock_port ? "vsock" : "virtio-serial";
	st->wanted_kb = h->want_kb;
	return 0;
}

/* restore: asks for the balloon found at start, only when that gives memory back. */
static void host_close(struct balloon_driver *d, bool restore)
{
	struct host *h = d->priv;

	if (!h)
		return;
	if (restore && h->fd >= 0 && h->have_sent && h->initial_balloon_kb < h->sent_kb) {
		h->want_kb = h->initial_balloon_kb;
		/* the last line: one over the budget is fine */
		memset(h->line_ms, 0, sizeof(h->line_ms));
		host_send(h);
	}
	host_disconnect(h);
	reclaimer_close(h->trim);
	free(h);
	d->priv = NULL;
}

const struct driver_ops driver_host_ops = {
	.name = "host",
	.open = host_open,
	.read = host_read,
	.set_target = host_set_target,
	.poll_fd = host_poll_fd,
	.handle = host_handle,
	.stats = host_stats,
	.close = host_close,
};
