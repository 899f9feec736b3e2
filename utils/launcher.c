/* launcher.c - `objcache COMPILER ARGS...`: run the compiler, with the
 * plugin inserted when the command compiles.
 *
 * With direct mode on, a compile it can handle goes to direct.c, which
 * serves it without the compiler when it can, else runs the compiler itself
 * and records what it read. Otherwise the launcher replaces itself with the
 * compiler (execv, no fork), so exit status, stdout and stderr are exactly
 * the compiler's and nothing is captured or buffered. It runs once per
 * compile of a whole build, so the path to exec is short: no libLLVM, no
 * process spawned except the one-time probes of a compiler (`--version` in
 * compiler_id.c, its libraries and config directories in direct_key.c).
 * Whenever the cache cannot help (not a compile, disabled, plugin missing,
 * not clang 22) the command runs unchanged: the launcher never breaks a
 * build that would have worked without it. */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the arguments say about the invocation. */
typedef struct {
  bool compiles;   /* -c or -S */
  bool no_codegen; /* -E, -M, -fsyntax-only, --version, -###, ... */
  bool has_plugin; /* already loads an objcache.so with -fpass-plugin= */
  bool skip_next;  /* the next argument is the value of the previous one */
  int depth;       /* response-file nesting */
} scan_state;

/* These tables read better in columns. */
/* clang-format off */
/* Driver modes that stop before code generation or do not compile. */
static const char *const stops_early[] = {
    "-E",     "-M",     "-MM",    "-fsyntax-only", "--version",
    "-###",   "--help", "-help",  "-dumpversion",  "-dumpmachine",
    "--precompile", "-print-search-dirs", "-print-resource-dir",
    "--preprocess", "--dependencies", "--user-dependencies",
};
/* clang-format on */

static bool in_list(const char *arg, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(arg, list[i]) == 0)
      return true;
  return false;
}

#define IN(arg, list) in_list(arg, list, sizeof list / sizeof list[0])

static void scan_arg(scan_state *st, const char *arg);

/* Splits a response file the way clang does on Linux (GNU quoting:
 * whitespace separates, quotes and backslashes escape) and scans each
 * argument. Best effort: an unreadable file tells us nothing. */
static void scan_response_file(scan_state *st, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  static char text[1 << 20];
  ssize_t len = read(fd, text, sizeof text - 1);
  close(fd);
  if (len <= 0)
    return;
  text[len] = '\0';
  char *out = text; /* unquoting only ever shrinks, so it is done in place */
  for (char *p = text; *p;) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
      p++;
    if (!*p)
      break;
    char *word = out;
    char quote = 0;
    for (; *p; p++) {
      if (!quote && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        break;
      if (*p == '\\' && p[1] && quote != '\'')
        *out++ = *++p;
      else if (!quote && (*p == '"' || *p == '\''))
        quote = *p;
      else if (quote && *p == quote)
        quote = 0;
      else
        *out++ = *p;
    }
    char *next = *p ? p + 1 : p;
    *out++ = '\0';
    scan_arg(st, word);
    p = next;
  }
}

static void scan_arg(scan_state *st, const char *arg) {
  if (st->skip_next) {
    st->skip_next = false;
    return;
  }
  if (arg[0] == '@' && st->depth < 1) {
    st->depth++;
    scan_response_file(st, arg + 1);
    st->depth--;
    return;
  }
  if (arg[0] != '-')
    return;
  if (strcmp(arg, "-c") == 0 || strcmp(arg, "-S") == 0 ||
      strcmp(arg, "--compile") == 0 || strcmp(arg, "--assemble") == 0)
    st->compiles = true;
  else if (IN(arg, stops_early))
    st->no_codegen = true;
  else if (tool_option_separate(arg)) /* direct_args.c's table */
    st->skip_next = true;
  else if (strncmp(arg, "-fpass-plugin=", 14) == 0) {
    size_t len = strlen(arg);
    st->has_plugin |= len >= 26 && strcmp(arg + len - 12, "/objcache.so") == 0;
  }
}

/* Started through a masquerade link (P/lib/objcache/bin/clang-22 ->
 * objcache) given by path: that directory, resolved. */
static char masquerade_dir[PATH_MAX];

/* Whether a PATH entry is the masquerade link's own directory. Only asked
 * in masquerade mode, so the plain launcher pays no realpath per entry. */
static bool is_masquerade_dir(const char *dir, size_t len) {
  char entry[PATH_MAX], real[PATH_MAX];
  if (!masquerade_dir[0])
    return false;
  int n = snprintf(entry, sizeof entry, "%.*s", (int)len, len ? dir : ".");
  return n > 0 && (size_t)n < sizeof entry && realpath(entry, real) &&
         strcmp(real, masquerade_dir) == 0;
}

/* Finds a command the way execvp does: a name with a slash is used as is,
 * anything else is searched in PATH, skipping this very executable (and, in
 * masquerade mode, the link's own directory) so that a `clang-22 ->
 * objcache` symlink early in PATH does not exec itself. */
static bool find_compiler(const char *name, char *path, size_t size,
                          char *real) {
  if (strchr(name, '/')) {
    snprintf(path, size, "%s", name);
    return realpath(path, real) != NULL;
  }
  const char *dirs = getenv("PATH");
  if (!dirs)
    dirs = "/usr/local/bin:/usr/bin:/bin";
  const char *self = tool_self_path();
  for (const char *p = dirs;;) {
    const char *end = strchrnul(p, ':');
    int n = end == p ? snprintf(path, size, "%s", name) /* "" means "." */
                     : snprintf(path, size, "%.*s/%s", (int)(end - p), p, name);
    struct stat st;
    if (n > 0 && (size_t)n < size && !is_masquerade_dir(p, end - p) &&
        stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
        access(path, X_OK) == 0 && realpath(path, real) &&
        !(self && strcmp(real, self) == 0))
      return true;
    if (!*end)
      break;
    p = end + 1;
  }
  errno = ENOENT;
  return false;
}

static int exec_compiler(const char *path, char **argv) {
  execv(path, argv);
  int e = errno;
  fprintf(stderr, "objcache: cannot run %s: %s\n", argv[0], strerror(e));
  return e == ENOENT ? 127 : 126;
}

/* Every launch counts itself in OBJCACHE_LAUNCH_DEPTH, which the compiler
 * inherits. A compiler found in PATH that is a wrapper calling the same
 * name through PATH again would otherwise come back here forever; a real
 * compile nests once at most (a wrapper script around clang). */
#define LAUNCH_DEPTH_ENV "OBJCACHE_LAUNCH_DEPTH"
#define LAUNCH_DEPTH_MAX 4

static bool enter_launch(const char *name) {
  const char *text = getenv(LAUNCH_DEPTH_ENV);
  long depth = text ? strtol(text, NULL, 10) : 0;
  if (depth < 0)
    depth = 0;
  if (depth >= LAUNCH_DEPTH_MAX) {
    fprintf(stderr,
            "objcache: %s: started through objcache %ld times in a row (%s): "
            "the %s found in PATH leads back to objcache (a wrapper that "
            "runs %s through PATH again?)\n",
            name, depth, LAUNCH_DEPTH_ENV, name, name);
    return false;
  }
  char next[24];
  snprintf(next, sizeof next, "%ld", depth + 1);
  setenv(LAUNCH_DEPTH_ENV, next, 1);
  return true;
}

int tool_masquerade(char **argv) {
  const char *slash = strrchr(argv[0], '/');
  if (slash) {
    char dir[PATH_MAX];
    int n = snprintf(dir, sizeof dir, "%.*s", (int)(slash - argv[0]), argv[0]);
    if (n <= 0 || (size_t)n >= sizeof dir || !realpath(dir, masquerade_dir))
      snprintf(masquerade_dir, sizeof masquerade_dir, "%s", n == 0 ? "/" : "");
    argv[0] = (char *)slash + 1; /* the real compiler is searched by name */
  }
  return tool_launch(argv);
}

int tool_launch(char **argv) {
  const char *name = argv[0];
  char path[PATH_MAX], real[PATH_MAX];
  if (!enter_launch(name))
    return 127;
  if (!find_compiler(name, path, sizeof path, real)) {
    fprintf(stderr, "objcache: %s: compiler not found%s\n", name,
            strchr(name, '/')   ? ""
            : masquerade_dir[0] ? " in PATH (after objcache's own directory)"
                                : " in PATH");
    return 127;
  }
  const char *self = tool_self_path();
  if (self && strcmp(real, self) == 0) {
    fprintf(stderr, "objcache: %s is objcache itself, not a compiler\n", name);
    return TOOL_USAGE;
  }

  scan_state scan = {0};
  for (char **arg = argv + 1; *arg; arg++)
    scan_arg(&scan, *arg);
  if (!scan.compiles || scan.no_codegen || scan.has_plugin)
    return exec_compiler(path, argv);

  /* A bad setting is not the launcher's to report: the plugin loads the
   * same config, counts the error and compiles anyway. Only cache_dir and
   * disable matter here, and both are usable after OC_BAD_CONFIG. */
  oc_config cfg;
  oc_error err;
  oc_status status = oc_config_load(&cfg, &err);
  if (status != OC_OK && status != OC_BAD_CONFIG) {
    /* An unreadable conf (a FIFO, a device) or no cache directory at all:
     * the plugin would not run either, so this is the one warning. */
    fprintf(stderr, "objcache: warning: %s; compiling without the cache\n",
            err.message);
    return exec_compiler(path, argv);
  }
  if (cfg.disable)
    return exec_compiler(path, argv);

  char plugin[PATH_MAX], why[2 * PATH_MAX + 64];
  if (!tool_plugin_path(plugin, sizeof plugin, why, sizeof why)) {
    fprintf(stderr, "objcache: warning: %s; compiling without the cache\n",
            why);
    return exec_compiler(path, argv);
  }
  if (!tool_is_clang22(&cfg, path, real, name))
    return exec_compiler(path, argv);
  char flag[PATH_MAX + 16];
  snprintf(flag, sizeof flag, "-fpass-plugin=%s", plugin);
  /* A plugin that will not load never fails the build. */
  if (!tool_plugin_usable(&cfg, path, real, name, plugin, flag))
    return exec_compiler(path, argv);
  if (cfg.direct) {
    int rc = tool_direct(&cfg, path, real, plugin, flag, argv);
    if (rc >= 0)
      return rc;
  }

  size_t argc = 0;
  while (argv[argc])
    argc++;
  char **args = malloc((argc + 2) * sizeof *args);
  if (!args)
    return exec_compiler(path, argv);
  args[0] = argv[0];
  args[1] = flag;
  memcpy(args + 2, argv + 1, argc * sizeof *args); /* with the NULL */
  return exec_compiler(path, args);
}
