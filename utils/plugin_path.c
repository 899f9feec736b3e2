/* plugin_path.c - where the plugin that belongs to this objcache lives.
 *
 * The tool and the plugin are built and installed side by side
 * (<prefix>/bin/objcache, <prefix>/lib/objcache.so, and the same shape in
 * the build tree), so the plugin is found from the tool's own resolved path
 * rather than from PATH or a configured location that could point at a
 * plugin of another version. */
#include "tool.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *tool_self_path(void) {
  static char self[PATH_MAX];
  if (self[0])
    return self;
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return NULL;
  self[n] = '\0';
  return self;
}

bool tool_plugin_path(char *out, size_t out_size, char *why, size_t why_size) {
  const char *self = tool_self_path();
  if (!self) {
    snprintf(why, why_size, "cannot read /proc/self/exe: %s", strerror(errno));
    return false;
  }
  /* self is canonical, so "../lib" is two components up, textually. */
  const char *slash = strrchr(self, '/');
  const char *prefix_end = slash;
  while (prefix_end > self && *--prefix_end != '/')
    ;
  int n = snprintf(out, out_size, "%.*s/lib/objcache.so",
                   (int)(prefix_end - self), self);
  if (n < 0 || (size_t)n >= out_size) {
    snprintf(why, why_size, "path of %s too long", self);
    return false;
  }
  struct stat st;
  if (stat(out, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(why, why_size,
             "plugin not found at %s (it belongs beside %s, in ../lib)", out,
             self);
    return false;
  }
  return true;
}

int tool_print_plugin(void) {
  char path[PATH_MAX], why[PATH_MAX * 2 + 64];
  if (!tool_plugin_path(path, sizeof path, why, sizeof why)) {
    fprintf(stderr, "objcache: %s\n", why);
    return TOOL_FAILED;
  }
  printf("%s\n", path);
  return TOOL_OK;
}
