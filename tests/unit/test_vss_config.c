/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for vss/vssd_config.c: vssd.conf defaults, keys and error messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "vssd_config.h"

static size_t count(const char *const *a)
{
	size_t n = 0;

	while (a[n])
		n++;
	return n;
}

static void test_defaults(void **state)
{
	struct vssd_config c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	vssd_config_defaults(&c);
	assert_string_equal(c.socket, RUNSTATEDIR "/vssd/vssd.sock");
	assert_string_equal(c.state_dir, RUNSTATEDIR "/vssd");
	assert_string_equal(c.socket_group, "");
	assert_false(c.have_gid);
	assert_int_equal(c.timeout_ms, 60000);
	assert_string_equal(c.hooks_dir, SYSCONFDIR "/selfballoon/freeze-hooks.d");
	assert_int_equal(c.hook_timeout_ms, 30000);
	assert_null(c.include[0]);
	assert_null(c.exclude[0]);
	assert_null(c.exclude_types[0]);
	assert_true(c.skip_loop);
	assert_string_equal(c.mountinfo, "/proc/self/mountinfo");
	assert_string_equal(c.sysfs, "/sys");
}

static void test_empty_text(void **state)
{
	struct vssd_config c, d;
	char err[256] = "untouched";

	(void)state;
	vssd_config_defaults(&c);
	vssd_config_defaults(&d);
	assert_int_equal(vssd_config_load_string(&c, "", err, sizeof(err)), 0);
	assert_int_equal(vssd_config_load_string(&c, "# only a comment\n\n[vssd]\n[freeze]\n", err,
						 sizeof(err)),
			 0);
	assert_int_equal(c.timeout_ms, d.timeout_ms);
	assert_string_equal(c.socket, d.socket);
	assert_true(c.skip_loop);
}

static void test_every_key(void **state)
{
	static const char text[] = "[vssd]\n"
				   "socket = /run/test/vssd.sock\n"
				   "state_dir = /run/test\n"
				   "socket_group = root\n"
				   "\n"
				   "[freeze]\n"
				   "timeout = 90s\n"
				   "hook_timeout = 500ms\n"
				   "hooks_dir = /etc/test/hooks.d\n"
				   "include = /srv/* /var/lib/postgresql\n"
				   "exclude = /srv/scratch\t/srv/tmp*\n"
				   "exclude_types = vfat iso9660 xfs\n"
				   "skip_loop = no\n";
	struct vssd_config c;
	char err[256];

	(void)state;
	vssd_config_defaults(&c);
	assert_int_equal(vssd_config_load_string(&c, text, err, sizeof(err)), 0);
	assert_string_equal(c.socket, "/run/test/vssd.sock");
	assert_string_equal(c.state_dir, "/run/test");
	assert_string_equal(c.socket_group, "root");
	assert_true(c.have_gid);
	assert_int_equal(c.socket_gid, 0);
	assert_int_equal(c.timeout_ms, 90000);
	assert_int_equal(c.hook_timeout_ms, 500);
	assert_string_equal(c.hooks_dir, "/etc/test/hooks.d");
	assert_int_equal(count(c.include), 2);
	assert_string_equal(c.include[0], "/srv/*");
	assert_string_equal(c.include[1], "/var/lib/postgresql");
	assert_int_equal(count(c.exclude), 2);
	assert_string_equal(c.exclude[0], "/srv/scratch");
	assert_string_equal(c.exclude[1], "/srv/tmp*");
	assert_int_equal(count(c.exclude_types), 3);
	assert_string_equal(c.exclude_types[0], "vfat");
	assert_string_equal(c.exclude_types[2], "xfs");
	assert_false(c.skip_loop);
	/* untouched by the file */
	assert_string_equal(c.mountinfo, "/proc/self/mountinfo");

	/* a later load overrides, and empty values clear */
	assert_int_equal(vssd_config_load_string(&c,
						 "[freeze]\ninclude =\nskip_loop = yes\n"
						 "timeout = 2min\n[vssd]\nsocket_group =\n",
						 err, sizeof(err)),
			 0);
	assert_int_equal(count(c.include), 0);
	assert_int_equal(count(c.exclude), 2);
	assert_true(c.skip_loop);
	assert_int_equal(c.timeout_ms, 120000);
	assert_false(c.have_gid);
	assert_string_equal(c.socket_group, "");
}

static void test_values(void **state)
{
	struct vssd_config c;
	char err[256];

	(void)state;
	vssd_config_defaults(&c);
	assert_int_equal(vssd_config_load_string(&c,
						 "[freeze]\ntimeout = 100ms\nhook_timeout = 1h\n",
						 err, sizeof(err)),
			 0);
	assert_int_equal(c.timeout_ms, 100);
	assert_int_equal(c.hook_timeout_ms, 3600000);
	assert_int_equal(vssd_config_load_string(&c, "[freeze]\ntimeout = 45\n", err, sizeof(err)),
			 0);
	assert_int_equal(c.timeout_ms, 45000); /* a bare number is seconds */
	assert_int_equal(
		vssd_config_load_string(&c, "[freeze]\nskip_loop = true\n", err, sizeof(err)), 0);
	assert_true(c.skip_loop);
	assert_int_equal(
		vssd_config_load_string(&c, "[freeze]\nskip_loop = off\n", err, sizeof(err)), 0);
	assert_false(c.skip_loop);
	assert_int_equal(vssd_config_load_string(&c, "[freeze]\nskip_loop = 1\n", err, sizeof(err)),
			 0);
	assert_true(c.skip_loop);
	assert_int_equal(
		vssd_config_load_string(&c, "[freeze]\nexclude = /a,/b\n", err, sizeof(err)), 0);
	assert_int_equal(count(c.exclude), 2);
	assert_string_equal(c.exclude[1], "/b");
}

/* loads text into fresh defaults; expects failure with exactly msg */
static void expect_error(const char *text, const char *msg)
{
	struct vssd_config c;
	char err[256] = "";

	vssd_config_defaults(&c);
	if (vssd_config_load_string(&c, text, err, sizeof(err)) >= 0)
		fail_msg("accepted: %s", text);
	assert_string_equal(err, msg);
}

/* the same, when only the beginning of the message is fixed */
static void expect_error_prefix(const char *text, const char *prefix)
{
	struct vssd_config c;
	char err[256] = "";

	vssd_config_defaults(&c);
	if (vssd_config_load_string(&c, text, err, sizeof(err)) >= 0)
		fail_msg("accepted: %s", text);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, prefix);
}

/* each key sets only itself: [hyperv] enable = auto must not reset [qga] keys */
static void test_keys_independent(void **state)
{
	struct vssd_config c;
	char err[256];

	(void)state;
	vssd_config_defaults(&c);
	assert_int_equal(vssd_config_load_string(&c,
						 "[qga]\nvirtio_port =\nvsock_allow_cids = 2 3\n"
						 "[hyperv]\nenable = auto\n",
						 err, sizeof(err)),
			 0);
	assert_string_equal(c.virtio_port, "");
	assert_int_equal(c.n_vsock_cids, 2);
	assert_int_equal(c.vsock_cids[1], 3);
	assert_int_equal(c.hyperv, -1);
	assert_int_equal(vssd_config_load_string(&c, "[hyperv]\nenable = no\n", err, sizeof(err)),
			 0);
	assert_int_equal(c.hyperv, 0);
	assert_string_equal(c.virtio_port, "");
}

static void test_unknown(void **state)
{
	(void)state;
	expect_error("[freeze]\ntimeout = 5s\nbogus = 1\n",
		     "<string>:3: [freeze] bogus: unknown key");
	expect_error("# comment\n[vssd]\n\nsocket = /run/x.sock\nstate = /run\n",
		     "<string>:5: [vssd] state: unknown key");
	/* keys in the wrong section */
	expect_error("[vssd]\ntimeout = 5s\n", "<string>:2: [vssd] timeout: unknown key");
	expect_error("[freeze]\nsocket = /run/x.sock\n",
		     "<string>:2: [freeze] socket: unknown key");
	expect_error_prefix("[vssd]\n\n[extra]\nx = 1\n", "<string>:3: unknown section [extra]");
	/* a key before any section */
	expect_error_prefix("timeout = 5s\n", "<string>:1: unknown section []");
	/* the first error is reported */
	expect_error("[freeze]\nfoo = 1\nbar = 2\n", "<string>:2: [freeze] foo: unknown key");
	/* not key = value */
	expect_error_prefix("[freeze]\ntimeout 5s\n", "<string>:2: ");
}

/* new in the shared vocabulary: a key given twice, a section without keys */
static void test_duplicates_and_empty_sections(void **state)
{
	(void)state;
	expect_error("[freeze]\ntimeout = 5s\nskip_loop = no\ntimeout = 6s\n",
		     "<string>:4: [freeze] timeout: given twice in this file (keep one)");
	expect_error(
		"[vssd]\n[extra]\n[freeze]\n",
		"<string>:2: unknown section [extra] (expected [vssd], [freeze], [qga] or [hyperv])");
}

static void test_bad_values(void **state)
{
	char longval[200];

	(void)state;
	expect_error_prefix("[freeze]\ntimeout = soon\n",
			    "<string>:2: [freeze] timeout: bad duration 'soon'");
	expect_error_prefix("[freeze]\nhook_timeout = -5s\n",
			    "<string>:2: [freeze] hook_timeout: bad duration");
	expect_error_prefix("[freeze]\ntimeout = 50ms\n",
			    "<string>:2: [freeze] timeout: 50ms is out of range");
	expect_error_prefix("[freeze]\ntimeout = 2h\n",
			    "<string>:2: [freeze] timeout: 2h is out of range");
	expect_error_prefix("[freeze]\n\nhook_timeout = 0\n",
			    "<string>:3: [freeze] hook_timeout: 0 is out of range");
	expect_error("[vssd]\nsocket = vssd.sock\n",
		     "<string>:2: [vssd] socket: 'vssd.sock' is not an absolute path");
	expect_error("[vssd]\nstate_dir = run/vssd\n",
		     "<string>:2: [vssd] state_dir: 'run/vssd' is not an absolute path");
	expect_error("[freeze]\nhooks_dir = hooks.d\n",
		     "<string>:2: [freeze] hooks_dir: 'hooks.d' is not an absolute path");
	expect_error("[freeze]\ninclude = /srv srv/*\n",
		     "<string>:2: [freeze] include: pattern 'srv/*' must start with /");
	expect_error("[freeze]\nexclude = *tmp*\n",
		     "<string>:2: [freeze] exclude: pattern '*tmp*' must start with /");
	expect_error("[freeze]\nskip_loop = maybe\n",
		     "<string>:2: [freeze] skip_loop: 'maybe' is not a boolean (yes/no)");
	expect_error("[freeze]\nskip_loop =\n",
		     "<string>:2: [freeze] skip_loop: '' is not a boolean (yes/no)");
	expect_error("[vssd]\nsocket_group = no-such-group-xyzzy\n",
		     "<string>:2: [vssd] socket_group: no group named 'no-such-group-xyzzy'");
	/* sun_path holds 108 bytes */
	memset(longval, 'a', sizeof(longval));
	longval[0] = '/';
	snprintf(longval + 120, sizeof(longval) - 120, "\n");
	{
		char text[300];

		snprintf(text, sizeof(text), "[vssd]\nsocket = %s", longval);
		expect_error_prefix(text, "<string>:2: [vssd] socket: value too long");
	}
}

static void test_too_many_patterns(void **state)
{
	char text[512] = "[freeze]\nexclude =";
	struct vssd_config c;
	char err[256];
	int i;

	(void)state;
	for (i = 0; i < VSSD_MAX_PATTERNS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " /m%d", i);
	vssd_config_defaults(&c);
	assert_int_equal(vssd_config_load_string(&c, text, err, sizeof(err)), 0);
	assert_int_equal(count(c.exclude), VSSD_MAX_PATTERNS);
	strcat(text, " /one-more\n");
	expect_error_prefix(text, "<string>:2: [freeze] exclude: more than 32 entries");
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/test_vss_config.XXXXXX", path[PATH_MAX], err[512];
	struct vssd_config c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.conf", dir);

	vssd_config_defaults(&c);
	assert_int_equal(vssd_config_load(&c, path, false, err, sizeof(err)), 0);
	assert_int_equal(c.timeout_ms, 60000);
	assert_int_equal(vssd_config_load(&c, path, true, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));

	snprintf(path, sizeof(path), "%s/vssd.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[freeze]\ntimeout = 5s\n", f);
	fclose(f);
	assert_int_equal(vssd_config_load(&c, path, true, err, sizeof(err)), 0);
	assert_int_equal(c.timeout_ms, 5000);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[freeze]\ntimeout = 5s\n\nwatchdog = 1\n", f);
	fclose(f);
	assert_int_equal(vssd_config_load(&c, path, false, err, sizeof(err)), -EINVAL);
	{
		char want[PATH_MAX + 64];

		snprintf(want, sizeof(want), "%s:4: [freeze] watchdog: unknown key", path);
		assert_string_equal(err, want);
	}
	unlink(path);
	rmdir(dir);
}

/* the shipped conf/vssd.conf loads cleanly and states the compiled-in defaults */
static void test_shipped_conf(void **state)
{
	const char *top = getenv("top_srcdir");
	char path[PATH_MAX], err[512];
	struct vssd_config c, d;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/vssd.conf", top && *top ? top : ".");
	if (access(path, R_OK) != 0)
		tu_skip("conf/vssd.conf is not readable under $top_srcdir");
	vssd_config_defaults(&c);
	vssd_config_defaults(&d);
	if (vssd_config_load(&c, path, true, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.timeout_ms, d.timeout_ms);
	assert_int_equal(c.hook_timeout_ms, d.hook_timeout_ms);
	assert_int_equal(c.skip_loop, d.skip_loop);
	assert_int_equal(count(c.include), 0);
	assert_int_equal(count(c.exclude), 0);
	assert_int_equal(count(c.exclude_types), 0);
	assert_false(c.have_gid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_text),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_keys_independent),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_too_many_patterns),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_shipped_conf),
		cmocka_unit_test(test_duplicates_and_empty_sections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
