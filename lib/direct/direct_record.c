/* direct_record.c - the direct record's codec (objcache/direct.h): the
 * plugin encodes what the front end read and wrote, the launcher decodes
 * it. Also the record file itself: its name under <cache_dir>/tmp/, its
 * exclusive creation and its removal. The decoder needs only hash.c and
 * buffer.c (the fuzz target builds it with those). */
#include "fsutil.h"
#include "objcache/direct.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- encoder ------------------------------------------------------------ */

static bool has_newline(const char *s) { return s && strchr(s, '\n'); }

static oc_status put_line(oc_buffer *out, const char *tag, const char *a,
                          const char *b) {
  oc_status status = oc_buffer_append(out, tag, strlen(tag));
  if (status == OC_OK && a)
    status = oc_buffer_append(out, a, strlen(a));
  if (status == OC_OK && b) {
    status = oc_buffer_append(out, " ", 1);
    if (status == OC_OK)
      status = oc_buffer_append(out, b, strlen(b));
  }
  return status == OC_OK ? oc_buffer_append(out, "\n", 1) : status;
}

static bool any_newline(const oc_direct_record *rec) {
  bool bad = has_newline(rec->output) || has_newline(rec->depfile) ||
             has_newline(rec->location);
  for (size_t i = 0; i < rec->target_count; i++)
    bad |= has_newline(rec->targets[i]);
  for (size_t i = 0; i < rec->dep_count; i++)
    bad |= has_newline(rec->deps[i]);
  for (size_t i = 0; i < rec->side_count; i++)
    bad |= has_newline(rec->sides[i]);
  for (size_t i = 0; i < rec->side_output_count; i++)
    bad |= has_newline(rec->side_outputs[i].name) ||
           has_newline(rec->side_outputs[i].path);
  for (size_t i = 0; i < rec->file_count; i++)
    bad |= has_newline(rec->files[i].path);
  return bad;
}

oc_status oc_direct_record_encode(const oc_direct_record *rec, oc_buffer *out,
                                  oc_error *err) {
  if (!rec->output)
    return oc_fail(err, OC_INVALID, "a record needs an output");
  /* A name with a newline cannot be written in this format: the caller
   * records nothing (the next compile is simply another miss). */
  if (any_newline(rec))
    return oc_fail(err, OC_INVALID, "a file name holds a newline");
  char hex[OC_DIGEST_HEX_SIZE], depmain[16];
  oc_digest_to_hex(&rec->key, hex);
  oc_status s = put_line(out, OC_DIRECT_RECORD_HEADER, NULL, NULL);
  if (s == OC_OK)
    s = put_line(out, "key ", hex, NULL);
  if (s == OC_OK)
    s = put_line(out, "output ", rec->output, NULL);
  if (s == OC_OK && rec->depfile) {
    s = put_line(out, "depfile ", rec->depfile, NULL);
    for (size_t i = 0; s == OC_OK && i < rec->target_count; i++)
      s = put_line(out, "target ", rec->targets[i], NULL);
    snprintf(depmain, sizeof depmain, "%u", (unsigned)rec->depmain);
    if (s == OC_OK)
      s = put_line(out, "depmain ", depmain, NULL);
    for (size_t i = 0; s == OC_OK && i < rec->dep_count; i++)
      s = put_line(out, "dep ", rec->deps[i], NULL);
  }
  for (size_t i = 0; s == OC_OK && i < rec->side_count; i++)
    s = put_line(out, "side ", rec->sides[i], NULL);
  for (size_t i = 0; s == OC_OK && i < rec->side_output_count; i++)
    s = put_line(out, "sideoutput ", rec->side_outputs[i].name,
                 rec->side_outputs[i].path);
  if (s == OC_OK && rec->store)
    s = put_line(out, "store", NULL, NULL);
  for (size_t i = 0; s == OC_OK && i < rec->file_count; i++)
    s = put_line(out, rec->files[i].absent ? "absent " : "read ",
                 rec->files[i].path, NULL);
  if (s == OC_OK && rec->location && rec->location[0])
    s = put_line(out, "location ", rec->location, NULL);
  if (s == OC_OK)
    s = put_line(out, "end", NULL, NULL);
  return s == OC_OK ? OC_OK : oc_fail(err, s, "out of memory");
}

/* ---- decoder ------------------------------------------------------------ */

/* Appends item (of size `size`) to *array, growing it by doubling. */
static bool push(void **array, size_t *count, size_t *cap, size_t size,
                 const void *item) {
  if (*count == *cap) {
    size_t grown_cap = *cap ? 2 * *cap : 16;
    void *grown = realloc(*array, grown_cap * size);
    if (!grown)
      return false;
    *array = grown;
    *cap = grown_cap;
  }
  memcpy((char *)*array + *count * size, item, size);
  (*count)++;
  return true;
}

void oc_direct_record_free(oc_direct_record *rec) {
  if (rec->owned_) {
    free(rec->targets);
    free(rec->deps);
    free(rec->sides);
    free(rec->side_outputs);
    free(rec->files);
    free(rec->owned_);
  }
  memset(rec, 0, sizeof *rec);
}

/* "sideoutput <name> <path>": a name of 1 to 15 bytes, an absolute path. */
static const char *side_output(char *spec, oc_direct_side_output *out) {
  char *space = strchr(spec, ' ');
  if (!space || space == spec ||
      (size_t)(space - spec) >= OC_MANIFEST_NAME_SIZE || space[1] != '/')
    return "bad side output in record";
  *space = '\0';
  out->name = spec;
  out->path = space + 1;
  return NULL;
}

const char *oc_direct_record_decode(const void *data, size_t size,
                                    oc_direct_record *rec) {
  memset(rec, 0, sizeof *rec);
  char *text = malloc(size + 1);
  if (!text)
    return "out of memory";
  if (size)
    memcpy(text, data, size);
  text[size] = '\0';
  rec->owned_ = text;
  size_t lines = 0, targets_cap = 0, deps_cap = 0, sides_cap = 0,
         outputs_cap = 0, files_cap = 0;
  bool ended = false, keyed = false, pushed = true;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save), lines++) {
    const char *why = NULL;
    if (ended) {
      why = "record continues after its end";
    } else if (lines == 0) {
      if (strcmp(line, OC_DIRECT_RECORD_HEADER) != 0)
        why = "bad record header";
    } else if (strncmp(line, "key ", 4) == 0) {
      keyed = oc_digest_from_hex(line + 4, &rec->key);
      if (!keyed)
        why = "bad key in record";
    } else if (strcmp(line, "end") == 0) {
      ended = true;
    } else if (strncmp(line, "output ", 7) == 0) {
      rec->output = line + 7;
    } else if (strncmp(line, "depfile ", 8) == 0) {
      rec->depfile = line + 8;
    } else if (strncmp(line, "target ", 7) == 0) {
      const char *target = line + 7;
      pushed = push((void **)&rec->targets, &rec->target_count, &targets_cap,
                    sizeof target, &target);
    } else if (strncmp(line, "depmain ", 8) == 0) {
      rec->depmain = (uint32_t)strtoul(line + 8, NULL, 10);
    } else if (strncmp(line, "dep ", 4) == 0) {
      const char *dep = line + 4;
      pushed = push((void **)&rec->deps, &rec->dep_count, &deps_cap, sizeof dep,
                    &dep);
    } else if (strncmp(line, "sideoutput ", 11) == 0) {
      oc_direct_side_output out;
      why = side_output(line + 11, &out);
      if (!why && rec->side_output_count == OC_MANIFEST_MAX_SIDE_OUTPUTS)
        why = "too many side outputs";
      if (!why)
        pushed = push((void **)&rec->side_outputs, &rec->side_output_count,
                      &outputs_cap, sizeof out, &out);
    } else if (strcmp(line, "store") == 0) {
      rec->store = true;
    } else if (strncmp(line, "side ", 5) == 0) {
      const char *side = line + 5;
      pushed = push((void **)&rec->sides, &rec->side_count, &sides_cap,
                    sizeof side, &side);
    } else if (strncmp(line, "read ", 5) == 0 && line[5]) {
      oc_direct_record_file f = {line + 5, false};
      pushed = push((void **)&rec->files, &rec->file_count, &files_cap,
                    sizeof f, &f);
    } else if (strncmp(line, "absent ", 7) == 0 && line[7]) {
      oc_direct_record_file f = {line + 7, true};
      pushed = push((void **)&rec->files, &rec->file_count, &files_cap,
                    sizeof f, &f);
    } else if (strncmp(line, "location ", 9) == 0) {
      rec->location = line + 9;
    } else {
      why = "bad line in record";
    }
    if (!pushed)
      why = "out of memory";
    if (why)
      return why;
  }
  if (!ended || !keyed || !rec->output)
    return "truncated record";
  return NULL;
}

/* ---- the record file ---------------------------------------------------- */

oc_status oc_direct_record_write(const char *path, const oc_direct_record *rec,
                                 oc_error *err) {
  oc_buffer text = {0};
  oc_status status = oc_direct_record_encode(rec, &text, err);
  if (status != OC_OK) {
    oc_buffer_free(&text);
    return status;
  }
  /* An existing file is never ours to remove: OBJCACHE_DIRECT_RECORD may
   * name anything the user can write. */
  int fd =
      open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    int e = errno;
    oc_buffer_free(&text);
    return oc_fail(err, oc_fs_errno_status(e), "cannot create %s: %s", path,
                   strerror(e));
  }
  int e = oc_fs_write_all(fd, text.data, text.size);
  if (close(fd) != 0 && e == 0)
    e = errno;
  oc_buffer_free(&text);
  if (e != 0) {
    unlink(path);
    return oc_fail(err, oc_fs_errno_status(e), "cannot write %s: %s", path,
                   strerror(e));
  }
  return OC_OK;
}

const char *oc_direct_record_read(const char *path, oc_direct_record *rec) {
  memset(rec, 0, sizeof *rec);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return "no record (not cacheable, or clock macros such as __TIME__)";
  oc_buffer text = {0};
  oc_status status =
      oc_fs_read_fd(fd, path, OC_DIRECT_RECORD_MAX_SIZE, &text, NULL);
  close(fd);
  const char *why = status == OC_OK
                        ? oc_direct_record_decode(text.data, text.size, rec)
                        : "unreadable record";
  oc_buffer_free(&text);
  return why;
}

oc_status oc_direct_record_path(const oc_config *cfg, char *out, size_t size,
                                oc_error *err) {
  char dir[PATH_MAX + 16];
  snprintf(dir, sizeof dir, "%s/tmp", cfg->cache_dir);
  oc_status status = oc_fs_mkdirs(dir, cfg->umask, err);
  if (status != OC_OK)
    return status;
  int n = snprintf(out, size, "%s/direct.%ld.%016llx", dir, (long)getpid(),
                   (unsigned long long)oc_fs_random());
  if (n < 0 || (size_t)n >= size)
    return oc_fail(err, OC_INVALID, "cache directory name too long");
  return OC_OK;
}

void oc_direct_record_remove(const char *path) { unlink(path); }
