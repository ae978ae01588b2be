// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE
#include "CProcessSupport.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/vfs.h>
#include <sys/prctl.h>
#include <sys/resource.h>

/// The fewest descriptors filesignals starts with: the Swift runtime, its threads' wake-ups, inotify and its
/// reader, the state database and a folder being walked take about 20 (measured: a watch with its state
/// starts at 20, not at 19). Below that the runtime itself may trap before any code of ours runs (at 4, even
/// `--version` died of SIGILL in libdispatch), or a start fails with a misleading reason; so it is checked
/// before `main`, once, and said plainly. Receivers need more: they wait for descriptors to be free.
enum { filesignals_minimum_descriptors = 24 };

__attribute__((constructor)) static void filesignals_check_descriptor_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= filesignals_minimum_descriptors) return;
    char message[160];
    int length = snprintf(message, sizeof message,
        "filesignals: error: at most %llu files may be open at once (ulimit -n); filesignals needs %d or more\n",
        (unsigned long long)limit.rlim_cur, filesignals_minimum_descriptors);
    if (length > 0) (void)!write(2, message, (size_t)length < sizeof message ? (size_t)length : sizeof message - 1);
    _exit(71);
}

int filesignals_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int filesignals_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int filesignals_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

static int signal_pipe_write_end = -1;

static void filesignals_signal_handler(int number) {
    int saved = errno;
    unsigned char byte = (unsigned char)number;
    ssize_t ignored = write(signal_pipe_write_end, &byte, 1);
    (void)ignored;
    errno = saved;
}

int filesignals_signal_pipe(const int *numbers, int count) {
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0) return -1;
    // The handler must never block; a full pipe (hundreds of unread signals) drops the byte.
    fcntl(ends[1], F_SETFL, O_NONBLOCK);
    signal_pipe_write_end = ends[1];
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = filesignals_signal_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int index = 0; index < count; index++) {
        if (sigaction(numbers[index], &action, NULL) != 0) return -1;
    }
    return ends[0];
}

int filesignals_open_unnamed_file(const char *folder) {
    return open(folder, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

int filesignals_pipe_cloexec(int descriptors[2]) {
    return pipe2(descriptors, O_CLOEXEC);
}

int filesignals_wakeup_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

void filesignals_name_thread(const char *name) {
    char shortened[16];
    snprintf(shortened, sizeof shortened, "%s", name);
    pthread_setname_np(pthread_self(), shortened);
}

int filesignals_poll_nanoseconds(struct pollfd *descriptors, nfds_t count, long long timeout) {
    if (timeout < 0) return ppoll(descriptors, count, NULL, NULL);
    struct timespec limit = { .tv_sec = timeout / 1000000000LL, .tv_nsec = timeout % 1000000000LL };
    return ppoll(descriptors, count, &limit, NULL);
}

const int filesignals_o_path = O_PATH;
const int filesignals_o_noatime = O_NOATIME;

int filesignals_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

long long filesignals_filesystem_magic(int descriptor) {
    struct statfs info;
    if (fstatfs(descriptor, &info) != 0) return -1;
    return (long long)(unsigned long)info.f_type;
}

/// The walk for kernels without openat2: each folder of the path opened with O_NOFOLLOW beneath the last.
static int open_no_symlinks_by_walk(const char *path, int flags) {
    if (path[0] != '/') { errno = EINVAL; return -1; }
    int folder = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (folder < 0) return -1;
    const char *start = path;
    while (*start == '/') start++;
    if (*start == 0) {
        int whole = openat(folder, ".", flags | O_CLOEXEC);
        close(folder);
        return whole;
    }
    char name[256];
    for (;;) {
        const char *end = strchr(start, '/');
        size_t length = end ? (size_t)(end - start) : strlen(start);
        if (length >= sizeof name) { close(folder); errno = ENAMETOOLONG; return -1; }
        memcpy(name, start, length);
        name[length] = 0;
        const char *rest = end;
        while (rest && *rest == '/') rest++;
        int last = rest == NULL || *rest == 0;
        int next = last ? openat(folder, name, flags | O_NOFOLLOW | O_CLOEXEC)
                        : openat(folder, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        close(folder);
        /* A link in the middle fails with ENOTDIR here (O_PATH|O_NOFOLLOW opens the link, which is no folder). */
        if (next < 0) { errno = saved; return -1; }
        if (last) return next;
        folder = next;
        start = rest;
    }
}

int filesignals_open_no_symlinks(const char *path, int flags) {
    static int has_openat2 = 1;
    if (__atomic_load_n(&has_openat2, __ATOMIC_RELAXED)) {
        struct open_how how;
        memset(&how, 0, sizeof how);
        how.flags = (unsigned long long)(flags | O_CLOEXEC);
        how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        int descriptor;
        do {
            descriptor = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
        } while (descriptor < 0 && errno == EINTR);
        if (descriptor >= 0 || errno != ENOSYS) return descriptor;
        __atomic_store_n(&has_openat2, 0, __ATOMIC_RELAXED);
    }
    return open_no_symlinks_by_walk(path, flags);
}
