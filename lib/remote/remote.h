/* remote.h - the remote tier behind the store (store.c calls it): lookups
 * after a local miss, uploads after a put, validation of what comes back,
 * the shared "remote is down" marker and the remote_* statistics. Every
 * remote fault becomes a miss or a skipped upload, never a failure of the
 * caller. Not part of the API. */
#ifndef OBJCACHE_LIB_REMOTE_H
#define OBJCACHE_LIB_REMOTE_H

#include "objcache/buffer.h"
#include "objcache/config.h"
#include "objcache/entry.h"
#include "objcache/hash.h"
#include "objcache/manifest.h"
#include "objcache/stats.h"

/* After a failure the remote is left alone for this long, by every process
 * using the same cache directory. */
#define OC_REMOTE_DOWN_SECONDS 30
/* The marker's name in the cache directory. */
#define OC_REMOTE_DOWN_FILE "remote-down"
/* Redis keys are this prefix and the 64 hex digits of the cache key. */
#define OC_REMOTE_KEY_PREFIX "objcache:obj:"
/* Direct-mode manifests: this prefix and the 64 hex digits of the direct
 * key. */
#define OC_REMOTE_MANIFEST_PREFIX "objcache:man:"

typedef struct oc_remote oc_remote;

/* *out is NULL (and OC_OK) when cfg has no remote. Parses the URL; does not
 * connect (the first get or put does). OC_BAD_CONFIG for a bad URL. */
oc_status oc_remote_open(const oc_config *cfg, oc_remote **out, oc_error *err);
/* Adds the handle's counters to the stats (those not taken by
 * oc_remote_take_stats) and disconnects. NULL is fine. */
void oc_remote_close(oc_remote *remote);

/* Adds the handle's counters to *into and zeroes them. NULL is fine. */
void oc_remote_take_stats(oc_remote *remote, oc_stats *into);

/* OC_OK: *entry holds the entry bytes exactly as stored (already validated
 * against key, and holding each of the n `required` outputs) and
 * *contents, *meta its decoded outputs. OC_NOT_FOUND for everything else:
 * absent, corrupt, foreign or lacking an output, of an older format,
 * remote down or failing. */
oc_status oc_remote_get(oc_remote *remote, const oc_digest *key,
                        oc_buffer *entry, const char *const *required, size_t n,
                        oc_entry_contents *contents, oc_entry_meta *meta);

/* Uploads encoded entry bytes, unless read_only, remote_read_only or the
 * remote is down. */
void oc_remote_put(oc_remote *remote, const oc_digest *key, const void *entry,
                   size_t size);

/* Whether uploads are allowed at all (not read_only, not
 * remote_read_only); says nothing about the remote being up. */
bool oc_remote_writable(const oc_remote *remote);

/* The manifest of direct_key, validated by oc_manifest_decode like a local
 * one. OC_OK: *raw holds the value exactly as stored and *out its decoded
 * form. OC_NOT_FOUND: absent, or invalid (counted in remote_corrupt and
 * reported, never decoded into *out). OC_IO_ERROR: the remote is down
 * (counted in remote_skipped) or just failed (counted, marked down): there
 * is no point in uploading now. A lookup counts
 * remote_manifest_hits/misses; a fetch for a merge (lookup false) counts
 * only bytes, invalid values and faults. */
oc_status oc_remote_get_manifest(oc_remote *remote, const oc_digest *direct_key,
                                 bool lookup, oc_buffer *raw, oc_manifest *out);

/* Uploads an encoded (and, with a secret, signed) manifest, under the same
 * conditions as oc_remote_put;
 * counted in remote_manifest_writes. */
void oc_remote_put_manifest(oc_remote *remote, const oc_digest *direct_key,
                            const void *data, size_t size);

/* A fault for the caller to show (one line, password-free), or NULL. A
 * down remote is reported by the one process that marked it down. */
const char *oc_remote_warning(const oc_remote *remote);

#endif
