/* manifest_store.c - direct-mode manifests in the local store (store.h):
 * objects/<xx>/<62 hex>.m beside the entries, so that the shard's size
 * counter and LRU eviction cover them too.
 *
 * Readers take no lock: a manifest is replaced by rename(2), so a reader
 * sees the old or the new one, whole. Writers do a read-modify-write, which
 * must not lose a candidate added by a parallel compile, so they serialise
 * on an flock of objects/<xx>/.manifest-lock (one lock per shard: a
 * manifest update takes well under a millisecond, and different direct keys
 * rarely share a shard at the same instant). The size counter's own lock is
 * taken only after this one is released, so the two never nest.
 *
 * With a remote (remote.h), manifests are shared like objects, under
 * objcache:man:<direct key>: a local miss asks the remote, and a valid
 * remote manifest is kept locally; an add uploads the local manifest
 * merged with the remote's current one. The remote exchange happens after
 * the shard lock is released: a network round trip never holds up the
 * machine's other compiles. */
#include "objcache/store.h"

#include "fsutil.h"
#include "store_internal.h"

#include "objcache/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_NAME ".manifest-lock"

static void manifest_name(const oc_digest *key, unsigned *shard,
                          char name[OC_STORE_ENTRY_NAME_MAX]) {
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(key, hex);
  *shard = key->bytes[0];
  snprintf(name, OC_STORE_ENTRY_NAME_MAX, "%s%s", hex + 2,
           OC_STORE_MANIFEST_SUFFIX);
}

/* Reads the manifest file `name` in dirfd. A damaged one is unlinked (if
 * it is still the file we read) and counted, unless read_only. */
static oc_status read_manifest(oc_store *store, int dirfd, unsigned shard,
                               const char *name, const oc_digest *direct_key,
                               oc_manifest *out, oc_error *err) {
  char path[PATH_MAX + 96];
  snprintf(path, sizeof path, "%s/%02x/%s", store->objects, shard, name);
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT)
      return OC_NOT_FOUND;
    if (e != ELOOP)
      return oc_fail(err, oc_fs_errno_status(e), "cannot open %s: %s", path,
                     strerror(e));
  }
  oc_buffer raw = {0};
  oc_error detail = {0};
  oc_status status =
      fd < 0 ? oc_fail(&detail, OC_CORRUPT, "a symlink")
             : oc_fs_read_fd(fd, path,
                             OC_MANIFEST_MAX_SIZE + OC_SIGN_TRAILER_SIZE, &raw,
                             &detail);
  size_t payload = 0;
  if (status == OC_OK)
    status = oc_sign_check(store->secret, OC_SIGN_MANIFEST, direct_key,
                           raw.data, raw.size, &payload, &detail);
  if (status == OC_OK)
    status = oc_manifest_decode(raw.data, payload, out, &detail);
  oc_buffer_free(&raw);
  if (status == OC_CORRUPT && !store->read_only) {
    struct stat mine, now;
    bool same =
        fd < 0 || (fstat(fd, &mine) == 0 &&
                   fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
                   mine.st_dev == now.st_dev && mine.st_ino == now.st_ino);
    if (same && unlinkat(dirfd, name, 0) == 0)
      (void)oc_stats_bump(store->cache_dir, OC_STAT_CORRUPT_ENTRIES, 1, NULL);
  }
  if (fd >= 0)
    close(fd);
  if (status == OC_CORRUPT)
    return oc_fail(err, OC_CORRUPT, "manifest %s is corrupt%s: %s", path,
                   store->read_only ? "" : " (removed)", detail.message);
  if (status != OC_OK && err)
    *err = detail;
  return status;
}

static oc_status lock_failure(oc_store *store, unsigned shard, oc_error *err) {
  int e = errno;
  if (e == ETIMEDOUT)
    return oc_fail(err, OC_IO_ERROR,
                   "%s/%02x/" LOCK_NAME " stayed locked by another process "
                   "for %d ms; the manifest update is skipped",
                   store->objects, shard, OC_FS_LOCK_TIMEOUT_MS);
  return oc_fail(err, oc_fs_errno_status(e),
                 "cannot lock %s/%02x/" LOCK_NAME ": %s", store->objects, shard,
                 strerror(e));
}

static int lock_shard(oc_store *store, int dirfd);

/* Opens (creating) the shard of direct_key's manifest, names the manifest
 * and takes the shard's manifest lock. Returns the lock's fd with *dirfd
 * open, or -1 with *status set and nothing left open. */
static int open_locked(oc_store *store, const oc_digest *direct_key,
                       unsigned *shard, char name[OC_STORE_ENTRY_NAME_MAX],
                       int *dirfd, oc_status *status, oc_error *err) {
  manifest_name(direct_key, shard, name);
  *status = OC_OK;
  *dirfd = oc_store_open_shard(store, *shard, true, err, status);
  if (*dirfd < 0)
    return -1;
  int lockfd = lock_shard(store, *dirfd);
  if (lockfd < 0) {
    *status = lock_failure(store, *shard, err);
    close(*dirfd);
  }
  return lockfd;
}

/* Keeps a manifest fetched from the remote as the local one, byte for
 * byte, unless a local one appeared since the lookup: that is a parallel
 * compile's fresh add, newer than what the remote had, and must not be
 * overwritten. Under the shard's manifest lock for the same reason. */
static oc_status backfill(oc_store *store, const oc_digest *direct_key,
                          const oc_buffer *raw, oc_error *err) {
  unsigned shard;
  char name[OC_STORE_ENTRY_NAME_MAX];
  int dirfd;
  oc_status status;
  int lockfd =
      open_locked(store, direct_key, &shard, name, &dirfd, &status, err);
  if (lockfd < 0)
    return status;
  struct stat st;
  bool absent =
      fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
  if (absent)
    status = oc_store_write_file(store, dirfd, shard, name, raw->data,
                                 raw->size, err);
  close(lockfd);
  if (absent && status == OC_OK)
    oc_store_account_put(store, dirfd, shard, name, raw->size);
  close(dirfd);
  return status;
}

oc_status oc_store_get_manifest(oc_store *store, const oc_digest *direct_key,
                                oc_manifest *out, oc_error *err) {
  if (!store || !direct_key || !out)
    return oc_fail(err, OC_INVALID, "oc_store_get_manifest: NULL argument");
  memset(out, 0, sizeof *out);
  if (!store->remote_only) {
    unsigned shard;
    char name[OC_STORE_ENTRY_NAME_MAX];
    manifest_name(direct_key, &shard, name);
    oc_status status = OC_OK;
    int dirfd = oc_store_open_shard(store, shard, false, err, &status);
    if (dirfd >= 0) {
      status = read_manifest(store, dirfd, shard, name, direct_key, out, err);
      close(dirfd);
    }
    /* A corrupt local manifest is reported as such, as a corrupt entry
     * is; the compile that follows replaces it in both tiers. */
    if (status != OC_NOT_FOUND || !store->remote)
      return status;
  }
  oc_buffer raw = {0};
  oc_status status =
      oc_remote_get_manifest(store->remote, direct_key, true, &raw, out);
  if (status == OC_OK && !store->remote_only && !store->read_only) {
    /* The next lookup stays local; failing to keep it costs only that. */
    oc_error detail;
    if (backfill(store, direct_key, &raw, &detail) != OC_OK)
      snprintf(store->warning, sizeof store->warning,
               "cannot keep a local copy of a remote manifest: %s",
               detail.message);
  }
  oc_buffer_free(&raw);
  return status == OC_OK ? OC_OK : OC_NOT_FOUND;
}

void oc_store_touch_manifest(oc_store *store, const oc_digest *direct_key) {
  if (!store || store->read_only || store->remote_only)
    return;
  unsigned shard;
  char name[OC_STORE_ENTRY_NAME_MAX];
  manifest_name(direct_key, &shard, name);
  char path[PATH_MAX + 96];
  snprintf(path, sizeof path, "%s/%02x/%s", store->objects, shard, name);
  (void)utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW);
}

static int lock_shard(oc_store *store, int dirfd) {
  int fd = oc_fs_open_regular(dirfd, LOCK_NAME, O_RDWR | O_CREAT, true);
  if (fd < 0)
    return -1;
  oc_fs_apply_mask(fd, 0666, store->mask);
  /* A holder stopped in a debugger costs this update, not every compile
   * of the shard: past the deadline the add is skipped (and reported). */
  int e = oc_fs_lock(fd, LOCK_EX, OC_FS_LOCK_TIMEOUT_MS);
  if (e != 0) {
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* Encodes manifest into *encoded, dropping its oldest candidates until the
 * encoding fits OC_MANIFEST_MAX_SIZE; *manifest is left as encoded. */
static oc_status encode_bounded(oc_manifest *manifest, oc_buffer *encoded,
                                oc_error *err) {
  for (;;) {
    encoded->size = 0;
    oc_status status = oc_manifest_encode(manifest, encoded, err);
    if (status != OC_INVALID || manifest->count <= 1)
      return status;
    oc_manifest_candidate_free(&manifest->candidates[0]);
    memmove(&manifest->candidates[0], &manifest->candidates[1],
            (manifest->count - 1) * sizeof *manifest->candidates);
    manifest->count--;
  }
}

/* The local half of oc_store_add_candidate; *manifest is left as written
 * (or as it would have been, when the write failed). */
static oc_status add_locally(oc_store *store, const oc_digest *direct_key,
                             const oc_manifest_candidate *candidate,
                             oc_manifest *manifest, oc_error *err) {
  unsigned shard;
  char name[OC_STORE_ENTRY_NAME_MAX];
  int dirfd;
  oc_status status;
  int lockfd =
      open_locked(store, direct_key, &shard, name, &dirfd, &status, err);
  if (lockfd < 0)
    return status;

  oc_error read_err = {0};
  status = read_manifest(store, dirfd, shard, name, direct_key, manifest,
                         &read_err);
  /* Missing or damaged (now removed): start a fresh manifest. */
  if (status == OC_NOT_FOUND || status == OC_CORRUPT)
    status = OC_OK;
  else if (status != OC_OK && err)
    *err = read_err;
  if (status == OC_OK)
    status =
        oc_manifest_add(manifest, candidate, OC_MANIFEST_MAX_CANDIDATES, err);
  oc_buffer encoded = {0};
  if (status == OC_OK)
    status = encode_bounded(manifest, &encoded, err);
  if (status == OC_OK)
    status = oc_sign_append(store->secret, OC_SIGN_MANIFEST, direct_key,
                            &encoded, 0, err);
  if (status == OC_OK)
    status = oc_store_write_file(store, dirfd, shard, name, encoded.data,
                                 encoded.size, err);
  close(lockfd); /* releases the lock */
  if (status == OC_OK)
    oc_store_account_put(store, dirfd, shard, name, encoded.size);
  oc_buffer_free(&encoded);
  close(dirfd);
  return status;
}

/* Uploads the merge of the remote's manifest and `local`: the remote's
 * candidates first, then the local ones in order, through
 * oc_manifest_add (equal candidates are kept once, at most
 * OC_MANIFEST_MAX_CANDIDATES, the oldest dropped). No lock spans the two
 * round trips: another machine's upload between our GET and SET is
 * overwritten, so its candidates may be lost (a later miss re-adds them),
 * never mixed into a damaged value (a SET replaces the whole value). */
static void share(oc_store *store, const oc_digest *direct_key,
                  const oc_manifest *local) {
  oc_manifest merged = {0};
  oc_buffer bytes = {0};
  oc_status status =
      oc_remote_get_manifest(store->remote, direct_key, false, &bytes, &merged);
  if (status == OC_IO_ERROR) { /* down: counted, and no upload either */
    oc_buffer_free(&bytes);
    return;
  }
  status = OC_OK; /* absent or invalid: merged is empty */
  for (size_t i = 0; i < local->count && status == OC_OK; i++)
    status = oc_manifest_add(&merged, &local->candidates[i],
                             OC_MANIFEST_MAX_CANDIDATES, NULL);
  if (status == OC_OK)
    status = encode_bounded(&merged, &bytes, NULL);
  if (status == OC_OK)
    status = oc_sign_append(store->secret, OC_SIGN_MANIFEST, direct_key,
                            &bytes, 0, NULL);
  if (status == OC_OK)
    oc_remote_put_manifest(store->remote, direct_key, bytes.data, bytes.size);
  oc_buffer_free(&bytes);
  oc_manifest_free(&merged);
}

oc_status oc_store_add_candidate(oc_store *store, const oc_digest *direct_key,
                                 const oc_manifest_candidate *candidate,
                                 oc_error *err) {
  if (!store || !direct_key || !candidate)
    return oc_fail(err, OC_INVALID, "oc_store_add_candidate: NULL argument");
  if (store->read_only)
    return OC_OK;
  oc_manifest manifest = {0};
  oc_status status =
      store->remote_only
          ? oc_manifest_add(&manifest, candidate, OC_MANIFEST_MAX_CANDIDATES,
                            err)
          : add_locally(store, direct_key, candidate, &manifest, err);
  /* Shared even when the local add failed (a full disk), as an object is:
   * others benefit. The candidate alone is then what there is to share. */
  if (status != OC_OK && !store->remote_only) {
    oc_manifest_free(&manifest);
    (void)oc_manifest_add(&manifest, candidate, OC_MANIFEST_MAX_CANDIDATES,
                          NULL);
  }
  if (oc_remote_writable(store->remote) && manifest.count > 0)
    share(store, direct_key, &manifest);
  oc_manifest_free(&manifest);
  return status;
}
