#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Replays the protocol fuzz target over its committed corpus and mutations.
exec "$top_builddir/tests/fuzz/replay_protocol" "$top_srcdir/tests/fuzz/corpus-protocol"
