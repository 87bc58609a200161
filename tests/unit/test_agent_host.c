/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host driver against a fake relay on a unix socket at the virtio port's
 * path in a fake tree (--root): the balloon it asks for in balloon KiB (with
 * and without deflate-on-oom), hello and the relay's answers, latest request
 * wins and nothing repeated, a smaller balloon at once and the line budget,
 * the relay going away and coming back, garbage
 * from the relay, the agent's rule (never a bigger balloon under pressure),
 * and driver = auto's choice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "testutil.h"
#include "driver.h"
#include "policy.h"
#include "util.h"
#include "writefile.h"

#define MiB 1024ULL /* in kB */
#define PORT "dev/virtio-ports/org.selfballoon.balloon.0"
#define VIRTIO "sys/bus/virtio/devices/virtio3/"

struct relay {
	int lfd, fd;
	char buf[4096];
	size_t len;
};

static void set_balloon(const char *root, unsigned long long kb)
{
	char b[128];

	snprintf(b, sizeof(b), "nr_free_pages 1\nballoon_inflate %llu\nballoon_deflate 100\n",
		 kb / 4 + 100);
	tu_write(root, "proc/vmstat", b);
}

static void relay_listen(struct relay *r, const char *root)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	tu_write(root, PORT, "");
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", root, PORT);
	unlink(a.sun_path);
	r->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(r->lfd >= 0);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(r->lfd, 4), 0);
	r->fd = -1;
	r->len = 0;
}

static void relay_accept(struct relay *r)
{
	struct pollfd p = { .fd = r->lfd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 2000), 1);
	r->fd = accept(r->lfd, NULL, NULL);
	assert_true(r->fd >= 0);
	r->len = 0;
}

/* The next line the agent sent (waits up to 2 s), or "" when none came in 100 ms and !wait. */
static const char *relay_line(struct relay *r, bool wait, char *out, size_t size)
{
	char *nl;
	ssize_t n;

	while (!(nl = memchr(r->buf, '\n', r->len))) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };

		if (poll(&p, 1, wait ? 2000 : 100) != 1) {
			assert_false(wait);
			out[0] = '\0';
			return out;
		}
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		assert_true(n > 0);
		r->len += (size_t)n;
	}
	*nl = '\0';
	assert_true((size_t)(nl - r->buf) < size);
	memcpy(out, r->buf, (size_t)(nl - r->buf) + 1);
	r->len -= (size_t)(nl + 1 - r->buf);
	memmove(r->buf, nl + 1, r->len);
	return out;
}

static void relay_say(struct relay *r, const char *s)
{
	assert_int_equal(write(r->fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Lets the driver read what the relay said (as the poll loop would). */
static void pump(struct balloon_driver *d)
{
	struct driver_report rep;
	struct pollfd p = { .fd = d->ops->poll_fd(d), .events = POLLIN };

	assert_true(p.fd >= 0);
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(d->ops->handle(d, &rep), 0);
}

static char *host_guest(struct agent_conf *c, bool doom)
{
	char *root = tu_mkdtemp();

	agent_conf_defaults(c);
	snprintf(c->driver, sizeof(c->driver), "host");
	tu_write(root, VIRTIO "device", "0x0005\n");
	tu_write(root, VIRTIO "features", doom ? "0110010000000000\n" : "0100010000000000\n");
	set_balloon(root, 0);
	return root;
}

/* The driver opened with the relay listening: the relay has its connection and hello. */
static void open_with_relay(struct balloon_driver *d, struct relay *r, const char *root,
			    struct agent_conf *c, struct meminfo *mi)
{
	/* sync: a trimming round runs in set_target (no worker thread to wait for) */
	struct driver_params p = { .root = root, .conf = c, .page_kb = 4, .mi = mi, .sync = true };
	char why[256], l[256];

	relay_listen(r, root);
	assert_int_equal(driver_open(d, &p, why, sizeof(why)), 0);
	relay_accept(r);
	assert_string_equal(relay_line(r, true, l, sizeof(l)), "hello version=1");
}

static void test_host_requests_and_answers(void **state)
{
	struct agent_conf c;
	char *root = host_guest(&c, false);
	struct meminfo mi = { .mem_total = 1024 * MiB };
	struct balloon_driver d;
	struct balloon_view bv;
	struct driver_stats st;
	struct relay r;
	char l[256];
	(void)state;

	open_with_relay(&d, &r, root, &c, &mi);
	/* the guest keeps 640 MiB: a balloon of 384 MiB, in balloon KiB */
	assert_int_equal(d.ops->set_target(&d, &mi, 640 * MiB), 0);
	assert_string_equal(relay_line(&r, true, l, sizeof(l)), "balloon seq=1 kb=393216");
	/* the same target again, or a balloon larger by less than 1 MiB: nothing sent */
	assert_int_equal(d.ops->set_target(&d, &mi, 640 * MiB), 0);
	usleep(110000); /* past the send gap */
	assert_int_equal(d.ops->set_target(&d, &mi, 640 * MiB - 1000), 0);
	assert_string_equal(relay_line(&r, false, l, sizeof(l)), "");
	/* the balloon took 384 MiB (no deflate-on-oom: MemTotal fell with it) */
	set_balloon(root, 384 * MiB);
	mi.mem_total = 640 * MiB;
	assert_int_equal(d.ops->read(&d, &mi, &bv), 0);
	assert_int_equal(bv.current_kb, 640 * MiB);
	assert_int_equal(bv.boot_kb, 1024 * MiB);
	/* the relay's answers */
	relay_say(&r,
		  "hello version=1\nlimits min_kb=0 max_kb=655360\n"
		  "applied seq=1 kb=393216 limit=none\nstate target_kb=393216 actual_kb=393216\n");
	pump(&d);
	assert_int_equal(d.ops->stats(&d, &st), 0);
	assert_true(st.host && st.connected);
	assert_string_equal(st.kind, "virtio-serial");
	assert_int_equal(st.applied_kb, 393216);
	assert_int_equal(st.host_actual_kb, 393216);
	assert_int_equal(st.max_kb, 655360);
	assert_int_equal(st.wanted_kb, 393216 + 1000); /* the latest, not sent */
	/* garbage from the relay is dropped, never believed */
	memset(l, 'x', sizeof(l));
	l[sizeof(l) - 1] = '\0';
	relay_say(&r, l);
	relay_say(&r, "\napplied seq=2 kb=99999999999999999999999 limit=none\n\x01\x02\n");
	pump(&d);
	d.ops->stats(&d, &st);
	assert_int_equal(st.applied_kb, 393216);
	/* a balloon smaller by however little goes out (memory back to the guest) */
	assert_int_equal(d.ops->set_target(&d, &mi, 640 * MiB + 100), 0);
	assert_string_equal(relay_line(&r, true, l, sizeof(l)), "balloon seq=2 kb=393116");
	/* give everything back */
	usleep(110000);
	assert_int_equal(d.ops->set_target(&d, &mi, 1024 * MiB), 0);
	assert_string_equal(relay_line(&r, true, l, sizeof(l)), "balloon seq=3 kb=0");
	d.ops->close(&d, false);
	close(r.fd);
	close(r.lfd);
	tu_rmtree(root);
}

/* Memory back to the guest goes out at once, a larger balloon after the gap, all within the budget. */
static void test_host_deflate_at_once(void **state)
{
	struct agent_conf c;
	char *root = host_guest(&c, true);
	struct meminfo mi = { .mem_total = 1024 * MiB };
	struct balloon_driver d;
	struct relay r;
	char l[256], want[64];
	unsigned i;
	(void)state;

	open_with_relay(&d, &r, root, &c, &mi); /* hello: the first line of this second */
	assert_int_equal(d.ops->set_target(&d, &mi, 640 * MiB), 0);
	assert_string_equal(relay_line(&r, true, l, sizeof(l)), "balloon seq=1 kb=393216");
	/* no gap for a smaller balloon; a larger one within the gap waits */
	assert_int_equal(d.ops->set_target(&d, &mi, 700 * MiB), 0);
	assert_int_equal(d.ops->set_target(&d, &mi, 600 * MiB), 0);
	assert_int_equal(d.ops->set_target(&d, &mi, 701 * MiB), 0);
	assert_string_equal(relay_line(&r, true, l, sizeof(l)), "balloon seq=2 kb=331776");
	assert_string_equal(relay_line(&r, true, l, sizeof(l)), "balloon seq=3 kb=330752");
	/* 4 lines so far: 6 more smaller balloons go out in this second, the next waits */
	for (i = 0; i < 8; i++)
		assert_int_equal(d.ops->set_target(&d, &mi, (702 + i) * MiB), 0);
	for (i = 0; i < 6; i++) {
		snprintf(want, sizeof(want), "balloon seq=%u kb=%llu", 4 + i,
			 (1024 - 702 - i) * MiB);
		assert_string_equal(relay_line(&r, true, l, sizeof(l)), want);
	}
	assert_string_equal(relay_line(&r, false, l, sizeof(l)), "");
	/* a second later the latest one goes out */
	usleep(1000000);
	assert_int_equal(d.ops->set_target(&d, &mi, 709 * MiB), 0);
	assert_string_equal(relay_line(&r, true, l, sizeof(l)), "balloon seq=10 kb=322560");
	d.ops->close(&d, false);
	close(r.fd);
	close(r.lfd);
	tu_rmtree(root);
}

static void test_host_relay_goes_and_comes_back(void **state)
{
	struct agent_conf c;
	char *root = host_guest(&c, true);
	struct meminfo mi = { .mem_total = 1024 * MiB };
	struct balloon_driver d;
	struct balloon_view bv;
	struct relay r;
	char l[256];
	(void)state;

	open_with_relay(&d, &r, root, &c, &mi);
	/* deflate-on-oom: MemTotal stays, the balloon shows in vmstat only */
	set_balloon(root, 256 * MiB);
	assert_int_equal(d.ops->read(&d, &mi, &bv), 0);
	assert_int_equal(bv.current_kb, 768 * MiB);
	assert_int_equal(bv.boot_kb, 1024 * MiB);
	assert_int_equal(d.ops->set_target(&d, &mi, 512 * MiB), 0);
	assert_string_equal(relay_line(&r, true, l, sizeof(l)), "balloon seq=1 kb=524288");
	/* the relay goes away: the driver closes its end (never spins on a hang-up) */
	close(r.fd);
	pump(&d);
	assert_int_equal(d.ops->poll_fd(&d), -1);
	/* a new target while it is away, then it is back: hello and the latest request */
	assert_int_equal(d.ops->set_target(&d, &mi, 600 * MiB), 0);
	relay_accept(&r);
	assert_string_equal(relay_line(&r, true, l, sizeof(l)), "hello version=1");
	assert_string_equal(relay_line(&r, true, l, sizeof(l)), "balloon seq=2 kb=434176");
	/* no relay at all: set_target does not fail the agent, the channel stays closed */
	close(r.fd);
	pump(&d);
	close(r.lfd);
	assert_int_equal(d.ops->set_target(&d, &mi, 700 * MiB), 0);
	assert_int_equal(d.ops->poll_fd(&d), -1);
	d.ops->close(&d, false);
	tu_rmtree(root);
}

/* The agent's rule: under pressure the balloon asked for is never larger than the one held. */
static void test_host_never_inflates_under_pressure(void **state)
{
	struct agent_conf c;
	char *root = host_guest(&c, true);
	struct sample s = { 0 };
	struct balloon_driver d;
	struct balloon_view bv;
	struct policy_conf pc;
	struct policy_state pst = { 0 };
	struct policy_events ev = { 0 };
	struct decision dec;
	struct relay r;
	char l[256];
	unsigned long long kb;
	unsigned i;
	(void)state;

	s.mi = (struct meminfo){ .mem_total = 1024 * MiB,
				 .mem_available = 20 * MiB,
				 .committed_as = 100 * MiB };
	set_balloon(root, 300 * MiB);
	open_with_relay(&d, &r, root, &c, &s.mi);
	policy_conf_resolve(&pc, &c, s.mi.mem_total, 4);
	s.now_ms = 100000;
	for (i = 0; i < 5; i++) {
		ev.psi_trigger = i & 1;
		assert_int_equal(d.ops->read(&d, &s.mi, &bv), 0);
		policy_decide(&pc, &pst, &s, &bv, &ev, &dec);
		assert_true(dec.pressure != 0);
		assert_int_equal(d.ops->set_target(&d, &s.mi, dec.target_kb), 0);
		s.now_ms += 1000;
		usleep(110000); /* past the send gap */
		if (relay_line(&r, false, l, sizeof(l))[0]) {
			assert_int_equal(sscanf(l, "balloon seq=%*u kb=%llu", &kb), 1);
			assert_true(kb <= 300 * MiB);
		}
	}
	d.ops->close(&d, false);
	close(r.fd);
	close(r.lfd);
	tu_rmtree(root);
}

/* The fake kernel for trimming: counts the reclaim worker's writes. */
static struct {
	unsigned memcg, drop;
	uint64_t bytes;
} kw;

static int count_write(const char *path, const char *data, size_t len)
{
	(void)len;
	if (strstr(path, "memory.reclaim")) {
		kw.memcg++;
		kw.bytes += strtoull(data, NULL, 10);
	} else if (strstr(path, "drop_caches")) {
		kw.drop++;
	}
	return 0;
}

/* One target on a fresh driver (relay up): the balloon line it sends, the writes it made. */
static void trim_once(const char *root, struct agent_conf *c, struct meminfo *mi,
		      uint64_t target_kb, char *line, size_t size)
{
	struct balloon_driver d;
	struct relay r;

	memset(&kw, 0, sizeof(kw));
	snprintf(line, size, "%s/%s", root, PORT);
	unlink(line); /* the last round's socket */
	open_with_relay(&d, &r, root, c, mi);
	assert_int_equal(d.ops->set_target(&d, mi, target_kb), 0);
	relay_line(&r, true, line, size);
	d.ops->close(&d, false);
	close(r.fd);
	close(r.lfd);
}

/* When trimming, read() shows the footprint as what the guest has. */
static void trim_view(const char *root, struct agent_conf *c, struct meminfo *mi, uint64_t want)
{
	struct driver_params p = { .root = root, .conf = c, .page_kb = 4, .mi = mi, .sync = true };
	struct balloon_driver d;
	struct balloon_view bv;
	char why[256];

	tu_write(root, PORT, ""); /* the port, nobody at the host end */
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	assert_int_equal(d.ops->read(&d, mi, &bv), 0);
	assert_int_equal(bv.current_kb, want);
	assert_int_equal(bv.boot_kb, 1024 * MiB);
	d.ops->close(&d, false);
}

/*
 * [host] reclaim: auto trims where reporting is offered and root
 * memory.reclaim exists (never drop_caches); on falls back to drop_caches;
 * off never trims.
 */
static void test_host_trim_auto_rule(void **state)
{
	struct agent_conf c;
	char *root = host_guest(&c, false); /* features: free page reporting */
	struct meminfo mi = { .mem_total = 1024 * MiB, .mem_free = 124 * MiB }; /* uses 900 */
	char l[256];
	(void)state;

	driver_reclaim_write = count_write;
	tu_write(root, "proc/sys/vm/drop_caches", "");
	/* auto, no memory.reclaim: no trimming (not by drop_caches); the balloon sized to the target */
	trim_once(root, &c, &mi, 400 * MiB, l, sizeof(l));
	assert_string_equal(l, "balloon seq=1 kb=638976");
	assert_int_equal(kw.memcg + kw.drop, 0);
	/* auto with memory.reclaim: 500 MiB reclaimed, the guest keeps 25 % above the target */
	tu_write(root, "sys/fs/cgroup/memory.reclaim", "");
	trim_once(root, &c, &mi, 400 * MiB, l, sizeof(l));
	assert_string_equal(l, "balloon seq=1 kb=536576");
	assert_int_equal(kw.bytes, 500ULL << 20);
	assert_int_equal(kw.memcg, 8); /* 64 MiB chunks */
	/* off: never */
	c.host_reclaim = HOST_RECLAIM_OFF;
	trim_once(root, &c, &mi, 400 * MiB, l, sizeof(l));
	assert_string_equal(l, "balloon seq=1 kb=638976");
	assert_int_equal(kw.memcg + kw.drop, 0);
	/* auto without free page reporting: no trimming */
	c.host_reclaim = HOST_RECLAIM_AUTO;
	tu_write(root, VIRTIO "features", "0100000000000000\n");
	trim_once(root, &c, &mi, 400 * MiB, l, sizeof(l));
	assert_string_equal(l, "balloon seq=1 kb=638976");
	assert_int_equal(kw.memcg + kw.drop, 0);
	/* on: trims even so, and by drop_caches when there is no memory.reclaim */
	c.host_reclaim = HOST_RECLAIM_ON;
	snprintf(l, sizeof(l), "%s/sys/fs/cgroup/memory.reclaim", root);
	assert_int_equal(unlink(l), 0);
	trim_once(root, &c, &mi, 400 * MiB, l, sizeof(l));
	assert_string_equal(l, "balloon seq=1 kb=536576");
	assert_int_equal(kw.memcg, 0);
	assert_int_equal(kw.drop, 1);
	driver_reclaim_write = write_file;
	tu_rmtree(root);
}

/* Trimming: the balloon leaves [host] margin above the target, and never grows while target >= footprint. */
static void test_host_trim_margin_cap(void **state)
{
	struct agent_conf c;
	char *root = host_guest(&c, true); /* deflate-on-oom: the balloon is used memory */
	/* uses 500 MiB of which the balloon holds 100: the guest's own footprint is 400 MiB */
	struct meminfo mi = { .mem_total = 1024 * MiB, .mem_free = 524 * MiB };
	char l[256];
	(void)state;

	driver_reclaim_write = count_write;
	tu_write(root, "sys/fs/cgroup/memory.reclaim", "");
	set_balloon(root, 100 * MiB);
	/* the view the policy steps from: the footprint */
	trim_view(root, &c, &mi, 400 * MiB);
	/* target above the footprint: the cap (1024 - 562.5 MiB) would grow the balloon: held at 100 */
	trim_once(root, &c, &mi, 450 * MiB, l, sizeof(l));
	assert_string_equal(l, "balloon seq=1 kb=102400");
	assert_int_equal(kw.memcg, 0);
	/* equal to the footprint: still never larger */
	trim_once(root, &c, &mi, 400 * MiB, l, sizeof(l));
	assert_string_equal(l, "balloon seq=1 kb=102400");
	assert_int_equal(kw.memcg, 0);
	/* above what the guest has (pressure): smaller, at once */
	trim_once(root, &c, &mi, 1000 * MiB, l, sizeof(l));
	assert_string_equal(l, "balloon seq=1 kb=0");
	/* below the footprint: 100 MiB reclaimed, the guest keeps 300 + 25 % */
	trim_once(root, &c, &mi, 300 * MiB, l, sizeof(l));
	assert_string_equal(l, "balloon seq=1 kb=664576");
	assert_int_equal(kw.bytes, 100ULL << 20);
	/* margin = 128M (a size) */
	c.host_margin = (struct size_pct){ .bytes = 128ULL << 20 };
	trim_once(root, &c, &mi, 300 * MiB, l, sizeof(l));
	assert_string_equal(l, "balloon seq=1 kb=610304");
	driver_reclaim_write = write_file;
	tu_rmtree(root);
}

/* The worker's first write waits for the test (entered/go: pipes), so the test knows where it is. */
static int entered[2], go[2];

static int blocking_write(const char *path, const char *data, size_t len)
{
	char ch = 1;

	(void)path;
	(void)data;
	(void)len;
	if (++kw.memcg == 1) {
		assert_int_equal(write(entered[1], &ch, 1), 1);
		assert_int_equal(read(go[0], &ch, 1), 1);
	}
	return 0;
}

/* A balloon that cannot be read stops the trimming after the write under way. */
static void test_host_trim_stops_when_unreadable(void **state)
{
	struct agent_conf c;
	char *root = host_guest(&c, false);
	struct meminfo mi = { .mem_total = 1024 * MiB, .mem_free = 124 * MiB };
	struct driver_params p = { .root = root, .conf = &c, .page_kb = 4, .mi = &mi };
	struct balloon_driver d;
	struct relay r;
	char why[256], l[256], ch = 1;
	(void)state;

	memset(&kw, 0, sizeof(kw));
	assert_int_equal(pipe(entered), 0);
	assert_int_equal(pipe(go), 0);
	driver_reclaim_write = blocking_write;
	tu_write(root, "sys/fs/cgroup/memory.reclaim", "");
	relay_listen(&r, root);
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0); /* the worker thread */
	relay_accept(&r);
	/* 500 MiB to trim: 8 writes; the worker waits in the first */
	assert_int_equal(d.ops->set_target(&d, &mi, 400 * MiB), 0);
	assert_int_equal(read(entered[0], &ch, 1), 1);
	snprintf(l, sizeof(l), "%s/proc/vmstat", root);
	assert_int_equal(unlink(l), 0);
	assert_true(d.ops->set_target(&d, &mi, 400 * MiB) < 0);
	assert_int_equal(write(go[1], &ch, 1), 1);
	d.ops->close(&d, false); /* joins the worker */
	assert_int_equal(kw.memcg, 1);
	driver_reclaim_write = write_file;
	close(entered[0]);
	close(entered[1]);
	close(go[0]);
	close(go[1]);
	close(r.fd);
	close(r.lfd);
	tu_rmtree(root);
}

static void test_host_port_by_sysfs_name(void **state)
{
	char *root = tu_mkdtemp();
	char out[512], want[512];
	(void)state;

	assert_int_equal(driver_host_find_port(root, "org.selfballoon.balloon.0", out, sizeof(out)),
			 -ENOENT);
	tu_write(root, "sys/class/virtio-ports/vport0p1/name", "org.selfballoon.test.0\n");
	tu_write(root, "sys/class/virtio-ports/vport0p2/name", "org.selfballoon.balloon.0\n");
	assert_int_equal(driver_host_find_port(root, "org.selfballoon.balloon.0", out, sizeof(out)),
			 0);
	snprintf(want, sizeof(want), "%s/dev/vport0p2", root);
	assert_string_equal(out, want);
	assert_int_equal(driver_host_find_port(root, "/dev/vport9p9", out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/dev/vport9p9", root);
	assert_string_equal(out, want);
	tu_rmtree(root);
}

static void expect_auto(const char *root, const char *name, const char *why_has)
{
	struct agent_conf c;
	struct meminfo mi = { .mem_total = 1024 * MiB };
	struct driver_params p = {
		.root = root, .conf = &c, .page_kb = 4, .mi = &mi, .sync = true
	};
	struct balloon_driver d;
	char why[512];

	agent_conf_defaults(&c);
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	assert_string_equal(driver_name(&d), name);
	if (!strstr(why, why_has))
		fail_msg("why '%s' lacks '%s'", why, why_has);
	d.ops->close(&d, false);
}

static void test_auto_picks(void **state)
{
	char *root = tu_mkdtemp();
	struct relay r;
	(void)state;

	tu_write(root, "proc/vmstat", "balloon_inflate 0\nballoon_deflate 0\n");
	tu_write(root, "sys/fs/cgroup/memory.reclaim", "");
	expect_auto(root, "none", "no virtio balloon with free page reporting");
	tu_write(root, VIRTIO "device", "0x0005\n");
	tu_write(root, VIRTIO "features", "0110000000000000\n");
	expect_auto(root, "none", "no virtio balloon with free page reporting");
	tu_write(root, VIRTIO "features", "0110010000000000\n");
	expect_auto(root, "reclaim", "free page reporting");
	relay_listen(&r, root);
	expect_auto(root, "host", "virtio port org.selfballoon.balloon.0");
	close(r.lfd);
	tu_write(root, "sys/devices/system/xen_memory/xen_memory0/target_kb", "1048576\n");
	tu_write(root, "sys/devices/system/xen_memory/xen_memory0/info/current_kb", "1048576\n");
	expect_auto(root, "xen", "xen");
	tu_rmtree(root);
}

/* The keys: both drivers by name, and [host] through the same table as the file. */
static void test_host_keys(void **state)
{
	struct agent_conf c;
	char err[256];
	(void)state;

	agent_conf_defaults(&c);
	assert_string_equal(c.host_port, "org.selfballoon.balloon.0");
	assert_int_equal(c.vsock_port, 0);
	assert_int_equal(agent_conf_set(&c, "balloon.driver=host", err, sizeof(err)), 0);
	assert_string_equal(c.driver, "host");
	assert_int_equal(agent_conf_set(&c, "balloon.driver=reclaim", err, sizeof(err)), 0);
	assert_string_equal(c.driver, "reclaim");
	assert_int_equal(agent_conf_set(&c, "host.virtio_port=/dev/vport2p1", err, sizeof(err)), 0);
	assert_string_equal(c.host_port, "/dev/vport2p1");
	assert_int_equal(agent_conf_set(&c, "host.vsock_port=5000", err, sizeof(err)), 0);
	assert_int_equal(c.vsock_port, 5000);
	assert_int_equal(agent_conf_set(&c, "host.vsock_port=-1", err, sizeof(err)), -EINVAL);
	assert_int_equal(
		agent_conf_load_string(&c, "[balloon]\ndriver = host\n[host]\nvsock_port = 7\n",
				       err, sizeof(err)),
		0);
	assert_int_equal(c.vsock_port, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_requests_and_answers),
		cmocka_unit_test(test_host_deflate_at_once),
		cmocka_unit_test(test_host_relay_goes_and_comes_back),
		cmocka_unit_test(test_host_never_inflates_under_pressure),
		cmocka_unit_test(test_host_trim_auto_rule),
		cmocka_unit_test(test_host_trim_margin_cap),
		cmocka_unit_test(test_host_trim_stops_when_unreadable),
		cmocka_unit_test(test_host_port_by_sysfs_name),
		cmocka_unit_test(test_host_keys),
		cmocka_unit_test(test_auto_picks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
