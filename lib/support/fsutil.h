/* fsutil.h - internal (not installed) file-system helpers shared by
 * store.c, config.c and stats.c: directory creation honouring the configured
 * umask, errno-to-status mapping, temp-file names. Not part of the API. */
#ifndef OBJCACHE_LIB_FSUTIL_H
#define OBJCACHE_LIB_FSUTIL_H

#include "objcache/buffer.h"
#include "objcache/status.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* OC_NO_SPACE for ENOSPC/EDQUOT, OC_NO_MEMORY for ENOMEM, else OC_IO_ERROR. */
oc_status oc_fs_errno_status(int error);

/* mkdir -p. Directories it creates get mode 0777 & ~mask when mask >= 0
 * (independent of the process umask), else 0777 minus the process umask.
 * A setgid bit the new directory inherited from its parent is kept (the
 * group-shared set-up depends on it).
 * An existing non-directory component is a clean OC_IO_ERROR (ENOTDIR). */
oc_status oc_fs_mkdirs(const char *path, int mask, oc_error *err);

/* Applies `mode & ~mask` to a file or directory this process just created,
 * when mask >= 0, keeping an inherited setgid bit on a directory. Best
 * effort: failures are ignored. */
void oc_fs_apply_mask(int fd, mode_t mode, int mask);

/* 64 random bits (getrandom, else a clock/pid mix). */
uint64_t oc_fs_random(void);

/* Writes "<prefix>.tmp.<pid>.<16 random hex>" into out. */
void oc_fs_temp_name(char *out, size_t out_size, const char *prefix);

/* Reads a whole regular file opened as fd (at most `limit` bytes; more is
 * OC_CORRUPT) into buf (appended). `path` is for messages only. */
oc_status oc_fs_read_fd(int fd, const char *path, size_t limit,
                        oc_buffer *buf, oc_error *err);

/* The one way the cache reads a file (conf, markers, stats, entries,
 * manifests, history, probe answers): opens `path` relative to dirfd
 * (AT_FDCWD for an absolute or cwd-relative path) with O_NONBLOCK, so a FIFO
 * planted there cannot hang the open, plus O_NOFOLLOW when nofollow; refuses
 * anything but a regular file and more than `limit` bytes (OC_CORRUPT) and
 * appends the contents to buf. OC_NOT_FOUND (no message) when the file does
 * not exist. With st non-NULL, the file's fstat result is stored there. */
oc_status oc_fs_read_file(int dirfd, const char *path, bool nofollow,
                          size_t limit, oc_buffer *buf, struct stat *st,
                          oc_error *err);

/* Opens for reading like oc_fs_read_file (O_NONBLOCK, optional O_NOFOLLOW,
 * a regular file only) and returns the fd, or -1 with errno set (EINVAL for
 * a non-regular file). extra_flags are added (O_RDWR instead of O_RDONLY
 * when it holds O_RDWR; O_CREAT with mode 0666). */
int oc_fs_open_regular(int dirfd, const char *path, int extra_flags,
                       bool nofollow);

/* How long a lock wait may last before the update it guards is skipped. */
#define OC_FS_LOCK_TIMEOUT_MS 2000

/* flock(fd, op) (LOCK_SH or LOCK_EX) with a deadline: tries LOCK_NB and
 * sleeps a little between attempts, up to timeout_ms. Returns 0, ETIMEDOUT
 * when the lock stayed held, or flock's errno. A holder stopped in a
 * debugger or a dead NFS lock server costs at most timeout_ms. */
int oc_fs_lock(int fd, int op, unsigned timeout_ms);

/* write(2) until done or an error; returns 0 or an errno value. */
int oc_fs_write_all(int fd, const void *data, size_t len);

/* Which step of oc_fs_write_atomic_at failed. */
typedef enum {
  OC_FS_WRITE_OK,
  OC_FS_WRITE_CREATE, /* creating the temp file */
  OC_FS_WRITE_DATA,   /* writing, fsync or close of the temp file */
  OC_FS_WRITE_PLACE,  /* the rename (or link) onto name */
} oc_fs_write_step;

/* How oc_fs_write_atomic_at creates and places its file. */
typedef struct oc_fs_write_opts {
  /* The new file's mode: exactly mode & ~mask when mask >= 0 (independent
   * of the process umask), else mode minus the process umask (a user's
   * output file, like any file a compiler writes). */
  mode_t mode;
  int mask;
  bool fsync;      /* fsync before the rename: a crash leaves old or new */
  bool nofollow;   /* O_NOFOLLOW on the temp file (cache files) */
  bool no_replace; /* link(2), not rename(2): EEXIST when name exists */
  /* The temp file is "<temp_prefix>.tmp.<pid>.<hex>" relative to dirfd;
   * NULL: name itself, so the temp file lands beside the target. */
  const char *temp_prefix;
  /* Optional outputs, for callers' messages: the temp file's name, and
   * the step that failed. */
  char *temp_name;
  size_t temp_name_size;
  oc_fs_write_step *failed;
} oc_fs_write_opts;

/* The one writer of whole files: replaces `name` (relative to dirfd;
 * AT_FDCWD for a path) with data through a temp file beside it and
 * rename(2), so that a reader sees the old file or the whole new one,
 * never a part. The temp name is random; an existing one (EEXIST) is
 * retried with another a few times. Returns 0 or an errno value; a failed
 * write leaves no temp file behind. */
int oc_fs_write_atomic_at(int dirfd, const char *name, const void *data,
                          size_t len, const oc_fs_write_opts *opts);

/* oc_fs_write_atomic_at for a cache file at path: 0666 & ~mask (mask < 0:
 * the process umask), O_NOFOLLOW, no fsync. */
int oc_fs_write_atomic(const char *path, const void *data, size_t len,
                       int mask);

#endif
