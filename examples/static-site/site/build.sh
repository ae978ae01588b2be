#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Stand-in for a real site generator: report what changed and which file.
echo "rebuilding after $FILESIGNALS_SIGNAL of $FILESIGNALS_INSTANCE"
