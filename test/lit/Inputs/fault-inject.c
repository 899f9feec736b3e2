/* fault-inject.c - an LD_PRELOAD library that makes file operations under
 * one directory fail the way a full, read-only or foreign-owned disk would,
 * so the tests can show a compile surviving each fault. Root ignores
 * permissions and tests cannot mount file systems, hence the shim.
 *
 *   OC_FAULT=enospc  writes to files under OC_FAULT_DIR fail with ENOSPC
 *   OC_FAULT=erofs   creating or writing files or directories there: EROFS
 *   OC_FAULT=eacces  the same with EACCES
 * Reads always work. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int under_fault_dir(const char *path) {
  const char *dir = getenv("OC_FAULT_DIR");
  size_t n = dir ? strlen(dir) : 0;
  return n && path && strncmp(path, dir, n) == 0 &&
         (path[n] == '/' || path[n] == '\0');
}

static int fault_is(const char *name) {
  const char *fault = getenv("OC_FAULT");
  return fault && strcmp(fault, name) == 0;
}

/* The error a create or write-open under the directory gets, or 0. */
static int open_fault(void) {
  if (fault_is("erofs"))
    return EROFS;
  if (fault_is("eacces"))
    return EACCES;
  return 0;
}

static void path_of_fd(int fd, char *out, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, size - 1);
  out[n > 0 ? n : 0] = '\0';
}

static void absolute(int dirfd, const char *path, char *out, size_t size) {
  if (path[0] == '/') {
    snprintf(out, size, "%s", path);
    return;
  }
  char dir[PATH_MAX];
  if (dirfd == AT_FDCWD) {
    if (!getcwd(dir, sizeof dir))
      dir[0] = '\0';
  } else {
    path_of_fd(dirfd, dir, sizeof dir);
  }
  snprintf(out, size, "%s/%s", dir, path);
}

static int refuse_open(int dirfd, const char *path, int flags) {
  char full[PATH_MAX];
  if (!(flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) || !open_fault())
    return 0;
  absolute(dirfd, path, full, sizeof full);
  if (!under_fault_dir(full))
    return 0;
  errno = open_fault();
  return 1;
}

static int refuse_write(int fd) {
  char path[PATH_MAX];
  if (!fault_is("enospc") && !open_fault())
    return 0;
  path_of_fd(fd, path, sizeof path);
  if (!under_fault_dir(path))
    return 0;
  errno = fault_is("enospc") ? ENOSPC : open_fault();
  return 1;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int openat(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = va_arg(ap, mode_t);
  va_end(ap);
  if (refuse_open(dirfd, path, flags))
    return -1;
  return NEXT(openat)(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = va_arg(ap, mode_t);
  va_end(ap);
  if (refuse_open(dirfd, path, flags))
    return -1;
  return NEXT(openat64)(dirfd, path, flags, mode);
}

int open(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = va_arg(ap, mode_t);
  va_end(ap);
  if (refuse_open(AT_FDCWD, path, flags))
    return -1;
  return NEXT(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = va_arg(ap, mode_t);
  va_end(ap);
  if (refuse_open(AT_FDCWD, path, flags))
    return -1;
  return NEXT(open64)(path, flags, mode);
}

int mkdir(const char *path, mode_t mode) {
  char full[PATH_MAX];
  struct stat st;
  absolute(AT_FDCWD, path, full, sizeof full);
  /* As in the kernel, an existing path fails with EEXIST first. */
  if (open_fault() && under_fault_dir(full) && stat(full, &st) != 0) {
    errno = open_fault();
    return -1;
  }
  return NEXT(mkdir)(path, mode);
}

ssize_t write(int fd, const void *buf, size_t count) {
  if (refuse_write(fd))
    return -1;
  return NEXT(write)(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
  if (refuse_write(fd))
    return -1;
  return NEXT(pwrite)(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
  if (refuse_write(fd))
    return -1;
  return NEXT(pwrite64)(fd, buf, count, offset);
}
