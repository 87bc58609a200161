/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hook runner: sorted directory listing, fork/exec with timeout and captured output. */
#include "hooks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

extern char **environ;

/* package-manager leftovers and disabled samples are not hooks */
static bool ignored_name(const char *n)
{
	static const char *const suffixes[] = {
		"~", ".bak", ".orig", ".rpmnew", ".rpmorig", ".rpmsave", ".sample", ".disabled",
	};
	size_t len = strlen(n), i;

	if (n[0] == '.' || strstr(n, ".dpkg-"))
		return true;
	for (i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);

		if (len >= sl && strcmp(n + len - sl, suffixes[i]) == 0)
			return true;
	}
	return false;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(struct hook_run *run)
{
	size_t i;

	for (i = 0; i < run->n; i++)
		free(run->names[i]);
	free(run->names);
	run->names = NULL;
	run->n = run->started = 0;
}

/*
 * What runs as root must be root's and writable by nobody else, as sudoers
 * and systemd require: path (a hook or the hooks directory, symlinks
 * followed) owned by root (or by us) and not writable by group or others.
 * Returns 0, or -EPERM (or -errno of stat) with err saying why.
 */
static int check_trusted(const char *what, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int r = -errno;

		snprintf(err, errlen, "%s %s: %s", what, path, strerror(-r));
		return r;
	}
	if ((st.st_uid == 0 || st.st_uid == geteuid()) && !(st.st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	snprintf(err, errlen,
		 "%s %s is owned by uid %u with mode %04o: not run (it must be root's and not "
		 "writable by group or others)",
		 what, path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	return -EPERM;
}

/*
 * Lists executable regular files of dir, sorted by name (C locale), if dir
 * can be trusted. A missing dir means no hooks. Returns 0 or -errno with err.
 */
static int list_hooks(struct hook_run *run, const char *dir, char *err, size_t errlen)
{
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int r;

	memset(run, 0, sizeof(*run));
	snprintf(run->dir, sizeof(run->dir), "%s", dir);
	d = opendir(dir);
	if (!d) {
		r = -errno;
		snprintf(err, errlen, "cannot read hooks directory %s: %s", dir, strerror(-r));
		return r == -ENOENT ? 0 : r;
	}
	r = check_trusted("hooks directory", dir, err, errlen);
	if (r < 0) {
		closedir(d);
		return r;
	}
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (ignored_name(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
			continue;
		if (run->n == cap) {
			char **nn = realloc(run->names, (cap = cap ? cap * 2 : 8) * sizeof(*nn));

			if (!nn)
				goto oom;
			run->names = nn;
		}
		run->names[run->n] = strdup(e->d_name);
		if (!run->names[run->n])
			goto oom;
		run->n++;
	}
	closedir(d);
	if (run->n)
		qsort(run->names, run->n, sizeof(*run->names), cmp_names);
	return 0;
oom:
	closedir(d);
	free_names(run);
	snprintf(err, errlen, "cannot read hooks directory %s: %s", dir, strerror(ENOMEM));
	return -ENOMEM;
}

static void keep_tail(char *out, size_t outlen, size_t *used, const char *buf, size_t n)
{
	if (outlen < 2)
		return;
	if (n >= outlen - 1) {
		memcpy(out, buf + n - (outlen - 1), outlen - 1);
		*used = outlen - 1;
	} else {
		if (*used + n > outlen - 1) {
			size_t drop = *used + n - (outlen - 1);

			memmove(out, out + drop, *used - drop);
			*used -= drop;
		}
		memcpy(out + *used, buf, n);
		*used += n;
	}
	out[*used] = '\0';
}

/* In the child: its own process group, stdin from /dev/null, stdout and stderr to the pipe. */
static void __attribute__((noreturn)) exec_child(const char *path, const char *arg, int out)
{
	char *argv[] = { (char *)path, (char *)arg, NULL };
	sigset_t none;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	execve(path, argv, environ);
	_exit(127);
}

/* A running hook: its pid, a pidfd (or -1), the read end of its output pipe. */
struct child {
	pid_t pid;
	int pidfd, rd;
	bool out_open, reaped;
	int status;
	char *out;
	size_t outlen, used;
};

static void read_output(struct child *c)
{
	char buf[512];
	ssize_t n = read(c->rd, buf, sizeof(buf));

	if (n > 0)
		keep_tail(c->out, c->outlen, &c->used, buf, (size_t)n);
	else if (n == 0)
		c->out_open = false;
}

/*
 * Waits until the hook exits or the deadline passes (-ETIMEDOUT), keeping
 * its output. A hook may leave a background process holding the pipe: only
 * its exit counts. pidfd_open (Linux 5.3) tells when it exits; without it,
 * look every 20 ms.
 */
static int wait_child(struct child *c, uint64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = c->pidfd, .events = POLLIN },
			{ .fd = c->out_open ? c->rd : -1, .events = POLLIN },
		};
		uint64_t t = now_ms();
		int pr, slice;

		if (t >= deadline)
			return -ETIMEDOUT;
		slice = (int)(deadline - t);
		if (c->pidfd < 0) {
			if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
				c->reaped = true;
				return 0;
			}
			if (slice > 20)
				slice = 20;
		}
		pr = poll(p, 2, slice);
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr > 0 && (p[1].revents & (POLLIN | POLLHUP)))
			read_output(c);
		if (pr > 0 && (p[0].revents & POLLIN))
			return 0;
	}
}

/* What is already written, without waiting; then trailing newlines trimmed. */
static void drain_output(struct child *c)
{
	char buf[512];
	ssize_t n;

	if (c->out_open) {
		fcntl(c->rd, F_SETFL, O_NONBLOCK);
		while ((n = read(c->rd, buf, sizeof(buf))) > 0)
			keep_tail(c->out, c->outlen, &c->used, buf, (size_t)n);
	}
	while (c->used && (c->out[c->used - 1] == '\n' || c->out[c->used - 1] == '\r'))
		c->out[--c->used] = '\0';
}

int hook_exec(const char *path, const char *arg, uint64_t timeout_ms, char *out, size_t outlen)
{
	struct child c = { .out = out, .outlen = outlen, .out_open = true };
	int pipefd[2], r;

	if (outlen)
		out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	c.pid = fork();
	if (c.pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (c.pid == 0)
		exec_child(path, arg, pipefd[1]);
	close(pipefd[1]);
	c.rd = pipefd[0];
	setpgid(c.pid, c.pid); /* also in the parent: no race with the kill below */
	c.pidfd = (int)syscall(SYS_pidfd_open, c.pid, 0);
	r = wait_child(&c, now_ms() + timeout_ms);
	if (r == -ETIMEDOUT)
		kill(-c.pid, SIGKILL);
	if (!c.reaped && waitpid(c.pid, &c.status, 0) < 0 && r == 0)
		r = -errno;
	drain_output(&c);
	close(c.rd);
	if (c.pidfd >= 0)
		close(c.pidfd);
	if (r < 0)
		return r;
	if (WIFSIGNALED(c.status))
		return 128 + WTERMSIG(c.status);
	return WEXITSTATUS(c.status);
}

static void describe(char *err, size_t errlen, const char *name, const char *arg, int r,
		     const char *out, uint64_t timeout_ms)
{
	if (r == -ETIMEDOUT)
		snprintf(err, errlen, "hook %s %s timed out after %llu ms and was killed%s%s", name,
			 arg, (unsigned long long)timeout_ms, out[0] ? ": " : "", out);
	else if (r < 0)
		snprintf(err, errlen, "hook %s %s could not run: %s", name, arg, strerror(-r));
	else if (r == 127)
		snprintf(err, errlen, "hook %s %s could not be executed (status 127)%s%s", name,
			 arg, out[0] ? ": " : "", out);
	else
		snprintf(err, errlen, "hook %s %s failed with status %d%s%s", name, arg, r,
			 out[0] ? ": " : "", out);
}

static int run_one(const char *dir, const char *name, const char *arg, uint64_t timeout_ms,
		   char *err, size_t errlen)
{
	char path[PATH_MAX], out[384];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (check_trusted("hook", path, err, errlen) < 0)
		return -1;
	r = hook_exec(path, arg, timeout_ms, out, sizeof(out));
	if (r == 0) {
		log_info("hook %s %s: ok%s%s", name, arg, out[0] ? ": " : "", out);
		return 0;
	}
	describe(err, errlen, name, arg, r, out, timeout_ms);
	return -1;
}

/* "thaw" for the started hooks, in reverse; returns how many failed, the first in err */
static unsigned thaw_started(struct hook_run *run, uint64_t timeout_ms, char *err, size_t errlen)
{
	size_t i = run->started;
	unsigned failed = 0;
	char e[512];

	while (i-- > 0) {
		if (run_one(run->dir, run->names[i], "thaw", timeout_ms, e, sizeof(e)) == 0)
			continue;
		log_err("%s", e);
		if (failed++ == 0 && errlen)
			snprintf(err, errlen, "%s", e);
	}
	return failed;
}

int hooks_freeze(struct hook_run *run, const char *dir, uint64_t timeout_ms, char *err,
		 size_t errlen)
{
	size_t i;

	if (list_hooks(run, dir, err, errlen) < 0)
		return -1;
	for (i = 0; i < run->n; i++) {
		run->started = i + 1;
		if (run_one(dir, run->names[i], "freeze", timeout_ms, err, errlen) < 0) {
			log_err("%s; running thaw hooks", err);
			thaw_started(run, timeout_ms, NULL, 0);
			free_names(run);
			return -1;
		}
	}
	return 0;
}

int hooks_thaw(struct hook_run *run, uint64_t timeout_ms, char *err, size_t errlen)
{
	unsigned failed = thaw_started(run, timeout_ms, err, errlen);

	free_names(run);
	return failed ? -1 : 0;
}

void hooks_thaw_all(const char *dir, uint64_t timeout_ms)
{
	struct hook_run run;
	char err[512];

	if (list_hooks(&run, dir, err, sizeof(err)) < 0) {
		log_err("%s: no thaw hook run", err);
		return;
	}
	run.started = run.n;
	hooks_thaw(&run, timeout_ms, NULL, 0);
}
