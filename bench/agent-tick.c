/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent-tick: what one selfballoond tick costs on this machine.
 * Times N rounds of: meminfo only (the fast watch), a full sample
 * (meminfo + vmstat + PSI), and policy_decide on that sample.
 *   bench/agent-tick [N] [ROOT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "policy.h"
#include "sample.h"
#include "zoneinfo.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	const char *root = argc > 2 ? argv[2] : "/";
	struct sample_paths sp;
	struct sample s = { 0 };
	struct meminfo mi;
	struct agent_conf c;
	struct policy_conf pc;
	struct policy_state st = { 0 };
	struct policy_events ev = { 0 };
	struct decision d;
	uint64_t tr;
	struct balloon_view bv;
	double t0, t_mi, t_full, t_pol, t_zi;
	int i;

	if (sample_paths_init(&sp, root) < 0 || sample_read(&sp, &s) < 0) {
		fprintf(stderr, "cannot read %s\n", sp.meminfo);
		return 1;
	}
	agent_conf_defaults(&c);
	policy_conf_resolve(&pc, &c, s.mi.mem_total, 4);
	bv = (struct balloon_view){ .current_kb = s.mi.mem_total,
				    .max_kb = s.mi.mem_total,
				    .boot_kb = s.mi.mem_total };

	t0 = now_us();
	for (i = 0; i < n; i++)
		sample_read_meminfo(&sp, &mi);
	t_mi = (now_us() - t0) / n;
	t0 = now_us();
	for (i = 0; i < n; i++)
		sample_read(&sp, &s);
	t_full = (now_us() - t0) / n;
	t0 = now_us();
	for (i = 0; i < n; i++) {
		s.now_ms += 100;
		policy_decide(&pc, &st, &s, &bv, &ev, &d);
	}
	t_pol = (now_us() - t0) / n;
	t0 = now_us();
	for (i = 0; i < n / 10; i++)
		zoneinfo_read_kb(root, 4, &tr);
	t_zi = (now_us() - t0) / (n / 10);
	printf("rounds=%d meminfo_us=%.1f full_sample_us=%.1f policy_us=%.2f zoneinfo_us=%.1f\n", n,
	       t_mi, t_full, t_pol, t_zi);
	printf("watch_cpu_at_100ms=%.3f%% (10 meminfo reads per second)\n", t_mi * 10 / 1e4);
	return 0;
}
