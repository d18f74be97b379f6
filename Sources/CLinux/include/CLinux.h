#ifndef S3BACKUP_CLINUX_H
#define S3BACKUP_CLINUX_H
#include <spawn.h>
#include <sys/prctl.h>

// prctl is variadic, which Swift cannot call: one typed wrapper per use. https://man7.org/linux/man-pages/man2/prctl.2.html
static inline int s3b_set_undumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

/// Installs the handler of SIGTERM and SIGINT, once for the process: 0, or -1 with errno set. From then on the
/// first of them is handed to s3b_stop_signal_wait and any later one exits the process at once with 128 + its
/// number. One sigaction per signal replaces the default action: no signal is lost in between.
int s3b_stop_signals_install(void);

/// Blocks until a stop signal is handed on; returns its number, or -1 when the handler was never installed.
int s3b_stop_signal_wait(void);
/// Adds to `actions` the closing, in the child, of every descriptor from `from` up: 0, or an errno value.
int s3b_spawn_close_from(posix_spawn_file_actions_t *actions, int from);
#endif
