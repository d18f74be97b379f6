#include <sys/prctl.h>

// prctl is variadic, which Swift cannot call: one typed wrapper per use. https://man7.org/linux/man-pages/man2/prctl.2.html
static inline int s3b_set_undumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
