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
#include "tool.h"

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
