/* objcache/misses.h - why each compile since the last zeroing of the
 * statistics missed, for `objcache --show-misses`.
 *
 * Every miss compares its factor record with the previous record of the
 * same output (history.h), names the one factor that explains it best and
 * appends a line to <cache_dir>/stats/misses. oc_stats_zero empties it. */
#ifndef OBJCACHE_MISSES_H
#define OBJCACHE_MISSES_H

#include "objcache/buffer.h"
#include "objcache/config.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Names the factor that differs between an output's previous record (NULL
 * when there is none) and its new one. kind is one word for scripts:
 * "source", "option", "llvm-option", "compiler", "file",
 * "working-directory", "objcache", "target", "pipeline", "plugin",
 * "scheme", "other" (a factor not listed here), "first-compile",
 * "unchanged"; reason is a line for people such
 * as "option: removed -O2, added -O1". Both are always NUL-terminated. */
void oc_miss_reason(const char *old_record, size_t old_len,
                    const char *new_record, size_t new_len, char *kind,
                    size_t kind_size, char *reason, size_t reason_size);

/* For a compile of output_path (absolute) that missed, with factor record
 * `record`: names the reason against the output's last record and appends
 * it to the miss log. Call it before oc_history_record replaces that. */
oc_status oc_misses_note(const oc_config *cfg, const char *output_path,
                         const char *record, size_t len, oc_error *err);

typedef struct oc_miss_group {
  char kind[32];
  char reason[512];
  char example[PATH_MAX]; /* the first output that missed for it */
  uint64_t count;
} oc_miss_group;

typedef struct oc_miss_report {
  uint64_t total;        /* misses logged */
  oc_miss_group *groups; /* most frequent first */
  size_t count;
  bool truncated; /* the log reached its size limit: later misses not kept */
} oc_miss_report;

/* Reads and groups the miss log. An empty report when there is none. */
oc_status oc_misses_read(const oc_config *cfg, oc_miss_report *out,
                         oc_error *err);
void oc_miss_report_free(oc_miss_report *report);

/* Empties the miss log. */
oc_status oc_misses_zero(const char *cache_dir, oc_error *err);

#ifdef __cplusplus
}
#endif
#endif
