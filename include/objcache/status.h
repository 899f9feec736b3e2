/* objcache/status.h - the one error convention of the objcache C library.
 *
 * Every fallible function returns an oc_status and, when it fails, fills an
 * oc_error with a one-line, human-readable message that names the file, key
 * or value at fault. The library never prints and never exits: callers
 * decide how to report. */
#ifndef OBJCACHE_STATUS_H
#define OBJCACHE_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum oc_status {
  OC_OK = 0,
  OC_NOT_FOUND,  /* no such entry: a plain miss, not an error */
  OC_CORRUPT,    /* data failed validation (entry, stats file, record) */
  OC_IO_ERROR,   /* a system call failed; see the message for errno text */
  OC_NO_SPACE,   /* ENOSPC or EDQUOT while writing */
  OC_BAD_CONFIG, /* an unknown config key or a value out of range */
  OC_NO_MEMORY,
  OC_INVALID,    /* a caller passed arguments the API does not accept */
} oc_status;

#define OC_ERROR_MESSAGE_SIZE 512

typedef struct oc_error {
  oc_status status;
  char message[OC_ERROR_MESSAGE_SIZE];
} oc_error;

/* A stable lower-case name for a status, e.g. "corrupt". */
const char *oc_status_name(oc_status status);

/* Fills err (when not NULL) and returns status, so that a failing path can
 * say `return oc_fail(err, OC_IO_ERROR, "open %s: %s", path, strerror(e));`. */
oc_status oc_fail(oc_error *err, oc_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
