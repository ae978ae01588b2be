// SPDX-License-Identifier: GPL-2.0-or-later
// Linux calls that Swift's Glibc module does not import: GNU extensions and raw system calls.
#ifndef FILESIGNALS_PROCESS_SUPPORT_H
#define FILESIGNALS_PROCESS_SUPPORT_H

#include <poll.h>
#include <spawn.h>
#include <sys/types.h>

/// pidfd_open(2): a descriptor that becomes readable when the process `pid` exits. -1 and errno on failure.
int filesignals_pidfd_open(pid_t pid);

/// posix_spawn_file_actions_addchdir_np(3): the child changes to `path` before it runs.
int filesignals_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np(3): the child closes every descriptor from `lowest` up, so that
/// it inherits only what the file actions give it, whatever the spawning program left without close-on-exec.
int filesignals_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowest);

/// Installs a handler for each of `numbers` that writes the signal's number, as one byte, into a pipe, and
/// returns the pipe's read end (-1 and errno on failure). A signal delivered to any thread is then read
/// there in order, and none is lost, whatever the threads' signal masks (the self-pipe trick).
int filesignals_signal_pipe(const int *numbers, int count);

/// open(2) with O_TMPFILE: a file with no name in `folder`, read and written, gone when closed.
int filesignals_open_unnamed_file(const char *folder);

/// pipe2(2) with O_CLOEXEC: a pipe that no receiver inherits by accident.
int filesignals_pipe_cloexec(int descriptors[2]);

/// eventfd(2), close-on-exec and non-blocking: written to wake a thread sleeping in poll().
int filesignals_wakeup_eventfd(void);

/// ppoll(2) with a timeout in nanoseconds (negative: none): poll() with a resolution finer than a millisecond.
int filesignals_poll_nanoseconds(struct pollfd *descriptors, nfds_t count, long long timeout);

/// open(2) of `path` refusing a symbolic link in any of its components, the last one included, with ELOOP
/// (O_PATH with O_NOFOLLOW in `flags` opens a final link itself instead). `path` is absolute. openat2(2)
/// with RESOLVE_NO_SYMLINKS where the kernel has it (5.6 and later); elsewhere a walk from `/`, one
/// component at a time, with openat(2) and O_NOFOLLOW. O_CLOEXEC is always added. -1 and errno on failure.
int filesignals_open_no_symlinks(const char *path, int flags);

/// fstatfs(2)'s `f_type` (the file system's magic number, `<linux/magic.h>`) for `descriptor`; -1 on failure.
long long filesignals_filesystem_magic(int descriptor);

/// prctl(PR_SET_CHILD_SUBREAPER, 1): processes orphaned below this one are re-parented to it, not to init.
/// 0, or -1 and errno.
int filesignals_become_subreaper(void);

/// O_PATH (a GNU extension Swift's Glibc module leaves out): a descriptor that names a file without opening it.
extern const int filesignals_o_path;

/// O_NOATIME (a GNU extension too): reading through the descriptor leaves the file's access time alone. Only
/// the file's owner (or a process with CAP_FOWNER) may ask; anyone else gets EPERM.
extern const int filesignals_o_noatime;

/// Names the calling thread (at most 15 bytes are kept), as `top -H`, `perf` and /proc show it.
void filesignals_name_thread(const char *name);

#endif
