/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vss/qga_client.c (vssctl's client half) against a scripted agent: the
 * test writes the agent's side of a socketpair and reads what the client sent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qga_client.h"
#include "testutil.h"

static struct qga_client *c;
static int agent; /* the agent's end */

static int setup(void **state)
{
	int sv[2];

	(void)state;
	c = malloc(sizeof(*c));
	assert_non_null(c);
	qga_init(c);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	c->fd = sv[0];
	agent = sv[1];
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	qga_close(c);
	free(c);
	close(agent);
	return 0;
}

static void agent_says(const char *s)
{
	assert_int_equal(write(agent, s, strlen(s)), (ssize_t)strlen(s));
}

/* the next line the client sent (waiting for it up to 2 s) */
static const char *client_sent(char *buf, size_t size)
{
	size_t len = 0;

	while (len < size - 1 && (len == 0 || buf[len - 1] != '\n')) {
		struct pollfd p = { .fd = agent, .events = POLLIN };

		if (poll(&p, 1, 2000) != 1 || read(agent, buf + len, 1) != 1)
			break;
		len++;
	}
	buf[len] = '\0';
	return buf;
}

static void test_call_returns_reply(void **state)
{
	json_object *reply = NULL;
	char sent[512], err[320];

	(void)state;
	agent_says("{\"return\": 3}\n");
	assert_int_equal(qga_call(c, "guest-fsfreeze-thaw", NULL, 1000, &reply), 0);
	assert_int_equal(json_object_get_int(qga_result(reply, "thaw", err, sizeof(err))), 3);
	json_object_put(reply);
	assert_string_equal(client_sent(sent, sizeof(sent)),
			    "{\"execute\":\"guest-fsfreeze-thaw\"}\n");
}

static void test_call_error_reply(void **state)
{
	json_object *reply = NULL;
	char err[320];

	(void)state;
	agent_says("{\"error\":{\"class\":\"GenericError\",\"desc\":\"nope\"}}\n");
	assert_int_equal(qga_call(c, "guest-ping", NULL, 1000, &reply), 0);
	assert_null(qga_result(reply, "ping", err, sizeof(err)));
	assert_string_equal(err, "ping failed: nope");
	json_object_put(reply);
}

static void test_call_failures(void **state)
{
	json_object *reply = NULL;

	(void)state;
	assert_int_equal(qga_call(c, "guest-ping", NULL, 50, &reply), -ETIMEDOUT);
	assert_string_equal(c->err, "no reply from vssd in time");
	agent_says("not json\n");
	assert_int_equal(qga_call(c, "guest-ping", NULL, 1000, &reply), -EBADMSG);
	assert_string_equal(c->err, "vssd sent a reply that is not JSON");
	shutdown(agent, SHUT_WR);
	assert_int_equal(qga_call(c, "guest-ping", NULL, 1000, &reply), -ECONNRESET);
	assert_string_equal(c->err, "vssd closed the connection");
	assert_true(qga_hung_up(c));
}

/* the id the client's guest-sync-delimited carries */
static int64_t sync_id(void)
{
	char sent[512];
	json_object *req, *args, *id;
	int64_t v;

	client_sent(sent, sizeof(sent));
	assert_int_equal((unsigned char)sent[0], 0xff);
	req = json_tokener_parse(sent + 1);
	assert_non_null(req);
	assert_true(json_object_object_get_ex(req, "arguments", &args));
	assert_true(json_object_object_get_ex(args, "id", &id));
	v = json_object_get_int64(id);
	json_object_put(req);
	return v;
}

/* Runs the agent's script in a child (so that the client can block); returns its pid. */
static pid_t agent_script(void (*script)(void))
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		script();
		_exit(0);
	}
	return pid;
}

/* The script ran to its end. */
static void agent_done(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* stale bytes, then a leftover reply to an earlier sync; then the right one */
static void stale_then_answer(void)
{
	char line[160];
	int64_t id = sync_id();

	snprintf(line, sizeof(line), "{\"return\": 1}\n\xff{\"return\": %lld}\n",
		 (long long)(id - 100));
	agent_says(line);
	id = sync_id(); /* it tries again */
	snprintf(line, sizeof(line), "\xff{\"return\": %lld}\n", (long long)id);
	agent_says(line);
}

/*
 * Stale output before the agent's 0xFF is dropped; a reply with an older id
 * is a leftover: the client syncs again. The agent here answers the second attempt.
 */
static void test_sync_skips_stale_output(void **state)
{
	pid_t pid;

	(void)state;
	pid = agent_script(stale_then_answer);
	assert_int_equal(qga_sync(c, 5000), 0);
	agent_done(pid);
}

static void test_sync_error(void **state)
{
	(void)state;
	agent_says("\xff{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"no sync\"}}\n");
	assert_int_equal(qga_sync(c, 1000), -EPROTO);
	assert_string_equal(c->err, "guest-sync-delimited failed: no sync");
	assert_int_equal(qga_sync(c, 50), -ETIMEDOUT);
	assert_string_equal(c->err,
			    "no answer to guest-sync-delimited (is a guest agent running?)");
}

/* vssd refuses a client with an error line, then closes: the client says so, not "Broken pipe" */
static void test_refused(void **state)
{
	(void)state;
	agent_says("{\"error\":{\"class\":\"GenericError\",\"desc\":\"permission denied: uid "
		   "1000 may not use vssd\"}}\n");
	/* closed before the client sent anything: the send fails, the error is still queued */
	close(agent);
	agent = -1;
	assert_int_equal(qga_sync(c, 1000), -EACCES);
	assert_string_equal(c->err, "vssd refused this client: permission denied: uid 1000 may not "
				    "use vssd (run vssctl as root)");
}

/* reads the request, then refuses (vssd's peer check answers that way) */
static void refuse_after_request(void)
{
	char sent[512];

	client_sent(sent, sizeof(sent));
	agent_says("{\"error\":{\"class\":\"GenericError\",\"desc\":\"no\"}}\n");
}

/* the same when the close comes after the client's request went out */
static void test_refused_after_send(void **state)
{
	pid_t pid;

	(void)state;
	pid = agent_script(refuse_after_request);
	close(agent); /* the child holds the only agent end: its exit closes it */
	agent = -1;
	assert_int_equal(qga_sync(c, 5000), -EACCES);
	assert_string_equal(c->err, "vssd refused this client: no (run vssctl as root)");
	agent_done(pid);
}

static void test_bad_addresses(void **state)
{
	(void)state;
	assert_int_equal(qga_connect_vsock(c, "2"), -EINVAL);
	assert_string_equal(c->err, "--vsock wants CID:PORT, not '2'");
	assert_int_equal(qga_connect_vsock(c, "2:0"), -EINVAL);
	assert_int_equal(qga_connect_firecracker(c, "/run/x.sock"), -EINVAL);
	assert_string_equal(c->err, "--firecracker wants PATH:PORT, not '/run/x.sock'");
	assert_int_equal(qga_connect_unix(c, "/nonexistent/vssd.sock"), -ENOENT);
	assert_string_equal(c->err, "cannot connect to /nonexistent/vssd.sock: No such file or "
				    "directory (is vssd running? systemctl status vssd)");
	assert_int_equal(c->fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_call_returns_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_error_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_skips_stale_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_after_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_addresses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
