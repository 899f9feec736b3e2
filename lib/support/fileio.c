/* fileio.c - the public file helpers of objcache/fileio.h, on top of the
 * internal fsutil.c, and the writer of a compile's output files. */
#include "objcache/fileio.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

oc_status oc_file_read_fd(int fd, const char *path, size_t limit,
                          oc_buffer *buf, oc_error *err) {
  return oc_fs_read_fd(fd, path, limit, buf, err);
}

int oc_file_write_all(int fd, const void *data, size_t len) {
  return oc_fs_write_all(fd, data, len);
}

uint64_t oc_random64(void) { return oc_fs_random(); }

bool oc_write_output(const char *path, const void *data, size_t len, char *why,
                     size_t why_size) {
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
    int e = fd < 0 ? errno : oc_fs_write_all(fd, data, len);
    if (fd >= 0 && close(fd) != 0 && e == 0)
      e = errno;
    if (e != 0)
      snprintf(why, why_size, "cannot write %s: %s", path, strerror(e));
    return e == 0;
  }
  /* A user's file: the process umask decides its mode, as for any file the
   * compiler writes, and a symlink beside it is not ours to refuse. */
  const oc_fs_write_opts opts = {.mode = 0666, .mask = -1};
  int e = oc_fs_write_atomic_at(AT_FDCWD, path, data, len, &opts);
  if (e != 0) {
    snprintf(why, why_size, "cannot write %s: %s", path, strerror(e));
    return false;
  }
  return true;
}
