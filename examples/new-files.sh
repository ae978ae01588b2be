#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Print the path of every file created under the given folders (default: .), one per line, as it appears.
# Needs jq. Example: examples/new-files.sh ~/Downloads
exec filesignals watch "$@" --json | jq --unbuffered -r 'select(.signal == "post_save" and .created) | .path'
