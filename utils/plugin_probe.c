/* plugin_probe.c - can this compiler load this plugin?
 *
 * A plugin file that exists but cannot be loaded (truncated by a failed
 * install, built for another LLVM, unreadable) makes clang fail every
 * compile it is given to, and a wrong "clang-22" answer in compilers/
 * (compiler_id.c) hands the flag to a compiler that does not take it. The
 * cache must never break a build, so before the first compile with a
 * given compiler and plugin the launcher asks: it preprocesses an empty
 * file with the plugin (clang loads pass plugins before doing anything
 * else, so this costs one short clang run) and keeps the verdict in the
 * probe cache (lib/direct/probe_cache.c), <cache_dir>/compilers/<hash of both
 * identities>.plugin. A plugin that
 * does not load means compiling without the cache, with one warning when
 * the verdict is made; a new plugin or compiler file (another size, mtime
 * or inode) is asked again. */
#include "objcache/direct.h"
#include "objcache/hash.h"
#include "tool.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char loads_answer[] = "loads\n";
static const char fails_answer[] = "fails\n";

/* The name <hash>.plugin of the pair's verdict in the probe cache, false
 * when either cannot be identified. */
static bool verdict_name(const char *real, const char *plugin, char *out,
                         size_t size) {
  struct stat cs, ps;
  if (stat(real, &cs) != 0 || stat(plugin, &ps) != 0)
    return false;
  char identity[2 * PATH_MAX + 160];
  int n = snprintf(identity, sizeof identity,
                   "%s%c%lld:%lld.%09ld:%llu%c%s%c%lld:%lld.%09ld:%llu", real,
                   '\0', (long long)cs.st_size, (long long)cs.st_mtim.tv_sec,
                   cs.st_mtim.tv_nsec, (unsigned long long)cs.st_ino, '\0',
                   plugin, '\0', (long long)ps.st_size,
                   (long long)ps.st_mtim.tv_sec, ps.st_mtim.tv_nsec,
                   (unsigned long long)ps.st_ino);
  if (n < 0 || (size_t)n >= sizeof identity)
    return false;
  oc_digest digest = oc_hash_bytes(identity, (size_t)n);
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(&digest, hex);
  n = snprintf(out, size, "%s.plugin", hex);
  return n > 0 && (size_t)n < size;
}

/* `path -fpass-plugin=plugin -E -x c /dev/null -o /dev/null`, quietly,
 * without the cache (OBJCACHE_DISABLE=1, so the plugin counts nothing). */
static bool plugin_loads(const char *path, const char *name,
                         const char *flag) {
  char **env = tool_env_with("OBJCACHE_DISABLE=1");
  if (!env)
    return true; /* cannot ask: let the compile say */
  char *args[] = {(char *)name, (char *)flag, "-E", "-x", "c", "/dev/null",
                  "-o", "/dev/null", NULL};
  /* Its stdout (nothing, with -o) through the helper's pipe, unread. */
  int status = tool_spawn(path, args, env, STDOUT_FILENO, true, NULL, NULL);
  free(env);
  if (status == -1)
    return true; /* cannot run it at all: exec will say why */
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool tool_plugin_usable(const oc_config *cfg, const char *path,
                        const char *real, const char *name,
                        const char *plugin, const char *flag) {
  char verdict[OC_DIGEST_HEX_SIZE + 16];
  bool known = verdict_name(real, plugin, verdict, sizeof verdict);
  static const char *const answers[] = {loads_answer, fails_answer};
  if (known) {
    int which = oc_probe_answer_get(cfg, verdict, answers, 2);
    if (which >= 0)
      return which == 0;
  }
  bool ok = plugin_loads(path, name, flag);
  if (!ok)
    fprintf(stderr,
            "objcache: warning: %s cannot load the plugin %s; compiling "
            "without the cache until either changes\n",
            name, plugin);
  if (known)
    oc_probe_answer_put(cfg, verdict, ok ? loads_answer : fails_answer);
  return ok;
}
