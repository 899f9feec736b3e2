/* direct.c - direct mode in the launcher: serve a compile without starting
 * clang when a manifest candidate under its direct key still matches, else
 * run clang with the plugin and turn what the plugin recorded into a new
 * candidate.
 *
 *   direct key ──► manifest ──► candidate whose files all match?
 *                                  │yes                      │no
 *                 object from the store by its IR key   run clang + plugin,
 *                 written atomically, with the .d file  stderr teed and kept;
 *                 and the stderr bytes of that compile  on success add a
 *                                                       candidate
 *
 * A hit writes exactly what the compile wrote: the object (or assembly),
 * the -MD/-MMD dependency file, and the front end's diagnostics on stderr.
 * A file changed after the compile started (mtime or ctime not older than
 * its start) makes the candidate unrecordable, so a racing edit is never
 * cached. Faults print one warning line, count in `errors`, and the
 * compile goes on the plain way. */
#include "fsutil.h"
#include "objcache/history.h"
#include "objcache/log.h"
#include "objcache/manifest.h"
#include "objcache/stats.h"
#include "objcache/store.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Variables that make clang write files of its own beside the object:
 * direct mode could not reproduce them. */
static const char *const refused_env[] = {
    "CC_PRINT_OPTIONS",   "CC_PRINT_HEADERS",       "CC_LOG_DIAGNOSTICS",
    "CC_PRINT_PROC_STAT", "CC_PRINT_INTERNAL_STAT",
};

typedef struct {
  const oc_config *cfg;
  oc_store *store;
  oc_key_builder *key;
  oc_digest direct_key;
  direct_args args;
  uint64_t started_ms;
  bool store_warned; /* the store's fault has been shown */
} direct_ctx;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void count(const oc_config *cfg, oc_stat stat, uint64_t by) {
  (void)oc_stats_bump(cfg->cache_dir, stat, by, NULL);
}

static void warn(const oc_config *cfg, const char *message) {
  fprintf(stderr, "objcache: warning: %s\n", message);
  count(cfg, OC_STAT_ERRORS, 1);
}

/* Shows a fault the store survived (the remote went down or held an
 * invalid value, a remote hit could not be kept locally): one line per
 * compile, counted in `errors` like the plugin's. */
static void report_store(direct_ctx *ctx) {
  const char *warning = oc_store_warning(ctx->store);
  if (warning && !ctx->store_warned) {
    ctx->store_warned = true;
    warn(ctx->cfg, warning);
  }
}

static void log_line(direct_ctx *ctx, const char *result, const char *why) {
  if (!ctx->cfg->logfile[0])
    return;
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(&ctx->direct_key, hex);
  (void)oc_log_compile(ctx->cfg, ctx->args.input, hex, result, why,
                       now_ms() - ctx->started_ms, NULL);
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
                   f->kind == OC_MANIFEST_FILE_ABSENT ? "absent" : hex);
  }
  size_t len;
  const char *record = oc_key_record(ctx->key, &len);
  char output[PATH_MAX], name[PATH_MAX + 32];
  if (!record || !tool_clean_absolute(ctx->args.output, output, sizeof output))
    return;
  snprintf(name, sizeof name, "%s%s", output, TOOL_DIRECT_HISTORY_SUFFIX);
  oc_error err;
  if (oc_history_record(ctx->cfg, name, record, len, &err) != OC_OK)
    fprintf(stderr, "objcache: warning: cannot record factors: %s\n",
            err.message);
}

/* ---- the lookup ---------------------------------------------------------- */

static int64_t ns_of(const struct timespec *ts) {
  return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* Whether every file of the candidate is as recorded: same size and times
 * (no read at all), or else the same contents. *why names the first file
 * that differs. */
static bool candidate_matches(const oc_manifest_candidate *c, char *why,
                              size_t why_size) {
  for (size_t i = 0; i < c->file_count; i++) {
    const oc_manifest_file *f = &c->files[i];
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
    if ((uint64_t)st.st_size == f->size && ns_of(&st.st_mtim) == f->mtime_ns &&
        ns_of(&st.st_ctim) == f->ctime_ns)
      continue;
    oc_digest now;
    if ((uint64_t)st.st_size != f->size ||
        oc_hash_file(f->path, &now, NULL) != OC_OK ||
        !oc_digest_equal(&now, &f->hash)) {
      snprintf(why, why_size, "%s changed", f->path);
      return false;
    }
  }
  return true;
}

/* Writes data to path through a temp file beside it and rename(2), as
 * clang does, so a reader never sees half an object. */
static bool write_atomically(const char *path, const void *data, size_t len,
                             char *why, size_t why_size) {
  char tmp[PATH_MAX + 64];
  oc_fs_temp_name(tmp, sizeof tmp, path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  int e = fd < 0 ? errno : oc_fs_write_all(fd, data, len);
  if (fd >= 0 && close(fd) != 0 && e == 0)
    e = errno;
  if (e == 0 && rename(tmp, path) != 0)
    e = errno;
  if (e != 0) {
    if (fd >= 0)
      unlink(tmp);
    snprintf(why, why_size, "cannot write %s: %s", path, strerror(e));
    return false;
  }
  return true;
}

/* Serves candidate c. 1: served; 0: its object is no longer in the store;
 * -1: a fault (reported), compile instead. */
static int serve(direct_ctx *ctx, const oc_manifest_candidate *c) {
  oc_buffer object = {0};
  oc_entry_meta meta = {0};
  oc_error err = {0};
  oc_status status =
      oc_store_get(ctx->store, &c->result_key, &object, &meta, &err);
  if (status == OC_NOT_FOUND)
    return 0;
  if (status != OC_OK) {
    warn(ctx->cfg, err.message);
    oc_buffer_free(&object);
    return status == OC_CORRUPT ? 0 : -1;
  }
  char why[2 * PATH_MAX];
  bool ok = write_atomically(ctx->args.output, object.data, object.size, why,
                             sizeof why);
  oc_buffer_free(&object);
  if (ok && ctx->args.has_depfile)
    ok = write_atomically(ctx->args.depfile, c->depfile_data, c->depfile_size,
                          why, sizeof why);
  if (!ok) {
    char message[sizeof why + 64];
    snprintf(message, sizeof message, "%s; compiling instead", why);
    warn(ctx->cfg, message);
    return -1;
  }
  if (c->stderr_size)
    (void)oc_fs_write_all(STDERR_FILENO, c->stderr_data, c->stderr_size);
  oc_store_touch_manifest(ctx->store, &ctx->direct_key);
  oc_stats delta = {0};
  delta.value[OC_STAT_DIRECT_HITS] = 1;
  delta.value[OC_STAT_TIME_SAVED_MS] = meta.compile_time_ms;
  (void)oc_stats_add(ctx->cfg->cache_dir, &delta, NULL);
  log_line(ctx, "direct-hit", "-");
  record_history(ctx, c);
  return 1;
}

/* ---- the miss: run clang, then record ------------------------------------ */

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

/* Reads the record the plugin wrote (see plugin/DirectRecord.h) and
 * builds the candidate's key and files from it. NULL when fine, else why
 * it cannot be recorded. */
static const char *read_record(const char *path, oc_manifest_candidate *c,
                               const struct timespec *start, char *detail,
                               size_t detail_size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return "no record (not cacheable, or clock macros such as __TIME__)";
  oc_buffer text = {0};
  oc_status status = oc_fs_read_fd(fd, path, 64 << 20, &text, NULL);
  close(fd);
  if (status != OC_OK || oc_buffer_append(&text, "", 1) != OC_OK) {
    oc_buffer_free(&text);
    return "unreadable record";
  }
  const char *why = NULL;
  size_t lines = 0, cap = 0;
  bool ended = false, keyed = false;
  char *save = NULL;
  for (char *line = strtok_r((char *)text.data, "\n", &save); line && !why;
       line = strtok_r(NULL, "\n", &save), lines++) {
    if (ended) {
      why = "record continues after its end";
    } else if (lines == 0) {
      if (strcmp(line, "objcache-direct-record 1") != 0)
        why = "bad record header";
    } else if (strncmp(line, "key ", 4) == 0) {
      keyed = oc_digest_from_hex(line + 4, &c->result_key);
      if (!keyed)
        why = "bad key in record";
    } else if (strcmp(line, "end") == 0) {
      ended = true;
    } else {
      bool absent = strncmp(line, "absent /", 8) == 0;
      if (!absent && strncmp(line, "read /", 6) != 0) {
        why = "bad line in record";
        break;
      }
      if (c->file_count == cap) {
        cap = cap ? 2 * cap : 64;
        oc_manifest_file *grown = realloc(c->files, cap * sizeof *grown);
        if (!grown) {
          why = "out of memory";
          break;
        }
        c->files = grown;
      }
      oc_manifest_file *f = &c->files[c->file_count++];
      memset(f, 0, sizeof *f);
      f->path = strdup(line + (absent ? 7 : 5));
      f->kind = absent ? OC_MANIFEST_FILE_ABSENT : OC_MANIFEST_FILE_READ;
      if (!f->path)
        why = "out of memory";
    }
  }
  oc_buffer_free(&text);
  if (!why && (!ended || !keyed))
    why = "truncated record";
  if (why)
    return why;

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
    if (oc_hash_file(f->path, &f->hash, NULL) != OC_OK)
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

static void add_candidate(direct_ctx *ctx, const char *record_path,
                          const struct timespec *start,
                          const oc_buffer *err_out, bool err_overflow) {
  oc_manifest_candidate c = {0};
  char detail[PATH_MAX + 64];
  const char *why =
      err_overflow ? "too much output on stderr"
                   : read_record(record_path, &c, start, detail, sizeof detail);
  oc_buffer dep = {0};
  if (!why && ctx->args.has_depfile) {
    int fd = open(ctx->args.depfile, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || oc_fs_read_fd(fd, ctx->args.depfile, OC_MANIFEST_MAX_OUTPUT,
                                &dep, NULL) != OC_OK)
      why = "cannot read the dependency file";
    if (fd >= 0)
      close(fd);
  }
  if (why) {
    log_line(ctx, "direct-unrecorded", why);
    oc_manifest_candidate_free(&c);
    oc_buffer_free(&dep);
    return;
  }
  c.created_unix = (uint64_t)time(NULL);
  c.stderr_data = err_out->data;
  c.stderr_size = err_out->size;
  c.has_depfile = ctx->args.has_depfile;
  c.depfile_data = dep.data;
  c.depfile_size = dep.size;
  oc_error err = {0};
  if (oc_store_add_candidate(ctx->store, &ctx->direct_key, &c, &err) != OC_OK)
    warn(ctx->cfg, err.message);
  else
    record_history(ctx, &c);
  /* stderr and the .d bytes belong to their buffers. */
  c.stderr_data = NULL;
  c.depfile_data = NULL;
  oc_manifest_candidate_free(&c);
  oc_buffer_free(&dep);
}

/* Runs the compiler with the plugin, stderr through a pipe that is copied
 * to ours as it comes and kept, and OBJCACHE_DIRECT_RECORD pointing the
 * plugin at record_path. Returns the wait status, or -1 if it could not
 * start (nothing was run). */
static int run_compiler(const char *path, char **args, const char *record_path,
                        oc_buffer *err_out, bool *overflow) {
  size_t n_env = 0;
  while (environ[n_env])
    n_env++;
  char **env = malloc((n_env + 2) * sizeof *env);
  char *setting = malloc(strlen(record_path) + 32);
  int fds[2] = {-1, -1};
  if (!env || !setting || pipe2(fds, O_CLOEXEC) != 0) {
    free(env);
    free(setting);
    return -1;
  }
  sprintf(setting, "OBJCACHE_DIRECT_RECORD=%s", record_path);
  size_t k = 0;
  for (size_t i = 0; i < n_env; i++)
    if (strncmp(environ[i], "OBJCACHE_DIRECT_RECORD=", 23) != 0)
      env[k++] = environ[i];
  env[k++] = setting;
  env[k] = NULL;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  pid_t pid;
  int rc = posix_spawn(&pid, path, &actions, NULL, args, env);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  free(env);
  free(setting);
  if (rc != 0) {
    close(fds[0]);
    return -1;
  }
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    (void)oc_fs_write_all(STDERR_FILENO, chunk, (size_t)n);
    if (err_out->size + (size_t)n > OC_MANIFEST_MAX_OUTPUT)
      *overflow = true;
    else if (!*overflow && oc_buffer_append(err_out, chunk, (size_t)n) != OC_OK)
      *overflow = true;
  }
  close(fds[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return status;
}

static int compile_and_record(direct_ctx *ctx, const char *path,
                              const char *flag, char **argv, bool add_color) {
  char dir[PATH_MAX + 16], record[PATH_MAX + 96];
  /* read_only adds no manifest, so there is nothing to record (and the
   * cache may well be unwritable: no warning on every compile). */
  if (ctx->cfg->read_only)
    return -1;
  snprintf(dir, sizeof dir, "%s/tmp", ctx->cfg->cache_dir);
  if (oc_fs_mkdirs(dir, ctx->cfg->umask, NULL) != OC_OK)
    return -1; /* the plugin will report the unusable cache */
  snprintf(record, sizeof record, "%s/direct.%ld.%016llx", dir, (long)getpid(),
           (unsigned long long)oc_fs_random());

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
    unlink(record);
    return -1;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    add_candidate(ctx, record, &start, &err_out, overflow);
  unlink(record);
  oc_buffer_free(&err_out);
  if (WIFSIGNALED(status)) {
    /* Die the way the compiler did, so make sees the same thing. */
    signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  return WEXITSTATUS(status);
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

int tool_direct(const oc_config *cfg, const char *path, const char *real,
                const char *plugin, const char *flag, char **argv) {
  direct_ctx ctx = {.cfg = cfg, .started_ms = now_ms()};
  if (!tool_direct_parse(argv + 1, &ctx.args))
    return -1;
  for (size_t i = 0; i < sizeof refused_env / sizeof refused_env[0]; i++)
    if (getenv(refused_env[i]))
      return -1;
  bool add_color = !ctx.args.color_option && would_colour();
  ctx.key = oc_key_builder_new(cfg->debug);
  if (!ctx.key)
    return -1;
  char why[2 * PATH_MAX + 64];
  if (!tool_direct_key(cfg, path, real, plugin, argv, add_color, ctx.key, why,
                       sizeof why)) {
    char message[sizeof why + 64];
    snprintf(message, sizeof message, "direct mode: %s", why);
    warn(cfg, message);
    oc_key_builder_free(ctx.key);
    return -1;
  }
  ctx.direct_key = oc_key_digest(ctx.key);
  oc_error err = {0};
  if (oc_store_open(cfg, &ctx.store, &err) != OC_OK) {
    oc_key_builder_free(ctx.key);
    return -1; /* the plugin reports an unusable cache, once */
  }

  oc_manifest manifest = {0};
  oc_status status =
      oc_store_get_manifest(ctx.store, &ctx.direct_key, &manifest, &err);
  if (status != OC_OK && status != OC_NOT_FOUND)
    warn(cfg, err.message); /* a corrupt one is removed and counted too */
  snprintf(why, sizeof why, "%s",
           status == OC_OK ? "no candidate left" : "no manifest");
  int rc = 0;
  for (size_t i = manifest.count; i-- > 0 && rc == 0;) {
    char mismatch[PATH_MAX + 32];
    if (candidate_matches(&manifest.candidates[i], mismatch, sizeof mismatch)) {
      rc = serve(&ctx, &manifest.candidates[i]);
      if (rc == 0)
        snprintf(why, sizeof why, "the object is no longer in the store");
    } else if (i + 1 == manifest.count)
      snprintf(why, sizeof why, "%s", mismatch); /* the newest candidate */
  }
  oc_manifest_free(&manifest);
  report_store(&ctx);
  if (rc == 1) {
    oc_store_close(ctx.store);
    oc_key_builder_free(ctx.key);
    return 0;
  }
  count(cfg, OC_STAT_DIRECT_MISSES, 1);
  log_line(&ctx, "direct-miss", why);
  rc = compile_and_record(&ctx, path, flag, argv, add_color);
  report_store(&ctx); /* the upload of the new candidate */
  oc_store_close(ctx.store);
  oc_key_builder_free(ctx.key);
  return rc;
}
