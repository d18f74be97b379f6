// posix_spawn_file_actions_addclosefrom_np is a GNU extension (glibc 2.34): declared only under _GNU_SOURCE, which
// the header Swift imports does not set. https://man7.org/linux/man-pages/man3/posix_spawn_file_actions_addclosefrom_np.3.html
#define _GNU_SOURCE
#include "CLinux.h"

int s3b_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
