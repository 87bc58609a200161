/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A guest for policy cases (tests/unit/test_agent_policy.c, test_agent_safety.c):
 * boot size and ceiling 4 GiB, 1 GiB committed, the configuration at its
 * defaults but for the mode, vmstat and PSI present, and a first decision
 * taken as the baseline one second before the case's own.
 */
#ifndef SB_TESTS_UNIT_POLICY_CASE_H
#define SB_TESTS_UNIT_POLICY_CASE_H

#include <string.h>

#include "agent_config.h"
#include "policy.h"

struct policy_case {
	struct agent_conf c;
	struct policy_conf pc;
	struct policy_state st;
	struct sample s;
	struct balloon_view bv;
	struct policy_events ev;
	struct decision d;
};

static inline void policy_case_decide(struct policy_case *p)
{
	policy_decide(&p->pc, &p->st, &p->s, &p->bv, &p->ev, &p->d);
}

/* cur: MemTotal and the balloon's current size; avail: MemAvailable (kB). */
static inline void policy_case_init(struct policy_case *p, enum policy_mode mode, uint64_t cur,
				    uint64_t avail)
{
	const uint64_t gib = 1024ULL * 1024;

	memset(p, 0, sizeof(*p));
	agent_conf_defaults(&p->c);
	p->c.mode = mode;
	policy_conf_resolve(&p->pc, &p->c, 4 * gib, 4);
	p->s.mi.mem_total = cur;
	p->s.mi.committed_as = 1 * gib;
	p->s.mi.mem_available = avail;
	p->s.have_vmstat = p->s.have_psi = true;
	p->s.vm.present = VM_OOM_KILL;
	p->s.now_ms = 100000;
	p->bv = (struct balloon_view){ .current_kb = cur, .max_kb = 4 * gib, .boot_kb = 4 * gib };
	policy_case_decide(p); /* the baseline */
	p->s.now_ms += 1000;
}

#endif
