/* objcache/config.h - objcache's settings and where each came from.
 *
 * Precedence: OBJCACHE_* environment variables, then `key = value` lines of
 * objcache.conf in the cache directory, then built-in defaults. The cache
 * directory itself comes from OBJCACHE_DIR, else
 * ${XDG_CACHE_HOME:-$HOME/.cache}/objcache. Unknown keys and bad values are
 * errors that name the key and the accepted values: never a silent default.
 * A relative OBJCACHE_DIR is made absolute; cache_dir cannot be set in the
 * conf file. An empty variable counts as unset, except OBJCACHE_LOGFILE and
 * OBJCACHE_REMOTE where it sets the empty value. Source names: "default",
 * "file", "environment". See docs/store.md for every key. The remote URL
 * may hold a password: display and error messages show it redacted
 * (remote_url.h), never as given; remote_secret is never shown at all.
 *
 * Trust (like git's safe.directory): the settings that send data somewhere
 * or write outside the cache (logfile, remote, remote_secret, umask, debug:
 * the rows flagged F_TRUSTED in lib/compile/config.c's table) are taken from
 * objcache.conf only when both the file and the cache directory are owned by
 * the user, root or the group named by OBJCACHE_TRUSTED_GROUP (a name or a
 * number), and neither is writable by others nor by a group other than that
 * one, root's or the user's private group (named after the user, no other
 * members). Otherwise they are ignored and cfg->warning says so; the other
 * settings still apply. */
#ifndef OBJCACHE_CONFIG_H
#define OBJCACHE_CONFIG_H

#include "objcache/status.h"
#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum oc_config_source {
  OC_SOURCE_DEFAULT = 0,
  OC_SOURCE_FILE,
  OC_SOURCE_ENV,
} oc_config_source;

/* One entry per setting, in `objcache -p` order; the conf-file key is the
 * lower-case name ("max_size") and the variable is OBJCACHE_ + upper case
 * ("OBJCACHE_MAX_SIZE"). Each key's row in lib/compile/config.c's table gives its
 * type, default, bounds and help: a new setting is a key here, its field
 * in oc_config, its row there and its entry in docs/objcache.1.in. */
typedef enum oc_config_key {
  OC_CONFIG_DIR = 0, /* cache_dir (env: OBJCACHE_DIR only) */
  OC_CONFIG_DISABLE,
  OC_CONFIG_MAX_SIZE,
  OC_CONFIG_COMPRESSION_LEVEL,
  OC_CONFIG_UMASK,
  OC_CONFIG_DEBUG,
  OC_CONFIG_LOGFILE,
  OC_CONFIG_DIRECT,
  OC_CONFIG_FILE_STAT_MATCHES,
  OC_CONFIG_REMOTE,
  OC_CONFIG_READ_ONLY,
  OC_CONFIG_REMOTE_ONLY,
  OC_CONFIG_REMOTE_CONNECT_TIMEOUT,
  OC_CONFIG_REMOTE_TIMEOUT,
  OC_CONFIG_REMOTE_EXPIRY,
  OC_CONFIG_REMOTE_READ_ONLY,
  OC_CONFIG_VERIFY,
  OC_CONFIG_BASE_DIR,
  OC_CONFIG_REMOTE_SECRET,
  OC_CONFIG_MAX_OBJECT_SIZE,
  OC_CONFIG_KEY_COUNT
} oc_config_key;

typedef struct oc_config {
  char cache_dir[PATH_MAX];
  bool disable;
  uint64_t max_size;
  int compression_level;
  int umask; /* -1 when unset */
  bool debug;
  char logfile[PATH_MAX];
  bool direct;
  /* ccache's sloppiness "file_stat_matches": a file whose size, mtime and
   * ctime are as recorded is taken as unchanged without reading it. false:
   * every file is hashed on every direct lookup (network file systems whose
   * times cannot be trusted). */
  bool file_stat_matches;
  char remote[1024];
  bool read_only;
  bool remote_only;
  uint32_t remote_connect_timeout_ms;
  uint32_t remote_timeout_ms;
  uint64_t remote_expiry_ms; /* 0: entries never expire in the remote */
  bool remote_read_only;     /* use the remote, never write to it */
  uint32_t verify; /* share of hits verified, in hundredths of a percent */
  /* ccache's base_dir: absolute paths under one of these directories are
   * taken relative to the working directory in the direct key and the
   * manifest (basedir.h). Colon-separated absolute paths, "" for none. */
  char base_dir[PATH_MAX];
  char remote_secret[256];   /* empty: values are neither signed nor checked */
  uint64_t max_object_size;  /* largest object stored or accepted */
  /* A survived problem to show once (a shared objcache.conf whose
   * sensitive settings were ignored), or empty. */
  char warning[OC_ERROR_MESSAGE_SIZE];
  oc_config_source source[OC_CONFIG_KEY_COUNT];
} oc_config;

/* Reads the environment and the conf file. On OC_BAD_CONFIG, cfg still holds
 * usable values (cache_dir at least) so the caller can count the error: a
 * bad setting keeps its lower-precedence value and the first problem is
 * reported. A missing conf file is fine; an unreadable one is OC_IO_ERROR
 * (cfg again usable). */
oc_status oc_config_load(oc_config *cfg, oc_error *err);

/* The conf-file name of a key ("max_size") and its variable
 * ("OBJCACHE_MAX_SIZE"). */
const char *oc_config_key_name(oc_config_key key);
const char *oc_config_env_name(oc_config_key key);
const char *oc_config_source_name(oc_config_source source);

/* A key's default in the syntax its value is written in ("5G", "100ms",
 * "true"), or NULL where it is empty, unset or computed (cache_dir); and
 * one line saying what the setting does. */
const char *oc_config_key_default(oc_config_key key);
const char *oc_config_key_help(oc_config_key key);

/* Formats the current value of key for display (sizes as "5.0 GiB"). */
void oc_config_format_value(const oc_config *cfg, oc_config_key key,
                            char *out, size_t out_size);

/* Parses "10G", "512M", "1.5G", "100000" into bytes; false on bad input. */
bool oc_parse_size(const char *text, uint64_t *bytes);

/* Applies the `key = value` text of a conf file (`path` is for messages)
 * to cfg, as oc_config_load does for objcache.conf. With trusted false the
 * sensitive settings are skipped and named in cfg->warning (with `why`).
 * Errors as oc_config_load. For tests and fuzzers. */
oc_status oc_config_parse_text(oc_config *cfg, const char *text, size_t size,
                               const char *path, bool trusted,
                               const char *why, oc_error *err);

/* Sets key = value in <cache_dir>/objcache.conf (creating it), validating
 * the value first. Used by `objcache -M`. */
oc_status oc_config_set_in_file(const oc_config *cfg, oc_config_key key,
                                const char *value, oc_error *err);

#ifdef __cplusplus
}
#endif
#endif
