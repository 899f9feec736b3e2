/* compiler_id.c - is this compiler clang 22?
 *
 * The plugin only loads into clang 22, and CC may name any compiler (gcc, an
 * older clang, a wrapper script). Most answers come from the resolved path's
 * name alone: /usr/bin/clang-22 resolves into /usr/lib/llvm-22/bin/. Other
 * compilers are asked `--version` once; the answer is kept in the probe
 * cache (lib/direct/probe_cache.c), <cache_dir>/compilers/<hash of path, size,
 * mtime, inode>, so an upgraded or replaced compiler is asked again. A compiler
 * that is not clang 22 gets one note on stderr, printed by whichever process
 * created its answer file (oc_probe_answer_create): link(2) refuses to replace
 * an existing file, so parallel compiles of a first build agree on one writer
 * and print the note once. */
#include "objcache/direct.h"
#include "objcache/hash.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char clang22_answer[] = "clang-22\n";
static const char other_answer[] = "other\n";

static bool named_clang22(const char *real) {
  const char *slash = strrchr(real, '/');
  const char *base = slash ? slash + 1 : real;
  if (strcmp(base, "clang-22") == 0 || strcmp(base, "clang++-22") == 0)
    return true;
  static const char llvm22[] = "/usr/lib/llvm-22/bin/";
  return slash && (size_t)(slash + 1 - real) == sizeof llvm22 - 1 &&
         strncmp(real, llvm22, sizeof llvm22 - 1) == 0 &&
         (strcmp(base, "clang") == 0 || strcmp(base, "clang++") == 0);
}

/* Runs `path --version` (argv[0] = name, as the build would run it) and
 * looks for clang's banner. stdin and stderr go to /dev/null so that a
 * wrapper cannot hang on input or talk into the build log. */
static bool ask_version(const char *path, const char *name, bool *is22) {
  char *args[] = {(char *)name, "--version", NULL};
  char out[8192]; /* the banner is on the first line */
  int wstatus =
      tool_run_capture(path, args, NULL, STDOUT_FILENO, out, sizeof out);
  if (wstatus == -1)
    return false;
  /* "Debian clang version 22.1.8 (...)", "clang version 22.0.0git" */
  *is22 = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0 &&
          strstr(out, "clang version 22.") != NULL;
  return true;
}

/* The name of this compiler's answer in the probe cache: the hash of its
 * identity. */
static bool answer_name(const char *real, char *hex) {
  struct stat st;
  if (stat(real, &st) != 0)
    return false;
  char identity[PATH_MAX + 128];
  int n = snprintf(
      identity, sizeof identity, "%s%c%lld:%lld.%09ld:%llu:%llu", real, '\0',
      (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
      (unsigned long long)st.st_ino, (unsigned long long)st.st_dev);
  if (n < 0 || (size_t)n >= sizeof identity)
    return false;
  oc_digest digest = oc_hash_bytes(identity, (size_t)n);
  oc_digest_to_hex(&digest, hex);
  return true;
}

bool tool_is_clang22(const oc_config *cfg, const char *path, const char *real,
                     const char *name) {
  if (named_clang22(real))
    return true;
  char name_hex[OC_DIGEST_HEX_SIZE];
  bool known = answer_name(real, name_hex);
  static const char *const answers[] = {clang22_answer, other_answer};
  if (known) {
    /* Validated: a regular file (never a FIFO or a symlink) holding
     * exactly one of the two answers; anything else is removed, asked
     * again below and replaced. A wrong "clang-22" for another compiler is
     * caught by the plugin probe (plugin_probe.c). */
    int which = oc_probe_answer_get(cfg, name_hex, answers, 2);
    if (which >= 0)
      return which == 0;
  }
  bool is22;
  if (!ask_version(path, name, &is22))
    return false; /* cannot even run it: exec will say why */
  bool first =
      !known || oc_probe_answer_create(cfg, name_hex,
                                       is22 ? clang22_answer : other_answer);
  if (!is22 && first)
    fprintf(stderr,
            "objcache: note: %s (%s) is not clang 22; compiling without the "
            "cache. This note is shown once per compiler.\n",
            name, real);
  return is22;
}
