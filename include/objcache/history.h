/* objcache/history.h - factor records per output file, for --explain.
 *
 * Every compile records its factor record (see key.h) under
 * <cache_dir>/history/, keyed by the absolute path of its output file; the
 * last two records of each output are kept. `objcache --explain foo.o` then
 * says which factors changed between the last two compiles of foo.o. */
#ifndef OBJCACHE_HISTORY_H
#define OBJCACHE_HISTORY_H

#include "objcache/buffer.h"
#include "objcache/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends a record for output_path (absolute), keeping the previous one. */
oc_status oc_history_record(const oc_config *cfg, const char *output_path,
                            const char *record, size_t len, oc_error *err);

/* Reads the newest record of output_path into out (replacing its
 * contents). OC_NOT_FOUND when there is none. */
oc_status oc_history_last(const oc_config *cfg, const char *output_path,
                          oc_buffer *out, oc_error *err);

/* Writes an explanation in words into out. OC_NOT_FOUND when the output has
 * no previous compile recorded (out then says so too). */
oc_status oc_history_explain(const oc_config *cfg, const char *output_path,
                             oc_buffer *out, oc_error *err);

/* Compares two factor records and appends one line per change, such as
 * "llvm-option: inline-threshold 225 -> 500", "invocation: added -O3",
 * "module: bitcode changed". Appends nothing when they are equal. */
oc_status oc_record_diff(const char *old_record, size_t old_len,
                         const char *new_record, size_t new_len,
                         oc_buffer *out);

#ifdef __cplusplus
}
#endif
#endif
