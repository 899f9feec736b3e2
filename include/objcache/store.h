/* objcache/store.h - the local object store.
 *
 * Entries live under <cache_dir>/objects/<xx>/<rest-of-hex-key>, written to a
 * temp file in the same directory and renamed into place, so readers never
 * see a torn entry and the hit path takes no lock. Each entry is
 * self-checking (see entry.h): a damaged one reads as OC_CORRUPT, is removed
 * and counted. The store keeps itself under max_size by evicting the least
 * recently used entries of a shard when that shard is over its share.
 *
 * With cfg->remote set (remote_url.h), get and put are two-tiered: a local
 * miss asks the remote, and a remote hit, validated like a local entry, is
 * copied into the local store byte for byte and served; a put stores
 * locally and uploads the same bytes. remote_only keeps no local copies.
 * A remote that fails or times out only ever costs misses: it is marked
 * down for a while for every process of the cache directory, counted in
 * the remote_* statistics and reported through oc_store_warning. */
#ifndef OBJCACHE_STORE_H
#define OBJCACHE_STORE_H

#include "objcache/buffer.h"
#include "objcache/config.h"
#include "objcache/entry.h"
#include "objcache/hash.h"
#include "objcache/stats.h"
#include "objcache/manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct oc_store oc_store;

/* Opens (creating directories as needed) the store of cfg->cache_dir. The
 * store copies what it needs from cfg (max_size, 0 = no limit;
 * compression_level; umask; read_only; the remote settings). It does not
 * connect to a remote: the first get or put that needs it does. With
 * cfg->read_only (which covers the remote too) the store
 * creates nothing, put is a successful no-op, get neither refreshes mtimes
 * nor removes corrupt entries; cleanup and clear still work (explicit
 * requests). */
oc_status oc_store_open(const oc_config *cfg, oc_store **out, oc_error *err);
void oc_store_close(oc_store *store);

/* OC_OK with the object (the OC_ENTRY_OBJECT output of the entry) in
 * *object (its previous contents replaced);
 * OC_NOT_FOUND on a miss (in both tiers); OC_CORRUPT when the local entry
 * failed validation (it has been removed and counted). meta may be NULL. No
 * lock is taken; a hit sets the entry's mtime to now, for LRU eviction. */
oc_status oc_store_get(oc_store *store, const oc_digest *key,
                       oc_buffer *object, oc_entry_meta *meta, oc_error *err);

/* The outputs of one compile (entry.h) under key into *contents (replaced;
 * empty unless OC_OK). Each of the n `required` output names must be in
 * the entry (present or recorded as absent): an entry that lacks one is
 * damaged, reads as OC_CORRUPT (locally: removed and counted in
 * corrupt_entries; from the remote: a miss counted in remote_corrupt) and
 * is never served in part. An entry of the older single-object format is
 * OC_NOT_FOUND. Otherwise as oc_store_get. */
oc_status oc_store_get_outputs(oc_store *store, const oc_digest *key,
                               const char *const *required, size_t n,
                               oc_entry_contents *contents, oc_entry_meta *meta,
                               oc_error *err);

/* Compresses and stores every output of one compile as one entry (and
 * uploads it), like oc_store_put. */
oc_status oc_store_put_outputs(oc_store *store, const oc_digest *key,
                               const oc_entry_output *outputs, size_t count,
                               const oc_entry_meta *meta, oc_error *err);

/* Compresses and stores an object (and uploads it to the remote); may run a
 * shard cleanup afterwards. The status is the local store's: a remote
 * failure is never an error here. */
oc_status oc_store_put(oc_store *store, const oc_digest *key,
                       const void *object, size_t size,
                       const oc_entry_meta *meta, oc_error *err);

/* The factor record (key.h) of the compile that wrote key's entry, kept
 * beside it (compressed) so that verify mode can show what the writer saw.
 * Local only: an entry that came from the remote has none. put is a no-op
 * with read_only or remote_only. get: OC_NOT_FOUND when none is kept (never
 * written, or aged out: it counts against max_size, not as an entry);
 * OC_CORRUPT when the file is damaged or over 64 MiB decompressed. */
oc_status oc_store_put_record(oc_store *store, const oc_digest *key,
                              const char *record, size_t len, oc_error *err);
oc_status oc_store_get_record(oc_store *store, const oc_digest *key,
                              oc_buffer *record, oc_error *err);

/* A fault that get or put survived (the remote went down, a remote value
 * was invalid, a remote hit could not be kept locally), as one line for
 * the caller to show and count as an error; NULL when there was none. It
 * never contains the remote's password. Valid until oc_store_close. */
const char *oc_store_warning(const oc_store *store);

/* The store counts its remote traffic (the remote_* statistics) and adds
 * the counts to the stats files when closed. A caller that updates the
 * stats anyway (a session, session.h, once per compile) takes them here
 * instead and saves the store that extra locked update: they are added to
 * *into and not written by oc_store_close. */
void oc_store_take_stats(oc_store *store, oc_stats *into);
/* Direct-mode manifests (manifest.h) live beside the entries, as
 * objects/<xx>/<62 hex>.m under their direct key, and count against
 * max_size like entries. With a remote they are shared the way objects
 * are: looked up there after a local miss (validated, kept locally) and
 * uploaded after an add. */

/* Reads and validates the manifest of direct_key into *out. OC_NOT_FOUND
 * when there is none in either tier; OC_CORRUPT when the local one failed
 * validation (it has been removed and counted in corrupt_entries, unless
 * read_only). After a local miss (always, with remote_only) the remote is
 * asked; a remote manifest that fails validation is a miss (counted in
 * remote_corrupt), a valid one is copied into the local store (unless
 * read_only or remote_only). No lock on the local hit path. */
oc_status oc_store_get_manifest(oc_store *store, const oc_digest *direct_key,
                                oc_manifest *out, oc_error *err);

/* Adds a candidate to the manifest of direct_key (creating it): under an
 * exclusive lock per shard it reads the current manifest, adds the
 * candidate (oc_manifest_add, at most OC_MANIFEST_MAX_CANDIDATES), writes a
 * temp file and renames it into place, so parallel adders lose nothing and
 * readers never see a torn manifest. A damaged manifest is replaced (and
 * counted). Then, unless remote_read_only or the remote is down, the
 * remote's manifest is fetched, merged with the local one and uploaded:
 * across machines the last writer wins, so a candidate another machine
 * uploaded between the fetch and the upload can be lost, never damaged.
 * The status is the local store's (with remote_only, which keeps nothing
 * locally, always OC_OK but for out of memory). A no-op with read_only. */
oc_status oc_store_add_candidate(oc_store *store, const oc_digest *direct_key,
                                 const oc_manifest_candidate *candidate,
                                 oc_error *err);

/* Marks the manifest of direct_key as just used (for LRU eviction). */
void oc_store_touch_manifest(oc_store *store, const oc_digest *direct_key);

/* Evicts until every shard is under its share of max_size and removes temp
 * files abandoned by crashed writers. */
oc_status oc_store_cleanup(oc_store *store, oc_error *err);
/* Removes every entry (stats are kept). */
oc_status oc_store_clear(oc_store *store, oc_error *err);
/* Total bytes on disk (each entry's size rounded up to 4 KiB) and number
 * of entries; temp files are not counted. Either pointer may be NULL. */
oc_status oc_store_usage(oc_store *store, uint64_t *bytes, uint64_t *entries,
                         oc_error *err);

#ifdef __cplusplus
}
#endif
#endif
