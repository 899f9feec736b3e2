/* store.c - the object store of store.h: one file per entry under
 * <cache_dir>/objects/<2 hex>/<62 hex>, written through a temp file and
 * rename(2), read without any lock; a damaged entry is removed and counted.
 * Size control (per-shard LRU eviction) lives in eviction.c. With a remote
 * configured, the store is two tiers: a local miss asks the remote (remote.c)
 * and a remote hit is written back locally byte for byte; a put goes to
 * both. remote_only skips the local tier. */
#include "objcache/store.h"

#include "fsutil.h"
#include "store_internal.h"

#include "objcache/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

oc_status oc_store_open(const oc_config *cfg, oc_store **out, oc_error *err) {
  if (!cfg || !out)
    return oc_fail(err, OC_INVALID, "oc_store_open: NULL argument");
  *out = NULL;
  if (cfg->cache_dir[0] == '\0')
    return oc_fail(err, OC_INVALID, "no cache directory configured");
  oc_store *store = calloc(1, sizeof *store);
  if (!store)
    return oc_fail(err, OC_NO_MEMORY, "out of memory opening the store");
  int n = snprintf(store->cache_dir, sizeof store->cache_dir, "%s",
                   cfg->cache_dir);
  int m = snprintf(store->objects, sizeof store->objects, "%s/objects",
                   cfg->cache_dir);
  if (n < 0 || (size_t)n >= sizeof store->cache_dir || m < 0 ||
      (size_t)m + OC_STORE_ENTRY_PATH_EXTRA >= sizeof store->objects) {
    free(store);
    return oc_fail(err, OC_INVALID, "cache directory name too long: %.64s...",
                   cfg->cache_dir);
  }
  store->max_size = cfg->max_size;
  store->compression_level = cfg->compression_level;
  store->mask = cfg->umask >= 0 ? (cfg->umask & 0777) : -1;
  store->read_only = cfg->read_only;
  snprintf(store->secret, sizeof store->secret, "%s", cfg->remote_secret);
  store->max_object_size = cfg->max_object_size ? cfg->max_object_size
                                                : OC_ENTRY_MAX_CONTENT;
  oc_status remote_status = oc_remote_open(cfg, &store->remote, err);
  if (remote_status != OC_OK) {
    free(store);
    return remote_status;
  }
  store->remote_only = store->remote && cfg->remote_only;

  if (store->read_only || store->remote_only) {
    /* Create nothing; a missing cache is just an empty one. */
    struct stat st;
    if (stat(store->cache_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
      oc_store_close(store);
      return oc_fail(err, OC_IO_ERROR,
                     "cache directory %s exists and is not a directory",
                     cfg->cache_dir);
    }
  } else {
    oc_status status = oc_fs_mkdirs(store->objects, store->mask, err);
    if (status != OC_OK) {
      oc_store_close(store);
      return status;
    }
  }
  *out = store;
  return OC_OK;
}

void oc_store_close(oc_store *store) {
  if (!store)
    return;
  oc_remote_close(store->remote);
  free(store);
}

void oc_store_take_stats(oc_store *store, oc_stats *into) {
  if (store && into)
    oc_remote_take_stats(store->remote, into);
}

const char *oc_store_warning(const oc_store *store) {
  if (!store)
    return NULL;
  const char *remote = oc_remote_warning(store->remote);
  return remote ? remote : store->warning[0] ? store->warning : NULL;
}

/* Opens objects/<xx> without following a symlink planted in its place.
 * With `create`, makes it (and its parents) when missing. */
int oc_store_open_shard(oc_store *store, unsigned shard, bool create,
                        oc_error *err, oc_status *status) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/%02x", store->objects, shard & 0xff);
  for (int attempt = 0; attempt < 2; attempt++) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
      return fd;
    int e = errno;
    if (e == ENOENT && create && attempt == 0) {
      *status = oc_fs_mkdirs(path, store->mask, err);
      if (*status != OC_OK)
        return -1;
      continue;
    }
    if (e == ENOENT) {
      *status = OC_NOT_FOUND;
      return -1;
    }
    struct stat st;
    if ((e == ELOOP || e == ENOTDIR) && lstat(path, &st) == 0 &&
        S_ISLNK(st.st_mode))
      *status = oc_fail(err, OC_IO_ERROR,
                        "%s is a symlink; the store never follows one", path);
    else
      *status = oc_fail(err, oc_fs_errno_status(e), "cannot open %s: %s",
                        path, strerror(e));
    return -1;
  }
  *status = oc_fail(err, OC_IO_ERROR, "cannot open %s", path);
  return -1;
}

static void split_key(const oc_digest *key, unsigned *shard, char name[63]) {
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(key, hex);
  *shard = key->bytes[0];
  memcpy(name, hex + 2, 63); /* 62 hex digits and the NUL */
}

/* Removes a damaged entry unless it has meanwhile been replaced by another
 * file (a fresh put of the same key), then counts it. */
static void discard_corrupt(oc_store *store, int dirfd, const char *name,
                            int fd) {
  if (store->read_only)
    return;
  struct stat mine, now;
  bool same = fd < 0 ||
              (fstat(fd, &mine) == 0 &&
               fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
               mine.st_dev == now.st_dev && mine.st_ino == now.st_ino);
  if (same && unlinkat(dirfd, name, 0) == 0)
    (void)oc_stats_bump(store->cache_dir, OC_STAT_CORRUPT_ENTRIES, 1, NULL);
}

static oc_status write_entry(oc_store *store, const oc_digest *key,
                             const oc_buffer *encoded, oc_error *err);

static oc_status local_get(oc_store *store, const oc_digest *key,
                           const char *const *required, size_t n,
                           oc_entry_contents *contents, oc_entry_meta *meta,
                           oc_error *err) {
  unsigned shard;
  char name[63];
  split_key(key, &shard, name);
  oc_status status = OC_OK;
  int dirfd = oc_store_open_shard(store, shard, false, err, &status);
  if (dirfd < 0)
    return status;
  char path[PATH_MAX + 80];
  snprintf(path, sizeof path, "%s/%02x/%s", store->objects, shard, name);

  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) {
      close(dirfd);
      return OC_NOT_FOUND;
    }
    if (e == ELOOP) { /* a symlink where an entry belongs */
      discard_corrupt(store, dirfd, name, -1);
      close(dirfd);
      return oc_fail(err, OC_CORRUPT, "entry %s is a symlink (removed)", path);
    }
    close(dirfd);
    return oc_fail(err, oc_fs_errno_status(e), "cannot open %s: %s", path,
                   strerror(e));
  }

  oc_buffer raw = {0};
  oc_error detail;
  size_t payload = 0;
  status = oc_fs_read_fd(fd, path,
                         OC_STORE_ENTRY_FILE_FOR(store->max_object_size), &raw,
                         &detail);
  if (status == OC_OK)
    status = oc_sign_check(store->secret, OC_SIGN_ENTRY, key, raw.data,
                           raw.size, &payload, &detail);
  if (status == OC_OK)
    status = oc_entry_decode_outputs_limited(raw.data, payload, key,
                                             store->max_object_size, contents,
                                             meta, &detail);
  /* An entry without every output its compile writes is damaged: never
   * served in part. */
  if (status == OC_OK) {
    status = oc_entry_require(contents, required, n, &detail);
    if (status != OC_OK)
      oc_entry_contents_free(contents);
  }
  oc_buffer_free(&raw);
  if (status == OC_OK) {
    if (!store->read_only)
      (void)futimens(fd, NULL); /* LRU: a hit makes the entry young */
  } else if (status == OC_CORRUPT) {
    discard_corrupt(store, dirfd, name, fd);
    status = oc_fail(err, OC_CORRUPT, "entry %s is corrupt%s: %s", path,
                     store->read_only ? "" : " (removed)", detail.message);
  } else if (status == OC_NOT_FOUND) {
    /* An entry of the older format: a miss, replaced by the next put. */
  } else if (err) {
    *err = detail;
  }
  close(fd);
  close(dirfd);
  return status;
}

oc_status oc_store_get_outputs(oc_store *store, const oc_digest *key,
                               const char *const *required, size_t n,
                               oc_entry_contents *contents, oc_entry_meta *meta,
                               oc_error *err) {
  if (!store || !key || !contents || (n > 0 && !required))
    return oc_fail(err, OC_INVALID, "oc_store_get_outputs: NULL argument");
  oc_entry_contents_free(contents);
  if (!store->remote_only) {
    oc_status status = local_get(store, key, required, n, contents, meta, err);
    /* A corrupt local entry is reported as such; the compile that follows
     * replaces it in both tiers. */
    if (status != OC_NOT_FOUND || !store->remote)
      return status;
  }
  oc_buffer entry = {0};
  oc_status status =
      oc_remote_get(store->remote, key, &entry, required, n, contents, meta);
  if (status == OC_OK && !store->remote_only && !store->read_only) {
    /* Backfill: the next lookup of this key stays local. A failure here
     * costs only that, the outputs are served all the same. */
    oc_error detail;
    if (write_entry(store, key, &entry, &detail) != OC_OK)
      snprintf(store->warning, sizeof store->warning,
               "cannot keep a local copy of a remote hit: %s", detail.message);
  }
  oc_buffer_free(&entry);
  return status;
}

oc_status oc_store_get(oc_store *store, const oc_digest *key, oc_buffer *object,
                       oc_entry_meta *meta, oc_error *err) {
  if (!store || !key || !object)
    return oc_fail(err, OC_INVALID, "oc_store_get: NULL argument");
  static const char *const required[] = {OC_ENTRY_OBJECT};
  oc_entry_contents contents = {0};
  oc_status status =
      oc_store_get_outputs(store, key, required, 1, &contents, meta, err);
  if (status == OC_OK) {
    const oc_entry_output *o = oc_entry_find(&contents, OC_ENTRY_OBJECT);
    object->size = 0;
    if (oc_buffer_append(object, o->size ? o->data : (const uint8_t *)"",
                         o->size) != OC_OK)
      status = oc_fail(err, OC_NO_MEMORY, "out of memory reading an entry");
  }
  oc_entry_contents_free(&contents);
  return status;
}

oc_status oc_store_write_file(oc_store *store, int dirfd, unsigned shard,
                              const char *name, const void *data, size_t size,
                              oc_error *err) {
  char tmp[64];
  oc_fs_write_step failed;
  const oc_fs_write_opts opts = {.mode = 0666,
                                 .mask = store->mask,
                                 .nofollow = true,
                                 .temp_prefix = "",
                                 .temp_name = tmp,
                                 .temp_name_size = sizeof tmp,
                                 .failed = &failed};
  int e = oc_fs_write_atomic_at(dirfd, name, data, size, &opts);
  if (e != 0 && failed == OC_FS_WRITE_CREATE)
    return oc_fail(err, oc_fs_errno_status(e), "cannot create %s/%02x/%s: %s",
                   store->objects, shard, tmp, strerror(e));
  if (e != 0)
    return oc_fail(err, oc_fs_errno_status(e), "cannot write %s/%02x/%s: %s",
                   store->objects, shard, name, strerror(e));
  return OC_OK;
}

oc_status oc_store_put_outputs(oc_store *store, const oc_digest *key,
                               const oc_entry_output *outputs, size_t count,
                               const oc_entry_meta *meta, oc_error *err) {
  if (!store || !key || (!outputs && count > 0))
    return oc_fail(err, OC_INVALID, "oc_store_put_outputs: NULL argument");
  if (store->read_only)
    return OC_OK; /* read_only: serve hits, never add, in either tier */
  uint64_t total = 0;
  for (size_t i = 0; i < count; i++)
    total += outputs[i].size;
  if (total > store->max_object_size)
    return OC_OK; /* over max_object_size: not cached, as documented */
  oc_buffer encoded = {0};
  oc_status status = oc_entry_encode_outputs(
      key, outputs, count, meta, store->compression_level, &encoded, err);
  if (status == OC_OK)
    status = oc_sign_append(store->secret, OC_SIGN_ENTRY, key, &encoded, 0,
                            err);
  bool encoded_ok = status == OC_OK;
  if (encoded_ok && !store->remote_only)
    status = write_entry(store, key, &encoded, err);
  /* Upload even when the local write failed (full disk): others benefit. */
  if (encoded_ok && store->remote)
    oc_remote_put(store->remote, key, encoded.data, encoded.size);
  oc_buffer_free(&encoded);
  return status;
}

oc_status oc_store_put(oc_store *store, const oc_digest *key,
                       const void *object, size_t size,
                       const oc_entry_meta *meta, oc_error *err) {
  if (!store || !key || (!object && size > 0))
    return oc_fail(err, OC_INVALID, "oc_store_put: NULL argument");
  oc_entry_output output;
  oc_status status =
      oc_entry_output_set(&output, OC_ENTRY_OBJECT, object, size, false, err);
  if (status != OC_OK)
    return status;
  return oc_store_put_outputs(store, key, &output, 1, meta, err);
}

/* Writes encoded entry bytes as the local entry of key: temp file, rename,
 * then size control. */
static oc_status write_entry(oc_store *store, const oc_digest *key,
                             const oc_buffer *encoded, oc_error *err) {
  unsigned shard;
  char name[63];
  split_key(key, &shard, name);
  oc_status status = OC_OK;
  int dirfd = oc_store_open_shard(store, shard, true, err, &status);
  if (dirfd < 0)
    return status;

  status = oc_store_write_file(store, dirfd, shard, name, encoded->data,
                               encoded->size, err);
  if (status != OC_OK) {
    close(dirfd);
    return status;
  }

  /* Size control never fails the put: the object is stored already. */
  oc_store_account_put(store, dirfd, shard, name, encoded->size);
  close(dirfd);
  return OC_OK;
}

/* ---- writer records -------------------------------------------------------
 * A record is a few tens of kilobytes of repetitive text; zstd's fastest
 * level makes it a few kilobytes. */

#define RECORD_MAX_FILE ((size_t)16 << 20)
#define RECORD_MAX_TEXT ((size_t)64 << 20)

static void record_name(const oc_digest *key, unsigned *shard,
                        char name[OC_STORE_ENTRY_NAME_MAX]) {
  char hex[63];
  split_key(key, shard, hex);
  snprintf(name, OC_STORE_ENTRY_NAME_MAX, "%s%s", hex, OC_STORE_RECORD_SUFFIX);
}

oc_status oc_store_put_record(oc_store *store, const oc_digest *key,
                              const char *record, size_t len, oc_error *err) {
  if (!store || !key || (!record && len > 0))
    return oc_fail(err, OC_INVALID, "oc_store_put_record: NULL argument");
  if (store->read_only || store->remote_only)
    return OC_OK;
  if (len > RECORD_MAX_TEXT)
    return oc_fail(err, OC_INVALID, "factor record of %zu bytes is too large",
                   len);
  size_t bound = ZSTD_compressBound(len);
  void *packed = malloc(bound);
  if (!packed)
    return oc_fail(err, OC_NO_MEMORY, "out of memory");
  size_t packed_len = ZSTD_compress(packed, bound, len ? record : "", len, 1);
  if (ZSTD_isError(packed_len)) {
    free(packed);
    return oc_fail(err, OC_INVALID, "zstd compression failed: %s",
                   ZSTD_getErrorName(packed_len));
  }
  unsigned shard;
  char name[OC_STORE_ENTRY_NAME_MAX];
  record_name(key, &shard, name);
  oc_status status = OC_OK;
  int dirfd = oc_store_open_shard(store, shard, true, err, &status);
  if (dirfd >= 0) {
    status =
        oc_store_write_file(store, dirfd, shard, name, packed, packed_len, err);
    if (status == OC_OK)
      oc_store_account_put(store, dirfd, shard, name, packed_len);
    close(dirfd);
  }
  free(packed);
  return status;
}

oc_status oc_store_get_record(oc_store *store, const oc_digest *key,
                              oc_buffer *record, oc_error *err) {
  if (!store || !key || !record)
    return oc_fail(err, OC_INVALID, "oc_store_get_record: NULL argument");
  unsigned shard;
  char name[OC_STORE_ENTRY_NAME_MAX];
  record_name(key, &shard, name);
  oc_status status = OC_OK;
  int dirfd = oc_store_open_shard(store, shard, false, err, &status);
  if (dirfd < 0)
    return status;
  char path[PATH_MAX + 80];
  snprintf(path, sizeof path, "%s/%02x/%s", store->objects, shard, name);
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  close(dirfd);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT)
      return OC_NOT_FOUND;
    return oc_fail(err, e == ELOOP ? OC_CORRUPT : oc_fs_errno_status(e),
                   "cannot open %s: %s", path, strerror(e));
  }
  oc_buffer packed = {0};
  status = oc_fs_read_fd(fd, path, RECORD_MAX_FILE, &packed, err);
  close(fd);
  if (status != OC_OK) {
    oc_buffer_free(&packed);
    return status;
  }
  /* Hostile bytes: one frame that declares its size, within the bound. */
  unsigned long long size = ZSTD_getFrameContentSize(
      packed.data ? packed.data : (const void *)"", packed.size);
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
      size > RECORD_MAX_TEXT) {
    oc_buffer_free(&packed);
    return oc_fail(err, OC_CORRUPT, "damaged factor record %s", path);
  }
  record->size = 0;
  status = oc_buffer_reserve(record, (size_t)size + 1);
  if (status != OC_OK) {
    oc_buffer_free(&packed);
    return oc_fail(err, status, "out of memory");
  }
  size_t got =
      ZSTD_decompress(record->data, (size_t)size, packed.data, packed.size);
  oc_buffer_free(&packed);
  if (ZSTD_isError(got) || got != size)
    return oc_fail(err, OC_CORRUPT, "damaged factor record %s", path);
  record->size = got;
  return OC_OK;
}
