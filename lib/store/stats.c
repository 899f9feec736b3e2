/* stats.c - statistics counters (stats.h) in 16 shard files
 * <cache_dir>/stats/shard-NN. A process adds to shard pid % 16 under an
 * exclusive flock (read, add, rewrite in place); readers take a shared flock
 * per shard and sum. File format: one "name value\n" line per counter. */
#include "objcache/stats.h"

#include "fsutil.h"
#include "objcache/misses.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATS_SHARDS 16
#define STATS_FILE_LIMIT 65536 /* a real shard is a few hundred bytes */

static const char *const stat_names[OC_STAT_COUNT] = {
    [OC_STAT_HITS] = "hits",
    [OC_STAT_DIRECT_HITS] = "direct_hits",
    [OC_STAT_MISSES] = "misses",
    [OC_STAT_UNCACHEABLE] = "uncacheable",
    [OC_STAT_UNCACHEABLE_IR_INPUT] = "uncacheable_ir_input",
    [OC_STAT_UNCACHEABLE_OUTPUT_KIND] = "uncacheable_output_kind",
    [OC_STAT_UNCACHEABLE_SPLIT_DWARF] = "uncacheable_split_dwarf",
    [OC_STAT_UNCACHEABLE_COVERAGE] = "uncacheable_coverage",
    [OC_STAT_UNCACHEABLE_BACKEND_DIAG] = "uncacheable_backend_diagnostic",
    [OC_STAT_UNCACHEABLE_EXTRA_OUTPUT] = "uncacheable_extra_output",
    [OC_STAT_UNCACHEABLE_INLINE_ASM] = "uncacheable_inline_asm",
    [OC_STAT_UNCACHEABLE_SAVE_TEMPS] = "uncacheable_save_temps",
    [OC_STAT_UNCACHEABLE_OTHER] = "uncacheable_other",
    [OC_STAT_ERRORS] = "errors",
    [OC_STAT_CORRUPT_ENTRIES] = "corrupt_entries",
    [OC_STAT_EVICTIONS] = "evictions",
    [OC_STAT_TIME_SAVED_MS] = "time_saved_ms",
    [OC_STAT_DIRECT_MISSES] = "direct_misses",
    [OC_STAT_DIRECT_UNCACHEABLE] = "direct_uncacheable",
    [OC_STAT_REMOTE_HITS] = "remote_hits",
    [OC_STAT_REMOTE_MISSES] = "remote_misses",
    [OC_STAT_REMOTE_CORRUPT] = "remote_corrupt",
    [OC_STAT_REMOTE_ERRORS] = "remote_errors",
    [OC_STAT_REMOTE_SKIPPED] = "remote_skipped",
    [OC_STAT_REMOTE_WRITES] = "remote_writes",
    [OC_STAT_REMOTE_BYTES_DOWN] = "remote_bytes_down",
    [OC_STAT_REMOTE_BYTES_UP] = "remote_bytes_up",
    [OC_STAT_REMOTE_MANIFEST_HITS] = "remote_manifest_hits",
    [OC_STAT_REMOTE_MANIFEST_MISSES] = "remote_manifest_misses",
    [OC_STAT_REMOTE_MANIFEST_WRITES] = "remote_manifest_writes",
    [OC_STAT_VERIFY_CHECKED] = "verify_checked",
    [OC_STAT_VERIFY_MISMATCHES] = "verify_mismatches",
};

const char *oc_stat_name(oc_stat stat) {
  return (unsigned)stat < OC_STAT_COUNT ? stat_names[stat] : "unknown";
}

static int shard_path(const char *cache_dir, unsigned shard, char *out,
                      size_t size) {
  int n = snprintf(out, size, "%s/stats/shard-%02u", cache_dir, shard);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Parses a shard's text into counts. False when anything in it is not a
 * well-formed "name value" line, a name repeats, or a value overflows.
 * Well-formed lines with unknown names (from a newer objcache) are skipped. */
static bool parse_shard(const uint8_t *data, size_t size, oc_stats *out) {
  memset(out, 0, sizeof *out);
  bool seen[OC_STAT_COUNT] = {false};
  size_t pos = 0;
  while (pos < size) {
    size_t name_start = pos;
    while (pos < size && ((data[pos] >= 'a' && data[pos] <= 'z') ||
                          (data[pos] >= '0' && data[pos] <= '9') ||
                          data[pos] == '_'))
      pos++;
    size_t name_len = pos - name_start;
    if (name_len == 0 || pos >= size || data[pos] != ' ')
      return false;
    pos++;
    uint64_t value = 0;
    size_t digits = 0;
    while (pos < size && data[pos] >= '0' && data[pos] <= '9') {
      unsigned d = (unsigned)(data[pos] - '0');
      if (value > (UINT64_MAX - d) / 10)
        return false;
      value = value * 10 + d;
      pos++;
      digits++;
    }
    if (digits == 0 || (pos < size && data[pos] != '\n'))
      return false;
    pos++; /* the newline (or the end of a file without a final one) */
    for (int i = 0; i < OC_STAT_COUNT; i++) {
      if (strlen(stat_names[i]) == name_len &&
          memcmp(stat_names[i], data + name_start, name_len) == 0) {
        if (seen[i])
          return false;
        seen[i] = true;
        out->value[i] = value;
        break;
      }
    }
  }
  return true;
}

/* With a deadline: a holder stopped in a debugger costs this update, never
 * the compile (the caller warns once and carries on). */
bool oc_stats_parse(const void *data, size_t size, oc_stats *out) {
  return data && out && parse_shard(data, size, out);
}

static int lock_fd(int fd, int op) {
  return oc_fs_lock(fd, op, OC_FS_LOCK_TIMEOUT_MS);
}

/* Opens (creating if needed) a shard for update. New files and the stats
 * directory take their permission bits from the cache directory, so a
 * cache shared through a group-writable directory keeps shared stats. */
static oc_status open_for_update(const char *cache_dir, const char *path,
                                 int *out_fd, oc_error *err) {
  for (int attempt = 0; attempt < 4; attempt++) {
    /* Regular files only (a FIFO or device here is refused, never
     * waited on). */
    int fd = oc_fs_open_regular(AT_FDCWD, path, O_RDWR, true);
    if (fd >= 0) {
      *out_fd = fd;
      return OC_OK;
    }
    if (errno != ENOENT)
      break;
    int mask = -1;
    struct stat st;
    if (stat(cache_dir, &st) == 0 && S_ISDIR(st.st_mode))
      mask = (int)(~st.st_mode & 0777);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/stats", cache_dir);
    oc_status status = oc_fs_mkdirs(dir, mask, err);
    if (status != OC_OK)
      return status;
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) {
      oc_fs_apply_mask(fd, 0666, mask);
      *out_fd = fd;
      return OC_OK;
    }
    if (errno != EEXIST)
      break;
  }
  int e = errno;
  return oc_fail(err, oc_fs_errno_status(e), "cannot open %s: %s", path,
                 strerror(e));
}

static size_t format_shard(const oc_stats *stats, char *out, size_t size) {
  size_t len = 0;
  for (int i = 0; i < OC_STAT_COUNT; i++) {
    int n = snprintf(out + len, size - len, "%s %" PRIu64 "\n", stat_names[i],
                     stats->value[i]);
    if (n < 0 || (size_t)n >= size - len)
      break;
    len += (size_t)n;
  }
  return len;
}

oc_status oc_stats_add(const char *cache_dir, const oc_stats *delta,
                       oc_error *err) {
  if (!cache_dir || !delta)
    return oc_fail(err, OC_INVALID, "oc_stats_add: NULL argument");
  bool any = false;
  for (int i = 0; i < OC_STAT_COUNT; i++)
    any |= delta->value[i] != 0;
  if (!any)
    return OC_OK;

  char path[PATH_MAX];
  if (shard_path(cache_dir, (unsigned)getpid() % STATS_SHARDS, path,
                 sizeof path) != 0)
    return oc_fail(err, OC_INVALID, "cache directory name too long");
  int fd = -1;
  oc_status status = open_for_update(cache_dir, path, &fd, err);
  if (status != OC_OK)
    return status;
  int e = lock_fd(fd, LOCK_EX);
  if (e != 0) {
    close(fd);
    return oc_fail(err, OC_IO_ERROR, "cannot lock %s: %s", path, strerror(e));
  }

  oc_buffer text = {0};
  oc_stats current;
  bool damaged = false;
  status = oc_fs_read_fd(fd, path, STATS_FILE_LIMIT, &text, err);
  if (status == OC_CORRUPT) {
    damaged = true;
    memset(&current, 0, sizeof current);
  } else if (status != OC_OK) {
    oc_buffer_free(&text);
    close(fd);
    return status;
  } else if (!parse_shard(text.data, text.size, &current)) {
    damaged = true;
    memset(&current, 0, sizeof current);
  }
  oc_buffer_free(&text);

  for (int i = 0; i < OC_STAT_COUNT; i++)
    current.value[i] = add_sat(current.value[i], delta->value[i]);
  char out[2048];
  size_t len = format_shard(&current, out, sizeof out);
  /* Write then truncate: a reader holds the shared lock, so it never sees
   * the file between the two. */
  ssize_t written;
  do {
    written = pwrite(fd, out, len, 0);
  } while (written < 0 && errno == EINTR);
  e = written < 0 ? errno : (size_t)written != len ? EIO : 0;
  if (e == 0 && ftruncate(fd, (off_t)len) != 0)
    e = errno;
  close(fd); /* releases the lock */
  if (e != 0)
    return oc_fail(err, oc_fs_errno_status(e), "cannot update %s: %s", path,
                   strerror(e));
  if (damaged)
    return oc_fail(err, OC_CORRUPT,
                   "stats file %s was damaged and has been reset (its "
                   "previous counts are lost); this update was recorded",
                   path);
  return OC_OK;
}

oc_status oc_stats_read(const char *cache_dir, oc_stats *out, oc_error *err) {
  if (!cache_dir || !out)
    return oc_fail(err, OC_INVALID, "oc_stats_read: NULL argument");
  memset(out, 0, sizeof *out);
  oc_status result = OC_OK;
  unsigned damaged = 0;
  for (unsigned shard = 0; shard < STATS_SHARDS; shard++) {
    char path[PATH_MAX];
    if (shard_path(cache_dir, shard, path, sizeof path) != 0)
      return oc_fail(err, OC_INVALID, "cache directory name too long");
    int fd = oc_fs_open_regular(AT_FDCWD, path, 0, true);
    if (fd < 0) {
      int e = errno;
      if (e == ENOENT || e == ENOTDIR)
        continue;
      if (e == ELOOP || e == EINVAL) { /* a symlink, FIFO, device... */
        if (damaged++ == 0 && result == OC_OK)
          result = oc_fail(err, OC_CORRUPT,
                           "stats file %s is not a regular file", path);
        continue;
      }
      if (result == OC_OK)
        result = oc_fail(err, OC_IO_ERROR, "cannot open %s: %s", path,
                         strerror(e));
      continue;
    }
    int e = lock_fd(fd, LOCK_SH);
    if (e != 0) {
      close(fd);
      if (result == OC_OK)
        result = oc_fail(err, OC_IO_ERROR, "cannot lock %s: %s", path,
                         strerror(e));
      continue;
    }
    oc_buffer text = {0};
    oc_error read_err;
    oc_status status = oc_fs_read_fd(fd, path, STATS_FILE_LIMIT, &text,
                                     &read_err);
    close(fd);
    oc_stats shard_stats;
    if (status == OC_OK && parse_shard(text.data, text.size, &shard_stats)) {
      for (int i = 0; i < OC_STAT_COUNT; i++)
        out->value[i] = add_sat(out->value[i], shard_stats.value[i]);
    } else if (status == OC_OK || status == OC_CORRUPT) {
      if (damaged++ == 0 && result == OC_OK)
        result = oc_fail(err, OC_CORRUPT,
                         "stats file %s is damaged and was counted as zero",
                         path);
    } else if (result == OC_OK) {
      if (err)
        *err = read_err;
      result = status;
    }
    oc_buffer_free(&text);
  }
  return result;
}

oc_status oc_stats_zero(const char *cache_dir, oc_error *err) {
  if (!cache_dir)
    return oc_fail(err, OC_INVALID, "oc_stats_zero: NULL argument");
  oc_status result = OC_OK;
  for (unsigned shard = 0; shard < STATS_SHARDS; shard++) {
    char path[PATH_MAX];
    if (shard_path(cache_dir, shard, path, sizeof path) != 0)
      return oc_fail(err, OC_INVALID, "cache directory name too long");
    int fd = oc_fs_open_regular(AT_FDCWD, path, O_RDWR, true);
    if (fd < 0) {
      int e = errno;
      if (e == ENOENT || e == ENOTDIR)
        continue;
      if ((e == ELOOP || e == EINVAL) && unlink(path) == 0)
        continue;
      if (result == OC_OK)
        result = oc_fail(err, oc_fs_errno_status(e), "cannot open %s: %s",
                         path, strerror(e));
      continue;
    }
    int e = lock_fd(fd, LOCK_EX);
    if (e == 0 && ftruncate(fd, 0) != 0)
      e = errno;
    close(fd);
    if (e != 0 && result == OC_OK)
      result = oc_fail(err, oc_fs_errno_status(e), "cannot reset %s: %s", path,
                       strerror(e));
  }
  /* The miss report covers the compiles since the last zeroing. */
  oc_error misses_err;
  if (oc_misses_zero(cache_dir, &misses_err) != OC_OK && result == OC_OK) {
    if (err)
      *err = misses_err;
    result = misses_err.status;
  }
  return result;
}

oc_status oc_stats_bump(const char *cache_dir, oc_stat stat, uint64_t by,
                        oc_error *err) {
  if ((unsigned)stat >= OC_STAT_COUNT)
    return oc_fail(err, OC_INVALID, "oc_stats_bump: unknown counter %d",
                   (int)stat);
  oc_stats delta = {{0}};
  delta.value[stat] = by;
  return oc_stats_add(cache_dir, &delta, err);
}
