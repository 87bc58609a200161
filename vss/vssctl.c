/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vssctl: vssd's client: status, freeze, thaw, and backup -- CMD. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/vm_sockets.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"
#include "util.h"

#define DEFAULT_SOCKET RUNSTATEDIR "/vssd/vssd.sock"
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_CMD_FAILED 3

static int sock = -1;
static bool json_out;
static const char *target_path = DEFAULT_SOCKET, *target_vsock, *target_fc;
static char inbuf[1 << 20];
static size_t inlen;

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vssctl [-s SOCKET | --qga PATH | --vsock CID:PORT | --firecracker PATH:PORT]\n"
		"              [--json] COMMAND\n"
		"  status                                 show vssd's state and filesystems\n"
		"  freeze [MOUNTPOINT...] [--timeout DUR] freeze the listed (or all eligible) filesystems\n"
		"  thaw                                   thaw what vssd froze\n"
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

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die(EXIT_USAGE, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vssctl: cannot connect to %s: %s (is the agent running?)\n", path,
			strerror(errno));
		exit(EXIT_FAILED);
	}
	return fd;
}

static int connect_vsock(const char *spec)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK };
	uint64_t cid, port;
	char buf[64], *colon;
	int fd;

	snprintf(buf, sizeof(buf), "%s", spec);
	colon = strchr(buf, ':');
	if (!colon)
		die(EXIT_USAGE, "--vsock wants CID:PORT, not '%s'", spec);
	*colon = '\0';
	if (parse_uint(buf, 0, 0xffffffffu, &cid) < 0 ||
	    parse_uint(colon + 1, 1, 0xffffffffu, &port) < 0)
		die(EXIT_USAGE, "--vsock wants CID:PORT, not '%s'", spec);
	sa.svm_cid = (unsigned)cid;
	sa.svm_port = (unsigned)port;
	fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(EXIT_FAILED, "cannot connect to vsock %s: %s", spec, strerror(errno));
	return fd;
}

/* Firecracker: connect to its host socket, then "CONNECT PORT\n" -> "OK N\n". */
static int connect_firecracker(const char *spec)
{
	char path[108], line[64];
	const char *colon = strrchr(spec, ':');
	uint64_t port;
	size_t len = 0;
	int fd;

	if (!colon || (size_t)(colon - spec) >= sizeof(path) ||
	    parse_uint(colon + 1, 1, 0xffffffffu, &port) < 0)
		die(EXIT_USAGE, "--firecracker wants PATH:PORT, not '%s'", spec);
	memcpy(path, spec, (size_t)(colon - spec));
	path[colon - spec] = '\0';
	fd = connect_to(path);
	if (dprintf(fd, "CONNECT %llu\n", (unsigned long long)port) < 0)
		die(EXIT_FAILED, "cannot write to %s: %s", path, strerror(errno));
	/* byte by byte: what follows the line belongs to the guest agent */
	while (len < sizeof(line) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) != 1)
			die(EXIT_FAILED, "%s: no answer to CONNECT", path);
		n = read(fd, line + len, 1);
		if (n <= 0)
			die(EXIT_FAILED,
			    "%s: connection closed after CONNECT (is the guest listening on port %llu?)",
			    path, (unsigned long long)port);
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	if (strncmp(line, "OK ", 3) != 0)
		die(EXIT_FAILED, "%s: CONNECT answered '%s'", path, line);
	return fd;
}

/* Drops input up to and including the 0xFF that guest-sync-delimited sends first. */
static void skip_to_sentinel(int timeout_ms)
{
	for (;;) {
		char *ff = memchr(inbuf, 0xff, inlen);
		struct pollfd p = { .fd = sock, .events = POLLIN };
		ssize_t n;

		if (ff) {
			size_t keep = inlen - (size_t)(ff + 1 - inbuf);

			memmove(inbuf, ff + 1, keep);
			inlen = keep;
			return;
		}
		inlen = 0; /* stale output from an earlier session */
		if (poll(&p, 1, timeout_ms) != 1)
			die(EXIT_FAILED, "%s",
			    "no answer to guest-sync-delimited (is a guest agent running?)");
		n = read(sock, inbuf, sizeof(inbuf) - 1);
		if (n <= 0)
			die(EXIT_FAILED, "%s", "the channel was closed");
		inlen = (size_t)n;
	}
}

/* Reads one reply line (0xFF bytes dropped), waiting at most timeout_ms. */
static json_object *read_reply(int timeout_ms)
{
	for (;;) {
		char *nl = memchr(inbuf, '\n', inlen);
		struct pollfd p = { .fd = sock, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t linelen = (size_t)(nl - inbuf), i, w = 0;
			json_object *o;

			for (i = 0; i < linelen; i++)
				if ((unsigned char)inbuf[i] != 0xff)
					inbuf[w++] = inbuf[i];
			inbuf[w] = '\0';
			o = json_tokener_parse(inbuf);
			memmove(inbuf, nl + 1, inlen - linelen - 1);
			inlen -= linelen + 1;
			if (!o)
				die(EXIT_FAILED, "%s", "vssd sent a reply that is not JSON");
			return o;
		}
		if (inlen == sizeof(inbuf) - 1)
			die(EXIT_FAILED, "%s", "reply too large");
		n = poll(&p, 1, timeout_ms);
		if (n == 0)
			die(EXIT_FAILED, "%s", "no reply from vssd in time");
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(EXIT_FAILED, "poll: %s", strerror(errno));
		}
		n = read(sock, inbuf + inlen, sizeof(inbuf) - 1 - inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(EXIT_FAILED, "%s", "vssd closed the connection");
		inlen += (size_t)n;
	}
}

static void send_all(const char *s, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(sock, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(EXIT_FAILED, "cannot send: %s", strerror(errno));
		off += (size_t)n;
	}
}

/* Sends {"execute":name,"arguments":args} and returns the reply (caller frees). */
static json_object *call(const char *name, json_object *args, int timeout_ms)
{
	json_object *req = json_object_new_object();
	const char *s;

	json_object_object_add(req, "execute", json_object_new_string(name));
	if (args)
		json_object_object_add(req, "arguments", args);
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	send_all(s, strlen(s));
	send_all("\n", 1);
	json_object_put(req);
	return read_reply(timeout_ms);
}

/* Returns the "return" member, or prints the error and returns NULL. */
static json_object *result(json_object *reply, const char *what)
{
	json_object *r, *e, *d;

	if (json_object_object_get_ex(reply, "return", &r))
		return r;
	if (json_object_object_get_ex(reply, "error", &e) &&
	    json_object_object_get_ex(e, "desc", &d))
		fprintf(stderr, "vssctl: %s failed: %s\n", what, json_object_get_string(d));
	else
		fprintf(stderr, "vssctl: %s failed: unexpected reply %s\n", what,
			json_object_to_json_string(reply));
	return NULL;
}

/*
 * Synchronises the channel: 0xFF (the agent drops any partial input), then
 * guest-sync-delimited with a fresh id; everything before the agent's 0xFF
 * is stale and dropped; a reply with another id is a leftover: try again.
 */
static void sync_channel(void)
{
	int attempt;

	for (attempt = 0; attempt < 3; attempt++) {
		struct timespec ts;
		json_object *args, *req, *reply, *r;
		const char *text;
		int64_t id;

		clock_gettime(CLOCK_REALTIME, &ts);
		id = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + attempt;
		args = json_object_new_object();
		json_object_object_add(args, "id", json_object_new_int64(id));
		req = json_object_new_object();
		json_object_object_add(req, "execute",
				       json_object_new_string("guest-sync-delimited"));
		json_object_object_add(req, "arguments", args);
		text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
		send_all("\xff", 1);
		send_all(text, strlen(text));
		send_all("\n", 1);
		json_object_put(req);
		skip_to_sentinel(10000);
		reply = read_reply(10000);
		r = result(reply, "guest-sync-delimited");
		if (!r)
			exit(EXIT_FAILED);
		if (json_object_get_int64(r) == id) {
			json_object_put(reply);
			return;
		}
		json_object_put(reply);
	}
	die(EXIT_FAILED, "%s", "the channel did not synchronise (stale replies)");
}

/* vssd-status if the agent is vssd; NULL from another guest agent (qemu-ga). */
static json_object *try_status(json_object **reply)
{
	json_object *e;

	*reply = call("vssd-status", NULL, 10000);
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

static void connect_target(void)
{
	sock = target_vsock ? connect_vsock(target_vsock)
	       : target_fc  ? connect_firecracker(target_fc)
			    : connect_to(target_path);
	inlen = 0;
	sync_channel();
}

/*
 * The connection may have been dropped while CMD ran: if so, connect again
 * (silently: stderr may be on a frozen filesystem). Returns true when it did.
 */
static bool ensure_connected(void)
{
	struct pollfd p = { .fd = sock, .events = POLLIN | POLLRDHUP };

	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR))) {
		close(sock);
		connect_target();
		return true;
	}
	return false;
}

static int cmd_status(void)
{
	json_object *reply, *st = try_status(&reply), *fss;
	size_t i;

	if (!st) {
		/* another guest agent: only the QGA status is there */
		json_object_put(reply);
		reply = call("guest-fsfreeze-status", NULL, 10000);
		st = result(reply, "status");
		if (!st)
			return EXIT_FAILED;
		if (json_out)
			printf("%s\n",
			       json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
		else
			printf("state: %s\n", json_object_get_string(st));
		json_object_put(reply);
		return 0;
	}
	if (json_out) {
		printf("%s\n", json_object_to_json_string_ext(st, JSON_C_TO_STRING_PRETTY));
		json_object_put(reply);
		return 0;
	}
	printf("state: %s\n", str(st, "state"));
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
			       : "");
	if (*str(st, "last_error"))
		printf("last error: %s\n", str(st, "last_error"));
	if (json_object_object_get_ex(st, "filesystems", &fss) && json_object_array_length(fss)) {
		printf("%-30s %-8s %-8s %-9s %s\n", "MOUNTPOINT", "TYPE", "DEVICE", "STATE",
		       "REASON");
		for (i = 0; i < json_object_array_length(fss); i++) {
			json_object *f = json_object_array_get_idx(fss, i);

			printf("%-30s %-8s %-8s %-9s %s\n", str(f, "mountpoint"), str(f, "fstype"),
			       str(f, "device"), str(f, "state"), str(f, "reason"));
		}
	}
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

/* Returns the number frozen, or -1. */
static int do_freeze(char **mps, int n, uint64_t timeout_ms)
{
	json_object *reply, *r;
	int count;

	reply = call(n > 0 ? "guest-fsfreeze-freeze-list" : "guest-fsfreeze-freeze",
		     freeze_args(mps, n, timeout_ms), 3600 * 1000);
	r = result(reply, "freeze");
	count = r ? json_object_get_int(r) : -1;
	if (r && json_out)
		printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	json_object_put(reply);
	return count;
}

static int do_thaw(void)
{
	json_object *reply = call("guest-fsfreeze-thaw", NULL, 600 * 1000), *r;
	int count;

	r = result(reply, "thaw");
	count = r ? json_object_get_int(r) : -1;
	if (r && json_out)
		printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	json_object_put(reply);
	return count;
}

static uint64_t parse_timeout(const char *s)
{
	uint64_t ms;

	if (parse_duration_ms(s, &ms) < 0 || ms < 100 || ms > 3600000)
		die(EXIT_USAGE, "bad --timeout '%s' (100ms to 1h, e.g. 30s, 2min)", s);
	return ms;
}

/* Splits "[MOUNTPOINT...] [--timeout DUR]" (options anywhere); returns the count of paths. */
static int collect_paths(int argc, char **argv, char **paths, uint64_t *timeout_ms, int *stop)
{
	int i, n = 0;

	*stop = argc;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			*stop = i;
			break;
		}
		if (strcmp(argv[i], "--timeout") == 0) {
			if (i + 1 >= argc)
				die(EXIT_USAGE, "%s", "--timeout needs a value");
			*timeout_ms = parse_timeout(argv[++i]);
		} else if (strncmp(argv[i], "--timeout=", 10) == 0) {
			*timeout_ms = parse_timeout(argv[i] + 10);
		} else if (argv[i][0] == '-') {
			die(EXIT_USAGE, "unknown option '%s'", argv[i]);
		} else {
			paths[n++] = argv[i];
		}
	}
	return n;
}

static int cmd_backup(int argc, char **argv)
{
	char **paths = calloc((size_t)argc + 1, sizeof(*paths));
	json_object *reply, *st;
	uint64_t timeout_ms = 0;
	int n, stop, status = 0, frozen, thawed;
	int64_t t_frozen, t_thawed, frozen_ms;
	bool json, fired, reconnected;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_term, old_hup;
	pid_t pid;

	if (!paths)
		die(EXIT_FAILED, "%s", "out of memory");
	n = collect_paths(argc, argv, paths, &timeout_ms, &stop);
	if (stop >= argc - 1)
		die(EXIT_USAGE, "%s", "backup needs '-- CMD [ARG...]'");
	/* nothing is printed while frozen: stdout may be a file on a frozen filesystem */
	fflush(stdout);
	json = json_out;
	json_out = false;
	frozen = do_freeze(paths, n, timeout_ms);
	json_out = json;
	if (frozen < 0)
		return EXIT_FAILED;
	t_frozen = (int64_t)now_ms();
	/* whatever happens to CMD or to us (short of SIGKILL), thaw afterwards */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGTERM, &ign, &old_term);
	sigaction(SIGHUP, &ign, &old_hup);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGHUP, &old_hup, NULL);
		close(sock);
		execvp(argv[stop + 1], argv + stop + 1);
		fprintf(stderr, "vssctl: cannot run %s: %s\n", argv[stop + 1], strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	reconnected = ensure_connected();
	json_out = false;
	thawed = do_thaw();
	json_out = json;
	t_thawed = (int64_t)now_ms();
	if (pid < 0)
		fprintf(stderr, "vssctl: fork: %s\n", strerror(errno));
	if (thawed < 0) {
		fprintf(stderr, "vssctl: backup: THAW FAILED; check 'vssctl status'\n");
		return EXIT_FAILED;
	}
	st = try_status(&reply);
	fired = st && json_object_get_boolean(json_object_object_get(st, "watchdog_fired"));
	frozen_ms = st ? num(st, "last_frozen_ms") : t_thawed - t_frozen;
	if (json_out)
		printf("{\"frozen\":%d,\"thawed\":%d,\"frozen_ms\":%lld,\"watchdog_fired\":%s,"
		       "\"cmd_status\":%d}\n",
		       frozen, thawed, (long long)frozen_ms, fired ? "true" : "false",
		       pid < 0             ? -1
		       : WIFEXITED(status) ? WEXITSTATUS(status)
					   : 128 + WTERMSIG(status));
	else
		printf("froze %d filesystem(s), ran %s, thawed %d; frozen for %lld ms%s\n", frozen,
		       argv[stop + 1], thawed, (long long)frozen_ms,
		       st ? "" : " (as seen from here)");
	json_object_put(reply);
	free(paths);
	if (reconnected)
		fprintf(stderr,
			"vssctl: backup: the connection to the agent was closed while %s ran\n",
			argv[stop + 1]);
	if (fired || reconnected || thawed < frozen) {
		fprintf(stderr,
			"vssctl: backup: the filesystems were thawed before %s finished "
			"(%s): the copy may be inconsistent\n",
			argv[stop + 1],
			fired         ? "the watchdog's timeout; use a longer --timeout"
			: reconnected ? "the agent restarted"
				      : "thawed by someone else");
		return EXIT_FAILED;
	}
	if (pid < 0)
		return EXIT_CMD_FAILED;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		fprintf(stderr, "vssctl: backup: %s exited with status %d\n", argv[stop + 1],
			WEXITSTATUS(status));
	else
		fprintf(stderr, "vssctl: backup: %s was killed by signal %d\n", argv[stop + 1],
			WTERMSIG(status));
	return EXIT_CMD_FAILED;
}

int main(int argc, char **argv)
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
	const char *cmd;
	int o;

	/* "+": stop at the command, its own options follow it */
	while ((o = getopt_long(argc, argv, "+s:hV", opts, NULL)) != -1) {
		switch (o) {
		case 's': target_path = optarg; break;
		case 'j': json_out = true; break;
		case 'q': target_path = optarg; break;
		case 'k': target_vsock = optarg; break;
		case 'F': target_fc = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vssctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "status") && strcmp(cmd, "freeze") && strcmp(cmd, "thaw") &&
	    strcmp(cmd, "backup"))
		die(EXIT_USAGE, "unknown command '%s' (status, freeze, thaw, backup)", cmd);
	if ((strcmp(cmd, "status") == 0 || strcmp(cmd, "thaw") == 0) && argc > 0)
		die(EXIT_USAGE, "'%s' takes no arguments", cmd);

	connect_target();
	if (strcmp(cmd, "status") == 0)
		return cmd_status();
	if (strcmp(cmd, "thaw") == 0) {
		int n = do_thaw();

		if (n < 0)
			return EXIT_FAILED;
		if (!json_out)
			printf("thawed %d filesystem(s)\n", n);
		return 0;
	}
	if (strcmp(cmd, "freeze") == 0) {
		char **paths = calloc((size_t)argc + 1, sizeof(*paths));
		uint64_t timeout_ms = 0;
		int stop, n, frozen;

		if (!paths)
			die(EXIT_FAILED, "%s", "out of memory");
		n = collect_paths(argc, argv, paths, &timeout_ms, &stop);
		if (stop != argc)
			die(EXIT_USAGE, "%s", "'--' is only for backup");
		frozen = do_freeze(paths, n, timeout_ms);
		free(paths);
		if (frozen < 0)
			return EXIT_FAILED;
		if (!json_out)
			printf("froze %d filesystem(s)\n", frozen);
		return 0;
	}
	return cmd_backup(argc, argv);
}
