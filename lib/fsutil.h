/* fsutil.h - internal (not installed) file-system helpers shared by
 * store.c, config.c and stats.c: directory creation honouring the configured
 * umask, errno-to-status mapping, temp-file names. Not part of the API. */
#ifndef OBJCACHE_LIB_FSUTIL_H
#define OBJCACHE_LIB_FSUTIL_H

#include "objcache/buffer.h"
#include "objcache/status.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* OC_NO_SPACE for ENOSPC/EDQUOT, OC_NO_MEMORY for ENOMEM, else OC_IO_ERROR. */
oc_status oc_fs_errno_status(int error);

/* mkdir -p. Directories it creates get mode 0777 & ~mask when mask >= 0
 * (independent of the process umask), else 0777 minus the process umask.
 * An existing non-directory component is a clean OC_IO_ERROR (ENOTDIR). */
oc_status oc_fs_mkdirs(const char *path, int mask, oc_error *err);

/* Applies `mode & ~mask` to a file or directory this process just created,
 * when mask >= 0. Best effort: failures are ignored. */
void oc_fs_apply_mask(int fd, mode_t mode, int mask);

/* 64 random bits (getrandom, else a clock/pid mix). */
uint64_t oc_fs_random(void);

/* Writes "<prefix>.tmp.<pid>.<16 random hex>" into out. */
void oc_fs_temp_name(char *out, size_t out_size, const char *prefix);

/* Reads a whole regular file opened as fd (at most `limit` bytes; more is
 * OC_CORRUPT) into buf (appended). `path` is for messages only. */
oc_status oc_fs_read_fd(int fd, const char *path, size_t limit,
                        oc_buffer *buf, oc_error *err);

/* write(2) until done or an error; returns 0 or an errno value. */
int oc_fs_write_all(int fd, const void *data, size_t len);

/* Replaces path with data through a temp file beside it and rename(2), so
 * that a reader sees the old file or the whole new one, never a part; the
 * file gets 0666 & ~mask (mask < 0: the process umask). Returns 0 or an
 * errno value; a failed write leaves no temp file behind. */
int oc_fs_write_atomic(const char *path, const void *data, size_t len,
                       int mask);

#endif
