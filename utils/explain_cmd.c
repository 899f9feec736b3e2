/* explain_cmd.c - `objcache --explain FILE.o`: what changed between the
 * last two compiles of FILE.o, from the factor records every compile keeps
 * (direct mode's own records, of the files a compile read, only with debug
 * on).
 *
 * The plugin records under the output path made absolute and cleaned of
 * "." and ".." (LLVM's make_absolute + remove_dots), so FILE.o is turned
 * into the same string here; the fully resolved path is tried second, for
 * an object named through a symlinked directory. */
#include "objcache/history.h"
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cwd + path with "", "." and ".." components removed, textually. */
bool tool_clean_absolute(const char *path, char *out, size_t size) {
  char joined[2 * PATH_MAX];
  if (path[0] == '/') {
    snprintf(joined, sizeof joined, "%s", path);
  } else {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
      return false;
    snprintf(joined, sizeof joined, "%s/%s", cwd, path);
  }
  size_t len = 0;
  for (char *part = strtok(joined, "/"); part; part = strtok(NULL, "/")) {
    if (strcmp(part, ".") == 0)
      continue;
    if (strcmp(part, "..") == 0) {
      while (len > 0 && out[--len] != '/')
        ;
      continue;
    }
    size_t n = strlen(part);
    if (len + 1 + n + 1 > size)
      return false;
    out[len++] = '/';
    memcpy(out + len, part, n);
    len += n;
  }
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
  return true;
}

/* Direct mode keeps its own records (the direct key's factors and the files
 * the compile read): a direct miss is explained by them, e.g.
 * "file: /src/util.h changed" or "env: CPATH /a -> /b". */
static bool explain_direct(const oc_config *cfg, const char *output) {
  char name[PATH_MAX + 32];
  snprintf(name, sizeof name, "%s%s", output, TOOL_DIRECT_HISTORY_SUFFIX);
  oc_buffer out = {0};
  oc_error err = {0};
  bool found = oc_history_explain(cfg, name, &out, &err) == OC_OK;
  if (found)
    fwrite(out.data, 1, out.size, stdout);
  oc_buffer_free(&out);
  return found;
}

int tool_explain(const oc_config *cfg, const char *object) {
  char cleaned[PATH_MAX], resolved[PATH_MAX];
  const char *candidates[2];
  size_t count = 0;
  if (tool_clean_absolute(object, cleaned, sizeof cleaned))
    candidates[count++] = cleaned;
  if (realpath(object, resolved) && (count == 0 || strcmp(resolved, cleaned)))
    candidates[count++] = resolved;
  if (count == 0) {
    fprintf(stderr, "objcache: cannot make %s absolute\n", object);
    return TOOL_FAILED;
  }

  /* When neither path has a history, the words about the first (the path
   * as the user wrote it, cleaned) are the ones shown. */
  oc_buffer out = {0};
  oc_error err = {0};
  oc_status status = OC_NOT_FOUND;
  for (size_t i = 0; i < count && status == OC_NOT_FOUND; i++) {
    oc_buffer attempt = {0};
    status = oc_history_explain(cfg, candidates[i], &attempt, &err);
    if (i == 0 || status != OC_NOT_FOUND) {
      oc_buffer_free(&out);
      out = attempt;
    } else {
      oc_buffer_free(&attempt);
    }
  }
  if (status == OC_OK || status == OC_NOT_FOUND)
    fwrite(out.data, 1, out.size, stdout);
  else
    fprintf(stderr, "objcache: %s\n", err.message);
  if (count > 0 && status != OC_IO_ERROR && explain_direct(cfg, candidates[0]))
    status = OC_OK;
  if (status == OC_NOT_FOUND && !cfg->debug)
    fprintf(stderr,
            "objcache: note: no compile of this file is recorded; direct "
            "mode keeps its records (the files a compile read) only with "
            "debug on (OBJCACHE_DEBUG=1, or debug = true in objcache.conf)\n");
  oc_buffer_free(&out);
  return status == OC_OK ? TOOL_OK : TOOL_FAILED;
}
