/* direct_key.c - the direct key: everything the launcher can see, before
 * starting clang, that can change what clang does (docs/key.md, "Direct
 * key", says why each part is there).
 *
 * Two facts about a compiler cost a process each to learn, so they are
 * probed once per compiler identity (resolved path, size, mtime, inode,
 * device, and the loader's variables) and kept in
 * <cache_dir>/compilers/<hex>.direct (lib/direct/probe_cache.c):
 *   lib <path>     a shared object the compiler loads (asked of the dynamic
 *                  loader with LD_TRACE_LOADED_OBJECTS=1; only for ELF)
 *   cfgdir <path>  a directory where the driver looks for config files
 *                  (from its own error message for a config file that
 *                  does not exist)
 *   gccdir <path>  a GCC installation the driver found (`clang -v`), and
 *                  its parent directory
 * Each compile then only stats the listed objects and lists *.cfg in the
 * listed directories, so a replaced libLLVM or a new default config file
 * changes the key without another probe. */
#include "objcache/basedir.h"
#include "objcache/direct.h"
#include "objcache/fileio.h"
#include "objcache/hash.h"
#include "objcache/version.h"
#include "tool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bumped whenever the meaning of a direct-key part changes. */
#define DIRECT_SCHEME_VERSION 2
/* Bumped when the probe learns something new, so old probe files are
 * redone rather than read without it. */
#define DIRECT_PROBE_VERSION 2
#define PROBE_MAX (64 * 1024)

/* clang-format off */
/* The environment variables clang's driver and front end read that can
 * change a compile's outputs or its diagnostics (docs/key.md). */
static const char *const key_env[] = {
    "CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "OBJC_INCLUDE_PATH",
    "OBJCPLUS_INCLUDE_PATH", "CCC_OVERRIDE_OPTIONS", "SOURCE_DATE_EPOCH",
    "COMPILER_PATH", "CLANG_NO_DEFAULT_CONFIG", "CLANG_CONFIG_PATH",
    "CLANG_MODULE_CACHE_PATH", "SDKROOT", "MACOSX_DEPLOYMENT_TARGET",
    "IPHONEOS_DEPLOYMENT_TARGET", "TVOS_DEPLOYMENT_TARGET",
    "WATCHOS_DEPLOYMENT_TARGET", "DRIVERKIT_DEPLOYMENT_TARGET",
    "RC_DEBUG_OPTIONS", "RC_DEBUG_PREFIX_MAP", "SCE_ORBIS_SDK_DIR",
    "SCE_PROSPERO_SDK_DIR", "HIP_PATH", "HIP_DEVICE_LIB_PATH", "ROCM_PATH",
    "INCLUDE", "EXTERNAL_INCLUDE", "NCC_C_INCLUDE_PATH",
    "NCC_CPLUS_INCLUDE_PATH", "XCC_C_INCLUDE_PATH", "XCC_CPLUS_INCLUDE_PATH",
    "LIBRARY_PATH", "AS_SECURE_LOG_FILE", "LLVM_OVERRIDE_PRODUCER",
    "NO_COLOR", "CL", "_CL_", "LD_LIBRARY_PATH", "LD_PRELOAD",
};
/* clang-format on */

static void fail(char *why, size_t size, const char *what, const char *path) {
  snprintf(why, size, "%s %s", what, path);
}

/* "size mtime inode" of a file, or "missing". */
static void identity_of(const char *path, char *out, size_t size) {
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(out, size, "missing");
    return;
  }
  snprintf(out, size, "%lld %lld.%09ld %llu:%llu", (long long)st.st_size,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
           (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
}

/* ---- the per-compiler probe --------------------------------------------- */

/* Runs argv with `extra_env` added, stdin from /dev/null, and collects what
 * it writes to `fd` (1 or 2; the other goes to /dev/null). */
static bool run_capture(const char *path, char *const argv[],
                        const char *extra_env, int fd, char *out, size_t size) {
  char **env = tool_env_with(extra_env);
  if (!env) {
    out[0] = '\0';
    return false;
  }
  int status = tool_run_capture(path, argv, env, fd, out, size);
  free(env);
  return status != -1;
}

static bool is_elf(const char *path) {
  char magic[4];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool elf = read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;
  close(fd);
  return elf;
}

/* Appends "lib <path>" lines for what `ld.so --list` style tracing prints:
 * "\tlibLLVM.so.22.1 => /usr/lib/.../libLLVM.so.22.1 (0x...)" or
 * "\t/lib64/ld-linux-x86-64.so.2 (0x...)". */
static void probe_libs(const char *real, char *text, size_t size) {
  static char out[PROBE_MAX];
  char *argv[] = {(char *)real, NULL};
  if (!is_elf(real) ||
      !run_capture(real, argv, "LD_TRACE_LOADED_OBJECTS=1", 1, out, sizeof out))
    return;
  for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
    char *arrow = strstr(line, "=> ");
    char *p = arrow ? arrow + 3 : line;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p != '/')
      continue; /* the vDSO, or "not found" */
    char *end = strstr(p, " (0x");
    if (end)
      *end = '\0';
    size_t used = strlen(text);
    snprintf(text + used, size - used, "lib %s\n", p);
  }
}

/* Asks the driver for a config file that cannot exist; its notes name
 * every directory it searched. */
static void probe_config_dirs(const char *path, const char *name, char *text,
                              size_t size) {
  static char out[PROBE_MAX];
  char cfg[64];
  snprintf(cfg, sizeof cfg, "objcache-probe-%016llx.cfg",
           (unsigned long long)oc_random64());
  char *argv[] = {(char *)name, "--config", cfg,         "-fsyntax-only",
                  "-x",         "c",        "/dev/null", NULL};
  if (!run_capture(path, argv, NULL, 2, out, sizeof out))
    return;
  static const char marker[] = "searched for in the directory: ";
  for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
    char *dir = strstr(line, marker);
    if (!dir)
      continue;
    size_t used = strlen(text);
    snprintf(text + used, size - used, "cfgdir %s\n", dir + strlen(marker));
  }
}

/* Asks the driver which GCC installations it found (`clang -v`): their
 * headers and libraries are what it adds to every compile. The key then
 * covers each installation directory and its parent, whose mtime changes
 * when another GCC version is installed beside it. */
static void probe_gcc(const char *path, const char *name, char *text,
                      size_t size) {
  static char out[PROBE_MAX];
  char *argv[] = {(char *)name, "-v", NULL};
  if (!run_capture(path, argv, NULL, 2, out, sizeof out))
    return;
  static const char marker[] = "Found candidate GCC installation: ";
  for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, marker, strlen(marker)) != 0)
      continue;
    const char *dir = line + strlen(marker);
    size_t used = strlen(text);
    snprintf(text + used, size - used, "gccdir %s\n", dir);
    const char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
      used = strlen(text);
      snprintf(text + used, size - used, "gccdir %.*s\n", (int)(slash - dir),
               dir);
    }
  }
}

/* Reads the probe file for this compiler, probing and writing it first
 * when missing. */
static bool compiler_facts(const oc_config *cfg, const char *path,
                           const char *real, const char *name, char *text,
                           size_t size) {
  struct stat st;
  if (stat(real, &st) != 0)
    return false;
  const char *ld_path = getenv("LD_LIBRARY_PATH");
  const char *preload = getenv("LD_PRELOAD");
  char identity[3 * PATH_MAX];
  int n =
      snprintf(identity, sizeof identity,
               "probe %d%c%s%c%lld:%lld.%09ld:%llu:%llu%c%s%c%s",
               DIRECT_PROBE_VERSION, '\0', real, '\0', (long long)st.st_size,
               (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
               (unsigned long long)st.st_ino, (unsigned long long)st.st_dev,
               '\0', ld_path ? ld_path : "-", '\0', preload ? preload : "-");
  if (n < 0 || (size_t)n >= sizeof identity)
    return false;
  oc_digest digest = oc_hash_bytes(identity, (size_t)n);
  char hex[OC_DIGEST_HEX_SIZE], probe[OC_DIGEST_HEX_SIZE + 8];
  oc_digest_to_hex(&digest, hex);
  snprintf(probe, sizeof probe, "%s.direct", hex);
  if (oc_probe_cache_get(cfg, probe, text, size))
    return true;
  text[0] = '\0';
  probe_libs(real, text, size);
  probe_config_dirs(path, name, text, size);
  probe_gcc(path, name, text, size);
  oc_probe_cache_put(cfg, probe, text);
  return true;
}

/* ---- config files -------------------------------------------------------- */

static void add_file_content(oc_key_builder *key, const char *name,
                             const char *path, int depth);

/* Config files may include others with @file, relative to their own
 * directory: follow them (a few levels, as nobody nests deeper). */
static void add_nested(oc_key_builder *key, const char *path, int depth) {
  if (depth >= 4)
    return;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  oc_buffer text = {0};
  oc_status status = oc_file_read_fd(fd, path, 1 << 20, &text, NULL);
  close(fd);
  if (status != OC_OK || oc_buffer_append(&text, "", 1) != OC_OK) {
    oc_buffer_free(&text);
    return;
  }
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  for (char *word = strtok((char *)text.data, " \t\r\n"); word;
       word = strtok(NULL, " \t\r\n")) {
    if (word[0] != '@' || !word[1])
      continue;
    char nested[2 * PATH_MAX];
    if (word[1] == '/' || !slash)
      snprintf(nested, sizeof nested, "%s", word + 1);
    else
      snprintf(nested, sizeof nested, "%s/%s", dir, word + 1);
    add_file_content(key, "nested", nested, depth + 1);
  }
  oc_buffer_free(&text);
}

/* Adds "config <name> <content hash>" or "absent". */
static void add_file_content(oc_key_builder *key, const char *name,
                             const char *path, int depth) {
  oc_digest digest;
  char hex[OC_DIGEST_HEX_SIZE + 8];
  if (oc_hash_file(path, &digest, NULL) == OC_OK) {
    oc_digest_to_hex(&digest, hex);
  } else {
    snprintf(hex, sizeof hex, "absent");
  }
  char label[2 * PATH_MAX + 16];
  snprintf(label, sizeof label, "%s %s", name, path);
  oc_key_add_str(key, "config", label, hex);
  if (strcmp(hex, "absent") != 0)
    add_nested(key, path, depth);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.cfg in a search directory, by name and content: which of them
 * the driver picks depends on the target and the driver mode, and a new
 * one appearing must change the key. */
static void add_config_dir(oc_key_builder *key, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    oc_key_add_str(key, "config", dir, "no directory");
    return;
  }
  char *names[256];
  size_t count = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL && count < 256) {
    size_t len = strlen(de->d_name);
    if (len > 4 && strcmp(de->d_name + len - 4, ".cfg") == 0)
      names[count++] = strdup(de->d_name);
  }
  closedir(d);
  qsort(names, count, sizeof *names, by_name);
  for (size_t i = 0; i < count; i++) {
    char path[2 * PATH_MAX];
    if (names[i]) {
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      add_file_content(key, "default", path, 0);
    }
    free(names[i]);
  }
}

/* ---- the key ------------------------------------------------------------- */

/* The working directory as clang sees it: LLVM's current_path() prefers
 * $PWD when it names the same directory (that is what lands in debug
 * information), else getcwd(). */
bool tool_logical_cwd(char *out, size_t size) {
  const char *pwd = getenv("PWD");
  struct stat a, b;
  if (pwd && pwd[0] == '/' && stat(pwd, &a) == 0 && stat(".", &b) == 0 &&
      a.st_dev == b.st_dev && a.st_ino == b.st_ino && strlen(pwd) < size) {
    snprintf(out, size, "%s", pwd);
    return true;
  }
  return getcwd(out, size) != NULL;
}

/* An argument, with absolute paths under base_dir taken relative to the
 * working directory (ccache's rule): the whole argument ("/w/a/x.c"), a
 * value joined to an option name ("-I/w/a/inc"), or the pieces of a value
 * after '=' ("-ffile-prefix-map=/w/a=."). Without base_dir, as typed. */
static void add_relocatable_arg(oc_key_builder *key, const char *base_dirs,
                                const char *cwd, const char *arg) {
  /* Options that name a path only to rewrite the paths written into the
   * outputs, never to read a file: relative to the working directory
   * even without base_dir, so "-ffile-prefix-map=$PWD=." is the same in
   * every checkout. Whether the outputs then still name the checkout is
   * decided from the outputs themselves (a bound candidate). */
  static const char *const path_maps[] = {
      "-ffile-prefix-map=",         "-fdebug-prefix-map=",
      "-fmacro-prefix-map=",        "-fcoverage-prefix-map=",
      "-fdebug-compilation-dir=",   "-ffile-compilation-dir=",
      "-fcoverage-compilation-dir=",
  };
  char with_cwd[2 * PATH_MAX + 2];
  for (size_t i = 0; i < sizeof path_maps / sizeof *path_maps; i++)
    if (strncmp(arg, path_maps[i], strlen(path_maps[i])) == 0) {
      snprintf(with_cwd, sizeof with_cwd, "%s%s%s", base_dirs,
               base_dirs[0] ? ":" : "", cwd);
      base_dirs = with_cwd;
      break;
    }
  const char *slash = strchr(arg, '/');
  if (!base_dirs[0] || !slash) {
    oc_key_add_str(key, "arg", "arg", arg);
    return;
  }
  /* Before the first slash: nothing, an option name, or one ending in '='. */
  for (const char *p = arg; p < slash; p++)
    if (!(*p == '-' || *p == '_' || *p == '=' || *p == ',' ||
          (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9'))) {
      oc_key_add_str(key, "arg", "arg", arg);
      return;
    }
  char out[3 * PATH_MAX];
  size_t used = (size_t)(slash - arg);
  if (used >= sizeof out) {
    oc_key_add_str(key, "arg", "arg", arg);
    return;
  }
  memcpy(out, arg, used);
  bool changed = false;
  for (const char *p = slash; *p;) {
    const char *eq = strchr(p, '=');
    size_t len = eq ? (size_t)(eq - p) : strlen(p);
    char piece[PATH_MAX], rel[PATH_MAX];
    const char *text = p;
    size_t text_len = len;
    if (len < sizeof piece && p[0] == '/') {
      memcpy(piece, p, len);
      piece[len] = '\0';
      if (oc_base_dir_rewrite(base_dirs, cwd, piece, rel, sizeof rel)) {
        text = rel;
        text_len = strlen(rel);
        changed = true;
      }
    }
    if (used + text_len + 2 >= sizeof out) {
      oc_key_add_str(key, "arg", "arg", arg);
      return;
    }
    memcpy(out + used, text, text_len);
    used += text_len;
    if (eq)
      out[used++] = '=';
    p += len + (eq ? 1 : 0);
  }
  out[used] = '\0';
  /* A rewritten argument is keyed apart from one typed that way. */
  oc_key_add_str(key, "arg", changed ? "relative" : "arg", out);
}

bool tool_direct_key(const oc_config *cfg, const char *path, const char *real,
                     const char *plugin, char **argv,
                     const oc_cc_args *args, bool add_color,
                     oc_key_builder *key, oc_digest *location, char *why,
                     size_t why_size) {
  char id[128];
  oc_key_add_u64(key, "direct-scheme", "version", DIRECT_SCHEME_VERSION);
  oc_key_add_str(key, "objcache", "version", OC_VERSION);
  oc_key_add_str(key, "objcache", "commit", OC_GIT_COMMIT);

  static char facts[PROBE_MAX];
  if (!compiler_facts(cfg, path, real, argv[0], facts, sizeof facts)) {
    fail(why, why_size, "cannot identify the compiler", real);
    return false;
  }
  identity_of(real, id, sizeof id);
  oc_key_add_str(key, "compiler", real, id);
  identity_of(plugin, id, sizeof id);
  oc_key_add_str(key, "plugin", plugin, id);
  /* The probe's lines, in its order: libraries, config dirs, GCC dirs. */
  char dirs[16][PATH_MAX];
  size_t n_dirs = 0;
  for (char *line = facts; *line;) {
    char *end = strchr(line, '\n');
    if (!end)
      break;
    *end = '\0';
    if (strncmp(line, "lib ", 4) == 0) {
      identity_of(line + 4, id, sizeof id);
      oc_key_add_str(key, "compiler", line + 4, id);
    } else if (strncmp(line, "gccdir ", 7) == 0) {
      identity_of(line + 7, id, sizeof id);
      oc_key_add_str(key, "gcc", line + 7, id);
    } else if (strncmp(line, "cfgdir ", 7) == 0 && n_dirs < 16) {
      snprintf(dirs[n_dirs++], PATH_MAX, "%s", line + 7);
    }
    *end = '\n';
    line = end + 1;
  }

  char cwd[PATH_MAX];
  if (!tool_logical_cwd(cwd, sizeof cwd)) {
    fail(why, why_size, "cannot read the working directory", "");
    return false;
  }
  /* Where the compile runs: the working directory and the arguments as
   * typed. The key leaves both out (see add_relocatable_arg); a candidate
   * whose outputs name them is bound to this digest instead. */
  oc_hasher where;
  oc_hasher_init(&where);
  oc_hasher_update(&where, cwd, strlen(cwd) + 1);
  for (char **arg = argv; *arg; arg++)
    oc_hasher_update(&where, *arg, strlen(*arg) + 1);
  *location = oc_hasher_final(&where);

  /* The name matters: clang++ and clang are different driver modes. */
  oc_key_add_str(key, "arg", "name", argv[0]);
  for (char **arg = argv + 1; *arg; arg++) {
    /* Output names leave the key: where the object and the .d go does not
     * change them, and a hit generates the .d for this command's targets.
     * What comes before a joined value ("-o" of "-ofoo") stays. */
    bool output = arg == args->output_arg || arg == args->depfile_arg;
    size_t skip = arg == args->output_arg    ? args->output_skip
                  : arg == args->depfile_arg ? args->depfile_skip
                                             : 0;
    for (size_t i = 0; !output && i < args->target_arg_count; i++)
      if (arg == args->target_arg[i]) {
        output = true;
        skip = args->target_skip[i];
      }
    if (output) {
      oc_key_add(key, "arg", "output", *arg, skip);
      continue;
    }
    add_relocatable_arg(key, cfg->base_dir, cwd, *arg);
  }

  const char *no_default = getenv("CLANG_NO_DEFAULT_CONFIG");
  bool defaults = !(no_default && *no_default);
  for (char **arg = argv + 1; *arg; arg++)
    defaults &= strcmp(*arg, "--no-default-config") != 0;
  if (defaults)
    for (size_t i = 0; i < n_dirs; i++)
      add_config_dir(key, dirs[i]);
  for (char **arg = argv + 1; *arg; arg++) {
    const char *value = NULL;
    if (strcmp(*arg, "--config") == 0 && arg[1])
      value = arg[1];
    else if (strncmp(*arg, "--config=", 9) == 0)
      value = *arg + 9;
    if (!value)
      continue;
    /* With a slash it is a path; without, the driver searches its config
     * directories. Both readings go into the key. */
    add_file_content(key, "option", value, 0);
    if (!strchr(value, '/'))
      for (size_t i = 0; i < n_dirs; i++) {
        char in_dir[2 * PATH_MAX];
        snprintf(in_dir, sizeof in_dir, "%s/%s", dirs[i], value);
        add_file_content(key, "option", in_dir, 0);
      }
  }

  for (size_t i = 0; i < sizeof key_env / sizeof key_env[0]; i++) {
    const char *value = getenv(key_env[i]);
    /* Unset and empty differ for some (CLANG_NO_DEFAULT_CONFIG): a set
     * value is keyed as "=value", an unset one as "unset". */
    char shown[8192];
    int n = snprintf(shown, sizeof shown, "=%s", value ? value : "");
    if (value && (n < 0 || (size_t)n >= sizeof shown))
      oc_key_add(key, "env", key_env[i], value, strlen(value)); /* huge */
    else
      oc_key_add_str(key, "env", key_env[i], value ? shown : "unset");
  }
  oc_key_add_u64(key, "color", "added", add_color);
  return true;
}
