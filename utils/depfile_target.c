/* depfile_target.c - a recorded -MD/-MMD dependency file with its target
 * rewritten for another output name, byte for byte what clang would write.
 *
 * Minimal by design (issue-17 owns generating .d files from a candidate's
 * file list; this is the target alone): it handles the file clang writes
 * for one default target without escapes, and says no to anything else,
 * which then keeps its candidate bound to the output name it was made
 * with. Clang wraps the first rule at 75 columns (DependencyFileGenerator::
 * outputDependencyFile), so a target of another length moves the breaks:
 * the dependencies are re-wrapped with the same rule. Any -MP phony
 * targets after the first rule do not depend on the target and are kept. */
#include "objcache/basedir.h"
#include "tool.h"

#include <stdio.h>
#include <string.h>

#define DEP_MAX_COLUMNS 75

bool tool_depfile_plain_name(const char *name) {
  /* Characters clang quotes in a make target (quoteMakeTarget) or that
   * would end it: not handled here. */
  return name[0] && !strpbrk(name, " \t$#\\:\n");
}

bool tool_depfile_retarget(const uint8_t *data, size_t size,
                           const char *old_target, const char *new_target,
                           oc_buffer *out) {
  size_t old_len = strlen(old_target);
  if (!tool_depfile_plain_name(old_target) ||
      !tool_depfile_plain_name(new_target) || size <= old_len ||
      memcmp(data, old_target, old_len) != 0 || data[old_len] != ':')
    return false;
  /* The first rule ends at the first newline not escaped by a backslash. */
  size_t end = old_len + 1;
  while (end < size && !(data[end] == '\n' && data[end - 1] != '\\'))
    end++;
  if (end == size)
    return false;
  size_t new_len = strlen(new_target);
  if (oc_buffer_append(out, new_target, new_len) != OC_OK ||
      oc_buffer_append(out, ":", 1) != OC_OK)
    return false;
  size_t columns = new_len + 1;
  for (size_t i = old_len + 1; i < end;) {
    if (data[i] == ' ' || data[i] == '\n') {
      i++;
      continue;
    }
    if (data[i] == '\\') {
      if (i + 1 < end && data[i + 1] == '\n') {
        i += 2; /* a line break of the old layout */
        continue;
      }
      return false; /* an escaped character: not a plain name */
    }
    size_t start = i;
    while (i < end && data[i] != ' ' && data[i] != '\n' && data[i] != '\\')
      i++;
    if (i < end && data[i] == '\\' && !(i + 1 < end && data[i + 1] == '\n'))
      return false;
    size_t n = i - start;
    if (columns + (n + 1) + 2 > DEP_MAX_COLUMNS) {
      if (oc_buffer_append(out, " \\\n ", 4) != OC_OK)
        return false;
      columns = 2;
    }
    if (oc_buffer_append(out, " ", 1) != OC_OK ||
        oc_buffer_append(out, data + start, n) != OC_OK)
      return false;
    columns += n + 1;
  }
  return oc_buffer_append(out, data + end, size - end) == OC_OK;
}

/* ---- base_dir: dependency names relative to the working directory ------ */

/* Template marker before a name kept relative to the working directory;
 * never in a name clang writes unquoted (tool_depfile_plain_name). */
#define DEP_RELATIVE '\001'

static bool name_char(uint8_t c) {
  return c != ' ' && c != '\n' && c != ':' && c != '\\' && c != '\t';
}

/* cwd + "/" + rel, with ".." in rel taking a component off (textually, as
 * oc_path_relative made it). */
static bool join(const char *cwd, const char *rel, size_t rel_len, char *out,
                 size_t size) {
  int n = snprintf(out, size, "%s", cwd);
  if (n < 0 || (size_t)n >= size)
    return false;
  size_t used = (size_t)n;
  while (used > 1 && out[used - 1] == '/')
    out[--used] = '\0';
  for (size_t i = 0; i < rel_len;) {
    size_t j = i;
    while (j < rel_len && rel[j] != '/')
      j++;
    if (j - i == 2 && rel[i] == '.' && rel[i + 1] == '.') {
      char *slash = strrchr(out, '/');
      if (!slash)
        return false;
      used = slash == out ? 1 : (size_t)(slash - out);
      out[used] = '\0';
    } else if (!(j - i == 1 && rel[i] == '.') && j > i) {
      if (used + 1 + (j - i) + 1 > size)
        return false;
      if (out[used - 1] != '/')
        out[used++] = '/';
      memcpy(out + used, rel + i, j - i);
      used += j - i;
      out[used] = '\0';
    }
    i = j + 1;
  }
  return true;
}

bool tool_depfile_template(const uint8_t *data, size_t size,
                           const char *base_dirs, const char *cwd,
                           oc_buffer *out, bool *changed) {
  *changed = false;
  if (memchr(data, DEP_RELATIVE, size))
    return false;
  const uint8_t *colon = memchr(data, ':', size);
  size_t i = colon ? (size_t)(colon - data) + 1 : size; /* not the target */
  if (oc_buffer_append(out, data, i) != OC_OK)
    return false;
  while (i < size) {
    size_t start = i;
    while (i < size && name_char(data[i]))
      i++;
    if (i > start) {
      char name[PATH_MAX], rel[PATH_MAX], back[PATH_MAX];
      size_t n = i - start;
      bool templated = false;
      if (data[start] == '/' && n < sizeof name) {
        memcpy(name, data + start, n);
        name[n] = '\0';
        if (oc_base_dir_contains(base_dirs, name)) {
          /* Only a name that comes back exactly from the relative form. */
          if (!oc_path_relative(cwd, name, rel, sizeof rel) ||
              !join(cwd, rel, strlen(rel), back, sizeof back) ||
              strcmp(back, name) != 0)
            return false;
          char mark = DEP_RELATIVE;
          if (oc_buffer_append(out, &mark, 1) != OC_OK ||
              oc_buffer_append(out, rel, strlen(rel)) != OC_OK)
            return false;
          templated = *changed = true;
        }
      }
      if (!templated && oc_buffer_append(out, data + start, n) != OC_OK)
        return false;
    }
    if (i < size && oc_buffer_append(out, data + i, 1) != OC_OK)
      return false;
    i++;
  }
  return true;
}

bool tool_depfile_expand(const uint8_t *data, size_t size, const char *cwd,
                         oc_buffer *out, bool *changed) {
  *changed = false;
  for (size_t i = 0; i < size;) {
    if (data[i] != DEP_RELATIVE) {
      if (oc_buffer_append(out, data + i, 1) != OC_OK)
        return false;
      i++;
      continue;
    }
    size_t start = ++i;
    while (i < size && name_char(data[i]) && data[i] != DEP_RELATIVE)
      i++;
    char name[PATH_MAX];
    if (i == start ||
        !join(cwd, (const char *)data + start, i - start, name, sizeof name) ||
        oc_buffer_append(out, name, strlen(name)) != OC_OK)
      return false;
    *changed = true;
  }
  return true;
}
