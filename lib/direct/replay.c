/* replay.c - the dependency file and stderr of a direct hit (replay.h).
 *
 * The generator mirrors clang 22's DependencyFileGenerator (Make format):
 * targets first, wrapped before a target that would pass column 75, then
 * ':' and each dependency, wrapped so that a trailing " \" still fits,
 * each printed with PrintFilename's escaping (backslashes made '/', as
 * LLVM's native() does on POSIX, then `#` -> `\#`, ` ` -> `\ `, `$` ->
 * `$$`), then with -MP one
 * "name:" line per dependency except the main file. Columns count the
 * unescaped names, as clang does. The launcher checks the result against
 * the file clang wrote before it records a candidate, so a difference here
 * costs a recording, never a wrong .d file. */
#include "objcache/replay.h"

#include <string.h>

#define MAX_COLUMNS 75

bool oc_depfile_name_ok(const char *name) {
  if (!name || !*name)
    return false;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return false;
  return true;
}

static oc_status put(oc_buffer *out, const char *s) {
  return oc_buffer_append(out, s, strlen(s));
}

static oc_status put_char(oc_buffer *out, char c) {
  return oc_buffer_append(out, &c, 1);
}

oc_status oc_depfile_quote_target(const char *target, oc_buffer *out) {
  oc_status s = OC_OK;
  for (size_t i = 0; target[i] && s == OC_OK; i++) {
    switch (target[i]) {
    case ' ':
    case '\t':
      for (size_t j = i; j > 0 && target[j - 1] == '\\' && s == OC_OK; j--)
        s = put_char(out, '\\');
      if (s == OC_OK)
        s = put_char(out, '\\');
      break;
    case '$':
      s = put_char(out, '$');
      break;
    case '#':
      s = put_char(out, '\\');
      break;
    default:
      break;
    }
    if (s == OC_OK)
      s = put_char(out, target[i]);
  }
  return s;
}

/* PrintFilename, Make format. It first makes the name "native"
 * (llvm::sys::path::native), which on POSIX turns every backslash into a
 * '/': so no backslash is left to double before a space. */
static oc_status put_filename(oc_buffer *out, const char *name) {
  oc_status s = OC_OK;
  for (size_t i = 0; name[i] && s == OC_OK; i++) {
    char c = name[i] == '\\' ? '/' : name[i];
    if (c == '#' || c == ' ')
      s = put_char(out, '\\');
    else if (c == '$')
      s = put_char(out, '$');
    if (s == OC_OK)
      s = put_char(out, c);
  }
  return s;
}

oc_status oc_depfile_generate(const char *const *targets, size_t target_count,
                              const char *const *deps, size_t dep_count,
                              size_t input_index, bool phony, oc_buffer *out) {
  if (target_count == 0)
    return OC_INVALID;
  for (size_t i = 0; i < target_count; i++)
    if (!oc_depfile_name_ok(targets[i]))
      return OC_INVALID;
  for (size_t i = 0; i < dep_count; i++)
    if (!oc_depfile_name_ok(deps[i]))
      return OC_INVALID;
  size_t start = out->size;
  oc_status s = OC_OK;
  size_t columns = 0;
  for (size_t i = 0; i < target_count && s == OC_OK; i++) {
    size_t n = strlen(targets[i]);
    if (columns == 0) {
      columns += n;
    } else if (columns + n + 2 > MAX_COLUMNS) {
      columns = n + 2;
      s = put(out, " \\\n  ");
    } else {
      columns += n + 1;
      s = put_char(out, ' ');
    }
    if (s == OC_OK)
      s = put(out, targets[i]); /* quoted already */
  }
  if (s == OC_OK)
    s = put_char(out, ':');
  columns += 1;
  for (size_t i = 0; i < dep_count && s == OC_OK; i++) {
    if (strcmp(deps[i], "<stdin>") == 0)
      continue;
    size_t n = strlen(deps[i]);
    if (columns + (n + 1) + 2 > MAX_COLUMNS) {
      s = put(out, " \\\n ");
      columns = 2;
    }
    if (s == OC_OK)
      s = put_char(out, ' ');
    if (s == OC_OK)
      s = put_filename(out, deps[i]);
    columns += n + 1;
  }
  if (s == OC_OK)
    s = put_char(out, '\n');
  if (phony)
    for (size_t i = 0; i < dep_count && s == OC_OK; i++) {
      if (i == input_index)
        continue;
      s = put_filename(out, deps[i]);
      if (s == OC_OK)
        s = put(out, ":\n");
    }
  if (s != OC_OK)
    out->size = start;
  return s;
}

/* ---- stderr -------------------------------------------------------------- */

/* Length of the acceptable sequence at p (at most `left` bytes), or 0 when
 * the byte at p is not acceptable. */
static size_t clean_run(const uint8_t *p, size_t left) {
  uint8_t c = p[0];
  if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f))
    return 1;
  if (c == 0x1b) { /* only SGR: ESC [ (digit | ;)* m */
    size_t i = 1;
    if (i >= left || p[i] != '[')
      return 0;
    for (i = 2; i < left && ((p[i] >= '0' && p[i] <= '9') || p[i] == ';'); i++)
      ;
    return i < left && p[i] == 'm' ? i + 1 : 0;
  }
  /* UTF-8: shortest form, no surrogates, no C1 controls (U+0080..U+009F,
   * which some terminals act on like ESC sequences). */
  size_t n;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4, cp = c & 0x07;
  else
    return 0;
  if (n > left)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
      (cp >= 0x80 && cp <= 0x9f))
    return 0;
  return n;
}

bool oc_stderr_is_clean(const uint8_t *data, size_t size) {
  for (size_t i = 0; i < size;) {
    size_t n = clean_run(data + i, size - i);
    if (!n)
      return false;
    i += n;
  }
  return true;
}

oc_status oc_stderr_sanitize(const uint8_t *data, size_t size, oc_buffer *out) {
  oc_status s = oc_buffer_reserve(out, size);
  for (size_t i = 0; i < size && s == OC_OK;) {
    size_t n = clean_run(data + i, size - i);
    if (n) {
      s = oc_buffer_append(out, data + i, n);
      i += n;
    } else {
      s = put_char(out, '?');
      i++;
    }
  }
  return s;
}
