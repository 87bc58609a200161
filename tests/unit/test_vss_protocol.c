/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the QGA protocol layer over one engine fixture:
 * vss/commands.c (command semantics) and vss/session.c (reply queueing);
 * the framing below them, vss/jsonframe.c, has test_vss_jsonframe.c.
 *
 * The engine is given mountinfo fixtures and a temporary state_dir. No test
 * request may reach FIFREEZE: only requests that fail or select nothing
 * before freezing are sent, and as a second safety net hooks_dir holds a
 * hook that fails (and leaves a marker): had a request ever got past mount
 * selection, engine_freeze would stop at the hooks, before opening or
 * freezing anything, and the test would fail on the marker.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "vssd_config.h"
#include "freeze.h"
#include "jsonframe.h"
#include "session.h"
#include "testutil.h"
#include "util.h"

/* ---- engine fixture --------------------------------------------------- */

struct env {
	struct vssd_config cfg;
	struct engine e;
	char dir[64];
	char guard[PATH_MAX]; /* written by the guard hook if it ever runs */
};

static struct env *current; /* removed by cleanup() when a test fails early */
static const struct owner local = { .channel = OWNER_UNIX, .conn = 1 }; /* the requests' channel */

static struct env *env_new(const char *mountinfo)
{
	struct env *v = calloc(1, sizeof(*v));
	char path[PATH_MAX];
	FILE *f;

	assert_non_null(v);
	snprintf(v->dir, sizeof(v->dir), "/tmp/test_vss_protocol.XXXXXX");
	assert_non_null(mkdtemp(v->dir));
	vssd_config_defaults(&v->cfg);
	snprintf(path, sizeof(path), "mountinfo/%s", mountinfo);
	tu_fixture(path, v->cfg.mountinfo, sizeof(v->cfg.mountinfo));
	assert_true(access(v->cfg.mountinfo, R_OK) == 0);
	snprintf(v->cfg.state_dir, sizeof(v->cfg.state_dir), "%s/state", v->dir);
	snprintf(v->cfg.sysfs, sizeof(v->cfg.sysfs), "%s/sys", v->dir);
	snprintf(v->cfg.hooks_dir, sizeof(v->cfg.hooks_dir), "%s/hooks", v->dir);
	v->cfg.hook_timeout_ms = 2000;
	assert_int_equal(mkdir(v->cfg.state_dir, 0700), 0);
	assert_int_equal(mkdir(v->cfg.sysfs, 0755), 0);
	assert_int_equal(mkdir(v->cfg.hooks_dir, 0755), 0);
	snprintf(v->guard, sizeof(v->guard), "%s/GUARD-HOOK-RAN", v->dir);
	snprintf(path, sizeof(path), "%s/00-guard", v->cfg.hooks_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"$1\" >> '%s'\n[ \"$1\" = thaw ] || exit 1\n", v->guard);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	engine_init(&v->e, &v->cfg);
	current = v;
	return v;
}

static void env_destroy(struct env *v)
{
	v->e.state = ENGINE_THAWED;
	engine_free(&v->e);
	tu_rm_rf(v->dir);
	free(v);
	current = NULL;
}

static void env_free(struct env *v)
{
	assert_int_equal(v->e.state, ENGINE_THAWED);
	env_destroy(v);
}

static int cleanup(void **state)
{
	(void)state;
	if (current)
		env_destroy(current);
	return 0;
}

static void assert_never_froze(struct env *v)
{
	if (access(v->guard, F_OK) == 0)
		fail_msg("a request got past mount selection and ran the freeze hooks");
	assert_int_equal(v->e.state, ENGINE_THAWED);
	assert_int_equal(v->e.nfrozen, 0);
	assert_int_equal(v->e.wd.pid, 0);
}

/* Executes req; returns the reply object (caller puts it). */
static json_object *exec(struct env *v, const char *req, bool *delimited)
{
	struct reply r = { .obj = NULL, .delimited = true };

	commands_execute(&v->e, &local, req, strlen(req), &r);
	assert_non_null(r.obj);
	assert_true(json_object_is_type(r.obj, json_type_object));
	if (delimited)
		*delimited = r.delimited;
	else
		assert_false(r.delimited);
	return r.obj;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no member '%s' in %s", key, json_object_to_json_string(o));
	return v;
}

/* asserts {"error":{"class":klass,"desc":<contains desc>}}; frees reply */
static void expect_error(json_object *reply, const char *klass, const char *desc)
{
	json_object *err = member(reply, "error");
	const char *d = json_object_get_string(member(err, "desc"));

	assert_false(json_object_object_get_ex(reply, "return", NULL));
	assert_string_equal(json_object_get_string(member(err, "class")), klass);
	if (!strstr(d, desc))
		fail_msg("desc '%s' does not contain '%s'", d, desc);
	json_object_put(reply);
}

/* asserts {"return":<int n>}; frees reply */
static void expect_return_int(json_object *reply, int64_t n)
{
	json_object *r = member(reply, "return");

	assert_false(json_object_object_get_ex(reply, "error", NULL));
	assert_true(json_object_is_type(r, json_type_int));
	assert_int_equal(json_object_get_int64(r), n);
	json_object_put(reply);
}

static void expect_return_string(json_object *reply, const char *s)
{
	json_object *r = member(reply, "return");

	assert_true(json_object_is_type(r, json_type_string));
	assert_string_equal(json_object_get_string(r), s);
	json_object_put(reply);
}

/* ---- commands --------------------------------------------------------- */

static void test_sync(void **state)
{
	struct env *v = env_new("nested.mountinfo");
	bool delim;

	(void)state;
	expect_return_int(
		exec(v, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":1234567}}", NULL),
		1234567);
	expect_return_int(exec(v, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":-5}}", NULL),
			  -5);
	expect_return_int(
		exec(v, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":4294967297}}", NULL),
		4294967297LL);
	expect_error(exec(v, "{\"execute\":\"guest-sync\"}", NULL), "GenericError",
		     "'id' is missing");
	expect_error(exec(v, "{\"execute\":\"guest-sync\",\"arguments\":{}}", NULL), "GenericError",
		     "'id' is missing");
	expect_error(exec(v, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":\"7\"}}", NULL),
		     "GenericError", "expected: integer");
	expect_error(exec(v, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":1.5}}", NULL),
		     "GenericError", "expected: integer");

	expect_return_int(
		exec(v, "{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":99}}", &delim),
		99);
	assert_true(delim);
	expect_error(exec(v, "{\"execute\":\"guest-sync-delimited\"}", &delim), "GenericError",
		     "'id' is missing");
	env_free(v);
}

static void test_ping_status(void **state)
{
	struct env *v = env_new("nested.mountinfo");
	json_object *r, *ret;

	(void)state;
	r = exec(v, "{\"execute\":\"guest-ping\"}", NULL);
	ret = member(r, "return");
	assert_true(json_object_is_type(ret, json_type_object));
	assert_int_equal(json_object_object_length(ret), 0);
	assert_string_equal(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
			    "{\"return\":{}}");
	json_object_put(r);
	/* "arguments": {} is fine */
	r = exec(v, "{\"execute\":\"guest-ping\",\"arguments\":{}}", NULL);
	assert_int_equal(json_object_object_length(member(r, "return")), 0);
	json_object_put(r);
	expect_return_string(exec(v, "{\"execute\":\"guest-fsfreeze-status\"}", NULL), "thawed");
	env_free(v);
}

static const char *const all_commands[] = {
	"guest-sync",
	"guest-sync-delimited",
	"guest-ping",
	"guest-info",
	"guest-fsfreeze-status",
	"guest-fsfreeze-freeze",
	"guest-fsfreeze-freeze-list",
	"guest-fsfreeze-thaw",
	"vssd-status",
	"vssd-plan",
};
#define NALL ARRAY_SIZE(all_commands)

/* checks guest-info; frozen_disabled: whether the freeze commands must show disabled */
static void check_info(struct env *v, bool frozen)
{
	json_object *r = exec(v, "{\"execute\":\"guest-info\"}", NULL);
	json_object *info = member(r, "return"), *list = member(info, "supported_commands");
	size_t i, j, n = json_object_array_length(list);

	assert_string_equal(json_object_get_string(member(info, "version")), PACKAGE_VERSION);
	assert_int_equal(n, NALL);
	for (j = 0; j < NALL; j++) {
		bool found = false;

		for (i = 0; i < n; i++) {
			json_object *c = json_object_array_get_idx(list, i);

			if (strcmp(json_object_get_string(member(c, "name")), all_commands[j]) != 0)
				continue;
			found = true;
			assert_true(json_object_get_boolean(member(c, "success-response")));
			if (frozen &&
			    (strcmp(all_commands[j], "guest-fsfreeze-freeze") == 0 ||
			     strcmp(all_commands[j], "guest-fsfreeze-freeze-list") == 0)) {
				if (json_object_get_boolean(member(c, "enabled")))
					fail_msg("%s enabled while frozen", all_commands[j]);
			} else if (!json_object_get_boolean(member(c, "enabled"))) {
				fail_msg("%s disabled (frozen=%d)", all_commands[j], frozen);
			}
		}
		if (!found)
			fail_msg("guest-info does not list %s", all_commands[j]);
	}
	json_object_put(r);
}

static void test_info(void **state)
{
	struct env *v = env_new("nested.mountinfo");

	(void)state;
	check_info(v, false);
	env_free(v);
}

static void test_bad_requests(void **state)
{
	struct env *v = env_new("nested.mountinfo");

	(void)state;
	expect_error(exec(v, "{\"execute\":\"guest-exec\"}", NULL), "CommandNotFound",
		     "The command guest-exec has not been found");
	expect_error(exec(v, "{\"execute\":\"\"}", NULL), "CommandNotFound",
		     "The command  has not been found");
	expect_error(exec(v, "{\"arguments\":{}}", NULL), "GenericError", "lacks member 'execute'");
	expect_error(exec(v, "{}", NULL), "GenericError", "lacks member 'execute'");
	expect_error(exec(v, "{\"execute\":5}", NULL), "GenericError", "lacks member 'execute'");
	expect_error(exec(v, "{\"execute\":\"guest-ping\",\"arguments\":[1]}", NULL),
		     "GenericError", "'arguments' must be an object");
	expect_error(exec(v, "{\"execute\":", NULL), "GenericError", "JSON parse error");
	expect_error(exec(v, "{\"execute\" \"guest-ping\"}", NULL), "GenericError",
		     "JSON parse error");
	expect_error(exec(v, "[1,2]", NULL), "GenericError", "must be a JSON object");
	expect_error(exec(v, "\"guest-ping\"", NULL), "GenericError", "must be a JSON object");
	env_free(v);
}

static void test_id_echoed(void **state)
{
	struct env *v = env_new("nested.mountinfo");
	json_object *r;

	(void)state;
	r = exec(v, "{\"execute\":\"guest-ping\",\"id\":\"req-7\"}", NULL);
	assert_string_equal(json_object_get_string(member(r, "id")), "req-7");
	assert_non_null(member(r, "return"));
	json_object_put(r);

	r = exec(v, "{\"execute\":\"no-such-command\",\"id\":42}", NULL);
	assert_int_equal(json_object_get_int(member(r, "id")), 42);
	assert_non_null(member(r, "error"));
	json_object_put(r);

	r = exec(v, "{\"id\":{\"a\":[1]}}", NULL);
	assert_string_equal(json_object_to_json_string_ext(member(r, "id"), JSON_C_TO_STRING_PLAIN),
			    "{\"a\":[1]}");
	json_object_put(r);

	/* no id in the request: none in the reply */
	r = exec(v, "{\"execute\":\"guest-ping\"}", NULL);
	assert_false(json_object_object_get_ex(r, "id", NULL));
	json_object_put(r);
	env_free(v);
}

static void test_freeze_list_errors(void **state)
{
	struct env *v = env_new("nested.mountinfo");
	const char *fl = "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":";
	char req[512];

	(void)state;
#define FL(args) (snprintf(req, sizeof(req), "%s%s}", fl, args), req)
	expect_error(exec(v, FL("{\"mountpoints\":[]}"), NULL), "GenericError", "empty");
	assert_never_froze(v);
	expect_error(exec(v, FL("{\"mountpoints\":[\"/var/log\"]}"), NULL), "GenericError",
		     "/var/log is not a mountpoint");
	assert_never_froze(v);
	expect_error(exec(v, FL("{\"mountpoints\":[\"/var/\"]}"), NULL), "GenericError",
		     "/var/ is not a mountpoint");
	assert_never_froze(v);
	/* one bad entry spoils the whole list */
	expect_error(exec(v, FL("{\"mountpoints\":[\"/var\",\"/nonexistent\"]}"), NULL),
		     "GenericError", "/nonexistent is not a mountpoint");
	assert_never_froze(v);
	expect_error(exec(v, FL("{\"mountpoints\":[\"/var\",7]}"), NULL), "GenericError",
		     "array of strings");
	assert_never_froze(v);
	expect_error(exec(v, FL("{\"mountpoints\":[null]}"), NULL), "GenericError",
		     "array of strings");
	expect_error(exec(v, FL("{\"mountpoints\":\"/var\"}"), NULL), "GenericError",
		     "expected: array");
	assert_never_froze(v);
	expect_error(exec(v, FL("{\"mountpoints\":[\"/nonexistent-mp\"],\"timeout\":5}"), NULL),
		     "GenericError", "'timeout'");
	expect_error(
		exec(v, FL("{\"mountpoints\":[\"/nonexistent-mp\"],\"timeout\":\"10s\"}"), NULL),
		"GenericError", "'timeout'");
	expect_error(
		exec(v, FL("{\"mountpoints\":[\"/nonexistent-mp\"],\"timeout\":3600001}"), NULL),
		"GenericError", "'timeout'");
	assert_never_froze(v);
#undef FL
	/* the same for guest-fsfreeze-freeze's timeout */
	expect_error(exec(v,
			  "{\"execute\":\"guest-fsfreeze-freeze\",\"arguments\":{\"timeout\":99}}",
			  NULL),
		     "GenericError", "'timeout'");
	assert_never_froze(v);
	env_free(v);
}

/* Defect 14: an embedded \u0000 does not cut a string ("/var" is a mountpoint) */
static void test_embedded_nul(void **state)
{
	struct env *v = env_new("nested.mountinfo");

	(void)state;
	expect_error(exec(v,
			  "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":"
			  "{\"mountpoints\":[\"/var\\u0000junk\"]}}",
			  NULL),
		     "GenericError", "NUL byte");
	assert_never_froze(v);
	expect_error(exec(v, "{\"execute\":\"guest-ping\\u0000junk\"}", NULL), "CommandNotFound",
		     "has not been found");
	env_free(v);
}

/* Defect 15: invalid UTF-8 in a request is not echoed: replies stay valid JSON text */
static void test_invalid_utf8_not_echoed(void **state)
{
	struct env *v = env_new("nested.mountinfo");

	(void)state;
	expect_error(exec(v, "{\"execute\":\"guest-\xc3\x28\"}", NULL), "CommandNotFound",
		     "guest-?(");
	/* 0xff, 0xfe and a surrogate (ed a0 80) each become '?' */
	expect_error(exec(v,
			  "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":"
			  "{\"mountpoints\":[\"/mnt/\xff\xfe\xed\xa0\x80\"]}}",
			  NULL),
		     "GenericError", "/mnt/????? is not a mountpoint");
	/* valid UTF-8 passes unchanged */
	expect_error(exec(v, "{\"execute\":\"guest-\xc3\xa9t\xc3\xa9\"}", NULL), "CommandNotFound",
		     "guest-\xc3\xa9t\xc3\xa9 has");
	assert_never_froze(v);
	env_free(v);
}

/* vssd-plan: the engine's planner, nothing frozen; order with why, skipped with reason */
static void test_plan(void **state)
{
	struct env *v = env_new("nested.mountinfo");
	json_object *r, *fss, *f;
	size_t i, n, ordered = 0, skipped = 0;
	bool below = false;

	(void)state;
	/* state_dir (under /tmp) is on "/": the plan refuses what the freeze refuses */
	expect_error(exec(v, "{\"execute\":\"vssd-plan\"}", NULL), "GenericError", "state_dir");
	expect_error(exec(v, "{\"execute\":\"guest-fsfreeze-freeze\"}", NULL), "GenericError",
		     "state_dir");
	snprintf(v->cfg.include_buf, sizeof(v->cfg.include_buf), "/?*"); /* all but / */
	v->cfg.include[0] = v->cfg.include_buf;
	v->cfg.include[1] = NULL;
	r = exec(v, "{\"execute\":\"vssd-plan\"}", NULL);
	fss = member(member(r, "return"), "filesystems");
	n = json_object_array_length(fss);
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(fss, i);
		if (json_object_object_get_ex(f, "order", NULL)) {
			assert_int_equal(json_object_get_int(member(f, "order")), (int)++ordered);
			below |= strstr(json_object_get_string(member(f, "why")),
					"mounted below it") != NULL;
		} else {
			skipped++;
			assert_true(json_object_get_string_len(member(f, "skipped")) > 0);
		}
	}
	assert_true(ordered > 1 && skipped > 0 && below);
	assert_true(json_object_is_type(member(member(r, "return"), "warnings"), json_type_array));
	json_object_put(r);
	expect_error(
		exec(v, "{\"execute\":\"vssd-plan\",\"arguments\":{\"mountpoints\":[]}}", NULL),
		"GenericError", "empty");
	assert_never_froze(v);
	env_free(v);
}

static json_object *find_fs(json_object *fss, const char *mp)
{
	size_t i;

	for (i = 0; i < json_object_array_length(fss); i++) {
		json_object *f = json_object_array_get_idx(fss, i);

		if (strcmp(json_object_get_string(member(f, "mountpoint")), mp) == 0)
			return f;
	}
	return NULL;
}

/* nothing eligible: freezing succeeds with 0 filesystems and the state stays thawed */
static void test_freeze_nothing_eligible(void **state)
{
	struct env *v = env_new("pseudo-only.mountinfo");
	json_object *r, *st, *fss, *f;

	(void)state;
	expect_return_int(exec(v,
			       "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":"
			       "{\"mountpoints\":[\"/proc\",\"/mnt/nfs\",\"/mnt/archive\"]}}",
			       NULL),
			  0);
	assert_never_froze(v);
	expect_return_string(exec(v, "{\"execute\":\"guest-fsfreeze-status\"}", NULL), "thawed");

	r = exec(v, "{\"execute\":\"vssd-status\"}", NULL);
	st = member(r, "return");
	assert_string_equal(json_object_get_string(member(st, "state")), "thawed");
	assert_int_equal(json_object_get_int(member(st, "frozen_filesystems")), 0);
	assert_int_equal(json_object_array_length(member(st, "freeze_order")), 0);
	fss = member(st, "filesystems");
	f = find_fs(fss, "/mnt/nfs");
	assert_non_null(f);
	assert_string_equal(json_object_get_string(member(f, "state")), "skipped");
	assert_non_null(strstr(json_object_get_string(member(f, "reason")), "network"));
	assert_string_equal(json_object_get_string(member(f, "fstype")), "nfs4");
	assert_string_equal(json_object_get_string(member(f, "device")), "0:45");
	f = find_fs(fss, "/mnt/archive");
	assert_non_null(f);
	assert_non_null(strstr(json_object_get_string(member(f, "reason")), "read-only"));
	assert_non_null(find_fs(fss, "/proc"));
	json_object_put(r);

	/* "freeze everything" on a table where nothing is eligible */
	expect_return_int(exec(v, "{\"execute\":\"guest-fsfreeze-freeze\"}", NULL), 0);
	assert_never_froze(v);
	/* no "mountpoints": every eligible filesystem, as in QEMU */
	expect_return_int(exec(v, "{\"execute\":\"guest-fsfreeze-freeze-list\"}", NULL), 0);
	assert_never_froze(v);
	/* thaw when nothing is frozen */
	expect_return_int(exec(v, "{\"execute\":\"guest-fsfreeze-thaw\"}", NULL), 0);
	assert_never_froze(v);
	env_free(v);
}

/* vssd-status reports only the listed mountpoints of a listed request */
static void test_status_lists_only_listed(void **state)
{
	struct env *v = env_new("pseudo-only.mountinfo");
	json_object *r, *fss;

	(void)state;
	expect_return_int(exec(v,
			       "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":"
			       "{\"mountpoints\":[\"/mnt/nfs\"]}}",
			       NULL),
			  0);
	assert_never_froze(v);
	r = exec(v, "{\"execute\":\"vssd-status\"}", NULL);
	fss = member(member(r, "return"), "filesystems");
	assert_non_null(find_fs(fss, "/mnt/nfs"));
	if (json_object_array_length(fss) != 1)
		fail_msg("vssd-status after freeze-list [/mnt/nfs] reports %zu filesystems: %s",
			 json_object_array_length(fss),
			 json_object_to_json_string_ext(fss, JSON_C_TO_STRING_PLAIN));
	json_object_put(r);
	env_free(v);
}

static void test_frozen_state(void **state)
{
	struct env *v = env_new("nested.mountinfo");
	json_object *r;

	(void)state;
	v->e.state = ENGINE_FROZEN; /* forced: nothing is really frozen, the set is empty */
	expect_error(
		exec(v,
		     "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":"
		     "{\"mountpoints\":[\"/var\"]}}",
		     NULL),
		"CommandNotFound",
		"Command guest-fsfreeze-freeze-list has been disabled: the agent is in frozen state");
	expect_error(
		exec(v, "{\"execute\":\"guest-fsfreeze-freeze\"}", NULL), "CommandNotFound",
		"Command guest-fsfreeze-freeze has been disabled: the agent is in frozen state");
	/* id echoed on that error too */
	r = exec(v, "{\"execute\":\"guest-fsfreeze-freeze\",\"id\":3}", NULL);
	assert_int_equal(json_object_get_int(member(r, "id")), 3);
	json_object_put(r);
	expect_error(exec(v, "{\"execute\":\"guest-nope\"}", NULL), "CommandNotFound",
		     "The command guest-nope has not been found");

	expect_return_string(exec(v, "{\"execute\":\"guest-fsfreeze-status\"}", NULL), "frozen");
	r = exec(v, "{\"execute\":\"guest-ping\"}", NULL);
	assert_true(json_object_is_type(member(r, "return"), json_type_object));
	json_object_put(r);
	expect_return_int(exec(v, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":8}}", NULL),
			  8);
	check_info(v, true);
	r = exec(v, "{\"execute\":\"vssd-status\"}", NULL);
	assert_string_equal(json_object_get_string(member(member(r, "return"), "state")), "frozen");
	json_object_put(r);
	if (access(v->guard, F_OK) == 0)
		fail_msg("the freeze hooks ran");

	/*
	 * Thaw in this forced state: the mount set is empty and no watchdog
	 * runs, so engine_thaw only resets the state (and runs no hook, since
	 * none was started).
	 */
	assert_int_equal(v->e.set.n, 0);
	expect_return_int(exec(v, "{\"execute\":\"guest-fsfreeze-thaw\"}", NULL), 0);
	assert_int_equal(v->e.state, ENGINE_THAWED);
	expect_return_string(exec(v, "{\"execute\":\"guest-fsfreeze-status\"}", NULL), "thawed");
	check_info(v, false);
	assert_never_froze(v);
	env_free(v);
}

static void test_commands_error(void **state)
{
	json_object *o = commands_error("GenericError", "it \"broke\"\n");

	(void)state;
	assert_string_equal(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		"{\"error\":{\"class\":\"GenericError\",\"desc\":\"it \\\"broke\\\"\\n\"}}");
	json_object_put(o);
}

/* ---- session ---------------------------------------------------------- */

static void test_session_replies(void **state)
{
	struct env *v = env_new("nested.mountinfo");
	static const char in[] =
		"{\"execute\":\"guest-ping\"}{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":5}}"
		"\n{\"execute\":\"guest-sync\",\"arguments\":{\"id\":6}}";
	static const char want[] = "{\"return\":{}}\n\xff{\"return\":5}\n{\"return\":6}\n";
	struct session s;

	(void)state;
	session_init(&s, &v->e, &local);
	session_input(&s, in, strlen(in));
	assert_int_equal(s.outlen, strlen(want));
	assert_memory_equal(s.out, want, strlen(want));
	assert_false(s.overflow);
	session_free(&s);

	/* byte by byte: the same replies */
	session_init(&s, &v->e, &local);
	{
		size_t i;

		for (i = 0; i < strlen(in); i++)
			session_input(&s, in + i, 1);
	}
	assert_int_equal(s.outlen, strlen(want));
	assert_memory_equal(s.out, want, strlen(want));
	session_free(&s);
	env_free(v);
}

/* every reply is exactly one line, whatever the request held */
static void test_session_one_line_each(void **state)
{
	struct env *v = env_new("nested.mountinfo");
	struct session s;
	char *big;
	size_t i, lines = 0;
	json_object *o;
	const char *p, *nl;

	(void)state;
	session_init(&s, &v->e, &local);
	session_input(&s, "{\"execute\":\"a\\nb\\u2028c\"}",
		      strlen("{\"execute\":\"a\\nb\\u2028c\"}"));
	session_input(&s, "not json\n", 9);
	big = malloc(JSONFRAME_MAX + 100);
	assert_non_null(big);
	memcpy(big, "{\"execute\":\"", 12);
	memset(big + 12, 'z', JSONFRAME_MAX + 100 - 14);
	memcpy(big + JSONFRAME_MAX + 100 - 2, "\"}", 2);
	session_input(&s, big, JSONFRAME_MAX + 100);
	free(big);
	session_input(&s, "{\"execute\":\"guest-ping\",\"id\":\"x\\ny\"}",
		      strlen("{\"execute\":\"guest-ping\",\"id\":\"x\\ny\"}"));
	session_input(&s, "{\"execute\":\"guest-info\"}", strlen("{\"execute\":\"guest-info\"}"));
	assert_true(s.outlen > 0);
	assert_int_equal(s.out[s.outlen - 1], '\n');
	/* five requests (one garbage, one too large): five lines, each a JSON object */
	for (p = s.out; p < s.out + s.outlen; p = nl + 1) {
		char *line;

		nl = memchr(p, '\n', (size_t)(s.out + s.outlen - p));
		assert_non_null(nl);
		line = strndup(p, (size_t)(nl - p));
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object))
			fail_msg("reply line %zu is not a JSON object: %s", lines, line);
		switch (lines) {
		case 0:
			assert_string_equal(
				json_object_get_string(member(member(o, "error"), "class")),
				"CommandNotFound");
			break;
		case 1:
			assert_non_null(
				strstr(json_object_get_string(member(member(o, "error"), "desc")),
				       "JSON parse error"));
			break;
		case 2:
			assert_non_null(
				strstr(json_object_get_string(member(member(o, "error"), "desc")),
				       "too large"));
			break;
		case 3: assert_string_equal(json_object_get_string(member(o, "id")), "x\ny"); break;
		case 4: assert_non_null(member(member(o, "return"), "supported_commands")); break;
		}
		json_object_put(o);
		free(line);
		lines++;
	}
	assert_int_equal(lines, 5);
	for (i = 0; i < s.outlen; i++)
		assert_true((unsigned char)s.out[i] != 0xff);
	session_free(&s);
	env_free(v);
}

static void test_session_queue_flush(void **state)
{
	struct session s;
	int p[2];
	char buf[64];
	ssize_t n;

	(void)state;
	session_init(&s, NULL, &local);
	session_queue(&s, "{\"a\":1}", false);
	session_queue(&s, "{\"b\":2}", true);
	assert_int_equal(s.outlen, 17);
	assert_memory_equal(s.out, "{\"a\":1}\n\xff{\"b\":2}\n", 17);

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(session_flush(&s, p[1]), 0);
	assert_int_equal(s.outlen, 0);
	n = read(p[0], buf, sizeof(buf));
	assert_int_equal(n, 17);
	assert_memory_equal(buf, "{\"a\":1}\n\xff{\"b\":2}\n", 17);
	/* a peer that went away */
	close(p[0]);
	session_queue(&s, "{}", false);
	assert_int_equal(session_flush(&s, p[1]), -EPIPE);
	close(p[1]);
	session_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sync, cleanup),
		cmocka_unit_test_teardown(test_ping_status, cleanup),
		cmocka_unit_test_teardown(test_info, cleanup),
		cmocka_unit_test_teardown(test_bad_requests, cleanup),
		cmocka_unit_test_teardown(test_id_echoed, cleanup),
		cmocka_unit_test_teardown(test_freeze_list_errors, cleanup),
		cmocka_unit_test_teardown(test_embedded_nul, cleanup),
		cmocka_unit_test_teardown(test_plan, cleanup),
		cmocka_unit_test_teardown(test_invalid_utf8_not_echoed, cleanup),
		cmocka_unit_test_teardown(test_freeze_nothing_eligible, cleanup),
		cmocka_unit_test_teardown(test_status_lists_only_listed, cleanup),
		cmocka_unit_test_teardown(test_frozen_state, cleanup),
		cmocka_unit_test_teardown(test_commands_error, cleanup),
		cmocka_unit_test_teardown(test_session_replies, cleanup),
		cmocka_unit_test_teardown(test_session_one_line_each, cleanup),
		cmocka_unit_test_teardown(test_session_queue_flush, cleanup),
	};

	/* a write to a closed pipe must return EPIPE, not kill the test */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
