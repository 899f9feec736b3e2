/* plugin_path.c - where the plugin that belongs to this objcache lives.
 *
 * The tool and the plugin are built and installed side by side: installed,
 * <prefix>/bin/objcache and <prefix>/lib/objcache/objcache.so; in the build
 * tree, build/bin/objcache and build/lib/objcache.so. The plugin is found
 * from the tool's own resolved path (/proc/self/exe, so a prefix moved
 * elsewhere or unpacked into a scratch root still works, and a masquerade
 * link resolves to the tool) rather than from PATH or a configured location
 * that could point at a plugin of another version. */
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

/* The places relative to <prefix> (the tool's directory's parent), the
 * installed layout first. */
static const char *const plugin_places[] = {
    "lib/objcache/objcache.so", /* cmake --install, the Debian package */
    "lib/objcache.so",          /* the build tree */
};

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
  int prefix_len = (int)(prefix_end - self);
  for (size_t i = 0; i < sizeof plugin_places / sizeof plugin_places[0]; i++) {
    int n =
        snprintf(out, out_size, "%.*s/%s", prefix_len, self, plugin_places[i]);
    if (n < 0 || (size_t)n >= out_size) {
      snprintf(why, why_size, "path of %s too long", self);
      return false;
    }
    struct stat st;
    if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
      return true;
  }
  snprintf(why, why_size,
           "plugin not found at %.*s/lib/objcache.so (build tree) nor "
           "%.*s/lib/objcache/objcache.so (installed), beside %s",
           prefix_len, self, prefix_len, self, self);
  return false;
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
