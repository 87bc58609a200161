#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The agent's fuzz targets (meminfo, vmstat, PSI, zoneinfo parsers; the policy
# with its safety rule), replayed over their corpora and mutations. TAP.
exec sh "$top_srcdir/tests/fuzz/replay-set.sh" meminfo vmstat psi zoneinfo policy
