/* basedir.h - ccache's base_dir: absolute paths under one of the configured
 * directories, taken relative to the working directory, so that two
 * checkouts (or CI workspaces) at different places compute the same direct
 * key and validate the same manifest candidates. Textual: no file system
 * access, no symlinks resolved (as ccache). */
#ifndef OBJCACHE_BASEDIR_H
#define OBJCACHE_BASEDIR_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whether absolute `path` is one of the ':'-separated `base_dirs` or below
 * one (by whole components: /a/b is not below /a/bc). */
bool oc_base_dir_contains(const char *base_dirs, const char *path);

/* `path` relative to the directory `cwd`, both absolute: "inc/a.h",
 * "../src/x.c", "." for cwd itself. Repeated slashes and "." components
 * are ignored; false (out unset) when either holds a ".." component or the
 * result does not fit. */
bool oc_path_relative(const char *cwd, const char *path, char *out,
                      size_t size);

/* When `path` is absolute and under one of `base_dirs`: its form relative
 * to `cwd` in out, true. Otherwise false and out unset. */
bool oc_base_dir_rewrite(const char *base_dirs, const char *cwd,
                         const char *path, char *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
