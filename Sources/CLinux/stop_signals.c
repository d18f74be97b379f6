#define _GNU_SOURCE
#include "CLinux.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

// A signal handler may only call async-signal-safe functions: it counts, and either writes the signal's number to
// a pipe that a thread of the process reads, or calls _exit. https://man7.org/linux/man-pages/man7/signal-safety.7.html

static atomic_int received = 0;
static int wake[2] = {-1, -1};
static int install_result = -1, install_errno = 0;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void on_stop_signal(int number) {
    int saved = errno;
    unsigned char byte = (unsigned char)number;
    if (atomic_fetch_add(&received, 1) == 0 && write(wake[1], &byte, 1) == 1) {
        errno = saved;
        return;
    }
    _exit(128 + number);
}

static void install(void) {
    if (pipe2(wake, O_CLOEXEC) != 0) {
        install_errno = errno;
        return;
    }
    // SA_RESTART: the process's other threads (curl, SQLite) see their calls resumed, not failed with EINTR.
    // https://man7.org/linux/man-pages/man2/sigaction.2.html
    struct sigaction action = {0};
    action.sa_handler = on_stop_signal;
    action.sa_flags = SA_RESTART;
    sigfillset(&action.sa_mask);
    if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0) {
        install_errno = errno;
        return;
    }
    install_result = 0;
}

int s3b_stop_signals_install(void) {
    pthread_once(&install_once, install);
    errno = install_errno;
    return install_result;
}

int s3b_stop_signal_wait(void) {
    if (install_result != 0) return -1;
    unsigned char byte;
    ssize_t n;
    do n = read(wake[0], &byte, 1); while (n < 0 && errno == EINTR);
    return n == 1 ? byte : -1;
}
