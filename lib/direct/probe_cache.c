/* probe_cache.c - the compiler-probe cache, <cache_dir>/compilers/<name>
 * (objcache/direct.h): what the launcher learnt by running a compiler
 * (its loaded libraries and config directories; whether it is clang 22;
 * whether it loads the plugin), kept per identity so it is asked once. A
 * probe file is whole only with its "end\n" trailer; an answer file is
 * exactly one of a few known answers. Anything else is redone. Files are
 * opened as regular files only (a FIFO planted in a shared cache must not
 * hang the launcher) and never through a symlink. */
#include "fsutil.h"
#include "objcache/direct.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool probe_path(const oc_config *cfg, const char *name, char *dir,
                       size_t dir_size, char *file, size_t file_size) {
  int n = snprintf(dir, dir_size, "%s/compilers", cfg->cache_dir);
  if (n < 0 || (size_t)n >= dir_size)
    return false;
  n = snprintf(file, file_size, "%s/%s", dir, name);
  return n > 0 && (size_t)n < file_size;
}

bool oc_probe_cache_get(const oc_config *cfg, const char *name, char *text,
                        size_t size) {
  char dir[PATH_MAX + 16], file[PATH_MAX + 96];
  if (size < 1 || !probe_path(cfg, name, dir, sizeof dir, file, sizeof file))
    return false;
  int fd = oc_fs_open_regular(AT_FDCWD, file, 0, true);
  if (fd < 0)
    return false;
  ssize_t got = read(fd, text, size - 1);
  close(fd);
  if (got >= 4 && memcmp(text + got - 4, "end\n", 4) == 0) {
    text[got - 4] = '\0';
    return true;
  }
  text[0] = '\0';
  return false;
}

/* Writes compilers/<name> (text, + "end\n" when trailer) through the
 * atomic writer; with no_replace only when absent (link(2)). Returns the
 * step that failed; OC_FS_WRITE_CREATE also for any failure before the
 * write (no directory, out of memory). */
static oc_fs_write_step write_probe(const oc_config *cfg, const char *name,
                                    const char *text, bool trailer,
                                    bool no_replace) {
  char dir[PATH_MAX + 16], file[PATH_MAX + 96];
  if (!probe_path(cfg, name, dir, sizeof dir, file, sizeof file) ||
      oc_fs_mkdirs(dir, cfg->umask, NULL) != OC_OK)
    return OC_FS_WRITE_CREATE;
  oc_buffer data = {0};
  if (oc_buffer_append(&data, text, strlen(text)) != OC_OK ||
      (trailer && oc_buffer_append(&data, "end\n", 4) != OC_OK)) {
    oc_buffer_free(&data);
    return OC_FS_WRITE_CREATE;
  }
  oc_fs_write_step failed = OC_FS_WRITE_OK;
  const oc_fs_write_opts opts = {.mode = 0666,
                                 .mask = cfg->umask,
                                 .nofollow = true,
                                 .no_replace = no_replace,
                                 .failed = &failed};
  (void)oc_fs_write_atomic_at(AT_FDCWD, file, data.data, data.size, &opts);
  oc_buffer_free(&data);
  return failed;
}

/* Replaces compilers/<name>; best effort. */
static void replace(const oc_config *cfg, const char *name, const char *text,
                    bool trailer) {
  (void)write_probe(cfg, name, text, trailer, false);
}

void oc_probe_cache_put(const oc_config *cfg, const char *name,
                        const char *text) {
  replace(cfg, name, text, true);
}

int oc_probe_answer_get(const oc_config *cfg, const char *name,
                        const char *const *answers, size_t count) {
  char dir[PATH_MAX + 16], file[PATH_MAX + 96];
  if (!probe_path(cfg, name, dir, sizeof dir, file, sizeof file))
    return -1;
  oc_buffer answer = {0};
  oc_status status =
      oc_fs_read_file(AT_FDCWD, file, true, 16, &answer, NULL, NULL);
  if (status == OC_NOT_FOUND)
    return -1;
  int which = -1;
  for (size_t i = 0; status == OC_OK && which < 0 && i < count; i++)
    if (answer.size == strlen(answers[i]) &&
        memcmp(answer.data, answers[i], answer.size) == 0)
      which = (int)i;
  oc_buffer_free(&answer);
  /* Anything else is damaged: the caller asks again and replaces it. */
  if (which < 0)
    unlink(file);
  return which;
}

bool oc_probe_answer_create(const oc_config *cfg, const char *name,
                            const char *answer) {
  /* Only a refused link means another process made the file; an
   * unwritable cache notes every time rather than never. */
  return write_probe(cfg, name, answer, false, true) != OC_FS_WRITE_PLACE;
}

void oc_probe_answer_put(const oc_config *cfg, const char *name,
                         const char *answer) {
  replace(cfg, name, answer, false);
}
