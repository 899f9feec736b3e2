/* explain_cmd.c - `objcache --explain FILE.o`: what changed between the
 * last two compiles of FILE.o, from the factor records every compile keeps
 * (direct mode's own records, of the files a compile read, only with debug
 * on).
 *
 * The plugin records under the output path made absolute and cleaned of
 * "." and ".." with oc_path_clean (objcache/direct.h), so FILE.o is turned
 * into the same string here by the same function; the fully resolved path
 * is tried second, for an object named through a symlinked directory. */
#include "objcache/direct.h"
#include "objcache/history.h"
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* One line saying that -g put the working directory into the object and
 * which prefix map, for this directory, would let compiles share. */
static void print_prefix_map_hint(const char *what, const char *how,
                                  const char *outcome) {
  char cwd[PATH_MAX];
  if (!tool_logical_cwd(cwd, sizeof cwd))
    snprintf(cwd, sizeof cwd, "$PWD");
  printf("  %s (DW_AT_comp_dir); %s -ffile-prefix-map=%s=. (or "
         "-fdebug-prefix-map=%s=.) %s\n",
         what, how, cwd, cwd, outcome);
}

/* When the last direct-mode lookup of this output found an entry for the
 * same command and files that serves only another working directory (or
 * other output names), says so; when what binds it there is debug
 * information, names the flag that makes the objects identical. */
static bool explain_relocation(const oc_config *cfg, const char *output) {
  char name[PATH_MAX + 32];
  snprintf(name, sizeof name, "%s%s", output, TOOL_DIRECT_HISTORY_SUFFIX);
  oc_buffer record = {0};
  if (oc_history_last(cfg, name, &record, NULL) != OC_OK ||
      oc_buffer_append(&record, "", 1) != OC_OK) {
    oc_buffer_free(&record);
    return false;
  }
  static const char tag[] = "lookup\tlocation\t";
  const char *line = strstr((const char *)record.data, tag);
  if (line && (line == (const char *)record.data || line[-1] == '\n')) {
    const char *why = line + strlen(tag);
    int len = (int)strcspn(why, "\n");
    printf("%s: missed only because the entry for this command and these "
           "files was %.*s\n",
           output, len, why);
    if (memmem(why, (size_t)len, "debug", 5))
      print_prefix_map_hint("-g writes the working directory into the object",
                            "build with", "and checkouts share entries");
  }
  oc_buffer_free(&record);
  return line != NULL;
}

/* After the IR-level changes: when the compile unit's directory is among
 * them, the working directory is in the object (-g), and a prefix map
 * would let the two compiles share. */
static void explain_comp_dir(const oc_buffer *changes) {
  static const char tag[] = "module: comp-dir ";
  if (!changes->size || !memmem(changes->data, changes->size, tag,
                                sizeof tag - 1))
    return;
  print_prefix_map_hint(
      "the working directory differs and -g writes it into the object", "with",
      "both directories share entries");
}

int tool_explain(const oc_config *cfg, const char *object) {
  char cleaned[PATH_MAX], resolved[PATH_MAX];
  const char *candidates[2];
  size_t count = 0;
  if (oc_path_clean(NULL, object, cleaned, sizeof cleaned))
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
  if (status == OC_OK)
    explain_comp_dir(&out);
  else
    fprintf(stderr, "objcache: %s\n", err.message);
  if (count > 0 && status != OC_IO_ERROR && explain_direct(cfg, candidates[0]))
    status = OC_OK;
  if (count > 0 && status != OC_IO_ERROR &&
      explain_relocation(cfg, candidates[0]))
    status = OC_OK;
  if (status == OC_NOT_FOUND && !cfg->debug)
    fprintf(stderr,
            "objcache: note: no compile of this file is recorded; direct "
            "mode keeps its records (the files a compile read) only with "
            "debug on (OBJCACHE_DEBUG=1, or debug = true in objcache.conf)\n");
  oc_buffer_free(&out);
  return status == OC_OK ? TOOL_OK : TOOL_FAILED;
}
