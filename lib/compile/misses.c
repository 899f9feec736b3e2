/* misses.c - the miss log of misses.h: one line per miss,
 * "<kind>\t<reason>\t<output>\n", appended with O_APPEND in one write(2)
 * so that parallel compiles never interleave, and grouped when read.
 *
 * The reason comes from oc_record_diff's lines ("factor: change"). Several
 * factors usually change together (a -mllvm option shows in the cc1
 * arguments and among the LLVM options; an -O level in the arguments, the
 * target and the pipeline), so one is picked by a fixed order, the one that
 * names the cause most directly: whatever changes everything (the key
 * scheme, the compiler, objcache) first, then named options and files,
 * then the derived settings, and the module (source, headers, macros)
 * last, as what is left when no option changed. */
#include "objcache/misses.h"

#include "fsutil.h"
#include "objcache/history.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A build's worth of misses is a few megabytes at most; past this the log
 * stops growing (and the report says so) until the next zeroing. */
#define LOG_LIMIT ((off_t)16 << 20)
#define LINE_MAX_LEN 2048

static const struct {
  const char *factor; /* as in the record */
  const char *kind;
  const char *label; /* for people */
} order[] = {
    {"scheme", "scheme", "objcache's key scheme"},
    {"compiler", "compiler", "the compiler"},
    {"objcache", "objcache", "objcache itself"},
    {"plugin", "plugin", "another plugin"},
    {"llvm-option", "llvm-option", "-mllvm option"},
    {"file", "file", "a file named by an option"},
    {"invocation", "option", "option"},
    {"target", "target", "target setting"},
    {"pipeline", "pipeline", "pipeline setting"},
    {"module", "source", "source/IR"},
};

static void copy(char *out, size_t size, const char *text) {
  snprintf(out, size, "%s", text);
}

/* The detail of one diff line: what follows "factor: ". */
static const char *detail_of(const char *line) {
  const char *colon = strstr(line, ": ");
  return colon ? colon + 2 : line;
}

static bool is_working_dir(const char *detail) {
  return strstr(detail, "-fdebug-compilation-dir=") ||
         strstr(detail, "-fcoverage-compilation-dir=");
}

void oc_miss_reason(const char *old_record, size_t old_len,
                    const char *new_record, size_t new_len, char *kind,
                    size_t kind_size, char *reason, size_t reason_size) {
  if (!old_record) {
    copy(kind, kind_size, "first-compile");
    copy(reason, reason_size, "first compile of this output");
    return;
  }
  oc_buffer diff = {0};
  if (oc_record_diff(old_record, old_len, new_record, new_len, &diff) !=
          OC_OK ||
      oc_buffer_append(&diff, "", 1) != OC_OK) {
    oc_buffer_free(&diff);
    copy(kind, kind_size, "unchanged");
    copy(reason, reason_size, "unknown (the previous record is damaged)");
    return;
  }
  /* Split into lines in place; diff.data ends with a NUL. */
  size_t nlines = 0, cap = 0;
  char **lines = NULL;
  for (char *p = (char *)diff.data; *p;) {
    char *eol = strchr(p, '\n');
    if (eol)
      *eol = '\0';
    if (nlines == cap) {
      cap = cap ? 2 * cap : 32;
      char **grown = realloc(lines, cap * sizeof *grown);
      if (!grown)
        break;
      lines = grown;
    }
    lines[nlines++] = p;
    p = eol ? eol + 1 : p + strlen(p);
  }

  bool found = false;
  for (size_t f = 0; f < sizeof order / sizeof *order && !found; f++) {
    size_t flen = strlen(order[f].factor);
    const char *first = NULL, *second = NULL;
    size_t matches = 0;
    bool cwd = false;
    for (size_t i = 0; i < nlines; i++) {
      if (strncmp(lines[i], order[f].factor, flen) != 0 ||
          strncmp(lines[i] + flen, ": ", 2) != 0)
        continue;
      const char *detail = detail_of(lines[i]);
      if (strcmp(order[f].factor, "invocation") == 0 &&
          is_working_dir(detail)) {
        cwd = true; /* the invocation factor */
        continue;
      }
      /* The working directory is not in the invocation factor (key.md):
       * with -g it is the compile unit's directory, in the module. */
      if (strcmp(order[f].factor, "module") == 0 &&
          strncmp(detail, "comp-dir ", 9) == 0)
        cwd = true;
      matches++;
      if (!first)
        first = detail;
      else if (!second)
        second = detail;
    }
    if (cwd && (matches == 0 || strcmp(order[f].factor, "module") == 0)) {
      copy(kind, kind_size, "working-directory");
      copy(reason, reason_size, "the working directory");
      found = true;
    } else if (matches > 0 && strcmp(order[f].factor, "module") == 0) {
      copy(kind, kind_size, order[f].kind);
      copy(reason, reason_size,
           "source/IR: the module changed (the source, a header or a macro)");
      found = true;
    } else if (matches > 0) {
      copy(kind, kind_size, order[f].kind);
      /* Two changes read as one ("removed -O2, added -O1"); the count of
       * the rest keeps reasons of one pattern grouped together. */
      int n = snprintf(reason, reason_size, "%s: %s", order[f].label, first);
      if (second && n >= 0 && (size_t)n < reason_size)
        n += snprintf(reason + n, reason_size - (size_t)n, ", %s", second);
      if (matches > 2 && n >= 0 && (size_t)n < reason_size)
        snprintf(reason + n, reason_size - (size_t)n, " (+%zu more)",
                 matches - 2);
      found = true;
    }
  }
  if (!found && nlines > 0) {
    /* A factor this list does not know (from a newer key scheme). */
    copy(kind, kind_size, "other");
    copy(reason, reason_size, lines[0]);
    found = true;
  }
  if (!found) {
    copy(kind, kind_size, "unchanged");
    copy(reason, reason_size,
         "no factor changed (the entry was evicted, cleared, or never "
         "stored)");
  }
  free(lines);
  oc_buffer_free(&diff);
}

static void log_path(const char *cache_dir, char *out, size_t size) {
  snprintf(out, size, "%s/stats/misses", cache_dir);
}

/* Tabs and newlines would break the line format. */
static void flatten(char *text) {
  for (; *text; text++)
    if (*text == '\t' || *text == '\n' || *text == '\r')
      *text = ' ';
}

oc_status oc_misses_note(const oc_config *cfg, const char *output_path,
                         const char *record, size_t len, oc_error *err) {
  oc_buffer last = {0};
  oc_status status = oc_history_last(cfg, output_path, &last, err);
  if (status != OC_OK && status != OC_NOT_FOUND) {
    oc_buffer_free(&last);
    return status;
  }
  char kind[32], reason[512], line[LINE_MAX_LEN];
  oc_miss_reason(status == OC_OK ? (const char *)last.data : NULL, last.size,
                 record, len, kind, sizeof kind, reason, sizeof reason);
  oc_buffer_free(&last);
  flatten(reason);
  char output[PATH_MAX];
  copy(output, sizeof output, output_path);
  flatten(output);
  int n = snprintf(line, sizeof line, "%s\t%s\t%s\n", kind, reason, output);
  if (n < 0)
    return OC_OK;
  if ((size_t)n >= sizeof line) { /* a huge path: keep the line whole */
    line[sizeof line - 2] = '\n';
    n = (int)sizeof line - 1;
  }

  char path[PATH_MAX + 16], dir[PATH_MAX + 8];
  log_path(cfg->cache_dir, path, sizeof path);
  snprintf(dir, sizeof dir, "%s/stats", cfg->cache_dir);
  status = oc_fs_mkdirs(dir, cfg->umask, err);
  if (status != OC_OK)
    return status;
  int fd =
      open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    int e = errno;
    return oc_fail(err, oc_fs_errno_status(e), "cannot open %s: %s", path,
                   strerror(e));
  }
  oc_fs_apply_mask(fd, 0666, cfg->umask);
  struct stat st;
  int e = 0;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < LOG_LIMIT)
    e = oc_fs_write_all(fd, line, (size_t)n);
  close(fd);
  if (e != 0)
    return oc_fail(err, oc_fs_errno_status(e), "cannot write %s: %s", path,
                   strerror(e));
  return OC_OK;
}

static int by_count(const void *pa, const void *pb) {
  const oc_miss_group *a = pa, *b = pb;
  if (a->count != b->count)
    return a->count > b->count ? -1 : 1;
  return 0;
}

oc_status oc_misses_read(const oc_config *cfg, oc_miss_report *out,
                         oc_error *err) {
  memset(out, 0, sizeof *out);
  char path[PATH_MAX + 16];
  log_path(cfg->cache_dir, path, sizeof path);
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR)
      return OC_OK;
    return oc_fail(err, oc_fs_errno_status(e), "cannot open %s: %s", path,
                   strerror(e));
  }
  oc_buffer text = {0};
  oc_status status =
      oc_fs_read_fd(fd, path, (size_t)LOG_LIMIT + LINE_MAX_LEN, &text, err);
  close(fd);
  if (status == OC_OK)
    status = oc_buffer_append(&text, "", 1);
  if (status != OC_OK) {
    oc_buffer_free(&text);
    return status;
  }
  out->truncated = text.size > (size_t)LOG_LIMIT;
  size_t cap = 0;
  char *save = NULL;
  for (char *line = strtok_r((char *)text.data, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    /* Hostile bytes: a line without two tabs is skipped. */
    char *tab1 = strchr(line, '\t');
    char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    if (!tab2)
      continue;
    *tab1 = *tab2 = '\0';
    const char *kind = line, *reason = tab1 + 1, *output = tab2 + 1;
    out->total++;
    size_t g = 0;
    while (g < out->count && (strcmp(out->groups[g].kind, kind) != 0 ||
                              strncmp(out->groups[g].reason, reason,
                                      sizeof out->groups[g].reason - 1) != 0))
      g++;
    if (g == out->count) {
      if (out->count == cap) {
        cap = cap ? 2 * cap : 16;
        oc_miss_group *grown = realloc(out->groups, cap * sizeof *grown);
        if (!grown) {
          status = oc_fail(err, OC_NO_MEMORY, "out of memory");
          break;
        }
        out->groups = grown;
      }
      oc_miss_group *group = &out->groups[out->count++];
      copy(group->kind, sizeof group->kind, kind);
      copy(group->reason, sizeof group->reason, reason);
      copy(group->example, sizeof group->example, output);
      group->count = 0;
    }
    out->groups[g].count++;
  }
  oc_buffer_free(&text);
  if (status != OC_OK) {
    oc_miss_report_free(out);
    return status;
  }
  /* Stable for equal counts: first seen first. qsort is not stable, so
   * insertion sort (a report has a handful of groups). */
  for (size_t i = 1; i < out->count; i++) {
    oc_miss_group item = out->groups[i];
    size_t j = i;
    while (j > 0 && by_count(&out->groups[j - 1], &item) > 0) {
      out->groups[j] = out->groups[j - 1];
      j--;
    }
    out->groups[j] = item;
  }
  return OC_OK;
}

void oc_miss_report_free(oc_miss_report *report) {
  if (!report)
    return;
  free(report->groups);
  memset(report, 0, sizeof *report);
}

oc_status oc_misses_zero(const char *cache_dir, oc_error *err) {
  char path[PATH_MAX + 16];
  log_path(cache_dir, path, sizeof path);
  if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR) {
    int e = errno;
    return oc_fail(err, oc_fs_errno_status(e), "cannot remove %s: %s", path,
                   strerror(e));
  }
  return OC_OK;
}
