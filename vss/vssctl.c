/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vssctl: vssd's client: status, freeze, thaw, and backup -- CMD. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parse.h"
#include "qga_client.h"
#include "util.h"

#define DEFAULT_SOCKET RUNSTATEDIR "/vssd/vssd.sock"
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_CMD_FAILED 3

/* what the command line asked for, and the connection */
struct ctl {
	const char *path, *vsock, *fc; /* the target: a unix socket, vsock CID:PORT, Firecracker */
	bool qga;                      /* path is a QEMU chardev (--qga), not vssd's socket */
	bool json;                     /* print vssd's replies as JSON */
	struct qga_client qc;
	/* the command's arguments, checked before connecting */
	char **paths;        /* mountpoints, trailing slashes removed */
	int npaths;          /* how many */
	uint64_t timeout_ms; /* --timeout, 0: vssd's default */
	char **cmd;          /* backup: CMD [ARG...] */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vssctl [-s SOCKET | --qga PATH | --vsock CID:PORT | --firecracker PATH:PORT]\n"
		"              [--json] COMMAND\n"
		"  status                                 show vssd's state and filesystems\n"
		"  freeze [MOUNTPOINT...] [--timeout DUR] freeze the listed (or all eligible) filesystems\n"
		"  thaw                                   thaw what vssd froze\n"
		"  plan [MOUNTPOINT...]                   what a freeze would do, in what order and\n"
		"                                         why, without freezing; warnings\n"
		"  backup [--timeout DUR] [MOUNTPOINT...] -- CMD [ARG...]\n"
		"                                         freeze, run CMD, always thaw\n"
		"Options:\n"
		"  -s, --socket PATH   vssd's socket in this machine (default %s)\n"
		"      --qga PATH      from the host: the unix socket of QEMU's guest agent chardev\n"
		"      --vsock CID:PORT  from the host: the guest's vsock port\n"
		"      --firecracker PATH:PORT  from the host: Firecracker's vsock unix socket\n"
		"      --json          print vssd's replies as JSON\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n"
		"Exit status: 0 success, 1 a failure (vssd's error, or in backup: the watchdog\n"
		"thawed before CMD finished), 2 usage error, 3 (backup) CMD failed while the\n"
		"freeze and the thaw succeeded.\n",
		DEFAULT_SOCKET);
}

static void __attribute__((noreturn, format(printf, 2, 3))) die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vssctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* Dies with the client's reason: exit 2 for a malformed address, else 1. */
static void check(const struct ctl *t, int r)
{
	if (r < 0)
		die(r == -EINVAL ? EXIT_USAGE : EXIT_FAILED, "%s", t->qc.err);
}

static void connect_target(struct ctl *t)
{
	check(t, t->vsock ? qga_connect_vsock(&t->qc, t->vsock)
		 : t->fc  ? qga_connect_firecracker(&t->qc, t->fc)
			  : qga_connect_unix(&t->qc, t->path));
	/* vssd runs as root: anything else on its socket is not vssd */
	if (!t->vsock && !t->fc && !t->qga)
		check(t, qga_check_peer_uid(&t->qc, 0));
	check(t, qga_sync(&t->qc, 10000));
}

/* The reply to {"execute":name,"arguments":args} (the caller puts it). */
static json_object *call(struct ctl *t, const char *name, json_object *args, int timeout_ms)
{
	json_object *reply = NULL;

	check(t, qga_call(&t->qc, name, args, timeout_ms, &reply));
	return reply;
}

/* Returns the "return" member, or prints the error and returns NULL. */
static json_object *result(json_object *reply, const char *what)
{
	char err[320];
	json_object *r = qga_result(reply, what, err, sizeof(err));

	if (!r)
		fprintf(stderr, "vssctl: %s\n", err);
	if (!r && strstr(err, "the agent is in frozen state"))
		fprintf(stderr,
			"vssctl: the filesystems are frozen already: 'vssctl status' shows who "
			"froze them; 'vssctl thaw' ends that freeze (or the watchdog will)\n");
	return r;
}

/* vssd-status if the agent is vssd; NULL from another guest agent (qemu-ga). */
static json_object *try_status(struct ctl *t, json_object **reply)
{
	json_object *e;

	*reply = call(t, "vssd-status", NULL, 10000);
	if (json_object_object_get_ex(*reply, "error", &e))
		return NULL;
	return result(*reply, "status");
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static int64_t num(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/*
 * The connection may have been dropped while CMD ran: if so, connect again
 * (silently: stderr may be on a frozen filesystem). Returns true when it did.
 */
static bool ensure_connected(struct ctl *t)
{
	if (!qga_hung_up(&t->qc))
		return false;
	qga_close(&t->qc);
	connect_target(t);
	return true;
}

/* another guest agent (qemu-ga): only the QGA status is there */
static int print_qga_status(struct ctl *t)
{
	json_object *reply = call(t, "guest-fsfreeze-status", NULL, 10000);
	json_object *st = result(reply, "status");

	if (!st)
		return EXIT_FAILED;
	if (t->json)
		printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	else
		printf("state: %s\n", json_object_get_string(st));
	json_object_put(reply);
	return 0;
}

static void print_filesystems(json_object *st)
{
	json_object *fss;
	size_t i;

	if (!json_object_object_get_ex(st, "filesystems", &fss) || !json_object_array_length(fss))
		return;
	printf("%-30s %-8s %-8s %-9s %s\n", "MOUNTPOINT", "TYPE", "DEVICE", "STATE", "REASON");
	for (i = 0; i < json_object_array_length(fss); i++) {
		json_object *f = json_object_array_get_idx(fss, i);

		printf("%-30s %-8s %-8s %-9s %s\n", str(f, "mountpoint"), str(f, "fstype"),
		       str(f, "device"), str(f, "state"), str(f, "reason"));
	}
}

static int cmd_status(struct ctl *t)
{
	json_object *reply, *st = try_status(t, &reply);

	if (!st) {
		json_object_put(reply);
		return print_qga_status(t);
	}
	if (t->json) {
		printf("%s\n", json_object_to_json_string_ext(st, JSON_C_TO_STRING_PRETTY));
		json_object_put(reply);
		return 0;
	}
	printf("state: %s\n", str(st, "state"));
	if (*str(st, "freezing"))
		printf("freezing: %s\n", str(st, "freezing"));
	if (strcmp(str(st, "state"), "frozen") == 0) {
		json_object *by = json_object_object_get(st, "frozen_by");

		printf("frozen for: %lld ms; watchdog thaws in %lld ms\n",
		       (long long)num(st, "frozen_for_ms"),
		       (long long)num(st, "watchdog_deadline_ms"));
		if (by)
			printf("frozen by: %s (connection %lld)\n", str(by, "channel"),
			       (long long)num(by, "connection"));
	}
	if (num(st, "last_frozen_ms"))
		printf("last frozen window: %lld ms%s\n", (long long)num(st, "last_frozen_ms"),
		       json_object_get_boolean(json_object_object_get(st, "watchdog_fired"))
			       ? " (ended by the watchdog)"
		       : json_object_get_boolean(json_object_object_get(st, "thawed_elsewhere"))
			       ? " (thawed by someone else before vssd's thaw)"
			       : "");
	if (*str(st, "last_error"))
		printf("last error: %s\n", str(st, "last_error"));
	print_filesystems(st);
	json_object_put(reply);
	return 0;
}

static json_object *freeze_args(char **mps, int n, uint64_t timeout_ms)
{
	json_object *args = json_object_new_object();
	int i;

	if (n > 0) {
		json_object *list = json_object_new_array();

		for (i = 0; i < n; i++)
			json_object_array_add(list, json_object_new_string(mps[i]));
		json_object_object_add(args, "mountpoints", list);
	}
	if (timeout_ms)
		json_object_object_add(args, "timeout", json_object_new_int64((int64_t)timeout_ms));
	return args;
}

/* The integer a call returns, or -1 (the error printed); with print, the reply as JSON. */
static int call_count(struct ctl *t, const char *name, json_object *args, int timeout_ms,
		      const char *what, bool print)
{
	json_object *reply = call(t, name, args, timeout_ms), *r = result(reply, what);
	int count = r ? json_object_get_int(r) : -1;

	if (r && print && t->json)
		printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	json_object_put(reply);
	return count;
}

/* Returns the number frozen, or -1. */
static int do_freeze(struct ctl *t, char **mps, int n, uint64_t timeout_ms, bool print)
{
	return call_count(t, n > 0 ? "guest-fsfreeze-freeze-list" : "guest-fsfreeze-freeze",
			  freeze_args(mps, n, timeout_ms), 3600 * 1000, "freeze", print);
}

static int do_thaw(struct ctl *t, bool print)
{
	return call_count(t, "guest-fsfreeze-thaw", NULL, 600 * 1000, "thaw", print);
}

/* Thaws the freeze id only (vssd refuses when another freeze is in force); id <= 0: any. */
static int thaw_own(struct ctl *t, int64_t id)
{
	json_object *args;

	if (id <= 0)
		return do_thaw(t, false);
	args = json_object_new_object();
	json_object_object_add(args, "freeze_id", json_object_new_int64(id));
	return call_count(t, "guest-fsfreeze-thaw", args, 600 * 1000, "thaw", false);
}

/*
 * The id of the freeze this connection holds: 0 when it holds none (its
 * freeze was ended already), -1 when the agent cannot say (not vssd).
 */
static int64_t own_freeze(struct ctl *t)
{
	json_object *reply, *st = try_status(t, &reply), *yours;
	int64_t id = -1;

	if (st && json_object_object_get_ex(st, "held_by_you", &yours))
		id = json_object_get_boolean(yours) ? num(st, "freeze_id") : 0;
	json_object_put(reply);
	return id;
}

static uint64_t parse_timeout(const char *s)
{
	uint64_t ms;

	if (parse_duration_ms(s, &ms) < 0 || ms < 100 || ms > 3600000)
		die(EXIT_USAGE, "bad --timeout '%s' (100ms to 1h, e.g. 30s, 2min)", s);
	return ms;
}

/* "/srv/data/" (what tab completion gives) is the mountpoint "/srv/data". */
static char *strip_slashes(char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	return path;
}

/*
 * The arguments of freeze and backup: "[MOUNTPOINT...] [--timeout DUR]"
 * (options anywhere), for backup then "-- CMD [ARG...]". Dies with exit 2
 * on a usage error: all before connecting.
 */
static void parse_args(struct ctl *t, bool backup, int argc, char **argv)
{
	int i;

	t->paths = calloc((size_t)argc + 1, sizeof(*t->paths));
	if (!t->paths)
		die(EXIT_FAILED, "%s", "out of memory");
	for (i = 0; i < argc && !t->cmd; i++) {
		if (strcmp(argv[i], "--") == 0) {
			if (!backup)
				die(EXIT_USAGE, "%s", "'--' is only for backup");
			if (i + 1 >= argc)
				die(EXIT_USAGE, "%s", "backup needs a command after '--'");
			t->cmd = argv + i + 1;
		} else if (strcmp(argv[i], "--timeout") == 0) {
			if (i + 1 >= argc)
				die(EXIT_USAGE, "%s", "--timeout needs a value");
			t->timeout_ms = parse_timeout(argv[++i]);
		} else if (strncmp(argv[i], "--timeout=", 10) == 0) {
			t->timeout_ms = parse_timeout(argv[i] + 10);
		} else if (argv[i][0] == '-') {
			die(EXIT_USAGE, "unknown option '%s'", argv[i]);
		} else if (argv[i][0] != '/') {
			die(EXIT_USAGE, "'%s': a mountpoint is an absolute path", argv[i]);
		} else {
			t->paths[t->npaths++] = strip_slashes(argv[i]);
		}
	}
	if (backup && !t->cmd)
		die(EXIT_USAGE, "%s", "backup needs '-- CMD [ARG...]'");
}

/*
 * Runs argv to its end with SIGINT, SIGTERM and SIGHUP ignored here (we
 * thaw afterwards whatever happens to it or to us, short of SIGKILL).
 * Returns its wait status, or -1 when it could not be started (fork).
 */
static int run_cmd(struct ctl *t, char **argv)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_term, old_hup;
	int status = 0;
	pid_t pid;

	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGTERM, &ign, &old_term);
	sigaction(SIGHUP, &ign, &old_hup);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGHUP, &old_hup, NULL);
		close(t->qc.fd);
		execvp(argv[0], argv);
		fprintf(stderr, "vssctl: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* One backup's outcome, for the report. */
struct backup {
	const char *cmd;
	int frozen, thawed, status; /* status: run_cmd()'s */
	int64_t frozen_ms;
	bool fired, elsewhere, reconnected; /* ended by the watchdog, someone else, a restart */
	bool exact;                         /* frozen_ms is vssd's, not ours */
};

/* Prints the result line; returns the exit status. */
static int backup_report(const struct ctl *t, const struct backup *b)
{
	if (t->json)
		printf("{\"frozen\":%d,\"thawed\":%d,\"frozen_ms\":%lld,\"watchdog_fired\":%s,"
		       "\"cmd_status\":%d}\n",
		       b->frozen, b->thawed, (long long)b->frozen_ms, b->fired ? "true" : "false",
		       b->status < 0          ? -1
		       : WIFEXITED(b->status) ? WEXITSTATUS(b->status)
					      : 128 + WTERMSIG(b->status));
	else
		printf("froze %d filesystem(s), ran %s, thawed %d; frozen for %lld ms%s\n",
		       b->frozen, b->cmd, b->thawed, (long long)b->frozen_ms,
		       b->exact ? "" : " (as seen from here)");
	if (b->reconnected)
		fprintf(stderr,
			"vssctl: backup: the connection to the agent was closed while %s ran\n",
			b->cmd);
	if (b->fired || b->elsewhere || b->reconnected || b->thawed < b->frozen) {
		fprintf(stderr,
			"vssctl: backup: the filesystems were thawed before %s finished "
			"(%s): the copy may be inconsistent\n",
			b->cmd,
			b->fired         ? "the watchdog's timeout; use a longer --timeout"
			: b->reconnected ? "the agent restarted"
					 : "thawed by someone else, not the watchdog");
		return EXIT_FAILED;
	}
	if (b->status < 0)
		return EXIT_CMD_FAILED;
	if (WIFEXITED(b->status) && WEXITSTATUS(b->status) == 0)
		return 0;
	if (WIFEXITED(b->status))
		fprintf(stderr, "vssctl: backup: %s exited with status %d\n", b->cmd,
			WEXITSTATUS(b->status));
	else
		fprintf(stderr, "vssctl: backup: %s was killed by signal %d\n", b->cmd,
			WTERMSIG(b->status));
	return EXIT_CMD_FAILED;
}

static int cmd_backup(struct ctl *t)
{
	struct backup b = { .cmd = t->cmd[0] };
	json_object *reply, *st;
	int64_t t_frozen, own;

	/* nothing is printed while frozen: stdout may be a file on a frozen filesystem */
	fflush(stdout);
	b.frozen = do_freeze(t, t->paths, t->npaths, t->timeout_ms, false);
	if (b.frozen < 0)
		return EXIT_FAILED;
	if (b.frozen == 0) {
		/* a copy of what was never frozen must not pass for a consistent one */
		fprintf(stderr,
			"vssctl: backup: nothing was frozen (every filesystem was skipped; "
			"see 'vssctl status'); not running %s\n",
			b.cmd);
		return EXIT_FAILED;
	}
	t_frozen = (int64_t)now_ms();
	own = own_freeze(t);
	if (own == 0) {
		fprintf(stderr,
			"vssctl: backup: its freeze was ended before %s could run (see "
			"'vssctl status'); not running it\n",
			b.cmd);
		return EXIT_FAILED;
	}
	b.status = run_cmd(t, t->cmd);
	b.reconnected = ensure_connected(t);
	/* only its own freeze: were it ended and another made, that one is left alone */
	b.thawed = thaw_own(t, own);
	b.frozen_ms = (int64_t)now_ms() - t_frozen;
	if (b.status < 0)
		fprintf(stderr, "vssctl: fork: %s\n", strerror(errno));
	if (b.thawed < 0) {
		fprintf(stderr, "vssctl: backup: THAW FAILED; check 'vssctl status'\n");
		return EXIT_FAILED;
	}
	st = try_status(t, &reply);
	b.fired = st && json_object_get_boolean(json_object_object_get(st, "watchdog_fired"));
	b.elsewhere = st && json_object_get_boolean(json_object_object_get(st, "thawed_elsewhere"));
	b.exact = st != NULL;
	if (st)
		b.frozen_ms = num(st, "last_frozen_ms");
	json_object_put(reply);
	return backup_report(t, &b);
}

static void print_plan(json_object *p)
{
	json_object *fss = json_object_object_get(p, "filesystems");
	json_object *w = json_object_object_get(p, "warnings");
	size_t i, n = fss ? json_object_array_length(fss) : 0;
	bool skipped = false;

	printf("freeze order:\n");
	for (i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(fss, i);

		if (!num(f, "order"))
			continue;
		printf("  %2lld  %s (%s %s)%s%s\n", (long long)num(f, "order"),
		       str(f, "mountpoint"), str(f, "fstype"), str(f, "device"),
		       *str(f, "why") ? ": " : "", str(f, "why"));
	}
	for (i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(fss, i);

		if (num(f, "order"))
			continue;
		if (!skipped)
			printf("skipped:\n");
		skipped = true;
		printf("      %s (%s): %s\n", str(f, "mountpoint"), str(f, "fstype"),
		       str(f, "skipped"));
	}
	for (i = 0; w && i < json_object_array_length(w); i++)
		printf("warning: %s\n", json_object_get_string(json_object_array_get_idx(w, i)));
}

/* The freeze plan from vssd's own planner: order and why, what is skipped, warnings. */
static int cmd_plan(struct ctl *t)
{
	json_object *reply = call(t, "vssd-plan", freeze_args(t->paths, t->npaths, 0), 60000), *p;

	p = result(reply, "plan");
	if (p && t->json)
		printf("%s\n", json_object_to_json_string_ext(p, JSON_C_TO_STRING_PRETTY));
	else if (p)
		print_plan(p);
	json_object_put(reply);
	return p ? 0 : EXIT_FAILED;
}

static int cmd_freeze(struct ctl *t)
{
	int frozen = do_freeze(t, t->paths, t->npaths, t->timeout_ms, true);

	if (frozen < 0)
		return EXIT_FAILED;
	if (!t->json)
		printf("froze %d filesystem(s)\n", frozen);
	return 0;
}

static int cmd_thaw(struct ctl *t)
{
	int n = do_thaw(t, true);

	if (n < 0)
		return EXIT_FAILED;
	if (!t->json)
		printf("thawed %d filesystem(s)\n", n);
	return 0;
}

/* Options before the command; returns the index of the command in argv. */
static int parse_options(struct ctl *t, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "qga", required_argument, NULL, 'q' },
		{ "vsock", required_argument, NULL, 'k' },
		{ "firecracker", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	/* "+": stop at the command, its own options follow it */
	while ((o = getopt_long(argc, argv, "+s:hV", opts, NULL)) != -1) {
		switch (o) {
		case 's': t->path = optarg; break;
		case 'j': t->json = true; break;
		case 'q':
			t->path = optarg;
			t->qga = true;
			break;
		case 'k': t->vsock = optarg; break;
		case 'F': t->fc = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': print_version("vssctl"); exit(0);
		default: usage(stderr); exit(EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		exit(EXIT_USAGE);
	}
	return optind;
}

int main(int argc, char **argv)
{
	static struct ctl t = { .path = DEFAULT_SOCKET };
	const char *cmd;
	int first = parse_options(&t, argc, argv);

	cmd = argv[first];
	argc -= first + 1;
	argv += first + 1;
	if (strcmp(cmd, "status") && strcmp(cmd, "freeze") && strcmp(cmd, "thaw") &&
	    strcmp(cmd, "backup") && strcmp(cmd, "plan"))
		die(EXIT_USAGE, "unknown command '%s' (status, freeze, thaw, backup, plan)", cmd);
	if ((strcmp(cmd, "status") == 0 || strcmp(cmd, "thaw") == 0) && argc > 0)
		die(EXIT_USAGE, "'%s' takes no arguments", cmd);
	if (strcmp(cmd, "freeze") == 0 || strcmp(cmd, "backup") == 0 || strcmp(cmd, "plan") == 0)
		parse_args(&t, strcmp(cmd, "backup") == 0, argc, argv);

	qga_init(&t.qc);
	connect_target(&t);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(&t);
	if (strcmp(cmd, "thaw") == 0)
		return cmd_thaw(&t);
	if (strcmp(cmd, "freeze") == 0)
		return cmd_freeze(&t);
	if (strcmp(cmd, "plan") == 0)
		return cmd_plan(&t);
	return cmd_backup(&t);
}
