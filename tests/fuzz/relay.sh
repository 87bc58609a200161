#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Replays the relay fuzz target over its committed corpus and mutations.
exec "$top_builddir/tests/fuzz/replay_relay" "$top_srcdir/tests/fuzz/corpus-relay"
