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
	run->proc = (struct hook_proc){ .pidfd = -1, .rd = -1 };
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

/* What it wrote so far, without waiting (a bounded amount: a flood does not hold the caller). */
static void read_output(struct hook_proc *p)
{
	char buf[4096];
	int i;

	for (i = 0; i < 16 && p->out_open; i++) {
		ssize_t n = read(p->rd, buf, sizeof(buf));

		if (n > 0)
			keep_tail(p->out, p->outlen, &p->used, buf, (size_t)n);
		else if (n == 0)
			p->out_open = false;
		if (n <= 0)
			break;
	}
}

int hook_spawn(struct hook_proc *p, const char *path, const char *arg, uint64_t timeout_ms,
	       char *out, size_t outlen)
{
	int pipefd[2], r;

	*p = (struct hook_proc){ .out = out, .outlen = outlen, .out_open = true, .pidfd = -1 };
	if (outlen)
		out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	p->pid = fork();
	if (p->pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		p->pid = 0;
		return r;
	}
	if (p->pid == 0)
		exec_child(path, arg, pipefd[1]);
	close(pipefd[1]);
	p->rd = pipefd[0];
	fcntl(p->rd, F_SETFL, O_NONBLOCK); /* our end only: the hook's stays blocking */
	setpgid(p->pid, p->pid); /* also in the parent: no race with a kill of its group */
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	p->started_ms = now_ms();
	p->deadline_ms = p->started_ms + timeout_ms;
	return 0;
}

size_t hook_pollfds(const struct hook_proc *p, struct pollfd *pfd)
{
	size_t n = 0;

	if (!p->pid)
		return 0;
	if (p->pidfd >= 0)
		pfd[n++] = (struct pollfd){ .fd = p->pidfd, .events = POLLIN };
	if (p->out_open)
		pfd[n++] = (struct pollfd){ .fd = p->rd, .events = POLLIN };
	return n;
}

int hook_wait_ms(const struct hook_proc *p)
{
	uint64_t t = now_ms();
	uint64_t left = p->deadline_ms > t ? p->deadline_ms - t : 0;

	if (p->pidfd < 0 && left > 20)
		left = 20;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/*
 * A hook may leave a background process holding the pipe: only its exit
 * counts (waitpid, which the pidfd's POLLIN announces).
 */
int hook_check(struct hook_proc *p)
{
	pid_t w = 0;

	read_output(p);
	if (!p->reaped)
		w = waitpid(p->pid, &p->status, WNOHANG);
	if (w == p->pid)
		p->reaped = true;
	if (p->reaped)
		return 0;
	if (w < 0 && errno != EINTR)
		return -errno; /* not ours to wait for (ECHILD): do not wait for it until the deadline */
	return now_ms() >= p->deadline_ms ? -ETIMEDOUT : 1;
}

/* What is already written, without waiting; then trailing newlines trimmed. */
static void drain_output(struct hook_proc *p)
{
	char buf[512];
	ssize_t n;

	if (p->out_open)
		while ((n = read(p->rd, buf, sizeof(buf))) > 0)
			keep_tail(p->out, p->outlen, &p->used, buf, (size_t)n);
	while (p->used && (p->out[p->used - 1] == '\n' || p->out[p->used - 1] == '\r'))
		p->out[--p->used] = '\0';
}

int hook_end(struct hook_proc *p, int r)
{
	if (!p->pid)
		return r;
	if (r < 0 && !p->reaped)
		kill(-p->pid, SIGKILL);
	if (!p->reaped && waitpid(p->pid, &p->status, 0) < 0 && r == 0)
		r = -errno;
	drain_output(p);
	close(p->rd);
	if (p->pidfd >= 0)
		close(p->pidfd);
	*p = (struct hook_proc){ .pidfd = -1, .rd = -1, .status = p->status };
	if (r < 0)
		return r;
	if (WIFSIGNALED(p->status))
		return 128 + WTERMSIG(p->status);
	return WEXITSTATUS(p->status);
}

/* Waits (poll) until the hook needs a look: an fd ready, its deadline, a 20 ms slice. */
static int hook_wait(struct hook_proc *p)
{
	struct pollfd pfd[2];
	size_t n = hook_pollfds(p, pfd);

	if (poll(pfd, n, hook_wait_ms(p)) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

int hook_exec(const char *path, const char *arg, uint64_t timeout_ms, char *out, size_t outlen)
{
	struct hook_proc p;
	int r = hook_spawn(&p, path, arg, timeout_ms, out, outlen);

	if (r < 0)
		return r;
	while ((r = hook_check(&p)) == 1) {
		r = hook_wait(&p);
		if (r < 0)
			break;
	}
	return hook_end(&p, r);
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

/* The outcome of a hook: logged when it succeeded (0), else -1 with err saying why. */
static int report(const char *name, const char *arg, int r, const char *out, uint64_t timeout_ms,
		  char *err, size_t errlen)
{
	if (r == 0) {
		log_info("hook %s %s: ok%s%s", name, arg, out[0] ? ": " : "", out);
		return 0;
	}
	describe(err, errlen, name, arg, r, out, timeout_ms);
	return -1;
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
	return report(name, arg, r, out, timeout_ms, err, errlen);
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

/* A freeze hook failed (err): "thaw" for those started, the failing one's included. */
static int freeze_failed(struct hook_run *run, char *err)
{
	log_err("%s; running thaw hooks", err);
	thaw_started(run, run->timeout_ms, NULL, 0);
	free_names(run);
	return -1;
}

/* Starts the next freeze hook: 1 (it runs), 0 (none left) or -1 (failed, thaw hooks ran). */
static int start_next(struct hook_run *run, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *name;
	int r;

	if (run->started == run->n)
		return 0;
	name = run->names[run->started++];
	snprintf(path, sizeof(path), "%s/%s", run->dir, name);
	if (check_trusted("hook", path, err, errlen) < 0)
		return freeze_failed(run, err);
	r = hook_spawn(&run->proc, path, "freeze", run->timeout_ms, run->out, sizeof(run->out));
	if (r < 0) {
		describe(err, errlen, name, "freeze", r, "", run->timeout_ms);
		return freeze_failed(run, err);
	}
	return 1;
}

int hooks_freeze_start(struct hook_run *run, const char *dir, uint64_t timeout_ms, char *err,
		       size_t errlen)
{
	if (list_hooks(run, dir, err, errlen) < 0)
		return -1;
	run->timeout_ms = timeout_ms;
	return start_next(run, err, errlen);
}

int hooks_freeze_step(struct hook_run *run, char *err, size_t errlen)
{
	int r;

	if (!run->proc.pid)
		return start_next(run, err, errlen);
	r = hook_check(&run->proc);
	if (r == 1)
		return 1;
	r = hook_end(&run->proc, r);
	if (report(run->names[run->started - 1], "freeze", r, run->out, run->timeout_ms, err,
		   errlen) < 0)
		return freeze_failed(run, err);
	return start_next(run, err, errlen);
}

int hooks_freeze_cancel(struct hook_run *run, char *err, size_t errlen)
{
	const char *name = hooks_running(run);

	if (name) {
		hook_end(&run->proc, -ECANCELED);
		log_notice("hook %s freeze: stopped (its process group killed): the freeze was "
			   "cancelled%s%s",
			   name, run->out[0] ? "; its output: " : "", run->out);
	}
	return hooks_thaw(run, run->timeout_ms, err, errlen);
}

const char *hooks_running(const struct hook_run *run)
{
	return run->proc.pid && run->started ? run->names[run->started - 1] : NULL;
}

int hooks_freeze(struct hook_run *run, const char *dir, uint64_t timeout_ms, char *err,
		 size_t errlen)
{
	int r = hooks_freeze_start(run, dir, timeout_ms, err, errlen);

	while (r == 1) {
		int w = hook_wait(&run->proc);

		if (w < 0) {
			describe(err, errlen, run->names[run->started - 1], "freeze",
				 hook_end(&run->proc, w), "", timeout_ms);
			return freeze_failed(run, err);
		}
		r = hooks_freeze_step(run, err, errlen);
	}
	return r;
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
