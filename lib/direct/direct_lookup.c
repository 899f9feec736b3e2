/* direct_lookup.c - direct mode's candidate rules (objcache/direct.h): a
 * candidate made from a decoded record, the capture of its files after the
 * compile (the racing-edit rule: a file changed since the compile started
 * is never recorded), the lookup that checks them again, and the textual
 * path cleaning the plugin and the launcher share. Every file is read at
 * most to its size plus one byte, so neither a grown file nor a pseudo-file
 * whose reads never end is hashed past that. */
#include "objcache/direct.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool oc_path_clean(const char *cwd, const char *path, char *out, size_t size) {
  char here[PATH_MAX];
  if (path[0] != '/' && !cwd) {
    if (!getcwd(here, sizeof here))
      return false;
    cwd = here;
  }
  char joined[2 * PATH_MAX + 2];
  int n =
      snprintf(joined, sizeof joined, "%s/%s", path[0] == '/' ? "" : cwd, path);
  if (n < 0 || (size_t)n >= sizeof joined)
    return false;
  size_t len = 0;
  char *save = NULL;
  for (char *part = strtok_r(joined, "/", &save); part;
       part = strtok_r(NULL, "/", &save)) {
    if (strcmp(part, ".") == 0)
      continue;
    if (strcmp(part, "..") == 0) {
      while (len > 0 && out[--len] != '/')
        ;
      continue;
    }
    size_t k = strlen(part);
    if (len + 1 + k + 1 > size)
      return false;
    out[len++] = '/';
    memcpy(out + len, part, k);
    len += k;
  }
  if (size < 2)
    return false;
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
  return true;
}

const char *oc_direct_candidate_from_record(const oc_direct_record *rec,
                                            oc_manifest_candidate *c) {
  c->result_key = rec->key;
  if (rec->file_count) {
    c->files = calloc(rec->file_count, sizeof *c->files);
    if (!c->files)
      return "out of memory";
  }
  for (size_t i = 0; i < rec->file_count; i++) {
    oc_manifest_file *f = &c->files[c->file_count++];
    f->kind =
        rec->files[i].absent ? OC_MANIFEST_FILE_ABSENT : OC_MANIFEST_FILE_READ;
    if (!(f->path = strdup(rec->files[i].path)))
      return "out of memory";
  }
  if (rec->side_output_count > OC_MANIFEST_MAX_SIDE_OUTPUTS)
    return "too many side outputs";
  if (rec->side_output_count) {
    c->outputs = calloc(rec->side_output_count, sizeof *c->outputs);
    if (!c->outputs)
      return "out of memory";
  }
  for (size_t i = 0; i < rec->side_output_count; i++) {
    const oc_direct_side_output *s = &rec->side_outputs[i];
    size_t len = strlen(s->name);
    if (len == 0 || len >= OC_MANIFEST_NAME_SIZE || s->path[0] != '/')
      return "bad side output in record";
    oc_manifest_output *o = &c->outputs[c->output_count++];
    memcpy(o->name, s->name, len);
    if (!(o->path = strdup(s->path)))
      return "out of memory";
  }
  return NULL;
}

static int64_t ns_of(const struct timespec *ts) {
  return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* Hashes the regular file at path, reading at most `limit` bytes plus one:
 * a file that is longer (it grew, or a pseudo-file such as
 * /proc/self/pagemap whose stat size is 0 and whose reads never end) is
 * OC_CORRUPT ("changed"), as is one that is not a regular file once open.
 * *size_out gets the bytes read. */
static oc_status hash_bounded(const char *path, uint64_t limit, oc_digest *out,
                              uint64_t *size_out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return OC_IO_ERROR;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return OC_CORRUPT;
  }
  oc_hasher hasher;
  oc_hasher_init(&hasher);
  uint64_t total = 0;
  static uint8_t chunk[65536];
  oc_status status = OC_OK;
  for (;;) {
    uint64_t left = limit + 1 - total; /* >= 1 */
    size_t want = left < sizeof chunk ? (size_t)left : sizeof chunk;
    ssize_t n = read(fd, chunk, want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      status = OC_IO_ERROR;
      break;
    }
    if (n == 0)
      break;
    total += (uint64_t)n;
    if (total > limit) {
      status = OC_CORRUPT;
      break;
    }
    oc_hasher_update(&hasher, chunk, (size_t)n);
  }
  close(fd);
  *out = oc_hasher_final(&hasher);
  *size_out = total;
  return status;
}

bool oc_direct_candidate_matches(const oc_manifest_candidate *c,
                                 const oc_digest *location, bool stat_matches,
                                 char *why, size_t why_size,
                                 bool *only_location) {
  *only_location = false;
  const char *elsewhere = NULL; /* why it is bound to another location */
  for (size_t i = 0; i < c->file_count; i++) {
    const oc_manifest_file *f = &c->files[i];
    if (f->kind == OC_MANIFEST_FILE_LOCATION) {
      if (!oc_digest_equal(&f->hash, location))
        elsewhere = f->path; /* the files still say if it is the only one */
      continue;
    }
    struct stat st;
    bool exists = stat(f->path, &st) == 0;
    if (f->kind == OC_MANIFEST_FILE_ABSENT) {
      if (!exists)
        continue;
      snprintf(why, why_size, "%s appeared", f->path);
      return false;
    }
    if (!exists || !S_ISREG(st.st_mode)) {
      snprintf(why, why_size, "%s is gone", f->path);
      return false;
    }
    if (stat_matches && (uint64_t)st.st_size == f->size &&
        ns_of(&st.st_mtim) == f->mtime_ns && ns_of(&st.st_ctim) == f->ctime_ns)
      continue;
    oc_digest now;
    uint64_t got;
    if ((uint64_t)st.st_size != f->size ||
        hash_bounded(f->path, f->size, &now, &got) != OC_OK || got != f->size ||
        !oc_digest_equal(&now, &f->hash)) {
      snprintf(why, why_size, "%s changed", f->path);
      return false;
    }
  }
  if (elsewhere) {
    snprintf(why, why_size,
             "made in another working directory or with other output names, "
             "and %s",
             elsewhere);
    *only_location = true;
    return false;
  }
  return true;
}

/* Whether a file time is not older than the compile's start. A time with
 * no nanoseconds likely comes from a file system that keeps whole seconds
 * (some network file systems): a write later in the start's second would
 * look older than the start, so such times are compared by the second (at
 * worst one needless miss for the rare fine time that is a whole second). */
static bool too_new(const struct timespec *t, const struct timespec *start,
                    int64_t start_ns) {
  if (t->tv_nsec == 0)
    return t->tv_sec >= start->tv_sec;
  return ns_of(t) >= start_ns;
}

const char *oc_direct_capture_files(oc_manifest_candidate *c,
                                    const struct timespec *start, char *detail,
                                    size_t detail_size) {
  int64_t start_ns = ns_of(start);
  for (size_t i = 0; i < c->file_count; i++) {
    oc_manifest_file *f = &c->files[i];
    struct stat before, after;
    bool exists = stat(f->path, &before) == 0;
    if (f->kind == OC_MANIFEST_FILE_ABSENT) {
      if (exists)
        return "a path the compile did not find exists now";
      continue;
    }
    if (!exists || !S_ISREG(before.st_mode))
      return "a file the compile read is gone";
    if (too_new(&before.st_mtim, start, start_ns) ||
        too_new(&before.st_ctim, start, start_ns)) {
      snprintf(detail, detail_size, "%s was modified during the compile",
               f->path);
      return detail;
    }
    uint64_t got;
    oc_status status =
        hash_bounded(f->path, (uint64_t)before.st_size, &f->hash, &got);
    if (status == OC_CORRUPT ||
        (status == OC_OK && got != (uint64_t)before.st_size))
      return "a file read does not end at its size (a pseudo-file?)";
    if (status != OC_OK)
      return "a file the compile read is unreadable";
    if (stat(f->path, &after) != 0 || after.st_size != before.st_size ||
        ns_of(&after.st_mtim) != ns_of(&before.st_mtim) ||
        ns_of(&after.st_ctim) != ns_of(&before.st_ctim))
      return "a file was modified while it was hashed";
    f->size = (uint64_t)before.st_size;
    f->mtime_ns = ns_of(&before.st_mtim);
    f->ctime_ns = ns_of(&before.st_ctim);
  }
  return NULL;
}
