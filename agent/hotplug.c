/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hot-added memory: blocks that show up offline are onlined per
 * [hotplug] online. "auto" never fights the kernel: when
 * auto_online_blocks is anything but "offline", the kernel onlines new
 * blocks itself and we leave them alone. Failures are logged with the
 * block and errno and retried a bounded number of times.
 */

#include "hotplug.h"

#include <dirent.h>
#include <errno.h>
#include <libudev.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fileio.h"
#include "log.h"
#include "util.h"
#include "writefile.h"

int (*hotplug_write)(const char *path, const char *data, size_t len) = write_file;

static int read_word(const char *path, char *buf, size_t size)
{
	ssize_t n = read_file(path, buf, size);

	if (n < 0)
		return (int)n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int block_path(const struct hotplug *h, unsigned block, const char *file, char *out,
		      size_t size)
{
	int n = snprintf(out, size, "%s/memory%u/%s", h->dir, block, file);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static void pending_drop(struct hotplug *h, unsigned block)
{
	unsigned i;

	for (i = 0; i < h->npending; i++)
		if (h->pending[i].block == block) {
			h->pending[i] = h->pending[--h->npending];
			return;
		}
}

/* Counts a failed attempt; returns false once the block has used up its retries. */
static bool pending_fail(struct hotplug *h, unsigned block)
{
	unsigned i;

	for (i = 0; i < h->npending; i++)
		if (h->pending[i].block == block) {
			if (++h->pending[i].tries > h->retries) {
				h->pending[i] = h->pending[--h->npending];
				return false;
			}
			return true;
		}
	if (h->retries == 0 || h->npending == HOTPLUG_MAX_PENDING)
		return false;
	h->pending[h->npending].block = block;
	h->pending[h->npending].tries = 1;
	h->npending++;
	return true;
}

int hotplug_consider(struct hotplug *h, unsigned block)
{
	char path[320], state[32], auto_state[32], ap[300];
	const char *how;
	int r;

	if (h->policy == ONLINE_OFF)
		return 0;
	if (block_path(h, block, "state", path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	r = read_word(path, state, sizeof(state));
	if (r < 0) {
		pending_drop(h, block);
		if (r != -ENOENT)
			return r;
		/*
		 * Removed again, or listed before the kernel made its files
		 * (mkdir comes first): the next tick looks again.
		 */
		h->incomplete = true;
		return 0;
	}
	if (strcmp(state, "offline") != 0) {
		pending_drop(h, block);
		return 0;
	}
	switch (h->policy) {
	case ONLINE_MOVABLE: how = "online_movable"; break;
	case ONLINE_AUTO:
		snprintf(ap, sizeof(ap), "%s/auto_online_blocks", h->dir);
		if (read_word(ap, auto_state, sizeof(auto_state)) == 0 &&
		    strcmp(auto_state, "offline") != 0) {
			log_debug("memory%u offline, but auto_online_blocks=%s: left to the kernel",
				  block, auto_state);
			return 0;
		}
		/* fall through */
	default: how = "online"; break;
	}
	r = hotplug_write(path, how, strlen(how));
	if (r < 0) {
		/* Someone else (a udev rule, the kernel) may have won the race. */
		if (read_word(path, state, sizeof(state)) == 0 && strcmp(state, "online") == 0) {
			pending_drop(h, block);
			return 0;
		}
		h->failures++;
		if (pending_fail(h, block))
			log_warn("memory%u: writing '%s' to state failed: %s (will retry)", block,
				 how, strerror(-r));
		else
			log_err("memory%u: writing '%s' to state failed: %s (giving up)", block,
				how, strerror(-r));
		return r;
	}
	pending_drop(h, block);
	h->onlined++;
	log_info("memory%u: onlined (%s)", block, how);
	return 1;
}

static bool block_number(const char *name, unsigned *block)
{
	const char *p = name + 6;
	uint64_t v;

	if (strncmp(name, "memory", 6) != 0 || !take_u64(&p, &v) || *p || v > UINT32_MAX)
		return false;
	*block = (unsigned)v;
	return true;
}

int hotplug_scan(struct hotplug *h)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (h->policy == ONLINE_OFF)
		return 0;
	if (stat(h->dir, &st) ==
	    0) { /* before the listing: a block added meanwhile shows next tick */
		h->scan_nlink = (unsigned long)st.st_nlink;
		h->have_scan = true;
	}
	d = opendir(h->dir);
	if (!d)
		return -errno;
	h->incomplete = false;
	while ((e = readdir(d))) {
		unsigned b;

		if (block_number(e->d_name, &b) && hotplug_consider(h, b) > 0)
			n++;
	}
	closedir(d);
	return n;
}

void hotplug_retry(struct hotplug *h)
{
	unsigned blocks[HOTPLUG_MAX_PENDING], n = h->npending, i;

	for (i = 0; i < n; i++)
		blocks[i] = h->pending[i].block;
	for (i = 0; i < n; i++)
		hotplug_consider(h, blocks[i]);
}

int hotplug_tick(struct hotplug *h)
{
	struct stat st;
	int n;

	if (h->policy == ONLINE_OFF)
		return 0;
	hotplug_retry(h);
	if (stat(h->dir, &st) < 0)
		return 0;
	if (h->have_scan && (unsigned long)st.st_nlink == h->scan_nlink) {
		if (!h->incomplete)
			return 0;
		log_debug("a memory block had no state file at the last scan; rescanning");
	} else {
		log_info("memory blocks changed since the last scan (%lu -> %lu links); rescanning",
			 h->scan_nlink, (unsigned long)st.st_nlink);
	}
	h->rescans++;
	n = hotplug_scan(h);
	return n > 0 ? n : 0;
}

/* The only uevent acted on: a memory block added. */
#define UEVENT_WANTED "add@/devices/system/memory/"
#define UEVENT_LEN (sizeof(UEVENT_WANTED) - 1)

int hotplug_filter(int fd)
{
	const unsigned char *w = (const unsigned char *)UEVENT_WANTED;
	struct sock_filter ins[2 * UEVENT_LEN + 2];
	struct sock_fprog prog = { .filter = ins };
	unsigned n = 0, off, k, size;

	/* classic BPF: compare the message's start, 4, 2 or 1 bytes at a time (big-endian) */
	for (off = 0; off < UEVENT_LEN; off += size) {
		uint32_t v = 0;
		unsigned mode;

		size = UEVENT_LEN - off >= 4 ? 4 : UEVENT_LEN - off >= 2 ? 2 : 1;
		mode = size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
		for (k = 0; k < size; k++)
			v = v << 8 | w[off + k];
		ins[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_ABS | mode, off);
		ins[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v, 0, 0);
	}
	for (k = 1; k < n; k += 2)
		ins[k].jf = (unsigned char)(n - k); /* to the "drop" below */
	ins[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffff);
	ins[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	prog.len = (unsigned short)n;
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

/*
 * Every kernel uevent (a loop device, a network interface) would wake the
 * agent: libudev's subsystem match is checked in userspace for the kernel's
 * messages. The kernel drops the others before they are queued.
 */
static void filter_kernel_side(struct hotplug *h)
{
	int r = hotplug_filter(udev_monitor_get_fd(h->mon));

	if (r < 0)
		log_debug("hotplug: no in-kernel uevent filter (%s): every uevent wakes the agent",
			  strerror(-r));
}

int hotplug_open(struct hotplug *h, const char *root, enum online_policy policy, unsigned retries,
		 bool use_udev)
{
	memset(h, 0, sizeof(*h));
	h->policy = policy;
	h->retries = retries;
	if (path_join(h->dir, sizeof(h->dir), root, "sys/devices/system/memory"))
		return -ENAMETOOLONG;
	if (policy == ONLINE_OFF || !use_udev)
		return 0;
	h->udev = udev_new();
	if (h->udev)
		h->mon = udev_monitor_new_from_netlink(h->udev, "kernel");
	if (h->mon) {
		/* A hot-add of many blocks sends a burst; the default buffer overflows (ENOBUFS). */
		int r = udev_monitor_set_receive_buffer_size(h->mon, HOTPLUG_RCVBUF);

		if (r < 0)
			log_debug("hotplug: uevent buffer %d bytes: %s", HOTPLUG_RCVBUF,
				  strerror(-r));
	}
	if (!h->mon ||
	    udev_monitor_filter_add_match_subsystem_devtype(h->mon, "memory", NULL) < 0 ||
	    udev_monitor_enable_receiving(h->mon) < 0) {
		log_warn("hotplug: cannot monitor memory uevents; relying on the startup scan");
		if (h->mon)
			udev_monitor_unref(h->mon);
		h->mon = NULL;
	} else {
		filter_kernel_side(h);
	}
	return 0;
}

int hotplug_fd(const struct hotplug *h)
{
	return h->mon ? udev_monitor_get_fd(h->mon) : -1;
}

void hotplug_handle_events(struct hotplug *h)
{
	struct udev_device *dev;
	const char *action, *name;
	unsigned b;
	int err;

	if (!h->mon)
		return;
	for (;;) {
		errno = 0;
		dev = udev_monitor_receive_device(h->mon);
		if (!dev)
			break;
		action = udev_device_get_action(dev);
		name = udev_device_get_sysname(dev);
		if (action && name && strcmp(action, "add") == 0 && block_number(name, &b)) {
			log_info("memory%u added", b);
			hotplug_consider(h, b);
		}
		udev_device_unref(dev);
	}
	err = errno;
	if (err && err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
		/* ENOBUFS: the kernel dropped uevents; blocks added meanwhile would stay offline. */
		log_warn("hotplug: receiving memory uevents: %s; rescanning memory blocks",
			 strerror(err));
		h->rescans++;
		hotplug_scan(h);
	}
}

void hotplug_close(struct hotplug *h)
{
	if (h->mon)
		udev_monitor_unref(h->mon);
	if (h->udev)
		udev_unref(h->udev);
	h->mon = NULL;
	h->udev = NULL;
}
