/* objcache/fileio.h - the file helpers plugin/ and utils/ need without
 * lib's internal fsutil.h: bounded whole-file reads, full writes, random
 * bits, and writing a compile's output file the way clang does. */
#ifndef OBJCACHE_FILEIO_H
#define OBJCACHE_FILEIO_H

#include "objcache/buffer.h"
#include "objcache/status.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reads a whole regular file opened as fd (at most `limit` bytes; more is
 * OC_CORRUPT, as is a file that is not regular) into buf (appended).
 * `path` is for messages only. */
oc_status oc_file_read_fd(int fd, const char *path, size_t limit,
                          oc_buffer *buf, oc_error *err);

/* write(2) until done or an error; returns 0 or an errno value. */
int oc_file_write_all(int fd, const void *data, size_t len);

/* 64 random bits (getrandom, else a clock/pid mix). */
uint64_t oc_random64(void);

/* Writes data to path as clang writes its outputs: a regular file (or a
 * new one) through a temp file beside it and rename(2), so a reader never
 * sees half an object; an existing file that is not regular (a device such
 * as /dev/null, a FIFO) in place, so it stays what it is. false with
 * "cannot write <path>: <reason>" in why on failure. */
bool oc_write_output(const char *path, const void *data, size_t len, char *why,
                     size_t why_size);

#ifdef __cplusplus
}
#endif

#endif
