/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the backends share beyond vmm.h: JSON numbers (json-c) and bounded writes. */
#ifndef SB_HOST_VMM_JSON_H
#define SB_HOST_VMM_JSON_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* The non-negative integer at a dotted path ("config.memory.size"): 0, -ENOENT, -EPROTO, -ERANGE. */
int vmm_json_u64(struct json_object *o, const char *path, uint64_t *v);

/* Writes all of buf before the deadline (CLOCK_MONOTONIC ms). 0 or -errno. */
int vmm_write_all(int fd, const char *buf, size_t len, uint64_t deadline_ms);

#endif
