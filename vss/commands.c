/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QGA command semantics: sync, ping, info, fsfreeze-*, and vssd-status. */
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "fanotify.h"
#include "util.h"

#define MAX_LIST 1024

/* one request being executed */
struct request {
	struct engine *e;
	const struct owner *by; /* the channel and connection it came on */
	json_object *args;      /* "arguments", or NULL */
	struct reply *out;
};

typedef json_object *(*cmd_fn)(const struct request *rq);

struct command {
	const char *name;
	cmd_fn fn;
	bool allowed_frozen;
};

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there are not one. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * desc with every byte that is not part of valid UTF-8 replaced by '?':
 * errors quote request text, and a reply must stay valid JSON text.
 */
static void utf8_clean(char *out, size_t size, const char *desc)
{
	const unsigned char *s = (const unsigned char *)desc;
	size_t o = 0;

	while (*s && o + 5 < size) {
		size_t n = utf8_seq(s);

		if (n == 0) {
			out[o++] = '?';
			s++;
			continue;
		}
		memcpy(out + o, s, n);
		o += n;
		s += n;
	}
	out[o] = '\0';
}

json_object *commands_error(const char *klass, const char *desc)
{
	json_object *err = json_object_new_object(), *o = json_object_new_object();
	char clean[1024];

	utf8_clean(clean, sizeof(clean), desc);
	json_object_object_add(err, "class", json_object_new_string(klass));
	json_object_object_add(err, "desc", json_object_new_string(clean));
	json_object_object_add(o, "error", err);
	return o;
}

static json_object *ret(json_object *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "return", v);
	return o;
}

static json_object *generic(const char *desc)
{
	return commands_error("GenericError", desc);
}

static json_object *sync_reply(json_object *args)
{
	json_object *id;

	if (!args || !json_object_object_get_ex(args, "id", &id))
		return commands_error("GenericError", "Parameter 'id' is missing");
	if (!json_object_is_type(id, json_type_int))
		return commands_error("GenericError",
				      "Invalid parameter type for 'id', expected: integer");
	return ret(json_object_get(id));
}

static json_object *cmd_sync(const struct request *rq)
{
	return sync_reply(rq->args);
}

static json_object *cmd_sync_delimited(const struct request *rq)
{
	rq->out->delimited = true;
	return sync_reply(rq->args);
}

static json_object *cmd_ping(const struct request *rq)
{
	return ret(json_object_new_object());
}

static json_object *cmd_status(const struct request *rq)
{
	return ret(json_object_new_string(engine_frozen(rq->e) ? "frozen" : "thawed"));
}

/* A JSON string with an embedded \u0000: C would see only the part before it. */
static bool has_nul(json_object *s)
{
	return (size_t)json_object_get_string_len(s) != strlen(json_object_get_string(s));
}

/* optional extension argument "timeout" (ms) */
static int get_timeout(json_object *args, uint64_t *ms, json_object **err)
{
	json_object *t;

	*ms = 0;
	if (!args || !json_object_object_get_ex(args, "timeout", &t))
		return 0;
	if (!json_object_is_type(t, json_type_int) || json_object_get_int64(t) < 100 ||
	    json_object_get_int64(t) > 3600000) {
		*err = commands_error(
			"GenericError",
			"Parameter 'timeout' must be an integer number of milliseconds "
			"between 100 and 3600000");
		return -1;
	}
	*ms = (uint64_t)json_object_get_int64(t);
	return 0;
}

static json_object *freeze_reply(int r, const char *err)
{
	if (r < 0)
		return generic(err);
	return ret(json_object_new_int(r));
}

json_object *commands_parked_reply(int r, const char *err, json_object *id)
{
	json_object *o = freeze_reply(r, err);

	if (id)
		json_object_object_add(o, "id", id);
	return o;
}

/* With a waiter the freeze does not wait for its freeze hooks: parked, answered later. */
static json_object *do_freeze(const struct request *rq, const char *const *list, uint64_t timeout)
{
	char err[512];
	int r;

	if (!rq->out->waiter)
		return freeze_reply(engine_freeze(rq->e, rq->by, list, timeout, err, sizeof(err)),
				    err);
	r = engine_freeze_start(rq->e, rq->by, list, timeout, rq->out->waiter, err, sizeof(err));
	if (r == -EINPROGRESS) {
		rq->out->parked = true;
		return NULL;
	}
	return freeze_reply(r, err);
}

static json_object *cmd_freeze(const struct request *rq)
{
	json_object *err = NULL;
	uint64_t timeout;

	if (get_timeout(rq->args, &timeout, &err) < 0)
		return err;
	return do_freeze(rq, NULL, timeout);
}

/*
 * The "mountpoints" argument into list (NULL-terminated); *all when it is
 * absent (as in QEMU: every eligible filesystem). Returns an error reply or NULL.
 */
static json_object *get_mountpoints(json_object *args, const char **list, bool *all)
{
	json_object *mps;
	size_t i, n;

	*all = !args || !json_object_object_get_ex(args, "mountpoints", &mps);
	if (*all)
		return NULL;
	if (!json_object_is_type(mps, json_type_array))
		return commands_error("GenericError",
				      "Invalid parameter type for 'mountpoints', expected: array");
	n = json_object_array_length(mps);
	if (n == 0)
		return commands_error("GenericError",
				      "the list of mountpoints is empty; refusing to treat it as "
				      "'every filesystem' (use guest-fsfreeze-freeze for that)");
	if (n > MAX_LIST)
		return commands_error("GenericError", "too many mountpoints (at most 1024)");
	for (i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(mps, i);

		if (!json_object_is_type(s, json_type_string))
			return commands_error("GenericError",
					      "Invalid parameter type for 'mountpoints', expected: "
					      "array of strings");
		list[i] = json_object_get_string(s);
		if (has_nul(s))
			return commands_error("GenericError",
					      "a mountpoint contains a NUL byte (\\u0000)");
	}
	list[n] = NULL;
	return NULL;
}

static json_object *cmd_freeze_list(const struct request *rq)
{
	const char *list[MAX_LIST + 1];
	json_object *err = NULL;
	uint64_t timeout;
	bool all;

	if (get_timeout(rq->args, &timeout, &err) < 0)
		return err;
	err = get_mountpoints(rq->args, list, &all);
	if (err)
		return err;
	return do_freeze(rq, all ? NULL : list, timeout);
}

/*
 * Extension: "freeze_id" names the freeze to end (vssd-status says which is
 * in force): a client whose freeze was ended and replaced by another's must
 * not end that one.
 */
static json_object *thaw_other(const struct request *rq)
{
	struct engine_status es;
	json_object *id;
	char desc[160];

	if (!rq->args || !json_object_object_get_ex(rq->args, "freeze_id", &id))
		return NULL;
	if (!json_object_is_type(id, json_type_int))
		return generic("Parameter 'freeze_id' must be an integer");
	engine_status(rq->e, &es);
	if (es.requester) /* a freeze has no id before it is done: not the one named */
		return generic("the freeze named by 'freeze_id' is not in force (another request's "
			       "freeze is running its freeze hooks): not cancelled");
	if (!es.holder || (uint64_t)json_object_get_int64(id) == es.freeze_id)
		return NULL;
	snprintf(desc, sizeof(desc),
		 "freeze %lld is not in force (freeze %llu is, made by another request): "
		 "not thawed",
		 (long long)json_object_get_int64(id), (unsigned long long)es.freeze_id);
	return generic(desc);
}

static json_object *cmd_thaw(const struct request *rq)
{
	char err[512];
	json_object *refused = thaw_other(rq);
	int r;

	if (refused)
		return refused;
	r = engine_thaw(rq->e, rq->by, err, sizeof(err));

	if (r < 0)
		return generic(err);
	return ret(json_object_new_int(r));
}

static json_object *cmd_info(const struct request *rq);
static json_object *cmd_vssd_status(const struct request *rq);
static json_object *cmd_vssd_plan(const struct request *rq);

static const struct command commands[] = {
	{ "guest-sync", cmd_sync, true },
	{ "guest-sync-delimited", cmd_sync_delimited, true },
	{ "guest-ping", cmd_ping, true },
	{ "guest-info", cmd_info, true },
	{ "guest-fsfreeze-status", cmd_status, true },
	{ "guest-fsfreeze-freeze", cmd_freeze, false },
	{ "guest-fsfreeze-freeze-list", cmd_freeze_list, false },
	{ "guest-fsfreeze-thaw", cmd_thaw, true },
	{ "vssd-status", cmd_vssd_status, true },
	{ "vssd-plan", cmd_vssd_plan, true },
};
#define NCOMMANDS ARRAY_SIZE(commands)

static json_object *cmd_info(const struct request *rq)
{
	json_object *info = json_object_new_object(), *list = json_object_new_array();
	size_t i;

	for (i = 0; i < NCOMMANDS; i++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "name", json_object_new_string(commands[i].name));
		json_object_object_add(c, "enabled",
				       json_object_new_boolean(!engine_frozen(rq->e) ||
							       commands[i].allowed_frozen));
		json_object_object_add(c, "success-response", json_object_new_boolean(1));
		json_object_array_add(list, c);
	}
	json_object_object_add(info, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(info, "supported_commands", list);
	return ret(info);
}

/* microseconds as milliseconds with 3 decimals ("0.003", not 0.0030000000000000001) */
static json_object *ms3(uint64_t us)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu.%03llu", (unsigned long long)(us / 1000),
		 (unsigned long long)(us % 1000));
	return json_object_new_double_s((double)us / 1000.0, buf);
}

/* {"channel": "unix", "connection": 3} */
static json_object *owner_json(const struct owner *o)
{
	json_object *by = json_object_new_object();

	json_object_object_add(by, "channel",
			       json_object_new_string(owner_channel_name(o->channel)));
	json_object_object_add(by, "connection", json_object_new_int64((int64_t)o->conn));
	return by;
}

/* {"mountpoint", "fstype", "device"} of a filesystem */
static json_object *fs_id_json(const struct vss_mount *m)
{
	json_object *f = json_object_new_object();
	char dev[32];

	snprintf(dev, sizeof(dev), "%u:%u", major(m->devno), minor(m->devno));
	json_object_object_add(f, "mountpoint", json_object_new_string(m->target));
	json_object_object_add(f, "fstype", json_object_new_string(m->fstype));
	json_object_object_add(f, "device", json_object_new_string(dev));
	return f;
}

static json_object *fs_json(const struct vss_mount *m)
{
	json_object *f = fs_id_json(m);

	json_object_object_add(f, "state", json_object_new_string(fs_state_name(m->state)));
	json_object_object_add(f, "reason", json_object_new_string(m->reason));
	json_object_object_add(f, "sync_ms", ms3(m->sync_us));
	json_object_object_add(f, "freeze_ms", ms3(m->freeze_us));
	json_object_object_add(f, "thaw_ms", ms3(m->thaw_us));
	return f;
}

/* the last request's filesystems (listed ones only) and, of those selected, the freeze order */
static void add_filesystems(json_object *st, const struct engine_status *es)
{
	json_object *fss = json_object_new_array(), *ord = json_object_new_array();
	size_t i;

	for (i = 0; i < es->nmounts; i++)
		if (!es->mounts[i].quiet)
			json_object_array_add(fss, fs_json(&es->mounts[i]));
	for (i = 0; i < es->norder; i++)
		json_object_array_add(ord, json_object_new_string(es->mounts[es->order[i]].target));
	json_object_object_add(st, "freeze_order", ord);
	json_object_object_add(st, "filesystems", fss);
}

/* While a freeze's freeze hooks run: which one, for how long, for whom. */
static void add_freezing(json_object *st, const struct engine_status *es)
{
	char what[320];

	snprintf(what, sizeof(what), "running freeze hook %s for %llu ms", es->hook,
		 (unsigned long long)es->hook_for_ms);
	json_object_object_add(st, "freezing", json_object_new_string(what));
	json_object_object_add(st, "freezing_for", owner_json(es->requester));
}

json_object *commands_status(const struct engine *e)
{
	json_object *st = json_object_new_object();
	struct engine_status es;

	engine_status(e, &es);
	json_object_object_add(st, "state",
			       json_object_new_string(es.holder ? "frozen"
						      : es.hook ? "freezing"
								: "thawed"));
	if (es.hook)
		add_freezing(st, &es);
	json_object_object_add(st, "frozen_filesystems", json_object_new_int((int)es.nfrozen));
	if (es.holder) {
		json_object_object_add(st, "frozen_for_ms",
				       json_object_new_int64((int64_t)es.frozen_for_ms));
		json_object_object_add(st, "watchdog_deadline_ms",
				       json_object_new_int64((int64_t)es.deadline_in_ms));
		json_object_object_add(st, "watchdog_pid", json_object_new_int(es.watchdog_pid));
		json_object_object_add(st, "frozen_by", owner_json(es.holder));
	} else {
		json_object_object_add(st, "watchdog_deadline_ms", json_object_new_int64(0));
	}
	json_object_object_add(st, "last_frozen_ms",
			       json_object_new_int64((int64_t)es.last_frozen_ms));
	json_object_object_add(st, "watchdog_fired", json_object_new_boolean(es.watchdog_fired));
	json_object_object_add(st, "thawed_elsewhere",
			       json_object_new_boolean(es.thawed_elsewhere));
	json_object_object_add(st, "freeze_id", json_object_new_int64((int64_t)es.freeze_id));
	json_object_object_add(st, "timeout_ms", json_object_new_int64((int64_t)es.timeout_ms));
	if (es.last_error[0])
		json_object_object_add(st, "last_error", json_object_new_string(es.last_error));
	add_filesystems(st, &es);
	return st;
}

static json_object *cmd_vssd_status(const struct request *rq)
{
	json_object *st = commands_status(rq->e);

	/* does the freeze in force belong to this connection? (vssctl backup checks its own) */
	json_object_object_add(st, "held_by_you",
			       json_object_new_boolean(engine_held_by(rq->e, rq->by)));
	return ret(st);
}

void commands_execute(struct engine *e, const struct owner *by, const char *text, size_t len,
		      struct reply *out)
{
	json_tokener *tok = json_tokener_new();
	json_object *req = NULL, *exec = NULL, *args = NULL, *id = NULL, *reply = NULL;
	const char *name;
	size_t i;

	out->delimited = false;
	out->obj = NULL;
	out->parked = false;
	out->parked_id = NULL;
	if (!tok) {
		out->obj = commands_error("GenericError", "out of memory");
		return;
	}
	/* strict: no trailing commas, single quotes or other extensions (as QEMU) */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	req = json_tokener_parse_ex(tok, text, (int)len);
	if (!req || json_tokener_get_error(tok) != json_tokener_success) {
		char desc[160];

		snprintf(desc, sizeof(desc), "JSON parse error, %s",
			 json_tokener_error_desc(json_tokener_get_error(tok)));
		json_tokener_free(tok);
		json_object_put(req);
		out->obj = commands_error("GenericError", desc);
		return;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(req, json_type_object)) {
		out->obj = commands_error("GenericError", "QMP input must be a JSON object");
		goto done;
	}
	json_object_object_get_ex(req, "id", &id);
	if (!json_object_object_get_ex(req, "execute", &exec) ||
	    !json_object_is_type(exec, json_type_string)) {
		reply = commands_error("GenericError", "QMP input lacks member 'execute'");
		goto reply;
	}
	if (json_object_object_get_ex(req, "arguments", &args) &&
	    !json_object_is_type(args, json_type_object)) {
		reply = commands_error("GenericError",
				       "QMP input member 'arguments' must be an object");
		goto reply;
	}
	name = json_object_get_string(exec);
	/* a name with an embedded NUL is no command */
	for (i = has_nul(exec) ? NCOMMANDS : 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			break;
	if (i == NCOMMANDS) {
		char desc[320];

		snprintf(desc, sizeof(desc), "The command %.256s has not been found", name);
		reply = commands_error("CommandNotFound", desc);
	} else if (engine_frozen(e) && !commands[i].allowed_frozen) {
		char desc[320];

		snprintf(desc, sizeof(desc),
			 "Command %s has been disabled: the agent is in frozen state", name);
		reply = commands_error("CommandNotFound", desc);
	} else {
		struct request rq = { .e = e, .by = by, .args = args, .out = out };

		reply = commands[i].fn(&rq);
		if (out->parked) {
			out->parked_id = id ? json_object_get(id) : NULL;
			goto done;
		}
	}
reply:
	if (id)
		json_object_object_add(reply, "id", json_object_get(id));
	out->obj = reply;
done:
	json_object_put(req);
	if (!out->obj)
		out->obj = reply;
}

/* One filesystem of a plan: its order (1-based) and why there, or why skipped. */
static json_object *plan_fs_json(const struct vss_mount *m, size_t order)
{
	json_object *f = fs_id_json(m);

	if (order) {
		json_object_object_add(f, "order", json_object_new_int64((int64_t)order));
		json_object_object_add(f, "why", json_object_new_string(m->why));
	} else {
		json_object_object_add(f, "skipped", json_object_new_string(m->reason));
	}
	return f;
}

/* Processes with fanotify permission marks: a freeze can hang every open they watch. */
static json_object *plan_warnings(void)
{
	struct fan_holder h[16];
	json_object *w = json_object_new_array();
	int n = fanotify_perm_holders("/proc", h, ARRAY_SIZE(h)), i;
	char msg[320];

	for (i = 0; i < n && i < (int)ARRAY_SIZE(h); i++) {
		snprintf(msg, sizeof(msg),
			 "pid %d (%s) holds fanotify permission marks: every open it watches "
			 "waits for its answer, and if it must read a frozen filesystem to answer, "
			 "opens hang machine-wide until the thaw; exclude what it reads or stop it "
			 "during backups",
			 (int)h[i].pid, h[i].comm);
		json_object_array_add(w, json_object_new_string(msg));
	}
	return w;
}

/* The freeze plan without freezing (the engine's own planner): order, why, skipped, warnings. */
static json_object *cmd_vssd_plan(const struct request *rq)
{
	const char *list[MAX_LIST + 1];
	struct mount_set ms = { 0 };
	json_object *e, *p, *fss;
	char err[512];
	size_t i, k;
	bool all;

	e = get_mountpoints(rq->args, list, &all);
	if (e)
		return e;
	if (engine_plan(rq->e, all ? NULL : list, &ms, err, sizeof(err)) < 0)
		return generic(err);
	p = json_object_new_object();
	fss = json_object_new_array();
	for (k = 0; k < ms.norder; k++)
		json_object_array_add(fss, plan_fs_json(&ms.m[ms.order[k]], k + 1));
	for (i = 0; i < ms.n; i++)
		if (ms.m[i].state != FS_CANDIDATE && !ms.m[i].quiet)
			json_object_array_add(fss, plan_fs_json(&ms.m[i], 0));
	json_object_object_add(p, "filesystems", fss);
	json_object_object_add(p, "warnings", plan_warnings());
	mounts_free(&ms);
	return ret(p);
}
