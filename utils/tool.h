/* tool.h - internal interfaces between the files of the objcache command.
 *
 * main.c parses the command line and dispatches; each other file owns one
 * concern (the launcher, compiler identification, the plugin's location,
 * running programs, statistics, configuration, cache maintenance,
 * --explain). Exit codes are
 * the tool's own: 0 success, 1 the command failed, 2 bad usage or bad
 * configuration. */
#ifndef OBJCACHE_TOOL_H
#define OBJCACHE_TOOL_H

#include "objcache/cc_args.h"
#include "objcache/config.h"
#include "objcache/format.h"
#include "objcache/buffer.h"
#include "objcache/key.h"

#include <limits.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { TOOL_OK = 0, TOOL_FAILED = 1, TOOL_USAGE = 2 };

/* launcher.c: runs `COMPILER ARGS...` (argv[0] is COMPILER), with the
 * plugin inserted when the invocation compiles. Returns only on failure to
 * exec, with an exit code. */
int tool_launch(char **argv);
/* The same, started through a masquerade link (argv[0] is the link, e.g.
 * /usr/lib/objcache/bin/clang-22): the real compiler is the one of that
 * name further down PATH, past the link's directory. */
int tool_masquerade(char **argv);

/* compiler_id.c: whether the compiler at `path` (as found in PATH; `real`
 * is its resolved path, `name` what the user typed) is clang 22. Cheap by
 * the resolved file name when it can be; else asks `path --version` once
 * and remembers the answer under <cache_dir>/compilers/. A compiler that is
 * not clang 22 gets a note on stderr the first time it is seen. */
bool tool_is_clang22(const oc_config *cfg, const char *path, const char *real,
                     const char *name);

/* direct_key.c: the direct key of a compile, built into `key` (a builder
 * that may keep a record for --explain): direct-scheme version, objcache's
 * build, the compiler (resolved binary and the shared objects it loads,
 * by path, size, mtime and inode), the plugin, the compiler's name and
 * arguments without the output names of `args` and with absolute paths
 * under base_dir made relative, the clang config files the driver would
 * read, the environment variables clang reads, and whether colour was
 * added. Not the working directory: *location gets a digest of it and the
 * verbatim arguments, for candidates that must stay where they were made.
 * `path` is the compiler as found in PATH, `real` resolved. false with a
 * reason when something cannot be identified. */
bool tool_direct_key(const oc_config *cfg, const char *path, const char *real,
                     const char *plugin, char **argv,
                     const oc_cc_args *args, bool add_color,
                     oc_key_builder *key, oc_digest *location, char *why,
                     size_t why_size);

/* The working directory as clang sees it: $PWD when it names the same
 * directory as ".", else getcwd() (LLVM's current_path()). */
bool tool_logical_cwd(char *out, size_t size);

/* direct.c: direct mode. Returns the compile's exit code after a direct
 * hit or after running the compiler itself; -1 when it did neither and the
 * launcher must exec the compiler the plain way. argv[0] is the compiler's
 * name; `flag` the -fpass-plugin= argument. */
int tool_direct(const oc_config *cfg, const char *path, const char *real,
                const char *plugin, const char *flag, char **argv);

/* spawn.c: runs path with argv and envp (NULL: this environment), the
 * child's fd (1 or 2) going into a pipe whose every piece is handed to
 * output (which may be NULL) as it comes, read to the end. With quiet,
 * stdin and the other of stdout/stderr are /dev/null. Returns the wait
 * status, or -1 when it could not be started or waited for. */
typedef void tool_spawn_output(void *ctx, const char *data, size_t len);
int tool_spawn(const char *path, char *const argv[], char *const envp[], int fd,
               bool quiet, tool_spawn_output *output, void *ctx);
/* The same, quiet, keeping the first size - 1 bytes of fd's output in out
 * (NUL-terminated, also when it could not run). */
int tool_run_capture(const char *path, char *const argv[], char *const envp[],
                     int fd, char *out, size_t size);
/* This environment with `setting` ("NAME=value") replacing any NAME=;
 * NULL setting: a copy. The array is malloc'd, its strings are not. */
char **tool_env_with(const char *setting);

/* plugin_path.c: <dir of this executable>/../lib/objcache/objcache.so
 * (installed) or ../lib/objcache.so (build tree) into out. false with a
 * message in `why` when it cannot be found. */
bool tool_plugin_path(char *out, size_t out_size, char *why, size_t why_size);

/* plugin_probe.c: whether the compiler at path (resolved: real, run as
 * name) loads plugin (given as flag, "-fpass-plugin=..."); asked once per
 * pair of identities and kept in compilers/. false (after one warning)
 * means compile without the cache. */
bool tool_plugin_usable(const oc_config *cfg, const char *path,
                        const char *real, const char *name,
                        const char *plugin, const char *flag);
/* The resolved path of this executable (from /proc/self/exe), cached. */
const char *tool_self_path(void);

/* Direct mode's history of an output is kept under its name plus this. */
#define TOOL_DIRECT_HISTORY_SUFFIX " (direct mode)"

/* The management commands. Each takes a loaded config. */
int tool_show_stats(const oc_config *cfg);
/* --print-stats: name<TAB>value lines, or with json one JSON object
 * (docs/usage.md#statistics-as-json). */
int tool_print_stats(const oc_config *cfg, bool json);
int tool_zero_stats(const oc_config *cfg);
int tool_show_config(const oc_config *cfg);
int tool_set_max_size(const oc_config *cfg, const char *size);
int tool_clear(const oc_config *cfg);
int tool_cleanup(const oc_config *cfg);
int tool_explain(const oc_config *cfg, const char *object);
int tool_show_misses(const oc_config *cfg, bool json);
int tool_print_plugin(void);

/* json.c: text as a JSON string, quoted and escaped (invalid UTF-8 bytes
 * as U+FFFD). */
void tool_json_string(FILE *out, const char *text);

/* format.c: "2 min 3.4 s" for people ("1.5 GiB" is oc_format_size). */
void tool_format_duration(uint64_t ms, char *out, size_t out_size);

#endif
