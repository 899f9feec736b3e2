/* objcache/verify.h - verify mode: a sampled share of hits is compiled as a
 * miss would be, and the fresh outputs are compared with the cached ones.
 *
 * The share is the `verify` setting (config.h), in hundredths of a percent.
 * On a mismatch the caller serves the fresh outputs, replaces the entry,
 * counts verify_mismatches and keeps the evidence under
 * <cache_dir>/verify/<key hex>/ (oc_verify_keep). Every caller (the plugin
 * for IR-level hits, the launcher for direct hits) compares through
 * oc_verify_compare, so an entry with more outputs is compared the same
 * way everywhere. */
#ifndef OBJCACHE_VERIFY_H
#define OBJCACHE_VERIFY_H

#include "objcache/config.h"
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A random draw: true for cfg->verify / 10000 of calls. */
bool oc_verify_sample(const oc_config *cfg);

/* One output of a compile: "object" for the object file (side outputs
 * name themselves, e.g. "dwo"). */
typedef struct oc_verify_output {
  const char *name;
  const void *data;
  size_t size;
} oc_verify_output;

/* The name of the first output that differs, byte for byte, between the
 * cached and the fresh compile (an output present on one side only
 * differs), or NULL when all are equal. Outputs are matched by name. */
const char *oc_verify_compare(const oc_verify_output *cached, size_t ncached,
                              const oc_verify_output *fresh, size_t nfresh);

/* What oc_verify_keep writes. Records may be NULL (not available). */
typedef struct oc_verify_evidence {
  const char *key_hex;     /* the key both compiles shared */
  const char *output_path; /* where the user's output went */
  const char *differing;   /* the output oc_verify_compare named */
  const char *writer_record;
  size_t writer_record_len;
  const char *fresh_record;
  size_t fresh_record_len;
  const oc_verify_output *cached, *fresh;
  size_t ncached, nfresh;
} oc_verify_evidence;

/* Writes <cache_dir>/verify/<key hex>/: "info" (output, time, the output
 * that differed, and the factor changes between the writer's record and
 * the fresh one), writer.record, fresh.record, and cached.<name> /
 * fresh.<name> for every output. An earlier mismatch of the same key is
 * replaced. The directory is written into dir (may be NULL). */
oc_status oc_verify_keep(const oc_config *cfg, const oc_verify_evidence *ev,
                         char *dir, size_t dir_size, oc_error *err);

#ifdef __cplusplus
}
#endif
#endif
