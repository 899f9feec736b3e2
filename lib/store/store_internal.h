/* store_internal.h - what store.c and eviction.c share: the store handle and
 * the size-control hooks. Not part of the API. */
#ifndef OBJCACHE_LIB_STORE_INTERNAL_H
#define OBJCACHE_LIB_STORE_INTERNAL_H

#include "objcache/store.h"

#include "remote.h"
#include "sign.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <zstd.h>

struct oc_store {
  char cache_dir[PATH_MAX];
  char objects[PATH_MAX]; /* <cache_dir>/objects */
  uint64_t max_size;      /* 0: no limit */
  int compression_level;
  int mask;               /* umask for what the store creates, -1: process's */
  bool read_only;
  oc_remote *remote; /* NULL: no remote tier */
  bool remote_only;  /* with a remote: no local copies at all */
  char secret[256];  /* remote_secret: sign what we write, check what we read */
  uint64_t max_object_size; /* bigger objects are neither stored nor read */
  char warning[OC_ERROR_MESSAGE_SIZE]; /* a survived fault, for the caller */
};

/* Room needed after `objects` for "/xx/<62 hex>" or a temp-file name. */
#define OC_STORE_ENTRY_PATH_EXTRA 96
/* The largest entry file a valid entry can be. */
/* The largest stored entry (table, every output's frame overhead and the
 * signature included) whose outputs hold n bytes in all. */
#define OC_STORE_ENTRY_FILE_FOR(n)                                             \
  ((size_t)OC_ENTRY_HEADER_SIZE +                                              \
   (size_t)OC_ENTRY_MAX_OUTPUTS * (OC_ENTRY_RECORD_SIZE + 1024) +              \
   ZSTD_COMPRESSBOUND(n) + OC_SIGN_TRAILER_SIZE)
/* The largest entry file a valid entry can be. */
#define OC_STORE_MAX_ENTRY_FILE OC_STORE_ENTRY_FILE_FOR(OC_ENTRY_MAX_CONTENT)
#define OC_STORE_SHARDS 256
/* Temp files older than this belong to a crashed writer. */
#define OC_STORE_TEMP_MAX_AGE_SECONDS 3600
/* A direct-mode manifest is objects/<xx>/<62 hex> plus this suffix. */
#define OC_STORE_MANIFEST_SUFFIX ".m"
/* The factor record of the compile that wrote an entry (verify mode's
 * evidence) is objcache/<xx>/<62 hex> plus this suffix, zstd-compressed. It
 * counts against max_size but not as an entry, and ages out on its own. */
#define OC_STORE_RECORD_SUFFIX ".f"
/* Room for an entry or manifest name and its NUL. */
#define OC_STORE_ENTRY_NAME_MAX 66
/* Name of the per-shard size counter (also the shard's lock file). */
#define OC_STORE_SIZE_FILE ".size"

/* Opens objects/<xx> (O_NOFOLLOW); -1 with *status set on failure,
 * OC_NOT_FOUND when it does not exist and !create. */
int oc_store_open_shard(oc_store *store, unsigned shard, bool create,
                        oc_error *err, oc_status *status);

/* Writes data as `name` in shard dirfd through a temp file in the same
 * directory and rename(2), so readers never see a torn file; the file takes
 * the store's permission mask. */
oc_status oc_store_write_file(oc_store *store, int dirfd, unsigned shard,
                              const char *name, const void *data, size_t size,
                              oc_error *err);

/* After a put of `bytes` bytes as `name` in shard dirfd: updates the shard's
 * size counter and evicts when the shard may be over its share. */
void oc_store_account_put(oc_store *store, int dirfd, unsigned shard,
                          const char *name, size_t bytes);

#endif
