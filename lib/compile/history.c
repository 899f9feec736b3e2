/* history.c - the last two factor records of each output, and the diff that
 * turns them into "what changed" for `objcache --explain`.
 *
 * Layout: <cache_dir>/history/<hex of BLAKE2b(absolute output path)>/ holds
 * "last" (the newest record) and "prev" (the one before). A new record is
 * written to a temp file and renamed over "last" after "last" was renamed to
 * "prev", so a reader sees whole records or none. Two compiles of the same
 * output racing each other can lose one of the two records; that is fine for
 * a debugging aid, and no lock is taken on the compile path.
 *
 * The diff groups entries by (factor, name). A name that occurs once on each
 * side is compared as a value ("inline-threshold 225 -> 500"); a name that
 * repeats (one "arg" per cc1 argument) is compared as a multiset, so that
 * one changed flag reads as "removed -O1" / "added -O3" rather than as a
 * shifted list. Lines come out in the order the factors and names appear in
 * the records, not in sort order, so they read like the compile did. */
#include "objcache/history.h"

#include "fsutil.h"
#include "objcache/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Values longer than this say "changed" instead of being printed, and so do
 * values holding a digest (a run of this many hex digits): nobody reads two
 * 64-digit hex strings side by side. */
#define LONG_VALUE 80
#define DIGEST_RUN 32
/* A record is a few kilobytes; this bound only guards against reading a
 * damaged or foreign file of absurd size into memory. */
#define MAX_RECORD_SIZE ((size_t)256 << 20)

/* ---- reading and writing records ---------------------------------------- */

/* <cache_dir>/history/<hex of the output path's digest> into dir. */
static oc_status history_dir(const oc_config *cfg, const char *output_path,
                             char *dir, size_t size, oc_error *err) {
  if (!output_path || output_path[0] != '/')
    return oc_fail(err, OC_INVALID,
                   "history needs an absolute output path, got \"%s\"",
                   output_path ? output_path : "(null)");
  oc_digest digest = oc_hash_bytes(output_path, strlen(output_path));
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(&digest, hex);
  int n = snprintf(dir, size, "%s/history/%s", cfg->cache_dir, hex);
  if (n < 0 || (size_t)n >= size)
    return oc_fail(err, OC_INVALID, "cache directory path too long: %s",
                   cfg->cache_dir);
  return OC_OK;
}

static oc_status io_fail(oc_error *err, int e, const char *what,
                         const char *path) {
  return oc_fail(err, oc_fs_errno_status(e), "cannot %s %s: %s", what, path,
                 strerror(e));
}

/* Opens dir (just made by mkdir -p) and its parent without following a
 * symlink: a symlink planted at history/ or history/<hash> would otherwise
 * redirect the writes below to anywhere the user can write. */
static int open_history_dir(const char *dir, oc_error *err) {
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", dir);
  char *slash = strrchr(parent, '/');
  if (!slash)
    return -1;
  *slash = '\0';
  int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int fd = pfd < 0 ? -1
                   : openat(pfd, slash + 1,
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int e = errno;
  if (pfd >= 0)
    close(pfd);
  if (fd < 0) {
    if (e == ELOOP || e == ENOTDIR)
      oc_fail(err, OC_IO_ERROR, "%s is a symlink or not a directory; the "
              "history never follows one", dir);
    else
      io_fail(err, e, "open", dir);
  }
  return fd;
}

oc_status oc_history_record(const oc_config *cfg, const char *output_path,
                            const char *record, size_t len, oc_error *err) {
  char dir[PATH_MAX];
  oc_status status = history_dir(cfg, output_path, dir, sizeof dir, err);
  if (status != OC_OK)
    return status;
  status = oc_fs_mkdirs(dir, cfg->umask, err);
  if (status != OC_OK)
    return status;
  int dirfd = open_history_dir(dir, err);
  if (dirfd < 0)
    return err ? err->status : OC_IO_ERROR;

  /* Not oc_fs_write_atomic_at: last must become prev only once the new
   * record is safely written, between the writer's write and its rename. */
  char tmp[64];
  oc_fs_temp_name(tmp, sizeof tmp, "last"); /* beside it, for rename(2) */
  int fd = openat(dirfd, tmp,
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    status = io_fail(err, errno, "create in", dir);
    close(dirfd);
    return status;
  }
  oc_fs_apply_mask(fd, 0666, cfg->umask);
  int e = oc_fs_write_all(fd, record, len);
  if (close(fd) != 0 && e == 0)
    e = errno;
  if (e != 0)
    status = io_fail(err, e, "write in", dir);
  /* renameat replaces a symlink named last or prev, never its target. */
  if (status == OC_OK && renameat(dirfd, "last", dirfd, "prev") != 0 &&
      errno != ENOENT)
    status = io_fail(err, errno, "rename last in", dir);
  if (status == OC_OK && renameat(dirfd, tmp, dirfd, "last") != 0)
    status = io_fail(err, errno, "rename a record in", dir);
  if (status != OC_OK)
    unlinkat(dirfd, tmp, 0);
  close(dirfd);
  return status;
}

/* Reads a whole record through the bounded reader (a regular file, not a
 * symlink or FIFO). OC_NOT_FOUND when the file does not exist. */
static oc_status read_record(const char *path, oc_buffer *out, oc_error *err) {
  return oc_fs_read_file(AT_FDCWD, path, true, MAX_RECORD_SIZE, out, NULL,
                         err);
}

oc_status oc_history_last(const oc_config *cfg, const char *output_path,
                          oc_buffer *out, oc_error *err) {
  char dir[PATH_MAX], path[PATH_MAX + 8];
  oc_status status = history_dir(cfg, output_path, dir, sizeof dir, err);
  if (status != OC_OK)
    return status;
  snprintf(path, sizeof path, "%s/last", dir);
  out->size = 0;
  return read_record(path, out, err);
}

/* ---- the diff ------------------------------------------------------------ */

typedef struct {
  const char *text; /* factor\tname\tvalue, escaped as in the record */
  uint32_t factor_len, name_len, value_len;
  const char *name, *value;
  uint32_t side; /* 0 old, 1 new */
  uint32_t pos;  /* line number within its record */
} entry;

/* One output line, kept aside so the lines can be put in reading order. */
typedef struct {
  uint64_t factor_rank, name_rank, seq;
  size_t offset, len;
} change;

typedef struct {
  oc_buffer text;
  change *items;
  size_t count, capacity;
  oc_status status;
} changes;

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c != 0)
    return c;
  return (alen > blen) - (alen < blen);
}

static int entry_cmp(const void *pa, const void *pb) {
  const entry *a = pa, *b = pb;
  int c = bytes_cmp(a->text, a->factor_len, b->text, b->factor_len);
  if (c == 0)
    c = bytes_cmp(a->name, a->name_len, b->name, b->name_len);
  if (c == 0)
    c = (a->side > b->side) - (a->side < b->side);
  if (c == 0)
    c = (a->pos > b->pos) - (a->pos < b->pos);
  return c;
}

static int value_cmp(const void *pa, const void *pb) {
  const entry *a = *(const entry *const *)pa, *b = *(const entry *const *)pb;
  return bytes_cmp(a->value, a->value_len, b->value, b->value_len);
}

static int change_cmp(const void *pa, const void *pb) {
  const change *a = pa, *b = pb;
  if (a->factor_rank != b->factor_rank)
    return a->factor_rank < b->factor_rank ? -1 : 1;
  if (a->name_rank != b->name_rank)
    return a->name_rank < b->name_rank ? -1 : 1;
  return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Splits a record into entries. OC_CORRUPT for a line without two tabs. */
static oc_status parse_record(const char *data, size_t len, uint32_t side,
                              entry *out, size_t *count) {
  size_t n = 0;
  const char *p = data, *end = data + len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
      eol = end; /* tolerate a missing final newline */
    const char *tab1 = memchr(p, '\t', (size_t)(eol - p));
    const char *tab2 =
        tab1 ? memchr(tab1 + 1, '\t', (size_t)(eol - tab1 - 1)) : NULL;
    if (!tab2)
      return OC_CORRUPT;
    out[n] = (entry){
        .text = p,
        .factor_len = (uint32_t)(tab1 - p),
        .name = tab1 + 1,
        .name_len = (uint32_t)(tab2 - tab1 - 1),
        .value = tab2 + 1,
        .value_len = (uint32_t)(eol - tab2 - 1),
        .side = side,
        .pos = (uint32_t)n,
    };
    n++;
    p = eol + 1;
  }
  *count = n;
  return OC_OK;
}

static size_t count_lines(const char *data, size_t len) {
  size_t n = 0;
  for (const char *p = data, *end = data + len; p < end; n++) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    p = eol ? eol + 1 : end;
  }
  return n;
}

static void text_append(changes *c, const void *data, size_t len) {
  if (c->status == OC_OK)
    c->status = oc_buffer_append(&c->text, data, len);
}

/* A value as shown to people: quoted when empty or holding spaces, so that
 * "a b -> c" cannot be misread; shortened in the middle when long. */
static void text_value(changes *c, const char *value, size_t len) {
  bool quote = len == 0 || memchr(value, ' ', len) != NULL;
  if (quote)
    text_append(c, "\"", 1);
  if (len <= LONG_VALUE) {
    text_append(c, value, len);
  } else {
    text_append(c, value, 40);
    text_append(c, "...", 3);
    text_append(c, value + len - 30, 30);
  }
  if (quote)
    text_append(c, "\"", 1);
}

/* Starts a line "<factor>: " and returns its offset in c->text. */
static size_t line_begin(changes *c, const entry *e) {
  size_t offset = c->text.size;
  text_append(c, e->text, e->factor_len);
  text_append(c, ": ", 2);
  return offset;
}

static void line_end(changes *c, size_t offset, uint64_t factor_rank,
                     uint64_t name_rank, uint64_t seq) {
  text_append(c, "\n", 1);
  if (c->status != OC_OK)
    return;
  if (c->count == c->capacity) {
    size_t capacity = c->capacity ? 2 * c->capacity : 16;
    change *items = realloc(c->items, capacity * sizeof *items);
    if (!items) {
      c->status = OC_NO_MEMORY;
      return;
    }
    c->items = items;
    c->capacity = capacity;
  }
  c->items[c->count++] =
      (change){factor_rank, name_rank, seq, offset, c->text.size - offset};
}

/* Where an entry first shows: its place in the new record, else after the
 * whole new record at its place in the old one. */
static uint64_t appearance(const entry *e, size_t new_count) {
  return e->side == 1 ? e->pos : new_count + e->pos;
}

/* Whether a value is better summarised as "changed" than printed. */
static bool opaque(const entry *e) {
  if (e->value_len > LONG_VALUE)
    return true;
  size_t run = 0;
  for (size_t i = 0; i < e->value_len; i++) {
    char c = e->value[i];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
               (c >= 'A' && c <= 'F');
    run = hex ? run + 1 : 0;
    if (run >= DIGEST_RUN)
      return true;
  }
  return false;
}

static bool same_value(const entry *a, const entry *b) {
  return a->value_len == b->value_len &&
         memcmp(a->value, b->value, a->value_len) == 0;
}

/* A name that occurs once on each side, or on one side only. */
static void diff_single(changes *c, const entry *was, const entry *now,
                        uint64_t frank, uint64_t nrank) {
  const entry *e = now ? now : was;
  if (was && now && same_value(was, now))
    return;
  size_t at = line_begin(c, e);
  if (was && now) {
    text_append(c, e->name, e->name_len);
    if (opaque(was) || opaque(now)) {
      text_append(c, " changed", 8);
    } else {
      text_append(c, " ", 1);
      text_value(c, was->value, was->value_len);
      text_append(c, " -> ", 4);
      text_value(c, now->value, now->value_len);
    }
  } else {
    text_append(c, now ? "added " : "removed ", now ? 6 : 8);
    text_append(c, e->name, e->name_len);
    if (!opaque(e)) {
      text_append(c, now ? " = " : " (was ", now ? 3 : 6);
      text_value(c, e->value, e->value_len);
      if (!now)
        text_append(c, ")", 1);
    }
  }
  line_end(c, at, frank, nrank, 0);
}

/* A name that repeats: values compared as multisets. was and now are the
 * group's old and new entries in record order. */
static void diff_multi(changes *c, const entry *was, size_t nold,
                       const entry *now, size_t nnew, uint64_t frank,
                       uint64_t nrank) {
  const entry **a = malloc((nold + nnew + 1) * sizeof *a);
  if (!a) {
    c->status = OC_NO_MEMORY;
    return;
  }
  const entry **b = a + nold;
  for (size_t i = 0; i < nold; i++)
    a[i] = &was[i];
  for (size_t i = 0; i < nnew; i++)
    b[i] = &now[i];
  qsort(a, nold, sizeof *a, value_cmp);
  qsort(b, nnew, sizeof *b, value_cmp);
  size_t i = 0, j = 0, changed = 0;
  while (i < nold || j < nnew) {
    int cmp = i == nold ? 1 : j == nnew ? -1 : value_cmp(&a[i], &b[j]);
    if (cmp == 0) {
      i++, j++;
      continue;
    }
    const entry *e = cmp < 0 ? a[i++] : b[j++];
    size_t at = line_begin(c, e);
    text_append(c, e->side ? "added " : "removed ", e->side ? 6 : 8);
    text_value(c, e->value, e->value_len);
    /* Same position in both records sorts a removal before its addition,
     * so "-O1 -> -O3" reads as removed then added. */
    line_end(c, at, frank, nrank, 2 * (uint64_t)e->pos + e->side);
    changed++;
  }
  free(a);
  if (changed > 0 || nold != nnew)
    return;
  for (size_t k = 0; k < nold; k++) {
    if (!same_value(&was[k], &now[k])) {
      /* The same values in another order still make another key. */
      size_t at = line_begin(c, &was[0]);
      text_append(c, was[0].name, was[0].name_len);
      text_append(c, " values reordered", 17);
      line_end(c, at, frank, nrank, 0);
      return;
    }
  }
}

oc_status oc_record_diff(const char *old_record, size_t old_len,
                         const char *new_record, size_t new_len,
                         oc_buffer *out) {
  if (old_len > UINT32_MAX || new_len > UINT32_MAX)
    return OC_INVALID; /* entry keeps 32-bit lengths */
  size_t nold_lines = count_lines(old_record, old_len);
  size_t nnew_lines = count_lines(new_record, new_len);
  if (nold_lines + nnew_lines >= UINT32_MAX)
    return OC_INVALID;
  entry *all = malloc((nold_lines + nnew_lines + 1) * sizeof *all);
  if (!all)
    return OC_NO_MEMORY;
  size_t nold = 0, nnew = 0;
  oc_status status = parse_record(old_record, old_len, 0, all, &nold);
  if (status == OC_OK)
    status = parse_record(new_record, new_len, 1, all + nold, &nnew);
  if (status != OC_OK) {
    free(all);
    return status;
  }
  size_t total = nold + nnew;
  /* Before sorting: do both records list the same entries in the same
   * order? (They may still differ in bytes, by a missing final newline.) */
  bool same_order = nold == nnew;
  for (size_t i = 0; same_order && i < nold; i++) {
    const entry *a = &all[i], *b = &all[nold + i];
    size_t alen = (size_t)(a->value + a->value_len - a->text);
    size_t blen = (size_t)(b->value + b->value_len - b->text);
    same_order = bytes_cmp(a->text, alen, b->text, blen) == 0;
  }
  qsort(all, total, sizeof *all, entry_cmp);

  changes c = {.status = OC_OK};
  for (size_t f = 0; f < total;) {
    /* One factor: [f, fend). Its rank is its earliest appearance. */
    size_t fend = f;
    uint64_t frank = UINT64_MAX;
    while (fend < total && all[fend].factor_len == all[f].factor_len &&
           memcmp(all[fend].text, all[f].text, all[f].factor_len) == 0) {
      uint64_t r = appearance(&all[fend], nnew);
      frank = r < frank ? r : frank;
      fend++;
    }
    for (size_t g = f; g < fend;) {
      /* One (factor, name): [g, gend), old entries first (sort order). */
      size_t gend = g, split = g;
      uint64_t nrank = UINT64_MAX;
      while (gend < fend && bytes_cmp(all[gend].name, all[gend].name_len,
                                      all[g].name, all[g].name_len) == 0) {
        uint64_t r = appearance(&all[gend], nnew);
        nrank = r < nrank ? r : nrank;
        if (all[gend].side == 0)
          split = gend + 1;
        gend++;
      }
      size_t o = split - g, n = gend - split;
      if (o <= 1 && n <= 1)
        diff_single(&c, o ? &all[g] : NULL, n ? &all[split] : NULL, frank,
                    nrank);
      else
        diff_multi(&c, &all[g], o, &all[split], n, frank, nrank);
      g = gend;
    }
    f = fend;
  }

  if (c.status == OC_OK && c.count == 0 && !same_order) {
    /* Every (factor, name) agrees, yet the records differ: entries moved. */
    static const char moved[] =
        "the same factors were recorded in a different order\n";
    c.status = oc_buffer_append(out, moved, sizeof moved - 1);
  }
  if (c.status == OC_OK && c.count > 0) {
    qsort(c.items, c.count, sizeof *c.items, change_cmp);
    for (size_t i = 0; i < c.count && c.status == OC_OK; i++)
      c.status = oc_buffer_append(out, c.text.data + c.items[i].offset,
                                  c.items[i].len);
  }
  status = c.status;
  free(c.items);
  oc_buffer_free(&c.text);
  free(all);
  return status;
}

/* ---- explain --------------------------------------------------------------
 */

static oc_status appendf(oc_buffer *out, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static oc_status appendf(oc_buffer *out, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int n = vsnprintf(NULL, 0, format, args);
  va_end(args);
  if (n < 0)
    return OC_INVALID;
  oc_status status = oc_buffer_reserve(out, (size_t)n + 1);
  if (status != OC_OK)
    return status;
  va_start(args, format);
  vsnprintf((char *)out->data + out->size, (size_t)n + 1, format, args);
  va_end(args);
  out->size += (size_t)n;
  return OC_OK;
}

oc_status oc_history_explain(const oc_config *cfg, const char *output_path,
                             oc_buffer *out, oc_error *err) {
  char dir[PATH_MAX], path[PATH_MAX + 8];
  oc_status status = history_dir(cfg, output_path, dir, sizeof dir, err);
  if (status != OC_OK)
    return status;
  oc_buffer older = {0}, newer = {0};
  snprintf(path, sizeof path, "%s/last", dir);
  status = read_record(path, &newer, err);
  if (status == OC_OK) {
    snprintf(path, sizeof path, "%s/prev", dir);
    status = read_record(path, &older, err);
  }
  if (status == OC_NOT_FOUND) {
    oc_fail(err, OC_NOT_FOUND, "no previous compile of %s", output_path);
    if (appendf(out, "no previous compile of %s\n", output_path) != OC_OK)
      status = oc_fail(err, OC_NO_MEMORY, "out of memory");
  }
  if (status == OC_OK) {
    oc_buffer diff = {0};
    status = oc_record_diff((const char *)older.data, older.size,
                            (const char *)newer.data, newer.size, &diff);
    if (status == OC_CORRUPT)
      oc_fail(err, status, "damaged history record in %s", dir);
    else if (status != OC_OK)
      oc_fail(err, status, "cannot compare the records of %s: %s", output_path,
              oc_status_name(status));
    else if (diff.size == 0)
      status = appendf(out,
                       "no factor changed between the last two compiles of "
                       "%s\n",
                       output_path);
    else
      status = appendf(out, "%s: changed since the previous compile:\n",
                       output_path);
    /* Indented under the heading, one change per line. */
    for (size_t i = 0; status == OC_OK && i < diff.size;) {
      const uint8_t *eol = memchr(diff.data + i, '\n', diff.size - i);
      size_t len = (size_t)(eol - (diff.data + i)) + 1;
      status = oc_buffer_append(out, "  ", 2);
      if (status == OC_OK)
        status = oc_buffer_append(out, diff.data + i, len);
      i += len;
    }
    if (status == OC_NO_MEMORY)
      oc_fail(err, status, "out of memory");
    oc_buffer_free(&diff);
  }
  oc_buffer_free(&older);
  oc_buffer_free(&newer);
  return status;
}
