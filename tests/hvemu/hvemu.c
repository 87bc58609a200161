/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvemu: a user-space stand-in for the hv_utils VSS device /dev/vmbus/hv_vss,
 * for tests. A FUSE file (low-level API, direct_io, nonseekable, poll)
 * behaves as the kernel's hv_utils_transport char device does toward the
 * daemon: one opener (EBUSY otherwise); the first write registers (12 bytes,
 * operation 128 or 129; 129 is answered with the u32 129); reads return one
 * queued message (EAGAIN with O_NONBLOCK when none, EINVAL when the buffer is
 * too small); a write with no transaction pending is EINVAL; closing resets.
 *
 * A unix control socket plays the host. One command per line:
 *   op N [TIMEOUT_MS]  send a request with operation N; answers
 *                      "reply <24 hex digits>" or "timeout" (the transaction is
 *                      then dropped, as the kernel does, and a late reply gets
 *                      EINVAL) or "error not-registered|busy"
 *   state              "opened=B registered=B pending=B version=N"
 *
 * Usage: hvemu MOUNTPOINT CONTROL_SOCKET   (stays in the foreground)
 *        hvemu --ctl CONTROL_SOCKET COMMAND (sends one command, prints the answer)
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FILE_INO 2
#define FILE_NAME "hv_vss"
#define MSG_SIZE 12

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t replied = PTHREAD_COND_INITIALIZER;
static bool opened, registered, pending, have_reply;
static unsigned version;
static unsigned char outq[64];
static size_t outlen; /* one message waits to be read at most */
static unsigned char reply[MSG_SIZE];
static struct fuse_pollhandle *ph;
static fuse_req_t deferred_read;
static size_t deferred_size;
static struct fuse_session *session;

/* caller holds lock */
static void deliver(void)
{
	if (deferred_read && outlen) {
		if (deferred_size < outlen) {
			fuse_reply_err(deferred_read, EINVAL);
		} else {
			fuse_reply_buf(deferred_read, (const char *)outq, outlen);
			outlen = 0;
		}
		deferred_read = NULL;
	}
	if (ph && outlen) {
		fuse_lowlevel_notify_poll(ph);
		fuse_pollhandle_destroy(ph);
		ph = NULL;
	}
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
	}
}

static void emu_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { 0 };

	if (parent != FUSE_ROOT_ID || strcmp(name, FILE_NAME) != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = FILE_INO;
	fill_attr(FILE_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void emu_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != FILE_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

static void emu_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != FILE_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	pthread_mutex_lock(&lock);
	if (opened) {
		pthread_mutex_unlock(&lock);
		fuse_reply_err(req, EBUSY);
		return;
	}
	opened = true;
	registered = false;
	outlen = 0;
	pthread_mutex_unlock(&lock);
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

static void emu_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	pthread_mutex_lock(&lock);
	opened = registered = false;
	outlen = 0;
	if (deferred_read) {
		fuse_reply_err(deferred_read, EBADF);
		deferred_read = NULL;
	}
	if (pending) { /* the kernel answers the host HV_E_FAIL on reset */
		pending = false;
		have_reply = false;
		pthread_cond_broadcast(&replied);
	}
	pthread_mutex_unlock(&lock);
	fuse_reply_err(req, 0);
}

static void emu_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino;
	(void)off;
	pthread_mutex_lock(&lock);
	if (outlen) {
		if (size < outlen) {
			pthread_mutex_unlock(&lock);
			fuse_reply_err(req, EINVAL);
			return;
		}
		fuse_reply_buf(req, (const char *)outq, outlen);
		outlen = 0;
	} else if (fi->flags & O_NONBLOCK) {
		fuse_reply_err(req, EAGAIN);
	} else if (deferred_read) {
		fuse_reply_err(req, EBUSY);
	} else {
		deferred_read = req; /* answered when a message arrives */
		deferred_size = size;
	}
	pthread_mutex_unlock(&lock);
}

static void emu_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	(void)ino;
	(void)off;
	(void)fi;
	pthread_mutex_lock(&lock);
	if (!registered) {
		if (size != MSG_SIZE ||
		    ((unsigned char)buf[0] != 128 && (unsigned char)buf[0] != 129)) {
			pthread_mutex_unlock(&lock);
			fuse_reply_err(req, EINVAL);
			return;
		}
		registered = true;
		version = (unsigned char)buf[0];
		if (version == 129) {
			uint32_t v = 129;

			memcpy(outq, &v, sizeof(v));
			outlen = sizeof(v);
			deliver();
		}
	} else if (!pending || size != MSG_SIZE) {
		pthread_mutex_unlock(&lock);
		fuse_reply_err(req, EINVAL);
		return;
	} else {
		memcpy(reply, buf, MSG_SIZE);
		have_reply = true;
		pending = false;
		pthread_cond_broadcast(&replied);
	}
	pthread_mutex_unlock(&lock);
	fuse_reply_write(req, size);
}

static void emu_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct fuse_pollhandle *newph)
{
	unsigned revents = POLLOUT | POLLWRNORM;

	(void)ino;
	(void)fi;
	pthread_mutex_lock(&lock);
	if (newph) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		ph = newph;
	}
	if (outlen)
		revents |= POLLIN | POLLRDNORM;
	pthread_mutex_unlock(&lock);
	fuse_reply_poll(req, revents);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = emu_lookup,
	.getattr = emu_getattr,
	.open = emu_open,
	.release = emu_release,
	.read = emu_read,
	.write = emu_write,
	.poll = emu_poll,
};

/* "op N [TIMEOUT_MS]" */
static void host_request(int fd, unsigned op, unsigned timeout_ms)
{
	struct timespec until;
	char line[96];
	int i, n = 0;

	pthread_mutex_lock(&lock);
	if (!registered) {
		pthread_mutex_unlock(&lock);
		dprintf(fd, "error not-registered\n");
		return;
	}
	if (pending || outlen) {
		pthread_mutex_unlock(&lock);
		dprintf(fd, "error busy\n");
		return;
	}
	memset(outq, 0, MSG_SIZE);
	outq[0] = (unsigned char)op;
	outlen = MSG_SIZE;
	pending = true;
	have_reply = false;
	deliver();
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (pending && pthread_cond_timedwait(&replied, &lock, &until) == 0)
		;
	if (have_reply) {
		for (i = 0; i < MSG_SIZE; i++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", reply[i]);
		pthread_mutex_unlock(&lock);
		dprintf(fd, "reply %s\n", line);
		return;
	}
	/* like the kernel after its deadline: drop the transaction and the unread message */
	pending = false;
	outlen = 0;
	pthread_mutex_unlock(&lock);
	dprintf(fd, opened ? "timeout\n" : "reset\n");
}

static void *control_thread(void *arg)
{
	int lfd = *(int *)arg;

	for (;;) {
		char buf[256];
		size_t len = 0;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		for (;;) {
			ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
			char *nl;

			if (r <= 0)
				break;
			len += (size_t)r;
			buf[len] = '\0';
			while ((nl = strchr(buf, '\n'))) {
				unsigned op, t = 5000;

				*nl = '\0';
				if (sscanf(buf, "op %u %u", &op, &t) >= 1) {
					host_request(fd, op, t);
				} else if (strcmp(buf, "state") == 0) {
					pthread_mutex_lock(&lock);
					dprintf(fd,
						"opened=%d registered=%d pending=%d version=%u\n",
						opened, registered, pending, version);
					pthread_mutex_unlock(&lock);
				} else {
					dprintf(fd, "error unknown-command\n");
				}
				len -= (size_t)(nl + 1 - buf);
				memmove(buf, nl + 1, len + 1);
			}
			if (len == sizeof(buf) - 1)
				len = 0;
		}
		close(fd);
	}
	return NULL;
}

static int ctl(const char *path, const char *cmd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[256];
	size_t len = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(path);
		return 1;
	}
	if (dprintf(fd, "%s\n", cmd) < 0)
		return 1;
	while (len < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + len, 1);

		if (r <= 0 || buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	printf("%s\n", buf);
	close(fd);
	return strncmp(buf, "error", 5) == 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	char *fargv[] = { argv[0], "-o", "fsname=hvemu,subtype=hvemu", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pthread_t th;
	int lfd, r;

	if (argc == 4 && strcmp(argv[1], "--ctl") == 0)
		return ctl(argv[2], argv[3]);
	if (argc != 3) {
		fprintf(stderr,
			"usage: %s MOUNTPOINT CONTROL_SOCKET | --ctl CONTROL_SOCKET COMMAND\n",
			argv[0]);
		return 2;
	}
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[2]);
	unlink(argv[2]);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0) {
		perror(argv[2]);
		return 1;
	}
	session = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!session || fuse_session_mount(session, argv[1]) != 0) {
		fprintf(stderr, "hvemu: cannot mount on %s\n", argv[1]);
		return 1;
	}
	/* libfuse's handlers end the loop on SIGTERM/SIGINT/SIGHUP */
	if (fuse_set_signal_handlers(session) != 0) {
		fprintf(stderr, "hvemu: cannot set signal handlers\n");
		return 1;
	}
	pthread_create(&th, NULL, control_thread, &lfd);
	r = fuse_session_loop(session);
	fuse_remove_signal_handlers(session);
	fuse_session_unmount(session);
	fuse_session_destroy(session);
	unlink(argv[2]);
	return r < 0 ? 1 : 0;
}
