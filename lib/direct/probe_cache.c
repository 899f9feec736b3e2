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

/* Writes text (+ "end\n" when trailer) to a temp file beside `file`. Returns
 * the temp file's name in tmp, or false (nothing left behind). */
static bool write_temp(const oc_config *cfg, const char *file, const char *text,
                       bool trailer, char *tmp, size_t tmp_size) {
  oc_fs_temp_name(tmp, tmp_size, file);
  int fd =
      open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0)
    return false;
  oc_fs_apply_mask(fd, 0666, cfg->umask);
  bool ok = oc_fs_write_all(fd, text, strlen(text)) == 0 &&
            (!trailer || oc_fs_write_all(fd, "end\n", 4) == 0);
  ok &= close(fd) == 0;
  if (!ok)
    unlink(tmp);
  return ok;
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

/* Writes compilers/<name> through a temp file and rename(2), replacing
 * any; best effort. */
static void replace(const oc_config *cfg, const char *name, const char *text,
                    bool trailer) {
  char dir[PATH_MAX + 16], file[PATH_MAX + 96], tmp[PATH_MAX + 160];
  if (!probe_path(cfg, name, dir, sizeof dir, file, sizeof file) ||
      oc_fs_mkdirs(dir, cfg->umask, NULL) != OC_OK ||
      !write_temp(cfg, file, text, trailer, tmp, sizeof tmp))
    return;
  if (rename(tmp, file) != 0)
    unlink(tmp);
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
  char dir[PATH_MAX + 16], file[PATH_MAX + 96], tmp[PATH_MAX + 160];
  if (!probe_path(cfg, name, dir, sizeof dir, file, sizeof file) ||
      oc_fs_mkdirs(dir, cfg->umask, NULL) != OC_OK)
    return true; /* unwritable cache: note every time rather than never */
  if (!write_temp(cfg, file, answer, false, tmp, sizeof tmp))
    return true;
  bool created = link(tmp, file) == 0;
  unlink(tmp);
  return created;
}

void oc_probe_answer_put(const oc_config *cfg, const char *name,
                         const char *answer) {
  replace(cfg, name, answer, false);
}
