#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vssd's fuzz targets (the QGA session, the Hyper-V channel, the INI loader with
# both key tables, mountinfo selection and order), replayed over their corpora
# and mutations. TAP.
exec sh "$top_srcdir/tests/fuzz/replay-set.sh" protocol hyperv conf mounts
