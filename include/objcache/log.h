/* objcache/log.h - the per-compile log line (OBJCACHE_LOGFILE / logfile).
 *
 * One line per compile, appended with a single write(2) on an O_APPEND file
 * so that parallel compiles never interleave within a line:
 *   <ISO-8601 time>\t<source>\t<key hex or ->\t<result>\t<reason or ->\t<ms>
 * where result is hit, direct-hit, miss, uncacheable or error. */
#ifndef OBJCACHE_LOG_H
#define OBJCACHE_LOG_H

#include "objcache/config.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Does nothing when cfg->logfile is empty. Failures are returned, not
 * printed. */
oc_status oc_log_compile(const oc_config *cfg, const char *source,
                         const char *key_hex, const char *result,
                         const char *reason, uint64_t duration_ms,
                         oc_error *err);

#ifdef __cplusplus
}
#endif
#endif
