/* remote.c - the remote tier's policy (remote.h): when to ask the remote,
 * what to trust from it, and what to do when it fails. It holds objects
 * (objcache:obj:<key>) and direct-mode manifests (objcache:man:<direct
 * key>), under the same rules.
 *
 * - Trust: a value is served only if it decodes as an entry for the very key
 *   asked (the same checks as a local entry: magic, sizes, key, checksum),
 *   or, for a manifest, passes oc_manifest_decode as a local one must.
 *   Anything else is a miss, counted in remote_corrupt, never served; the
 *   next put of the key overwrites it.
 * - Failure: a failed connect or command marks the remote down for
 *   OC_REMOTE_DOWN_SECONDS in <cache_dir>/remote-down (mtime = when, content
 *   = which remote), so the other compiles of a build skip it instead of
 *   each paying the timeout. The process that writes a fresh marker reports
 *   the fault; those that find one fresh stay quiet. */
#include "remote.h"

#include "fsutil.h"
#include "remote_redis.h"
#include "sign.h"
#include "store_internal.h"

#include "objcache/remote_url.h"
#include "objcache/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define TEXT(x) #x
#define SECONDS_TEXT_OF(x) TEXT(x)
#define SECONDS_TEXT SECONDS_TEXT_OF(OC_REMOTE_DOWN_SECONDS)

struct oc_remote {
  oc_remote_url url;
  char shown[1024]; /* the URL without its password */
  char cache_dir[PATH_MAX];
  uint32_t connect_ms, op_ms;
  uint64_t expiry_ms;
  bool read_only;
  int mask;
  char secret[256];         /* remote_secret: values must carry its tag */
  uint64_t max_object_size; /* also bounds the size of a reply */
  oc_redis *redis;       /* connected on first use */
  bool down;             /* failed or found marked down: skip from now on */
  oc_stats delta;        /* added to the stats on close */
  char invalid[64 + 16]; /* the last key found invalid: counted once */
  char warning[OC_ERROR_MESSAGE_SIZE];
};

oc_status oc_remote_open(const oc_config *cfg, oc_remote **out, oc_error *err) {
  *out = NULL;
  if (cfg->remote[0] == '\0')
    return OC_OK;
  oc_remote *remote = calloc(1, sizeof *remote);
  if (!remote)
    return oc_fail(err, OC_NO_MEMORY, "out of memory opening the remote");
  oc_status status = oc_remote_url_parse(cfg->remote, &remote->url, err);
  if (status != OC_OK) {
    free(remote);
    return status == OC_NOT_FOUND ? OC_OK : status;
  }
  oc_remote_url_redact(cfg->remote, remote->shown, sizeof remote->shown);
  snprintf(remote->cache_dir, sizeof remote->cache_dir, "%s", cfg->cache_dir);
  remote->connect_ms = cfg->remote_connect_timeout_ms;
  remote->op_ms = cfg->remote_timeout_ms;
  remote->expiry_ms = cfg->remote_expiry_ms;
  remote->read_only = cfg->read_only || cfg->remote_read_only;
  remote->mask = cfg->umask >= 0 ? (cfg->umask & 0777) : -1;
  snprintf(remote->secret, sizeof remote->secret, "%s", cfg->remote_secret);
  remote->max_object_size = cfg->max_object_size &&
                                    cfg->max_object_size < OC_ENTRY_MAX_CONTENT
                                ? cfg->max_object_size
                                : OC_ENTRY_MAX_CONTENT;
  *out = remote;
  return OC_OK;
}

void oc_remote_close(oc_remote *remote) {
  if (!remote)
    return;
  (void)oc_stats_add(remote->cache_dir, &remote->delta, NULL);
  oc_redis_close(remote->redis);
  free(remote);
}

void oc_remote_take_stats(oc_remote *remote, oc_stats *into) {
  if (!remote)
    return;
  for (int i = 0; i < OC_STAT_COUNT; i++)
    into->value[i] += remote->delta.value[i];
  memset(&remote->delta, 0, sizeof remote->delta);
}

const char *oc_remote_warning(const oc_remote *remote) {
  return remote && remote->warning[0] ? remote->warning : NULL;
}

/* Keeps the first fault of the handle's life: one line per compile. */
static void warn(oc_remote *remote, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void warn(oc_remote *remote, const char *format, ...) {
  if (remote->warning[0])
    return;
  va_list args;
  va_start(args, format);
  vsnprintf(remote->warning, sizeof remote->warning, format, args);
  va_end(args);
}

static void marker_path(const oc_remote *remote, char *out, size_t size) {
  snprintf(out, size, "%s/" OC_REMOTE_DOWN_FILE, remote->cache_dir);
}

/* True when fd is a marker for this remote written less than
 * OC_REMOTE_DOWN_SECONDS ago. */
static bool marker_fresh(const oc_remote *remote, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return false;
  time_t now = time(NULL);
  if (st.st_mtime > now + 1 || now - st.st_mtime >= OC_REMOTE_DOWN_SECONDS)
    return false;
  char text[sizeof remote->shown + 1];
  ssize_t n = pread(fd, text, sizeof text - 1, 0);
  if (n <= 0)
    return false;
  text[n] = '\0';
  size_t len = strlen(remote->shown);
  return (size_t)n == len + 1 && memcmp(text, remote->shown, len) == 0 &&
         text[len] == '\n';
}

static bool marked_down(oc_remote *remote) {
  if (remote->down)
    return true;
  char path[PATH_MAX + 32];
  marker_path(remote, path, sizeof path);
  /* Never blocks: a FIFO planted as the marker is not a marker. */
  int fd = oc_fs_open_regular(AT_FDCWD, path, 0, true);
  if (fd < 0)
    return false;
  remote->down = marker_fresh(remote, fd);
  close(fd);
  return remote->down;
}

/* A failed connect or command: count it, mark the remote down and, if no
 * other process did so first, say so. */
static void fault(oc_remote *remote, const char *message) {
  remote->delta.value[OC_STAT_REMOTE_ERRORS]++;
  remote->down = true;
  oc_redis_close(remote->redis);
  remote->redis = NULL;

  char path[PATH_MAX + 32];
  marker_path(remote, path, sizeof path);
  bool report = true;
  int fd = oc_fs_open_regular(AT_FDCWD, path, O_RDWR | O_CREAT, true);
  /* A FIFO, device or symlink planted as the marker is not ours to keep:
   * replaced by a real marker, so the others skip the remote again. */
  if (fd < 0 && (errno == EINVAL || errno == ELOOP) && unlink(path) == 0)
    fd = oc_fs_open_regular(AT_FDCWD, path, O_RDWR | O_CREAT, true);
  if (fd < 0 && errno == ENOENT &&
      oc_fs_mkdirs(remote->cache_dir, remote->mask, NULL) == OC_OK)
    fd = oc_fs_open_regular(AT_FDCWD, path, O_RDWR | O_CREAT, true);
  if (fd >= 0) {
    /* Under the lock, so that of two processes failing together only one
     * reports; a lock held past the deadline only risks a second report. */
    (void)oc_fs_lock(fd, LOCK_EX, OC_FS_LOCK_TIMEOUT_MS);
    if (marker_fresh(remote, fd)) {
      report = false;
    } else {
      char text[sizeof remote->shown + 1];
      int n = snprintf(text, sizeof text, "%s\n", remote->shown);
      if (pwrite(fd, text, (size_t)n, 0) == n)
        (void)ftruncate(fd, n);
      oc_fs_apply_mask(fd, 0666, remote->mask);
      (void)futimens(fd, NULL);
    }
    close(fd);
  }
  if (report)
    warn(remote, "%s; not using the remote cache for " SECONDS_TEXT " s%s",
         message, fd < 0 ? " (cannot record that in the cache directory)" : "");
}

static bool connect_if_needed(oc_remote *remote) {
  if (remote->redis)
    return true;
  oc_error err;
  if (oc_redis_connect(&remote->url, remote->connect_ms, remote->op_ms,
                       &remote->redis, &err) == OC_OK)
    return true;
  fault(remote, err.message);
  return false;
}

/* What the remote holds: objects and direct-mode manifests, each under its
 * own key prefix and hit/miss/write counters. Faults, skips, invalid values
 * and bytes are counted alike for both. */
typedef struct {
  const char *prefix;
  const char *what; /* in warnings */
  oc_stat hits, misses, writes;
} value_kind;

static const value_kind object_kind = {
    OC_REMOTE_KEY_PREFIX, "entry", OC_STAT_REMOTE_HITS, OC_STAT_REMOTE_MISSES,
    OC_STAT_REMOTE_WRITES};
static const value_kind manifest_kind = {
    OC_REMOTE_MANIFEST_PREFIX, "manifest", OC_STAT_REMOTE_MANIFEST_HITS,
    OC_STAT_REMOTE_MANIFEST_MISSES, OC_STAT_REMOTE_MANIFEST_WRITES};

static void redis_key(const value_kind *kind, const oc_digest *key,
                      char out[64 + 16]) {
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(key, hex);
  snprintf(out, 64 + 16, "%s%s", kind->prefix, hex);
}

/* GETs the value of key into *value. OC_IO_ERROR when the remote is down
 * (skipped) or failed (marked down); both are counted here. Otherwise
 * oc_redis_get's status, for settle() to count. */
static oc_status fetch(oc_remote *remote, const value_kind *kind,
                       const oc_digest *key, char name[64 + 16],
                       size_t max_size, oc_buffer *value, oc_error *err) {
  redis_key(kind, key, name);
  if (marked_down(remote)) {
    remote->delta.value[OC_STAT_REMOTE_SKIPPED]++;
    return OC_IO_ERROR;
  }
  if (!connect_if_needed(remote))
    return OC_IO_ERROR;
  oc_status status = oc_redis_get(remote->redis, name, max_size, value, err);
  if (status == OC_IO_ERROR)
    fault(remote, err->message);
  return status;
}

/* Counts the outcome of a fetch and its validation. A lookup counts a hit
 * or a miss of its kind; a fetch made only to merge (manifests) does not. */
static void settle(oc_remote *remote, const value_kind *kind, bool lookup,
                   oc_status status, const char *name, size_t size,
                   const oc_error *err) {
  switch (status) {
  case OC_OK:
    remote->delta.value[kind->hits] += lookup;
    remote->delta.value[OC_STAT_REMOTE_BYTES_DOWN] += size;
    break;
  case OC_IO_ERROR: /* counted by fetch */
    break;
  case OC_CORRUPT:
    /* A manifest add fetches the value its lookup already found invalid:
     * one bad value, one count. */
    if (strcmp(remote->invalid, name) != 0)
      remote->delta.value[OC_STAT_REMOTE_CORRUPT]++;
    snprintf(remote->invalid, sizeof remote->invalid, "%s", name);
    warn(remote, "remote %s %s is not a valid %s (%s); ignored", kind->what,
         name, kind->what, err->message);
    remote->delta.value[kind->misses] += lookup;
    break;
  default: /* absent, or out of memory: a miss, the remote is fine */
    remote->delta.value[kind->misses] += lookup;
    break;
  }
}

oc_status oc_remote_get(oc_remote *remote, const oc_digest *key,
                        oc_buffer *entry, const char *const *required, size_t n,
                        oc_entry_contents *contents, oc_entry_meta *meta) {
  char name[64 + 16];
  oc_error err = {0};
  /* The biggest value a valid entry can be: anything larger is refused
   * from its length header, before it is read. */
  size_t max_size = OC_STORE_ENTRY_FILE_FOR(remote->max_object_size);
  oc_status status =
      fetch(remote, &object_kind, key, name, max_size, entry, &err);
  size_t payload = 0;
  if (status == OC_OK)
    status = oc_sign_check(remote->secret, OC_SIGN_ENTRY, key, entry->data,
                           entry->size, &payload, &err);
  if (status == OC_OK)
    status = oc_entry_decode_outputs_limited(entry->data, payload, key,
                                             remote->max_object_size,
                                             contents, meta, &err);
  if (status == OC_OK) {
    status = oc_entry_require(contents, required, n, &err);
    if (status != OC_OK)
      oc_entry_contents_free(contents);
  }
  settle(remote, &object_kind, true, status, name, entry->size, &err);
  return status == OC_OK ? OC_OK : OC_NOT_FOUND;
}

oc_status oc_remote_get_manifest(oc_remote *remote, const oc_digest *direct_key,
                                 bool lookup, oc_buffer *raw,
                                 oc_manifest *out) {
  char name[64 + 16];
  oc_error err = {0};
  oc_status status =
      fetch(remote, &manifest_kind, direct_key, name,
            OC_MANIFEST_MAX_SIZE + OC_SIGN_TRAILER_SIZE, raw, &err);
  size_t payload = 0;
  if (status == OC_OK)
    status = oc_sign_check(remote->secret, OC_SIGN_MANIFEST, direct_key,
                           raw->data, raw->size, &payload, &err);
  if (status == OC_OK)
    status = oc_manifest_decode(raw->data, payload, out, &err);
  settle(remote, &manifest_kind, lookup, status, name, raw->size, &err);
  if (status == OC_OK || status == OC_IO_ERROR)
    return status;
  return OC_NOT_FOUND;
}

bool oc_remote_writable(const oc_remote *remote) {
  return remote && !remote->read_only;
}

static void upload(oc_remote *remote, const value_kind *kind,
                   const oc_digest *key, const void *data, size_t size) {
  if (remote->read_only)
    return;
  if (marked_down(remote)) {
    remote->delta.value[OC_STAT_REMOTE_SKIPPED]++;
    return;
  }
  if (!connect_if_needed(remote))
    return;
  char name[64 + 16];
  redis_key(kind, key, name);
  oc_error err;
  if (oc_redis_set(remote->redis, name, data, size, remote->expiry_ms, &err) !=
      OC_OK) {
    fault(remote, err.message);
    return;
  }
  remote->delta.value[kind->writes]++;
  remote->delta.value[OC_STAT_REMOTE_BYTES_UP] += size;
}

void oc_remote_put(oc_remote *remote, const oc_digest *key, const void *entry,
                   size_t size) {
  upload(remote, &object_kind, key, entry, size);
}

void oc_remote_put_manifest(oc_remote *remote, const oc_digest *direct_key,
                            const void *data, size_t size) {
  upload(remote, &manifest_kind, direct_key, data, size);
}
