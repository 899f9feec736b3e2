/* status.c - status names and the oc_fail() helper of the error convention. */
#include "objcache/status.h"

#include <stdarg.h>
#include <stdio.h>

const char *oc_status_name(oc_status status) {
  switch (status) {
  case OC_OK: return "ok";
  case OC_NOT_FOUND: return "not-found";
  case OC_CORRUPT: return "corrupt";
  case OC_IO_ERROR: return "io-error";
  case OC_NO_SPACE: return "no-space";
  case OC_BAD_CONFIG: return "bad-config";
  case OC_NO_MEMORY: return "no-memory";
  case OC_INVALID: return "invalid";
  }
  return "unknown";
}

oc_status oc_fail(oc_error *err, oc_status status, const char *format, ...) {
  if (err) {
    err->status = status;
    va_list args;
    va_start(args, format);
    vsnprintf(err->message, sizeof err->message, format, args);
    va_end(args);
  }
  return status;
}
