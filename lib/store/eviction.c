/* eviction.c - size control of the local store: each of the 256 shard
 * directories objects/<xx> may hold max_size/256 bytes. A shard keeps an
 * approximate byte counter in objects/<xx>/.size (updated under flock by
 * every put); when it says the shard is over its share, the shard is scanned
 * and its least recently used entries (oldest mtime; a hit refreshes the
 * mtime) are unlinked until it is under 90% of its share. Scans also remove
 * temp files abandoned by crashed writers (older than an hour). Also
 * oc_store_cleanup, oc_store_clear and oc_store_usage. */
#include "fsutil.h"
#include "store_internal.h"

#include "objcache/stats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMP_PREFIX ".tmp."
/* Beyond the counter, one put in this many rescans its shard anyway, which
 * bounds the counter's drift and collects stale temp files over time. */
#define RANDOM_RESCAN_ONE_IN 64

enum scan_mode {
  SCAN_COUNT = 0,      /* usage only, change nothing */
  SCAN_EVICT = 1,      /* evict LRU entries over the share, drop old temps */
  SCAN_CLEAR = 2,      /* remove every entry, drop old temps */
};

typedef struct scan_result {
  uint64_t bytes;   /* of the entries left */
  uint64_t entries; /* left */
  uint64_t evicted; /* entries this scan removed for size */
} scan_result;

typedef struct candidate {
  char name[OC_STORE_ENTRY_NAME_MAX];
  int64_t mtime_ns;
  uint64_t bytes;
  bool record; /* a writer's factor record: bytes, but not an entry */
} candidate;

/* What an entry costs: its size rounded up to 4 KiB blocks, close to what
 * du(1) reports on common file systems and independent of their quirks. */
static uint64_t disk_size(uint64_t bytes) { return (bytes + 4095) & ~(uint64_t)4095; }

static uint64_t shard_share(const oc_store *store) {
  uint64_t share = store->max_size / OC_STORE_SHARDS;
  return share ? share : 1;
}

/* An object entry (62 hex digits), a direct-mode manifest (the same
 * with OC_STORE_MANIFEST_SUFFIX) or an entry's writer record (with
 * OC_STORE_RECORD_SUFFIX): all count against max_size and age out the same
 * way. *record tells the last kind apart. */
static bool is_entry_name(const char *name, bool *record) {
  size_t i = 0;
  for (; name[i]; i++) {
    char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      break;
  }
  if (i != 2 * OC_DIGEST_SIZE - 2)
    return false;
  *record = strcmp(name + i, OC_STORE_RECORD_SUFFIX) == 0;
  return name[i] == '\0' || strcmp(name + i, OC_STORE_MANIFEST_SUFFIX) == 0 ||
         *record;
}

static int by_mtime(const void *a, const void *b) {
  const candidate *x = a, *y = b;
  if (x->mtime_ns != y->mtime_ns)
    return x->mtime_ns < y->mtime_ns ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* Scans one shard directory. `protect` (may be NULL) names an entry that
 * must not be evicted: the one a put just wrote. */
static oc_status scan_shard(const oc_store *store, int dirfd,
                            enum scan_mode mode, uint64_t share,
                            const char *protect, scan_result *result,
                            oc_error *err) {
  memset(result, 0, sizeof *result);
  int fd = dup(dirfd);
  if (fd < 0)
    return oc_fail(err, OC_IO_ERROR, "cannot scan %s: %s", store->objects,
                   strerror(errno));
  DIR *dir = fdopendir(fd);
  if (!dir) {
    int e = errno;
    close(fd);
    return oc_fail(err, OC_IO_ERROR, "cannot scan %s: %s", store->objects,
                   strerror(e));
  }
  rewinddir(dir);
  time_t now = time(NULL);
  candidate *list = NULL;
  size_t count = 0, capacity = 0;
  oc_status status = OC_OK;
  struct dirent *de;
  while ((de = readdir(dir)) != NULL) {
    const char *name = de->d_name;
    struct stat st;
    if (strncmp(name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0) {
      if (mode != SCAN_COUNT &&
          fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          st.st_mtime < now - OC_STORE_TEMP_MAX_AGE_SECONDS)
        (void)unlinkat(dirfd, name, 0);
      continue;
    }
    bool record;
    if (!is_entry_name(name, &record))
      continue; /* ".", "..", ".size", or something not ours: left alone */
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue; /* evicted or replaced meanwhile */
    if (!S_ISREG(st.st_mode))
      continue;
    if (mode == SCAN_CLEAR) {
      if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        continue;
    }
    if (count == capacity) {
      size_t grow = capacity ? 2 * capacity : 64;
      candidate *bigger = realloc(list, grow * sizeof *list);
      if (!bigger) {
        status = oc_fail(err, OC_NO_MEMORY, "out of memory scanning %s",
                         store->objects);
        break;
      }
      list = bigger;
      capacity = grow;
    }
    candidate *c = &list[count++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    c->bytes = disk_size((uint64_t)st.st_size);
    c->record = record;
    result->bytes += c->bytes;
    result->entries += !record;
  }
  closedir(dir);

  if (status == OC_OK && mode == SCAN_EVICT && result->bytes > share) {
    uint64_t target = share / 10 * 9;
    qsort(list, count, sizeof *list, by_mtime);
    for (size_t i = 0; i < count && result->bytes > target; i++) {
      if (protect && strcmp(list[i].name, protect) == 0)
        continue;
      if (unlinkat(dirfd, list[i].name, 0) == 0) {
        result->evicted += !list[i].record;
      } else if (errno != ENOENT) {
        continue; /* could not remove it: it still takes space */
      }
      result->bytes -= list[i].bytes;
      result->entries -= !list[i].record;
    }
  }
  free(list);
  return status;
}

/* Opens (creating) the shard's counter file, which is also its lock. */
static int open_counter(const oc_store *store, int dirfd) {
  int fd = openat(dirfd, OC_STORE_SIZE_FILE,
                  O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0 || errno != ENOENT)
    return fd;
  fd = openat(dirfd, OC_STORE_SIZE_FILE,
              O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd >= 0) {
    oc_fs_apply_mask(fd, 0666, store->mask);
    return fd;
  }
  if (errno != EEXIST)
    return -1;
  return openat(dirfd, OC_STORE_SIZE_FILE,
                O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
}

/* 0, or -1 with errno (ETIMEDOUT: another process held it past the
 * deadline; the accounting it guards is then skipped). */
static int lock_counter(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return -1;
  }
  int e = oc_fs_lock(fd, LOCK_EX, OC_FS_LOCK_TIMEOUT_MS);
  errno = e;
  return e == 0 ? 0 : -1;
}

/* False when the counter is missing or unreadable: the shard is unknown. */
static bool read_counter(int fd, uint64_t *value) {
  char text[32];
  ssize_t n = pread(fd, text, sizeof text - 1, 0);
  if (n <= 0)
    return false;
  text[n] = '\0';
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || end == text || (*end != '\n' && *end != '\0') || text[0] == '-')
    return false;
  *value = v;
  return true;
}

static void write_counter(int fd, uint64_t value) {
  char text[32];
  int n = snprintf(text, sizeof text, "%" PRIu64 "\n", value);
  if (pwrite(fd, text, (size_t)n, 0) == n)
    (void)ftruncate(fd, n);
}

void oc_store_account_put(oc_store *store, int dirfd, unsigned shard,
                          const char *name, size_t bytes) {
  if (store->max_size == 0)
    return; /* no limit */
  int fd = open_counter(store, dirfd);
  if (fd < 0)
    return;
  if (lock_counter(fd) != 0) {
    /* The object is stored; only its accounting is lost (the next rescan
     * of the shard finds it). */
    if (errno == ETIMEDOUT && !store->warning[0])
      snprintf(store->warning, sizeof store->warning,
               "%s/%02x/" OC_STORE_SIZE_FILE " stayed locked by another "
               "process for %d ms; size accounting skipped",
               store->objects, shard, OC_FS_LOCK_TIMEOUT_MS);
    close(fd);
    return;
  }
  uint64_t share = shard_share(store);
  uint64_t total = 0;
  bool known = read_counter(fd, &total);
  total += disk_size(bytes);
  uint64_t evicted = 0;
  if (!known || total > share ||
      oc_fs_random() % RANDOM_RESCAN_ONE_IN == 0) {
    scan_result result;
    if (scan_shard(store, dirfd, SCAN_EVICT, share, name, &result, NULL) ==
        OC_OK) {
      total = result.bytes;
      evicted = result.evicted;
    }
  }
  write_counter(fd, total);
  close(fd); /* releases the lock */
  if (evicted)
    (void)oc_stats_bump(store->cache_dir, OC_STAT_EVICTIONS, evicted, NULL);
}

/* Runs `mode` over every existing shard, each under its counter lock. */
static oc_status for_all_shards(oc_store *store, enum scan_mode mode,
                                uint64_t *bytes, uint64_t *entries,
                                oc_error *err) {
  uint64_t share = store->max_size ? shard_share(store) : UINT64_MAX;
  uint64_t sum_bytes = 0, sum_entries = 0, evicted = 0;
  oc_status result = OC_OK;
  for (unsigned shard = 0; shard < OC_STORE_SHARDS; shard++) {
    oc_status status = OC_OK;
    oc_error shard_err;
    int dirfd = oc_store_open_shard(store, shard, false, &shard_err, &status);
    if (dirfd < 0) {
      if (status != OC_NOT_FOUND && result == OC_OK) {
        result = status;
        if (err)
          *err = shard_err;
      }
      continue;
    }
    int lockfd = -1;
    if (mode != SCAN_COUNT) {
      lockfd = open_counter(store, dirfd);
      if (lockfd >= 0 && lock_counter(lockfd) != 0) {
        close(lockfd);
        lockfd = -1;
      }
    }
    scan_result scanned;
    status = scan_shard(store, dirfd, mode, share, NULL, &scanned, &shard_err);
    if (status == OC_OK) {
      if (lockfd >= 0)
        write_counter(lockfd, scanned.bytes);
      sum_bytes += scanned.bytes;
      sum_entries += scanned.entries;
      evicted += scanned.evicted;
    } else if (result == OC_OK) {
      result = status;
      if (err)
        *err = shard_err;
    }
    if (lockfd >= 0)
      close(lockfd);
    close(dirfd);
  }
  if (evicted)
    (void)oc_stats_bump(store->cache_dir, OC_STAT_EVICTIONS, evicted, NULL);
  if (bytes)
    *bytes = sum_bytes;
  if (entries)
    *entries = sum_entries;
  return result;
}

/* Removes <cache_dir>/tmp/direct.* records older than the temp-file age:
 * a launcher killed mid-compile leaves its record behind. Young ones may
 * belong to a compile running now. Best effort. */
static void clean_tmp_dir(const oc_store *store) {
  char path[PATH_MAX + 8];
  snprintf(path, sizeof path, "%s/tmp", store->cache_dir);
  int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0)
    return;
  DIR *dir = fdopendir(dirfd);
  if (!dir) {
    close(dirfd);
    return;
  }
  time_t now = time(NULL);
  struct dirent *de;
  while ((de = readdir(dir)) != NULL) {
    struct stat st;
    if (strncmp(de->d_name, "direct.", 7) != 0 ||
        fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    if (st.st_mtime < now - OC_STORE_TEMP_MAX_AGE_SECONDS)
      (void)unlinkat(dirfd, de->d_name, 0);
  }
  closedir(dir);
}

oc_status oc_store_cleanup(oc_store *store, oc_error *err) {
  if (!store)
    return oc_fail(err, OC_INVALID, "oc_store_cleanup: NULL store");
  clean_tmp_dir(store);
  return for_all_shards(store, SCAN_EVICT, NULL, NULL, err);
}

oc_status oc_store_clear(oc_store *store, oc_error *err) {
  if (!store)
    return oc_fail(err, OC_INVALID, "oc_store_clear: NULL store");
  return for_all_shards(store, SCAN_CLEAR, NULL, NULL, err);
}

oc_status oc_store_usage(oc_store *store, uint64_t *bytes, uint64_t *entries,
                         oc_error *err) {
  if (!store)
    return oc_fail(err, OC_INVALID, "oc_store_usage: NULL store");
  return for_all_shards(store, SCAN_COUNT, bytes, entries, err);
}
