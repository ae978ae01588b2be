// SPDX-License-Identifier: GPL-2.0-or-later
// What Swift cannot import from the inotify headers directly: macros that are expressions, the flexible
// name[] of struct inotify_event, and the C streams.
#ifndef FILESIGNALS_CINOTIFYTOOLS_SHIM_H
#define FILESIGNALS_CINOTIFYTOOLS_SHIM_H

#include <sys/inotify.h>
#include <sys/eventfd.h>
#include <inotifytools/inotifytools.h>
#include <stdint.h>

static const uint32_t filesignals_IN_CLOSE = IN_CLOSE;
static const uint32_t filesignals_IN_ALL_EVENTS = IN_ALL_EVENTS;

/// The name that follows an inotify event (empty for events on the watched folder itself).
static inline const char *filesignals_event_name(const struct inotify_event *event) {
    return event->len > 0 ? event->name : "";
}

#endif
