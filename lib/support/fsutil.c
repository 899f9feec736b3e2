/* fsutil.c - internal file-system helpers (see fsutil.h): mkdir -p with the
 * configured umask, errno mapping, temp-file names, whole-file reads. */
#include "fsutil.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <limits.h>

oc_status oc_fs_errno_status(int error) {
  switch (error) {
  case ENOSPC:
#ifdef EDQUOT
  case EDQUOT:
#endif
    return OC_NO_SPACE;
  case ENOMEM:
    return OC_NO_MEMORY;
  default:
    return OC_IO_ERROR;
  }
}

void oc_fs_apply_mask(int fd, mode_t mode, int mask) {
  if (mask < 0 || fd < 0)
    return;
  mode_t want = mode & ~(mode_t)mask & 07777;
  /* A directory made in a setgid directory inherits S_ISGID (so its files
   * get the team's group); a plain fchmod would clear it. */
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
    want |= st.st_mode & S_ISGID;
  (void)fchmod(fd, want);
}

static oc_status make_one(const char *path, int mask, oc_error *err) {
  if (mkdir(path, 0777) == 0) {
    if (mask >= 0) {
      int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      oc_fs_apply_mask(fd, 0777, mask);
      if (fd >= 0)
        close(fd);
    }
    return OC_OK;
  }
  int e = errno;
  struct stat st;
  if (e == EEXIST) {
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
      return OC_OK;
    return oc_fail(err, OC_IO_ERROR, "%s exists and is not a directory",
                   path);
  }
  return oc_fail(err, oc_fs_errno_status(e), "cannot create directory %s: %s",
                 path, strerror(e));
}

oc_status oc_fs_mkdirs(const char *path, int mask, oc_error *err) {
  struct stat st;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return OC_OK;
    return oc_fail(err, OC_IO_ERROR, "%s exists and is not a directory",
                   path);
  }
  size_t len = strlen(path);
  if (len == 0)
    return oc_fail(err, OC_INVALID, "empty directory name");
  if (len >= PATH_MAX)
    return oc_fail(err, OC_INVALID, "directory name too long: %.64s...",
                   path);
  char buf[PATH_MAX];
  memcpy(buf, path, len + 1);
  while (len > 1 && buf[len - 1] == '/')
    buf[--len] = '\0';
  for (size_t i = 1; i < len; i++) {
    if (buf[i] != '/' || buf[i - 1] == '/')
      continue;
    buf[i] = '\0';
    oc_status status = make_one(buf, mask, err);
    buf[i] = '/';
    if (status != OC_OK)
      return status;
  }
  return make_one(buf, mask, err);
}

uint64_t oc_fs_random(void) {
  uint64_t value;
  if (getrandom(&value, sizeof value, GRND_NONBLOCK) == (ssize_t)sizeof value)
    return value;
  static _Atomic uint64_t counter;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  value = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
          ((uint64_t)getpid() << 17) ^ atomic_fetch_add(&counter, 1);
  value ^= value >> 33;
  value *= 0xff51afd7ed558ccdULL;
  value ^= value >> 33;
  return value;
}

void oc_fs_temp_name(char *out, size_t out_size, const char *prefix) {
  snprintf(out, out_size, "%s.tmp.%ld.%016llx", prefix, (long)getpid(),
           (unsigned long long)oc_fs_random());
}

oc_status oc_fs_read_fd(int fd, const char *path, size_t limit,
                        oc_buffer *buf, oc_error *err) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return oc_fail(err, OC_IO_ERROR, "cannot stat %s: %s", path,
                   strerror(errno));
  if (!S_ISREG(st.st_mode))
    return oc_fail(err, OC_CORRUPT, "%s is not a regular file", path);
  if ((uint64_t)st.st_size > limit)
    return oc_fail(err, OC_CORRUPT, "%s is too large (%lld bytes)", path,
                   (long long)st.st_size);
  size_t start = buf->size;
  /* One byte more than the size, to notice growth without another stat. */
  size_t want = (size_t)st.st_size + 1;
  if (oc_buffer_reserve(buf, want) != OC_OK)
    return oc_fail(err, OC_NO_MEMORY, "out of memory reading %s", path);
  for (;;) {
    size_t room = buf->capacity - buf->size;
    if (room == 0) {
      if (buf->size - start >= limit) {
        buf->size = start;
        return oc_fail(err, OC_CORRUPT, "%s is too large", path);
      }
      if (oc_buffer_reserve(buf, 65536) != OC_OK) {
        buf->size = start;
        return oc_fail(err, OC_NO_MEMORY, "out of memory reading %s", path);
      }
      room = buf->capacity - buf->size;
    }
    ssize_t n = read(fd, buf->data + buf->size, room);
    if (n == 0)
      break;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int e = errno;
      buf->size = start;
      return oc_fail(err, OC_IO_ERROR, "cannot read %s: %s", path,
                     strerror(e));
    }
    buf->size += (size_t)n;
  }
  if (buf->size - start > limit) {
    buf->size = start;
    return oc_fail(err, OC_CORRUPT, "%s is too large", path);
  }
  return OC_OK;
}

int oc_fs_open_regular(int dirfd, const char *path, int extra_flags,
                       bool nofollow) {
  int flags = O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0) |
              (extra_flags & ~O_ACCMODE) |
              ((extra_flags & O_ACCMODE) == O_RDWR ? O_RDWR : O_RDONLY);
  int fd = openat(dirfd, path, flags, 0666);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

oc_status oc_fs_read_file(int dirfd, const char *path, bool nofollow,
                          size_t limit, oc_buffer *buf, struct stat *st,
                          oc_error *err) {
  int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0);
  int fd = openat(dirfd, path, flags);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR)
      return OC_NOT_FOUND;
    if (e == ELOOP && nofollow)
      return oc_fail(err, OC_CORRUPT, "%s is a symlink", path);
    return oc_fail(err, oc_fs_errno_status(e), "cannot open %s: %s", path,
                   strerror(e));
  }
  if (st && fstat(fd, st) != 0)
    memset(st, 0, sizeof *st);
  oc_status status = oc_fs_read_fd(fd, path, limit, buf, err);
  close(fd);
  return status;
}

int oc_fs_lock(int fd, int op, unsigned timeout_ms) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  unsigned sleep_us = 1000;
  for (;;) {
    if (flock(fd, op | LOCK_NB) == 0)
      return 0;
    int e = errno;
    if (e != EWOULDBLOCK && e != EINTR)
      return e;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long waited_ms = (long long)(now.tv_sec - start.tv_sec) * 1000 +
                          (now.tv_nsec - start.tv_nsec) / 1000000;
    if (waited_ms >= (long long)timeout_ms)
      return ETIMEDOUT;
    /* Locks here are held for microseconds; back off to 20 ms steps. */
    usleep(sleep_us);
    if (sleep_us < 20000)
      sleep_us *= 2;
  }
}

int oc_fs_write_all(int fd, const void *data, size_t len) {
  const uint8_t *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (n == 0)
      return EIO;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int write_failed(const oc_fs_write_opts *opts, oc_fs_write_step step,
                        int e) {
  if (opts->failed)
    *opts->failed = e ? step : OC_FS_WRITE_OK;
  return e;
}

int oc_fs_write_atomic_at(int dirfd, const char *name, const void *data,
                          size_t len, const oc_fs_write_opts *opts) {
  const char *prefix = opts->temp_prefix ? opts->temp_prefix : name;
  char tmp[PATH_MAX + 256];
  if (opts->temp_name && opts->temp_name_size)
    opts->temp_name[0] = '\0';
  if (strlen(prefix) + 64 > sizeof tmp) { /* room for ".tmp.<pid>.<hex>" */
    if (opts->temp_name)
      snprintf(opts->temp_name, opts->temp_name_size, "%s", prefix);
    return write_failed(opts, OC_FS_WRITE_CREATE, ENAMETOOLONG);
  }
  int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
              (opts->nofollow ? O_NOFOLLOW : 0);
  int fd = -1;
  for (int attempt = 0; attempt < 8 && fd < 0; attempt++) {
    oc_fs_temp_name(tmp, sizeof tmp, prefix);
    fd = openat(dirfd, tmp, flags, opts->mode & 0777);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  int e = fd < 0 ? errno : 0;
  if (opts->temp_name)
    snprintf(opts->temp_name, opts->temp_name_size, "%s", tmp);
  if (fd < 0)
    return write_failed(opts, OC_FS_WRITE_CREATE, e);
  oc_fs_apply_mask(fd, opts->mode, opts->mask);
  e = oc_fs_write_all(fd, len ? data : "", len);
  if (e == 0 && opts->fsync && fsync(fd) != 0)
    e = errno;
  if (close(fd) != 0 && e == 0)
    e = errno;
  if (e != 0) {
    unlinkat(dirfd, tmp, 0);
    return write_failed(opts, OC_FS_WRITE_DATA, e);
  }
  if (opts->no_replace) {
    if (linkat(dirfd, tmp, dirfd, name, 0) != 0)
      e = errno;
    unlinkat(dirfd, tmp, 0);
  } else if (renameat(dirfd, tmp, dirfd, name) != 0) {
    e = errno;
    unlinkat(dirfd, tmp, 0);
  }
  return write_failed(opts, OC_FS_WRITE_PLACE, e);
}

int oc_fs_write_atomic(const char *path, const void *data, size_t len,
                       int mask) {
  const oc_fs_write_opts opts = {.mode = 0666, .mask = mask, .nofollow = true};
  return oc_fs_write_atomic_at(AT_FDCWD, path, data, len, &opts);
}
