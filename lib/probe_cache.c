/* probe_cache.c - the compiler-probe cache, <cache_dir>/compilers/<name>
 * (objcache/direct.h): what the launcher learnt by running a compiler
 * (its loaded libraries and config directories; whether it is clang 22),
 * kept per compiler identity so it is asked once. A probe file is whole
 * only with its "end\n" trailer; an answer file is one of a few known
 * answers. Anything else is redone. */
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
  int fd = open(file, O_RDONLY | O_CLOEXEC);
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

void oc_probe_cache_put(const oc_config *cfg, const char *name,
                        const char *text) {
  char dir[PATH_MAX + 16], file[PATH_MAX + 96], tmp[PATH_MAX + 160];
  if (!probe_path(cfg, name, dir, sizeof dir, file, sizeof file) ||
      oc_fs_mkdirs(dir, cfg->umask, NULL) != OC_OK)
    return;
  oc_fs_temp_name(tmp, sizeof tmp, file);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    return;
  oc_fs_apply_mask(fd, 0666, cfg->umask);
  bool ok = oc_fs_write_all(fd, text, strlen(text)) == 0 &&
            oc_fs_write_all(fd, "end\n", 4) == 0;
  ok &= close(fd) == 0;
  if (!ok || rename(tmp, file) != 0)
    unlink(tmp);
}

int oc_probe_answer_get(const oc_config *cfg, const char *name,
                        const char *const *answers, size_t count) {
  char dir[PATH_MAX + 16], file[PATH_MAX + 96];
  if (!probe_path(cfg, name, dir, sizeof dir, file, sizeof file))
    return -1;
  char answer[16] = {0};
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, answer, sizeof answer - 1);
  close(fd);
  for (size_t i = 0; n > 0 && i < count; i++)
    if (strcmp(answer, answers[i]) == 0)
      return (int)i;
  /* Anything else is damaged: the caller asks again and replaces it. */
  unlink(file);
  return -1;
}

bool oc_probe_answer_create(const oc_config *cfg, const char *name,
                            const char *answer) {
  char dir[PATH_MAX + 16], file[PATH_MAX + 96], tmp[PATH_MAX + 160];
  if (!probe_path(cfg, name, dir, sizeof dir, file, sizeof file) ||
      oc_fs_mkdirs(dir, cfg->umask, NULL) != OC_OK)
    return true; /* unwritable cache: note every time rather than never */
  oc_fs_temp_name(tmp, sizeof tmp, file);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    return true;
  oc_fs_apply_mask(fd, 0666, cfg->umask);
  bool written = oc_fs_write_all(fd, answer, strlen(answer)) == 0;
  written &= close(fd) == 0;
  bool created = written && link(tmp, file) == 0;
  unlink(tmp);
  return created || !written;
}
