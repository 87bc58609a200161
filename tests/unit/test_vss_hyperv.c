/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hyper-V VSS channel: the message layout against the kernel's uapi header
 * (at compile time), and the protocol state machine over a socketpair that
 * plays the hv_utils driver.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/hyperv.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vssd_config.h"
#include "fakefs.h"
#include "freeze.h"
#include "hyperv.h"
#include "hyperv_abi.h"
#include "log.h"
#include "testutil.h"

/* byte compatibility with the kernel's struct hv_vss_msg, checked by the compiler */
_Static_assert(sizeof(struct hv_vss_message) == sizeof(struct hv_vss_msg), "size");
_Static_assert(offsetof(struct hv_vss_message, hdr.operation) ==
		       offsetof(struct hv_vss_msg, vss_hdr.operation),
	       "operation offset");
_Static_assert(offsetof(struct hv_vss_message, error) == offsetof(struct hv_vss_msg, error),
	       "error offset");
_Static_assert(offsetof(struct hv_vss_message, flags) == offsetof(struct hv_vss_msg, vss_cf.flags),
	       "flags offset");
_Static_assert(offsetof(struct hv_vss_message, flags) == offsetof(struct hv_vss_msg, dm_info.flags),
	       "dm_info flags offset");
_Static_assert(sizeof(((struct hv_vss_message *)0)->error) ==
		       sizeof(((struct hv_vss_msg *)0)->error),
	       "error size");
_Static_assert(HV_VSS_OP_CREATE == VSS_OP_CREATE && HV_VSS_OP_DELETE == VSS_OP_DELETE &&
		       HV_VSS_OP_HOT_BACKUP == VSS_OP_HOT_BACKUP &&
		       HV_VSS_OP_GET_DM_INFO == VSS_OP_GET_DM_INFO &&
		       HV_VSS_OP_BU_COMPLETE == VSS_OP_BU_COMPLETE &&
		       HV_VSS_OP_FREEZE == VSS_OP_FREEZE && HV_VSS_OP_THAW == VSS_OP_THAW &&
		       HV_VSS_OP_AUTO_RECOVER == VSS_OP_AUTO_RECOVER,
	       "operation codes");
_Static_assert(HV_VSS_S_OK == HV_S_OK && HV_VSS_E_FAIL == HV_E_FAIL, "status codes");
_Static_assert(HV_VSS_OP_REGISTER == VSS_OP_REGISTER && HV_VSS_OP_REGISTER1 == VSS_OP_REGISTER1,
	       "register codes");

static struct vssd_config cfg;
static struct engine engine;
static struct hv_channel hv;
static int kernel_end;

/* engine whose "freeze everything" selects nothing, or fails before touching anything */
static void setup_engine(const char *include, const char *state_dir)
{
	vssd_config_defaults(&cfg);
	tu_fixture("vss/hyperv-mountinfo", cfg.mountinfo, sizeof(cfg.mountinfo));
	snprintf(cfg.include_buf, sizeof(cfg.include_buf), "%s", include);
	cfg.include[0] = cfg.include_buf;
	cfg.include[1] = NULL;
	cfg.skip_loop = false;
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", state_dir);
	snprintf(cfg.hooks_dir, sizeof(cfg.hooks_dir), "/nonexistent-hooks");
	engine_init(&engine, &cfg);
}

static int setup(void **state)
{
	int sv[2];

	(void)state;
	log_set_max_level(LOG_ERR);
	setup_engine("/nonexistent/*", "/nonexistent-state");
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	hv_init(&hv, "/test/hv_vss", &engine);
	kernel_end = sv[1];
	assert_int_equal(hv_attach(&hv, sv[0]), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hv_close(&hv);
	close(kernel_end);
	engine_free(&engine);
	return 0;
}

/* the "kernel" side: read what the daemon wrote */
static ssize_t kread(void *buf, size_t size)
{
	struct pollfd p = { .fd = kernel_end, .events = POLLIN };
	unsigned char tmp[64];
	ssize_t n;

	if (poll(&p, 1, 2000) != 1)
		return -ETIMEDOUT;
	n = read(kernel_end, tmp, sizeof(tmp)); /* a datagram longer than expected shows here */
	if (n > 0)
		memcpy(buf, tmp, (size_t)n < size ? (size_t)n : size);
	return n;
}

static void handshake(void)
{
	struct hv_vss_msg reg;
	uint32_t version = VSS_OP_REGISTER1;

	assert_int_equal(kread(&reg, sizeof(reg)), 12);
	assert_int_equal(reg.vss_hdr.operation, VSS_OP_REGISTER1);
	assert_int_equal(hv.state, HV_REGISTERING);
	assert_int_equal(write(kernel_end, &version, sizeof(version)), 4);
	hv_event(&hv, POLLIN);
	assert_int_equal(hv.state, HV_READY);
}

/* sends a request with op and flags, returns the daemon's 12-byte reply */
static void request(uint8_t op, uint32_t flags, struct hv_vss_msg *out)
{
	struct hv_vss_msg m;

	memset(&m, 0, sizeof(m));
	m.vss_hdr.operation = op;
	m.vss_cf.flags = flags;
	assert_int_equal(write(kernel_end, &m, sizeof(m)), 12);
	hv_event(&hv, POLLIN);
	assert_int_equal(kread(out, sizeof(*out)), 12);
}

static void test_handshake(void **state)
{
	(void)state;
	handshake();
}

static void test_hot_backup_and_unknown_ops(void **state)
{
	struct hv_vss_msg r;

	(void)state;
	handshake();
	request(VSS_OP_HOT_BACKUP, 0x1234, &r);
	assert_int_equal((uint32_t)r.error, HV_VSS_S_OK);
	assert_int_equal(r.vss_cf.flags, 0x1234); /* flags pass through, as hv_vss_daemon */
	request(VSS_OP_GET_DM_INFO, 0, &r);
	assert_int_equal((uint32_t)r.error, HV_VSS_S_OK);
	request(VSS_OP_THAW, 0, &r); /* no freeze from this channel: nothing to do */
	assert_int_equal((uint32_t)r.error, HV_VSS_S_OK);
	assert_int_equal(engine.state, ENGINE_THAWED);
}

static void test_freeze_nothing_eligible(void **state)
{
	struct hv_vss_msg r;

	(void)state;
	handshake();
	request(VSS_OP_FREEZE, 0, &r);
	assert_int_equal((uint32_t)r.error, HV_VSS_S_OK);
	assert_int_equal(engine.state, ENGINE_THAWED);
	assert_null(engine_holder(&engine));
}

/*
 * An engine that really freezes /srv/data, through the fake filesystem
 * operations (tests/unit/fakefs.h): no root, nothing real is frozen.
 */
static char *fake_state;

static void setup_fake_engine(uint64_t timeout_ms)
{
	engine_free(&engine);
	fake_state = tu_mkdtemp();
	setup_engine("/srv/*", fake_state);
	cfg.timeout_ms = timeout_ms;
	fake_init();
	fake_add("/srv/data");
	engine_set_fs_ops(&engine, &fake_ops);
}

static int teardown_fake(void **state)
{
	teardown(state);
	fake_close();
	tu_rmtree(fake_state);
	return 0;
}

/* Hyper-V's own freeze: its THAW ends it; a device error while frozen ends it too. */
static void test_own_freeze(void **state)
{
	struct hv_vss_msg r;

	(void)state;
	setup_fake_engine(60000);
	handshake();
	request(VSS_OP_FREEZE, 0, &r);
	assert_int_equal((uint32_t)r.error, HV_VSS_S_OK);
	assert_true(fake_find("/srv/data")->frozen);
	assert_int_equal(engine_holder(&engine)->channel, OWNER_HYPERV);
	request(VSS_OP_THAW, 0, &r);
	assert_int_equal((uint32_t)r.error, HV_VSS_S_OK);
	assert_false(fake_find("/srv/data")->frozen);
	request(VSS_OP_FREEZE, 0, &r);
	assert_true(fake_find("/srv/data")->frozen);
	hv_reset(&hv, "test");
	assert_false(fake_find("/srv/data")->frozen);
	assert_int_equal(engine.state, ENGINE_THAWED);
}

/*
 * A THAW from Hyper-V must not thaw a later freeze made by another client:
 * this channel froze, the watchdog thawed it, a local client froze again.
 */
static void test_thaw_leaves_other_freeze(void **state)
{
	const struct owner local = { .channel = OWNER_UNIX, .conn = 1 };
	struct pollfd p = { .events = POLLIN };
	struct hv_vss_msg r;
	char err[512];

	(void)state;
	setup_fake_engine(150);
	handshake();
	request(VSS_OP_FREEZE, 0, &r);
	assert_int_equal((uint32_t)r.error, HV_VSS_S_OK);
	p.fd = engine_watchdog_fd(&engine);
	assert_int_equal(poll(&p, 1, 5000), 1); /* the watchdog fired */
	engine_watchdog_event(&engine);
	assert_int_equal(engine.state, ENGINE_THAWED);
	assert_int_equal(engine_freeze(&engine, &local, NULL, 0, err, sizeof(err)), 1);
	request(VSS_OP_FREEZE, 0, &r); /* one freeze at a time */
	assert_int_equal((uint32_t)r.error, HV_VSS_E_FAIL);
	request(VSS_OP_THAW, 0, &r);
	assert_int_equal((uint32_t)r.error, HV_VSS_S_OK);
	assert_int_equal(engine.state, ENGINE_FROZEN); /* untouched */
	assert_true(fake_find("/srv/data")->frozen);
	assert_true(engine_held_by(&engine, &local));
	/* a device error does not thaw it either */
	hv_reset(&hv, "test");
	assert_int_equal(engine.state, ENGINE_FROZEN);
	assert_true(fake_find("/srv/data")->frozen);
	assert_int_equal(engine_thaw(&engine, &local, err, sizeof(err)), 1);
	assert_false(fake_find("/srv/data")->frozen);
}

/*
 * A FREEZE whose freeze hook hangs is parked: no answer, vssd serves on; a
 * thaw from the local socket cancels it (FREEZE answered E_FAIL, nothing
 * frozen); a device error while parked cancels it too.
 */
static void test_freeze_parked_for_hooks(void **state)
{
	const struct owner local = { .channel = OWNER_UNIX, .conn = 1 };
	struct pollfd p = { .events = POLLIN };
	struct hv_vss_msg m = { .vss_hdr.operation = VSS_OP_FREEZE }, r;
	char err[512];
	int i;

	(void)state;
	setup_fake_engine(60000);
	snprintf(cfg.hooks_dir, sizeof(cfg.hooks_dir), "%s/hooks", fake_state);
	tu_write(fake_state, "hooks/10-slow",
		 "#!/bin/sh\n[ \"$1\" = freeze ] && exec sleep 30\nexit 0\n");
	snprintf(err, sizeof(err), "%s/10-slow", cfg.hooks_dir);
	assert_int_equal(chmod(err, 0755), 0);
	cfg.hook_timeout_ms = 60000;
	handshake();
	for (i = 0; i < 2; i++) {
		assert_int_equal(write(kernel_end, &m, sizeof(m)), 12);
		hv_event(&hv, POLLIN);
		assert_true(hv.parked);
		assert_int_equal(engine.state, ENGINE_HOOKS);
		p.fd = kernel_end;
		assert_int_equal(poll(&p, 1, 100), 0); /* no answer while the hook runs */
		if (i == 1)
			break;
		assert_int_equal(engine_thaw(&engine, &local, err, sizeof(err)), 0);
		assert_int_equal(kread(&r, sizeof(r)), 12);
		assert_int_equal(r.vss_hdr.operation, VSS_OP_FREEZE);
		assert_int_equal((uint32_t)r.error, HV_VSS_E_FAIL);
		assert_false(hv.parked);
	}
	hv_reset(&hv, "test");
	assert_false(hv.parked);
	assert_int_equal(engine.state, ENGINE_THAWED);
	assert_false(fake_find("/srv/data")->frozen);
	assert_int_equal(fake_find("/srv/data")->freezes, 0);
}

static void test_freeze_failure_answers_fail(void **state)
{
	struct hv_vss_msg r;
	unsigned char raw[12];

	(void)state;
	/* /srv/data is selected and holds state_dir: refused before anything is touched */
	engine_free(&engine);
	setup_engine("/srv/*", "/srv/data/state");
	handshake();
	request(VSS_OP_FREEZE, 0, &r);
	assert_int_equal((uint32_t)r.error, HV_VSS_E_FAIL);
	memcpy(raw, &r, sizeof(raw));
	/* little-endian 0x80004005 overwrites the operation byte */
	assert_int_equal(raw[0], 0x05);
	assert_int_equal(raw[1], 0x40);
	assert_int_equal(raw[2], 0x00);
	assert_int_equal(raw[3], 0x80);
	assert_int_equal(engine.state, ENGINE_THAWED);
	assert_non_null(strstr(engine.set.m[2].target, "/srv/data"));
}

static void test_peer_gone_resets(void **state)
{
	struct hv_vss_msg m;

	(void)state;
	handshake();
	memset(&m, 0, sizeof(m));
	m.vss_hdr.operation = VSS_OP_HOT_BACKUP;
	assert_int_equal(write(kernel_end, &m, sizeof(m)), 12);
	shutdown(kernel_end, SHUT_RD); /* the daemon's reply cannot be delivered */
	hv_event(&hv, POLLIN);
	assert_int_equal(hv.state, HV_CLOSED);
	assert_int_equal(hv.fd, -1);
	assert_true(hv_timeout_ms(&hv) > 0); /* a reopen is scheduled */
}

static void test_bad_handshake_resets(void **state)
{
	unsigned char reg[12], junk[7] = { 0 };

	(void)state;
	assert_int_equal(kread(reg, sizeof(reg)), 12);
	assert_int_equal(write(kernel_end, junk, sizeof(junk)), 7);
	hv_event(&hv, POLLIN);
	assert_int_equal(hv.state, HV_CLOSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hot_backup_and_unknown_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_freeze_nothing_eligible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_freeze, setup, teardown_fake),
		cmocka_unit_test_setup_teardown(test_thaw_leaves_other_freeze, setup,
						teardown_fake),
		cmocka_unit_test_setup_teardown(test_freeze_parked_for_hooks, setup, teardown_fake),
		cmocka_unit_test_setup_teardown(test_freeze_failure_answers_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_gone_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_handshake_resets, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
