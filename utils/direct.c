/* direct.c - direct mode in the launcher: serve a compile without starting
 * clang when a manifest candidate under its direct key still matches, else
 * run clang with the plugin and turn what the plugin recorded into a new
 * candidate.
 *
 *   direct key ──► manifest ──► candidate whose files all match?
 *                                  │yes                      │no
 *                 object from the store by its IR key   run clang + plugin,
 *                 written as clang writes it, the .d    stderr teed and kept;
 *                 file generated from the candidate's   on success add a
 *                 dependency list, and the stderr of    candidate, if the
 *                 that compile (text and colours only)  plugin's outputs are
 *                                                       the ones computed here
 *
 * A hit writes exactly what the compile wrote: the object (or assembly),
 * the -MD/-MMD dependency file, and the front end's diagnostics on stderr.
 * Like clang, it writes a regular file through a temp file renamed into
 * place, and into an existing device or FIFO in place (`-o /dev/null` stays
 * a device): oc_write_output. A candidate is recorded only when the outputs
 * the plugin saw clang use (its object, .d file and .d targets) are those
 * this file computed from the command line, the compile wrote no other
 * file, the .d file generated from the plugin's list is byte for byte
 * clang's, and its stderr holds nothing but text and colour codes;
 * otherwise direct mode steps aside for that command (counted in
 * `direct_uncacheable`). The record's format, its file under tmp/, the
 * capture of the candidate's files (a racing edit is never cached) and
 * their matching at lookup are lib's (objcache/direct.h): this file
 * compares the record with the command line and drives the store. Faults
 * are reported through one session (session.h): each prints one warning
 * line, counts in `errors`, and the compile goes on the plain way; the
 * counts reach the stats once, at the end. */
#include "objcache/direct.h"
#include "objcache/basedir.h"
#include "objcache/fileio.h"
#include "objcache/history.h"
#include "objcache/log.h"
#include "objcache/manifest.h"
#include "objcache/replay.h"
#include "objcache/session.h"
#include "objcache/store.h"
#include "objcache/verify.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Variables that make clang write files of its own beside the object:
 * direct mode could not reproduce them. */
static const char *const refused_env[] = {
    "CC_PRINT_OPTIONS",   "CC_PRINT_HEADERS",       "CC_LOG_DIAGNOSTICS",
    "CC_PRINT_PROC_STAT", "CC_PRINT_INTERNAL_STAT",
};

typedef struct {
  const oc_config *cfg;
  oc_session *session; /* counts, warnings, log, history; owns the store */
  oc_store *store;
  oc_key_builder *key;
  oc_digest direct_key;
  oc_cc_args args;
  char cwd[PATH_MAX]; /* as clang sees it ($PWD when it is the same dir) */
  oc_digest location; /* the working directory and verbatim arguments */
  uint64_t started_ms;
  int died_of;       /* the signal the compiler died of, to die of at the end */
  bool recorded;     /* the compile recorded a candidate, with this key: */
  oc_digest recorded_key;
  bool launcher_stored; /* ... for LLVM IR/bitcode the launcher stored, so
                           no plugin compared it */
} direct_ctx;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void print_line(void *unused, const char *line) {
  (void)unused;
  fputs(line, stderr);
}

/* Keeps the direct key's factors and the candidate's files for --explain,
 * under "<absolute output> (direct mode)". */
static void record_history(direct_ctx *ctx,
                           const oc_manifest_candidate *candidate) {
  if (!ctx->cfg->debug)
    return;
  for (size_t i = 0; i < candidate->file_count; i++) {
    const oc_manifest_file *f = &candidate->files[i];
    char hex[OC_DIGEST_HEX_SIZE];
    oc_digest_to_hex(&f->hash, hex);
    oc_key_add_str(ctx->key, "file", f->path,
                   f->kind == OC_MANIFEST_FILE_ABSENT     ? "absent"
                   : f->kind == OC_MANIFEST_FILE_LOCATION ? "location"
                                                          : hex);
  }
  size_t len;
  const char *record = oc_key_record(ctx->key, &len);
  char output[PATH_MAX], name[PATH_MAX + 32];
  if (!record || !oc_path_clean(NULL, ctx->args.output, output, sizeof output))
    return;
  snprintf(name, sizeof name, "%s%s", output, TOOL_DIRECT_HISTORY_SUFFIX);
  oc_session_set_history(ctx->session, name, record, len, false);
}

/* ---- paths --------------------------------------------------------------- */

/* base_dir: a .d name that clang printed absolute, under a base dir, is
 * kept as "//" and its form relative to the working directory, and printed
 * absolute again under the directory of the hit. (No name clang prints
 * starts with "//" in a candidate: such a compile keeps its location.) */
#define DEP_RELATIVE "//"

/* The name as this compile's clang would print it, into out. */
static const char *dep_name_here(const direct_ctx *ctx, const char *name,
                                 char *out, size_t size) {
  if (strncmp(name, DEP_RELATIVE, 2) != 0)
    return name;
  return oc_path_clean(ctx->cwd, name + 2, out, size) ? out : NULL;
}

/* Whether the .d name `name` (relative to cwd or absolute) is the file
 * `path` of the candidate, textually. */
static bool dep_names_file(const char *cwd, const char *name,
                           const char *path) {
  char a[PATH_MAX], b[PATH_MAX];
  return oc_path_clean(cwd, name, a, sizeof a) &&
         oc_path_clean(cwd, path, b, sizeof b) && strcmp(a, b) == 0;
}

/* The .d file for candidate c under this command's targets and -MP,
 * generated from the candidate's dependency list (replay.h). false when
 * the list does not check out: a name must name the candidate file it
 * points at. */
static bool generate_depfile(const direct_ctx *ctx,
                             const oc_manifest_candidate *c, oc_buffer *out) {
  const char *targets[OC_CC_MAX_TARGETS];
  for (size_t i = 0; i < ctx->args.target_count; i++)
    targets[i] = oc_cc_args_target(&ctx->args, i);
  const char **names =
      malloc((c->dep_count ? c->dep_count : 1) * sizeof *names);
  if (!names)
    return false;
  char(*here)[PATH_MAX] = malloc((c->dep_count ? c->dep_count : 1) *
                                  sizeof *here);
  bool ok = here != NULL;
  for (size_t i = 0; i < c->dep_count && ok; i++) {
    const oc_manifest_dep *d = &c->deps[i];
    names[i] = dep_name_here(ctx, d->name, here[i], sizeof here[i]);
    ok = names[i] && d->file < c->file_count &&
         c->files[d->file].kind == OC_MANIFEST_FILE_READ &&
         dep_names_file(ctx->cwd, names[i], c->files[d->file].path);
  }
  ok = ok && oc_depfile_generate(targets, ctx->args.target_count, names,
                                 c->dep_count, c->dep_input_index,
                                 ctx->args.dep_phony, out) == OC_OK;
  free(here);
  free(names);
  return ok;
}

/* ---- the lookup ---------------------------------------------------------- */

/* Serves candidate c. 1: served; 0: it cannot be served (its object is no
 * longer in the store, or its dependency list does not check out); -1: a
 * fault (reported), compile instead. */
static int serve(direct_ctx *ctx, const oc_manifest_candidate *c) {
  oc_buffer dep = {0};
  if (c->has_depfile != ctx->args.has_depfile ||
      (c->has_depfile && !generate_depfile(ctx, c, &dep))) {
    oc_buffer_free(&dep);
    return 0;
  }
  /* Every output the compile wrote must be in the entry: never a part. */
  const char *required[1 + OC_MANIFEST_MAX_SIDE_OUTPUTS] = {OC_ENTRY_OBJECT};
  for (size_t i = 0; i < c->output_count; i++)
    required[1 + i] = c->outputs[i].name;
  oc_entry_contents contents = {0};
  oc_entry_meta meta = {0};
  oc_error err = {0};
  oc_status status =
      oc_store_get_outputs(ctx->store, &c->result_key, required,
                           1 + c->output_count, &contents, &meta, &err);
  if (status != OC_OK)
    oc_buffer_free(&dep);
  if (status == OC_NOT_FOUND)
    return 0;
  if (status != OC_OK) {
    oc_session_fault(ctx->session, err.message);
    oc_entry_contents_free(&contents);
    return status == OC_CORRUPT ? 0 : -1;
  }
  char why[2 * PATH_MAX];
  const oc_entry_output *object = oc_entry_find(&contents, OC_ENTRY_OBJECT);
  bool ok = oc_write_output(ctx->args.output, object->data, object->size, why,
                            sizeof why);
  for (size_t i = 0; ok && i < c->output_count; i++) {
    const oc_entry_output *side = oc_entry_find(&contents, c->outputs[i].name);
    if (!side->absent) /* absent: the compile leaves the file alone */
      ok = oc_write_output(c->outputs[i].path, side->data, side->size, why,
                           sizeof why);
  }
  oc_entry_contents_free(&contents);
  if (ok && ctx->args.has_depfile)
    ok =
        oc_write_output(ctx->args.depfile, dep.data, dep.size, why, sizeof why);
  oc_buffer_free(&dep);
  if (!ok) {
    char message[sizeof why + 64];
    snprintf(message, sizeof message, "%s; compiling instead", why);
    oc_session_fault(ctx->session, message);
    return -1;
  }
  if (c->stderr_size) {
    /* Recorded only when clean; filtered anyway, as a manifest may come
     * from anyone who can write the cache or the remote. */
    oc_buffer text = {0};
    if (oc_stderr_sanitize(c->stderr_data, c->stderr_size, &text) == OC_OK)
      (void)oc_file_write_all(STDERR_FILENO, text.data, text.size);
    oc_buffer_free(&text);
  }
  oc_store_touch_manifest(ctx->store, &ctx->direct_key);
  oc_session_count(ctx->session, OC_STAT_TIME_SAVED_MS, meta.compile_time_ms);
  oc_session_outcome(ctx->session, OC_OUTCOME_DIRECT_HIT, OC_STAT_COUNT, NULL);
  record_history(ctx, c);
  return 1;
}

/* ---- the miss: run clang, then record ------------------------------------ */

/* Sorting the candidate's files by their cleaned path, to find the file
 * each .d name stands for. */
typedef struct {
  char *path;
  uint32_t index;
} named_file;

static int by_path(const void *a, const void *b) {
  return strcmp(((const named_file *)a)->path, ((const named_file *)b)->path);
}

/* Whether what the plugin saw clang write is what this file computed
 * from the command line, and the dependency list maps onto the
 * candidate's files; fills c's dependency list. NULL when fine, else why
 * direct mode must step aside for this command. */
static const char *check_outputs(const direct_ctx *ctx,
                                 const oc_direct_record *rec,
                                 oc_manifest_candidate *c, char *detail,
                                 size_t detail_size) {
  const oc_cc_args *args = &ctx->args;
  char mine[PATH_MAX];
  if (rec->side_count) {
    snprintf(detail, detail_size, "the compile also writes: %s", rec->sides[0]);
    return detail;
  }
  if (!oc_path_clean(ctx->cwd, args->output, mine, sizeof mine) ||
      strcmp(mine, rec->output) != 0) {
    snprintf(detail, detail_size, "clang wrote the object to %s", rec->output);
    return detail;
  }
  if (!rec->depfile != !args->has_depfile)
    return args->has_depfile ? "clang wrote no dependency file"
                             : "clang wrote a dependency file";
  if (!args->has_depfile)
    return NULL;
  if (!oc_path_clean(ctx->cwd, args->depfile, mine, sizeof mine) ||
      strcmp(mine, rec->depfile) != 0) {
    snprintf(detail, detail_size, "clang wrote the dependency file to %s",
             rec->depfile);
    return detail;
  }
  bool same = rec->target_count == args->target_count;
  for (size_t i = 0; same && i < rec->target_count; i++)
    same = strcmp(rec->targets[i], oc_cc_args_target(args, i)) == 0;
  if (!same)
    return "clang used other dependency targets";
  if (rec->depmain > rec->dep_count)
    return "bad dependency list";

  /* Each name must be one of the files the candidate checks. */
  named_file *sorted =
      calloc(c->file_count ? c->file_count : 1, sizeof *sorted);
  c->deps = calloc(rec->dep_count ? rec->dep_count : 1, sizeof *c->deps);
  const char *why = sorted && c->deps ? NULL : "out of memory";
  size_t n = 0;
  for (size_t i = 0; i < c->file_count && !why; i++) {
    if (c->files[i].kind != OC_MANIFEST_FILE_READ)
      continue;
    if (!oc_path_clean(ctx->cwd, c->files[i].path, mine, sizeof mine) ||
        !(sorted[n].path = strdup(mine)))
      why = "out of memory";
    else
      sorted[n++].index = (uint32_t)i;
  }
  if (!why)
    qsort(sorted, n, sizeof *sorted, by_path);
  for (size_t i = 0; i < rec->dep_count && !why; i++) {
    named_file key = {mine, 0};
    named_file *hit = NULL;
    if (!oc_depfile_name_ok(rec->deps[i]))
      why = "a dependency name holds a control byte";
    else if (!oc_path_clean(ctx->cwd, rec->deps[i], mine, sizeof mine) ||
             !(hit = bsearch(&key, sorted, n, sizeof *sorted, by_path))) {
      snprintf(detail, detail_size,
               "the dependency %s is no file the compile read", rec->deps[i]);
      why = detail;
    } else {
      c->deps[i].file = hit->index;
      c->deps[i].name = strdup(rec->deps[i]);
      c->dep_count = i + 1;
      if (!c->deps[i].name)
        why = "out of memory";
    }
  }
  for (size_t i = 0; i < n; i++)
    free(sorted[i].path);
  free(sorted);
  c->has_depfile = true;
  c->dep_input_index = rec->depmain;
  return why;
}

/* Whether the .d file clang wrote is exactly what a hit would generate. */
static const char *check_depfile(const direct_ctx *ctx,
                                 const oc_manifest_candidate *c) {
  int fd = open(ctx->args.depfile, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  oc_buffer theirs = {0}, ours = {0};
  struct stat st;
  const char *why = NULL;
  if (fd < 0 || fstat(fd, &st) != 0)
    why = "cannot read the dependency file";
  else if (!S_ISREG(st.st_mode))
    why = "the dependency file is not a regular file";
  else if (oc_file_read_fd(fd, ctx->args.depfile, OC_MANIFEST_MAX_OUTPUT,
                           &theirs, NULL) != OC_OK)
    why = "cannot read the dependency file";
  else if (!generate_depfile(ctx, c, &ours))
    why = "cannot generate the dependency file";
  else if (ours.size != theirs.size ||
           (ours.size && memcmp(ours.data, theirs.data, ours.size) != 0))
    why = "the dependency file generated differs from clang's";
  if (fd >= 0)
    close(fd);
  oc_buffer_free(&theirs);
  oc_buffer_free(&ours);
  return why;
}

/* LLVM IR and bitcode outputs: clang gives the plugin no hook after it
 * writes them, so the launcher stores the finished file under the key the
 * plugin computed (docs/design.md). NULL when stored, else why not. */
static const char *store_compiled_output(direct_ctx *ctx,
                                         const oc_digest *key) {
  int fd = open(ctx->args.output, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  oc_buffer bytes = {0};
  bool read_ok =
      fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      oc_file_read_fd(fd, ctx->args.output, (size_t)OC_ENTRY_MAX_CONTENT,
                      &bytes, NULL) == OC_OK;
  if (fd >= 0)
    close(fd);
  if (!read_ok) {
    oc_buffer_free(&bytes);
    return "cannot read the output";
  }
  oc_entry_output object;
  oc_entry_meta meta = {(uint64_t)time(NULL), now_ms() - ctx->started_ms};
  oc_error err = {0};
  oc_status status = oc_entry_output_set(&object, OC_ENTRY_OBJECT, bytes.data,
                                         bytes.size, false, &err);
  if (status == OC_OK)
    status = oc_store_put_outputs(ctx->store, key, &object, 1, &meta, &err);
  oc_buffer_free(&bytes);
  if (status != OC_OK) {
    oc_session_fault(ctx->session, err.message);
    return "cannot store the output";
  }
  return NULL;
}

/* ---- relocation: can the candidate serve another directory? ---------- */

/* The strings that name this compile's location in what it wrote: the
 * working directory (as $PWD and physically) and each base dir; for stderr
 * also the output names as given. */
static size_t location_needles(const direct_ctx *ctx, bool outputs,
                               char needles[][PATH_MAX], size_t max) {
  size_t n = 0;
  char physical[PATH_MAX];
  const char *fixed[4] = {ctx->cwd, getcwd(physical, sizeof physical),
                          outputs ? ctx->args.output : NULL,
                          outputs && ctx->args.has_depfile ? ctx->args.depfile
                                                           : NULL};
  for (size_t i = 0; i < 4 && n < max; i++)
    if (fixed[i] && fixed[i][0] && strcmp(fixed[i], "/") != 0)
      snprintf(needles[n++], PATH_MAX, "%s", fixed[i]);
  for (const char *b = ctx->cfg->base_dir; *b && n < max;) {
    const char *end = strchr(b, ':');
    size_t len = end ? (size_t)(end - b) : strlen(b);
    size_t keep = len;
    while (keep > 1 && b[keep - 1] == '/')
      keep--;
    if (keep < PATH_MAX)
      snprintf(needles[n++], PATH_MAX, "%.*s", (int)keep, b);
    b += len + (end ? 1 : 0);
  }
  return n;
}

static bool names_any(const void *data, size_t size, char needles[][PATH_MAX],
                      size_t n) {
  for (size_t i = 0; i < n; i++)
    if (data && memmem(data, size, needles[i], strlen(needles[i])))
      return true;
  return false;
}

/* Takes the candidate's absolute paths and .d names under base_dir
 * relative to the working directory, and says in `why` what keeps it from
 * serving another location: stderr or a .d name that names the working
 * directory, a base dir or an output; a path under base_dir that would not
 * come back byte for byte from its relative form. */
static void relocation_blocker(const direct_ctx *ctx, oc_manifest_candidate *c,
                               const oc_buffer *err_out, char *why,
                               size_t why_size) {
  const char *base = ctx->cfg->base_dir;
  char rel[PATH_MAX], back[PATH_MAX];
  for (size_t i = 0; i < c->file_count; i++) {
    oc_manifest_file *f = &c->files[i];
    if (f->path[0] != '/' || !oc_base_dir_contains(base, f->path))
      continue;
    char *copy = NULL;
    if (!oc_path_relative(ctx->cwd, f->path, rel, sizeof rel) ||
        !(copy = strdup(rel))) {
      snprintf(why, why_size, "%s (under base_dir) cannot be made relative",
               f->path);
      return;
    }
    free(f->path);
    f->path = copy;
  }
  for (size_t i = 0; i < c->dep_count; i++) {
    oc_manifest_dep *d = &c->deps[i];
    if (strncmp(d->name, DEP_RELATIVE, 2) == 0) {
      snprintf(why, why_size, "a .d name starts with //");
      return;
    }
    if (d->name[0] != '/' || !oc_base_dir_contains(base, d->name))
      continue;
    char *marked = NULL;
    if (!oc_path_relative(ctx->cwd, d->name, rel, sizeof rel) ||
        !oc_path_clean(ctx->cwd, rel, back, sizeof back) ||
        strcmp(back, d->name) != 0 || !(marked = malloc(strlen(rel) + 3))) {
      snprintf(why, why_size,
               "the .d name %s (under base_dir) would not come back from "
               "its relative form",
               d->name);
      return;
    }
    sprintf(marked, "%s%s", DEP_RELATIVE, rel);
    free(d->name);
    d->name = marked;
  }
  static char needles[8][PATH_MAX];
  size_t n = location_needles(ctx, true, needles, 8);
  if (names_any(err_out->data, err_out->size, needles, n)) {
    snprintf(why, why_size,
             "its diagnostics name the working directory, a base dir or an "
             "output");
    return;
  }
  n = location_needles(ctx, false, needles, 8);
  for (size_t i = 0; i < c->dep_count; i++)
    if (names_any(c->deps[i].name, strlen(c->deps[i].name), needles, n)) {
      snprintf(why, why_size,
               "its .d file names the working directory or a base dir");
      return;
    }
}

/* Adds the location entry (last: the dependency list points at files by
 * their place). */
static bool bind_to_location(const direct_ctx *ctx, oc_manifest_candidate *c,
                             const char *why) {
  oc_manifest_file *files =
      realloc(c->files, (c->file_count + 1) * sizeof *files);
  if (!files)
    return false;
  c->files = files;
  oc_manifest_file *f = &files[c->file_count];
  memset(f, 0, sizeof *f);
  f->kind = OC_MANIFEST_FILE_LOCATION;
  f->hash = ctx->location;
  if (!(f->path = strdup(why)))
    return false;
  c->file_count++;
  return true;
}

/* Records a candidate for this compile, or says in the log why not; a
 * reason that makes direct mode step aside for the command counts in
 * direct_uncacheable. */
static void add_candidate(direct_ctx *ctx, const char *record_path,
                          const struct timespec *start,
                          const oc_buffer *err_out, bool err_overflow) {
  oc_manifest_candidate c = {0};
  oc_direct_record rec = {0};
  char detail[2 * PATH_MAX + 64];
  const char *why = NULL, *aside = NULL;
  if (err_overflow)
    why = "too much output on stderr";
  else
    why = oc_direct_record_read(record_path, &rec);
  if (!why)
    why = oc_direct_candidate_from_record(&rec, &c);
  if (!why)
    why = aside = check_outputs(ctx, &rec, &c, detail, sizeof detail);
  if (!why && !oc_stderr_is_clean(err_out->data, err_out->size))
    why = aside = "stderr holds bytes other than text and colour codes";
  if (!why)
    why = oc_direct_capture_files(&c, start, detail, sizeof detail);
  if (!why && ctx->args.has_depfile)
    why = aside = check_depfile(ctx, &c);
  /* Where it may serve: anywhere, unless what it wrote names where it ran
   * (the plugin looked at the object; stderr and the .d are looked at
   * here), then only this working directory with these very arguments. */
  char location[2 * PATH_MAX + 256] = "";
  if (!why && rec.location)
    snprintf(location, sizeof location,
             "the object's %s names the working directory, a base dir or an "
             "output name",
             rec.location);
  else if (!why)
    relocation_blocker(ctx, &c, err_out, location, sizeof location);
  /* Side outputs are written at the absolute paths clang used here. */
  if (!why && !location[0] && c.output_count)
    snprintf(location, sizeof location,
             "it writes side outputs (.dwo, .gcno, ...) at recorded paths");
  if (!why && location[0] && !bind_to_location(ctx, &c, location))
    why = "out of memory";
  /* An LLVM IR or bitcode compile: the plugin counted no outcome, this
   * does (a miss when stored, else uncacheable output kind). */
  if (!why && rec.store)
    why = store_compiled_output(ctx, &c.result_key);
  if (rec.store)
    oc_session_outcome(ctx->session,
                       why ? OC_OUTCOME_UNCACHEABLE : OC_OUTCOME_MISS,
                       OC_STAT_UNCACHEABLE_OUTPUT_KIND, why);
  bool launcher_stores = rec.store;
  if (why) {
    oc_session_outcome(ctx->session,
                       aside ? OC_OUTCOME_DIRECT_UNCACHEABLE
                             : OC_OUTCOME_DIRECT_UNRECORDED,
                       OC_STAT_COUNT, why);
    oc_manifest_candidate_free(&c);
    oc_direct_record_free(&rec);
    return;
  }
  oc_direct_record_free(&rec);
  c.created_unix = (uint64_t)time(NULL);
  c.stderr_data = err_out->data;
  c.stderr_size = err_out->size;
  oc_error err = {0};
  if (oc_store_add_candidate(ctx->store, &ctx->direct_key, &c, &err) != OC_OK)
    oc_session_fault(ctx->session, err.message);
  else
    record_history(ctx, &c);
  ctx->recorded = true;
  ctx->recorded_key = c.result_key;
  ctx->launcher_stored = launcher_stores;
  /* The stderr bytes belong to their buffer. */
  c.stderr_data = NULL;
  oc_manifest_candidate_free(&c);
}

/* Where the compiler's stderr goes: to ours as it comes, and kept. */
typedef struct {
  oc_buffer *kept;
  bool *overflow;
} stderr_tee;

static void tee_stderr(void *ctx, const char *data, size_t len) {
  stderr_tee *t = ctx;
  (void)oc_file_write_all(STDERR_FILENO, data, len);
  if (t->kept->size + len > OC_MANIFEST_MAX_OUTPUT)
    *t->overflow = true;
  else if (!*t->overflow && oc_buffer_append(t->kept, data, len) != OC_OK)
    *t->overflow = true;
}

/* Runs the compiler with the plugin, stderr through a pipe that is copied
 * to ours as it comes and kept, and OBJCACHE_DIRECT_RECORD pointing the
 * plugin at record_path. Returns the wait status, or -1 if it could not
 * start (nothing was run). */
static int run_compiler(const char *path, char **args, const char *record_path,
                        oc_buffer *err_out, bool *overflow) {
  char *setting = malloc(strlen(record_path) + 32);
  if (!setting)
    return -1;
  sprintf(setting, "OBJCACHE_DIRECT_RECORD=%s", record_path);
  char **env = tool_env_with(setting);
  stderr_tee t = {err_out, overflow};
  int status =
      env ? tool_spawn(path, args, env, STDERR_FILENO, false, tee_stderr, &t)
          : -1;
  free(env);
  free(setting);
  return status;
}

static int compile_and_record(direct_ctx *ctx, const char *path,
                              const char *flag, char **argv, bool add_color) {
  char record[PATH_MAX + 96];
  /* read_only adds no manifest, so there is nothing to record (and the
   * cache may well be unwritable: no warning on every compile). */
  if (ctx->cfg->read_only)
    return -1;
  if (oc_direct_record_path(ctx->cfg, record, sizeof record, NULL) != OC_OK)
    return -1; /* the plugin will report the unusable cache */

  size_t argc = 0;
  while (argv[argc])
    argc++;
  char **args = malloc((argc + 3) * sizeof *args);
  if (!args)
    return -1;
  size_t k = 0;
  args[k++] = argv[0];
  args[k++] = (char *)flag;
  memcpy(args + k, argv + 1, argc * sizeof *args); /* with the NULL */
  /* Through the pipe clang would see no terminal and not colour: say what
   * the terminal would have made it do. Last, so that it also overrides
   * -fdiagnostics-color=auto. */
  if (add_color) {
    args[k + argc - 1] = "-fcolor-diagnostics";
    args[k + argc] = NULL;
  }

  /* The coarse clock is the one file timestamps come from: a file written
   * after this instant cannot carry an older time. */
  struct timespec start;
  clock_gettime(CLOCK_REALTIME_COARSE, &start);
  oc_buffer err_out = {0};
  bool overflow = false;
  int status = run_compiler(path, args, record, &err_out, &overflow);
  free(args);
  if (status == -1) {
    oc_buffer_free(&err_out);
    oc_direct_record_remove(record);
    return -1;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    add_candidate(ctx, record, &start, &err_out, overflow);
  oc_direct_record_remove(record);
  oc_buffer_free(&err_out);
  if (WIFSIGNALED(status)) {
    /* Die the way the compiler did, so make sees the same thing: at the
     * end, once the session has written the stats (finish). */
    ctx->died_of = WTERMSIG(status);
    return 128 + WTERMSIG(status);
  }
  return WEXITSTATUS(status);
}

/* ---- verify mode ------------------------------------------------------- */

/* A sampled direct hit: compiles instead (the plugin, told to verify every
 * hit, recompiles and compares the IR-level entry and counts the compile as
 * the hit it is), then compares what the compile wrote with the object the
 * direct hit would have served. That second comparison is only needed when
 * the compile found another IR key than the candidate's: with the same key
 * the plugin compared the very same object. The compile's output is what
 * the user keeps; its new candidate is the newest, so it wins next time. */
static int verify_direct_hit(direct_ctx *ctx, const oc_manifest_candidate *c,
                             const oc_buffer *served, const char *path,
                             const char *flag, char **argv, bool add_color) {
  setenv("OBJCACHE_VERIFY", "100", 1);
  int rc = compile_and_record(ctx, path, flag, argv, add_color);
  if (rc != 0 ||
      (ctx->recorded && !ctx->launcher_stored &&
       oc_digest_equal(&ctx->recorded_key, &c->result_key)))
    return rc;
  oc_buffer fresh = {0};
  int fd = open(ctx->args.output, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  bool readable =
      fd >= 0 && oc_file_read_fd(fd, ctx->args.output, OC_ENTRY_MAX_CONTENT,
                                 &fresh, NULL) == OC_OK;
  if (fd >= 0)
    close(fd);
  if (!readable) {
    oc_buffer_free(&fresh);
    return rc;
  }
  oc_verify_output cached_out = {"object", served->data, served->size};
  oc_verify_output fresh_out = {"object", fresh.data, fresh.size};
  /* Without a new candidate (the plugin warned: a mismatch it caught and
   * fixed, say) the candidate's entry tells: when it now holds the fresh
   * object, the plugin compared that key itself. */
  oc_buffer now = {0};
  if (!ctx->recorded &&
      oc_store_get(ctx->store, &c->result_key, &now, NULL, NULL) == OC_OK) {
    oc_verify_output now_out = {"object", now.data, now.size};
    bool handled = !oc_verify_compare(&now_out, 1, &fresh_out, 1);
    oc_buffer_free(&now);
    if (handled) {
      oc_buffer_free(&fresh);
      return rc;
    }
  }
  oc_buffer_free(&now);
  const char *differing = oc_verify_compare(&cached_out, 1, &fresh_out, 1);
  if (!differing) {
    oc_session_count(ctx->session, OC_STAT_VERIFY_CHECKED, 1);
  } else {
    char hex[OC_DIGEST_HEX_SIZE], dir[PATH_MAX], output[PATH_MAX];
    oc_digest_to_hex(&ctx->direct_key, hex);
    if (!oc_path_clean(NULL, ctx->args.output, output, sizeof output))
      snprintf(output, sizeof output, "%s", ctx->args.output);
    oc_verify_evidence ev = {.key_hex = hex,
                             .output_path = output,
                             .differing = differing,
                             .cached = &cached_out,
                             .ncached = 1,
                             .fresh = &fresh_out,
                             .nfresh = 1};
    oc_error err = {0};
    bool kept = oc_verify_keep(ctx->cfg, &ev, dir, sizeof dir, &err) == OC_OK;
    char line[3 * PATH_MAX + OC_ERROR_MESSAGE_SIZE + 256];
    snprintf(line, sizeof line,
             "verify: the direct-mode %s of key %s differs from a fresh "
             "compile of %s; wrote the fresh one and recorded a new candidate "
             "(%s%s)",
             differing, hex, output,
             kept ? "evidence in " : "no evidence: ", kept ? dir : err.message);
    oc_session_warn(ctx->session, line);
    oc_session_count(ctx->session, OC_STAT_VERIFY_MISMATCHES, 1);
  }
  oc_buffer_free(&fresh);
  return rc;
}

/* ---- the entry point ----------------------------------------------------- */

/* Whether clang, writing to the user's stderr, would colour: a terminal
 * that is not "dumb", and NO_COLOR unset or empty (clang honours it). */
static bool would_colour(void) {
  const char *term = getenv("TERM");
  const char *no_color = getenv("NO_COLOR");
  return isatty(STDERR_FILENO) && term && *term && strcmp(term, "dumb") != 0 &&
         !(no_color && *no_color);
}

/* The end of every run that opened the session: it shows the store's
 * warning and writes the stats delta and the history, once; then a
 * compiler that died of a signal is died of the same way. Returns rc. */
static int finish(direct_ctx *ctx, int rc) {
  oc_key_builder_free(ctx->key);
  ctx->key = NULL;
  oc_session_close(ctx->session);
  ctx->session = NULL;
  if (ctx->died_of) {
    signal(ctx->died_of, SIG_DFL);
    raise(ctx->died_of);
  }
  return rc;
}

/* Direct mode leaves the command to clang: counted, and logged with why. */
static int step_aside(direct_ctx *ctx, const char *why) {
  oc_session_outcome(ctx->session, OC_OUTCOME_DIRECT_UNCACHEABLE, OC_STAT_COUNT,
                     why);
  return finish(ctx, -1);
}

int tool_direct(const oc_config *cfg, const char *path, const char *real,
                const char *plugin, const char *flag, char **argv) {
  direct_ctx ctx = {.cfg = cfg, .started_ms = now_ms()};
  for (size_t i = 0; i < sizeof refused_env / sizeof refused_env[0]; i++)
    if (getenv(refused_env[i]))
      return -1;
  ctx.session = oc_session_open(cfg, OC_SESSION_QUIET, print_line, NULL);
  if (!ctx.session)
    return -1;
  if (!oc_cc_args_parse(argv + 1, &ctx.args))
    return step_aside(&ctx, ctx.args.why);
  oc_session_set_source(ctx.session, ctx.args.input ? ctx.args.input : "-");
  if (!ctx.args.input)
    return finish(&ctx, -1);
  /* The driver edits the command line with it (adding, removing or
   * replacing options) before anything else: what this parser read would
   * not be what clang runs. */
  const char *override = getenv("CCC_OVERRIDE_OPTIONS");
  if (override && *override)
    return step_aside(&ctx, "CCC_OVERRIDE_OPTIONS is set");
  const char *config_why = NULL;
  if (!oc_cc_config_files_ok(argv + 1, &config_why))
    return step_aside(&ctx, config_why);
  if (!tool_logical_cwd(ctx.cwd, sizeof ctx.cwd))
    return finish(&ctx, -1);
  bool add_color = !ctx.args.color_option && would_colour();
  ctx.key = oc_key_builder_new(cfg->debug);
  if (!ctx.key)
    return finish(&ctx, -1);
  char why[2 * PATH_MAX + 512];
  if (!tool_direct_key(cfg, path, real, plugin, argv, &ctx.args, add_color,
                       ctx.key, &ctx.location, why, sizeof why)) {
    char message[sizeof why + 64];
    snprintf(message, sizeof message, "direct mode: %s", why);
    oc_session_fault(ctx.session, message);
    return finish(&ctx, -1);
  }
  ctx.direct_key = oc_key_digest(ctx.key);
  char key_hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(&ctx.direct_key, key_hex);
  oc_session_set_key(ctx.session, key_hex);
  oc_error err = {0};
  if (oc_session_store(ctx.session, &ctx.store, &err) != OC_OK)
    return finish(&ctx, -1); /* the plugin reports an unusable cache, once */

  oc_manifest manifest = {0};
  oc_status status =
      oc_store_get_manifest(ctx.store, &ctx.direct_key, &manifest, &err);
  if (status != OC_OK && status != OC_NOT_FOUND)
    oc_session_fault(ctx.session, err.message); /* a corrupt one is removed
                                                   and counted too */
  snprintf(why, sizeof why, "%s",
           status == OC_OK ? "no candidate left" : "no manifest");
  int rc = 0;
  bool relocation_noted = false;
  bool verify = oc_verify_sample(cfg);
  for (size_t i = manifest.count; i-- > 0 && rc == 0;) {
    char mismatch[2 * PATH_MAX + 384];
    bool only_location;
    if (oc_direct_candidate_matches(&manifest.candidates[i], &ctx.location,
                                    cfg->file_stat_matches, mismatch,
                                    sizeof mismatch, &only_location)) {
      if (verify) {
        oc_buffer served = {0};
        if (oc_store_get(ctx.store, &manifest.candidates[i].result_key, &served,
                         NULL, &err) == OC_OK) {
          rc = verify_direct_hit(&ctx, &manifest.candidates[i], &served, path,
                                 flag, argv, add_color);
          oc_buffer_free(&served);
          oc_manifest_free(&manifest);
          return finish(&ctx, rc);
        }
        oc_buffer_free(&served);
      }
      rc = serve(&ctx, &manifest.candidates[i]);
      if (rc == 0)
        snprintf(why, sizeof why,
                 "the object is no longer in the store, or the "
                 "candidate's dependency list does not check out");
    } else {
      if (i + 1 == manifest.count)
        snprintf(why, sizeof why, "%s", mismatch); /* the newest candidate */
      /* For --explain: an entry that differs only by where it was made. */
      if (only_location && !relocation_noted) {
        relocation_noted = true;
        oc_key_add_str(ctx.key, "lookup", "location", mismatch);
      }
    }
  }
  oc_manifest_free(&manifest);
  /* A remote fault of the lookup, shown before the compile's output. */
  oc_session_report_store(ctx.session);
  if (rc == 1)
    return finish(&ctx, 0);
  oc_session_outcome(ctx.session, OC_OUTCOME_DIRECT_MISS, OC_STAT_COUNT, why);
  rc = compile_and_record(&ctx, path, flag, argv, add_color);
  return finish(&ctx, rc); /* with the upload's fault, if any */
}
