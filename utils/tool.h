/* tool.h - internal interfaces between the files of the objcache command.
 *
 * main.c parses the command line and dispatches; each other file owns one
 * concern (the launcher, compiler identification, the plugin's location,
 * statistics, configuration, cache maintenance, --explain). Exit codes are
 * the tool's own: 0 success, 1 the command failed, 2 bad usage or bad
 * configuration. */
#ifndef OBJCACHE_TOOL_H
#define OBJCACHE_TOOL_H

#include "objcache/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TOOL_OK = 0, TOOL_FAILED = 1, TOOL_USAGE = 2 };

/* launcher.c: runs `COMPILER ARGS...` (argv[0] is COMPILER), with the
 * plugin inserted when the invocation compiles. Returns only on failure to
 * exec, with an exit code. */
int tool_launch(char **argv);

/* compiler_id.c: whether the compiler at `path` (as found in PATH; `real`
 * is its resolved path, `name` what the user typed) is clang 22. Cheap by
 * the resolved file name when it can be; else asks `path --version` once
 * and remembers the answer under <cache_dir>/compilers/. A compiler that is
 * not clang 22 gets a note on stderr the first time it is seen. */
bool tool_is_clang22(const oc_config *cfg, const char *path, const char *real,
                     const char *name);

/* plugin_path.c: <dir of this executable>/../lib/objcache.so into out.
 * false with a message in `why` when it cannot be found. */
bool tool_plugin_path(char *out, size_t out_size, char *why, size_t why_size);
/* The resolved path of this executable (from /proc/self/exe), cached. */
const char *tool_self_path(void);

/* The management commands. Each takes a loaded config. */
int tool_show_stats(const oc_config *cfg);
int tool_print_stats(const oc_config *cfg);
int tool_zero_stats(const oc_config *cfg);
int tool_show_config(const oc_config *cfg);
int tool_set_max_size(const oc_config *cfg, const char *size);
int tool_clear(const oc_config *cfg);
int tool_cleanup(const oc_config *cfg);
int tool_explain(const oc_config *cfg, const char *object);
int tool_print_plugin(void);

/* format.c: "1.5 GiB" and "2 min 3.4 s" for people. */
void tool_format_size(uint64_t bytes, char *out, size_t out_size);
void tool_format_duration(uint64_t ms, char *out, size_t out_size);

#endif
