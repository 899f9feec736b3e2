/* basedir.c - base_dir path rewriting (basedir.h). */
#include "objcache/basedir.h"

#include <stdio.h>
#include <string.h>

/* Splits an absolute path into components, skipping "" and "."; false on
 * "..", which cannot be resolved textually, or too many components. */
#define MAX_PARTS 512
typedef struct {
  const char *at[MAX_PARTS];
  size_t len[MAX_PARTS];
  size_t n;
} parts;

static bool split(const char *path, parts *out) {
  out->n = 0;
  if (path[0] != '/')
    return false;
  for (const char *p = path; *p;) {
    while (*p == '/')
      p++;
    if (!*p)
      break;
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == 2 && p[0] == '.' && p[1] == '.')
      return false;
    if (!(len == 1 && p[0] == '.')) {
      if (out->n == MAX_PARTS)
        return false;
      out->at[out->n] = p;
      out->len[out->n++] = len;
    }
    p += len;
  }
  return true;
}

static bool same_part(const parts *a, size_t i, const parts *b, size_t j) {
  return a->len[i] == b->len[j] && memcmp(a->at[i], b->at[j], a->len[i]) == 0;
}

bool oc_base_dir_contains(const char *base_dirs, const char *path) {
  parts p, d; /* about 8 KiB each, on the stack: thread-safe */
  if (!base_dirs || !*base_dirs || !split(path, &p))
    return false;
  for (const char *b = base_dirs; *b;) {
    const char *end = strchr(b, ':');
    size_t len = end ? (size_t)(end - b) : strlen(b);
    char dir[4096];
    if (len < sizeof dir) {
      memcpy(dir, b, len);
      dir[len] = '\0';
      if (split(dir, &d) && d.n > 0 && d.n <= p.n) {
        size_t i = 0;
        while (i < d.n && same_part(&d, i, &p, i))
          i++;
        if (i == d.n)
          return true;
      }
    }
    b += len + (end ? 1 : 0);
  }
  return false;
}

bool oc_path_relative(const char *cwd, const char *path, char *out,
                      size_t size) {
  parts c, p;
  if (!split(cwd, &c) || !split(path, &p))
    return false;
  size_t common = 0;
  while (common < c.n && common < p.n && same_part(&c, common, &p, common))
    common++;
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = common; i < c.n; i++) {
    int n = snprintf(out + used, size - used, "%s..", used ? "/" : "");
    if (n < 0 || (size_t)n >= size - used)
      return false;
    used += (size_t)n;
  }
  for (size_t i = common; i < p.n; i++) {
    int n = snprintf(out + used, size - used, "%s%.*s", used ? "/" : "",
                     (int)p.len[i], p.at[i]);
    if (n < 0 || (size_t)n >= size - used)
      return false;
    used += (size_t)n;
  }
  if (used == 0) {
    if (size < 2)
      return false;
    memcpy(out, ".", 2);
  }
  return true;
}

bool oc_base_dir_rewrite(const char *base_dirs, const char *cwd,
                         const char *path, char *out, size_t size) {
  return path[0] == '/' && oc_base_dir_contains(base_dirs, path) &&
         oc_path_relative(cwd, path, out, size);
}
