/* config.c - loading objcache's settings (config.h): built-in defaults,
 * then `key = value` lines of <cache_dir>/objcache.conf, then OBJCACHE_*
 * environment variables; value parsing with messages that name the key, the
 * bad value and what is accepted; atomic rewrite of one key in the file. */
#include "objcache/config.h"

#include "fsutil.h"
#include "objcache/remote_url.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF_NAME "objcache.conf"
#define DEFAULT_MAX_SIZE ((uint64_t)5 << 30)
#define DEFAULT_COMPRESSION_LEVEL 1
#define MIN_COMPRESSION_LEVEL (-5)
#define MAX_COMPRESSION_LEVEL 19
#define DEFAULT_REMOTE_CONNECT_TIMEOUT_MS 100
#define DEFAULT_REMOTE_TIMEOUT_MS 1000
#define DEFAULT_MAX_OBJECT_SIZE ((uint64_t)512 << 20)
/* A conf file is a few lines; anything bigger is not one. */
#define CONF_FILE_LIMIT ((size_t)1 << 20)
#define MS_PER_DAY ((uint64_t)24 * 3600 * 1000)

typedef enum value_type {
  T_DIR,
  T_BOOL,
  T_SIZE,
  T_LEVEL,
  T_UMASK,
  T_PATH,
  T_URL,
  T_DIRLIST,
  T_TIMEOUT,
  T_EXPIRY,
  T_SECRET,
  T_PERCENT
} value_type;

static const struct {
  const char *name;
  const char *env;
  value_type type;
} keys[OC_CONFIG_KEY_COUNT] = {
    [OC_CONFIG_DIR] = {"cache_dir", "OBJCACHE_DIR", T_DIR},
    [OC_CONFIG_DISABLE] = {"disable", "OBJCACHE_DISABLE", T_BOOL},
    [OC_CONFIG_MAX_SIZE] = {"max_size", "OBJCACHE_MAX_SIZE", T_SIZE},
    [OC_CONFIG_COMPRESSION_LEVEL] = {"compression_level",
                                     "OBJCACHE_COMPRESSION_LEVEL", T_LEVEL},
    [OC_CONFIG_UMASK] = {"umask", "OBJCACHE_UMASK", T_UMASK},
    [OC_CONFIG_DEBUG] = {"debug", "OBJCACHE_DEBUG", T_BOOL},
    [OC_CONFIG_LOGFILE] = {"logfile", "OBJCACHE_LOGFILE", T_PATH},
    [OC_CONFIG_DIRECT] = {"direct", "OBJCACHE_DIRECT", T_BOOL},
    [OC_CONFIG_FILE_STAT_MATCHES] = {"file_stat_matches",
                                     "OBJCACHE_FILE_STAT_MATCHES", T_BOOL},
    [OC_CONFIG_REMOTE] = {"remote", "OBJCACHE_REMOTE", T_URL},
    [OC_CONFIG_READ_ONLY] = {"read_only", "OBJCACHE_READ_ONLY", T_BOOL},
    [OC_CONFIG_REMOTE_ONLY] = {"remote_only", "OBJCACHE_REMOTE_ONLY", T_BOOL},
    [OC_CONFIG_REMOTE_CONNECT_TIMEOUT] = {"remote_connect_timeout",
                                          "OBJCACHE_REMOTE_CONNECT_TIMEOUT",
                                          T_TIMEOUT},
    [OC_CONFIG_REMOTE_TIMEOUT] = {"remote_timeout", "OBJCACHE_REMOTE_TIMEOUT",
                                  T_TIMEOUT},
    [OC_CONFIG_REMOTE_EXPIRY] = {"remote_expiry", "OBJCACHE_REMOTE_EXPIRY",
                                 T_EXPIRY},
    [OC_CONFIG_REMOTE_READ_ONLY] = {"remote_read_only",
                                    "OBJCACHE_REMOTE_READ_ONLY", T_BOOL},
    [OC_CONFIG_VERIFY] = {"verify", "OBJCACHE_VERIFY", T_PERCENT},
    [OC_CONFIG_BASE_DIR] = {"base_dir", "OBJCACHE_BASEDIR", T_DIRLIST},
    [OC_CONFIG_REMOTE_SECRET] = {"remote_secret", "OBJCACHE_REMOTE_SECRET",
                                 T_SECRET},
    [OC_CONFIG_MAX_OBJECT_SIZE] = {"max_object_size",
                                   "OBJCACHE_MAX_OBJECT_SIZE", T_SIZE},
};

/* The settings that send data somewhere or write outside the cache: a
 * conf file sets them only when trusted (config.h). The rest only change
 * how the cache behaves for whoever reads the file. */
bool oc_config_key_sensitive(oc_config_key key) {
  switch (key) {
  case OC_CONFIG_UMASK:
  case OC_CONFIG_DEBUG:
  case OC_CONFIG_LOGFILE:
  case OC_CONFIG_REMOTE:
  case OC_CONFIG_REMOTE_SECRET:
    return true;
  default:
    return false;
  }
}

const char *oc_config_key_name(oc_config_key key) {
  return (unsigned)key < OC_CONFIG_KEY_COUNT ? keys[key].name : "unknown";
}

const char *oc_config_env_name(oc_config_key key) {
  return (unsigned)key < OC_CONFIG_KEY_COUNT ? keys[key].env : "unknown";
}

const char *oc_config_source_name(oc_config_source source) {
  switch (source) {
  case OC_SOURCE_DEFAULT: return "default";
  case OC_SOURCE_FILE: return "file";
  case OC_SOURCE_ENV: return "environment";
  }
  return "unknown";
}

/* What a key accepts, for error messages. */
static const char *expected_text(value_type type) {
  switch (type) {
  case T_BOOL: return "expected one of 1, 0, true, false, yes, no, on, off";
  case T_SIZE: return "expected a size such as 500M, 10G or 1.5T";
  case T_LEVEL: return "expected an integer from -5 to 19";
  case T_UMASK: return "expected an octal umask from 000 to 777, such as 022";
  case T_DIR: return "expected a directory path shorter than PATH_MAX";
  case T_PATH: return "expected a path shorter than PATH_MAX";
  case T_URL:
    return "expected " OC_REMOTE_URL_FORMS " (at most 1023 bytes), or "
           "nothing for no remote";
  case T_DIRLIST:
    return "expected absolute directories separated by ':' (not \"/\"), "
           "shorter than PATH_MAX in all, or nothing";
  case T_TIMEOUT:
    return "expected a duration from 1ms to 60s, such as 100ms or 2s";
  case T_EXPIRY:
    return "expected 0 (never) or a duration from 1s to 3650d, such as 12h "
           "or 7d";
  case T_PERCENT:
    return "expected a percentage from 0 to 100, such as 1 or 0.5 (at most "
           "two decimals)";
  case T_SECRET:
    return "expected a secret of 16 to 255 bytes, or nothing for none";
  }
  return "";
}

/* The value as a message may quote it: a URL without its password. */
static const char *shown_value(oc_config_key key, const char *value, char *buf,
                               size_t size) {
  if (keys[key].type == T_SECRET) {
    snprintf(buf, size, "***");
    return buf;
  }
  if (keys[key].type != T_URL)
    return value;
  oc_remote_url_redact(value, buf, size);
  return buf;
}

/* Why a value was refused: the URL parser says which part is wrong; other
 * keys list what they accept. */
static const char *why_bad(oc_config_key key, const char *value,
                           oc_error *scratch) {
  oc_remote_url url;
  if (keys[key].type == T_URL && strlen(value) < sizeof url.password * 2 &&
      oc_remote_url_parse(value, &url, scratch) == OC_BAD_CONFIG)
    return scratch->message;
  return expected_text(keys[key].type);
}

/* ---- value parsers ------------------------------------------------------ */

static bool parse_bool(const char *text, bool *out) {
  static const char *const yes[] = {"1", "true", "yes", "on"};
  static const char *const no[] = {"0", "false", "no", "off"};
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(text, yes[i]) == 0) {
      *out = true;
      return true;
    }
    if (strcasecmp(text, no[i]) == 0) {
      *out = false;
      return true;
    }
  }
  return false;
}

bool oc_parse_size(const char *text, uint64_t *bytes) {
  if (!text)
    return false;
  const char *p = text;
  uint64_t whole = 0;
  size_t int_digits = 0;
  while (isdigit((unsigned char)*p)) {
    unsigned d = (unsigned)(*p - '0');
    if (whole > (UINT64_MAX - d) / 10)
      return false;
    whole = whole * 10 + d;
    p++;
    int_digits++;
  }
  uint64_t frac = 0, frac_scale = 1;
  size_t frac_digits = 0;
  bool has_point = *p == '.';
  if (has_point) {
    p++;
    while (isdigit((unsigned char)*p)) {
      if (frac_digits < 15) {
        frac = frac * 10 + (uint64_t)(*p - '0');
        frac_scale *= 10;
      }
      frac_digits++;
      p++;
    }
  }
  if (int_digits == 0 && frac_digits == 0)
    return false;
  if (has_point && frac_digits == 0)
    return false;
  while (*p == ' ')
    p++;
  unsigned shift = 0;
  switch (toupper((unsigned char)*p)) {
  case 'K': shift = 10; break;
  case 'M': shift = 20; break;
  case 'G': shift = 30; break;
  case 'T': shift = 40; break;
  default: break;
  }
  if (shift) {
    p++;
    if (*p == 'i' || *p == 'I')
      p++;
  }
  if (*p == 'B' || *p == 'b')
    p++;
  if (*p != '\0')
    return false;
  if (has_point && shift == 0)
    return false; /* fractions of a byte */
  if (shift && whole > (UINT64_MAX >> shift))
    return false;
  uint64_t value = whole << shift;
  if (frac) {
    /* frac / frac_scale < 1, so this part is below 2^shift. */
    long double part = (long double)frac * (long double)((uint64_t)1 << shift) /
                       (long double)frac_scale;
    uint64_t add = (uint64_t)part;
    if (value > UINT64_MAX - add)
      return false;
    value += add;
  }
  *bytes = value;
  return true;
}

/* "250ms", "2s", "5m", "12h", "7d" into milliseconds; a bare "0" is 0. */
static bool parse_duration(const char *text, uint64_t *ms) {
  if (strcmp(text, "0") == 0) {
    *ms = 0;
    return true;
  }
  uint64_t n = 0;
  const char *p = text;
  if (!isdigit((unsigned char)*p))
    return false;
  while (isdigit((unsigned char)*p)) {
    if (n > 100000000000ULL)
      return false;
    n = n * 10 + (uint64_t)(*p++ - '0');
  }
  static const struct {
    const char *unit;
    uint64_t ms;
  } units[] = {{"ms", 1},
               {"s", 1000},
               {"m", 60000},
               {"h", 3600 * 1000},
               {"d", MS_PER_DAY}};
  for (size_t i = 0; i < sizeof units / sizeof *units; i++)
    if (strcmp(p, units[i].unit) == 0) {
      *ms = n * units[i].ms;
      return true;
    }
  return false;
}

static bool parse_int(const char *text, long min, long max, int base,
                      long *out) {
  if (!*text || isspace((unsigned char)*text))
    return false;
  errno = 0;
  char *end;
  long v = strtol(text, &end, base);
  if (errno || *end != '\0' || v < min || v > max)
    return false;
  *out = v;
  return true;
}

/* "1", "0.5", "100", "2.25" into hundredths of a percent (0..10000). */
static bool parse_percent(const char *text, uint32_t *out) {
  uint32_t whole = 0, digits = 0;
  const char *p = text;
  for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
    whole = whole * 10 + (uint32_t)(*p - '0');
  if (digits == 0 || (*p >= '0' && *p <= '9'))
    return false;
  uint32_t hundredths = 0;
  if (*p == '.') {
    p++;
    for (int i = 0; i < 2; i++) {
      hundredths *= 10;
      if (*p >= '0' && *p <= '9')
        hundredths += (uint32_t)(*p++ - '0');
    }
  }
  if (*p != '\0' || whole > 100 || whole * 100 + hundredths > 10000)
    return false;
  *out = whole * 100 + hundredths;
  return true;
}

/* Stores a parsed value into cfg; false (cfg unchanged) on a bad value. */
static bool apply_value(oc_config *cfg, oc_config_key key, const char *value) {
  long n;
  uint64_t ms;
  size_t len = strlen(value);
  switch (keys[key].type) {
  case T_BOOL: {
    bool b;
    if (!parse_bool(value, &b))
      return false;
    switch (key) {
    case OC_CONFIG_DISABLE: cfg->disable = b; break;
    case OC_CONFIG_DEBUG: cfg->debug = b; break;
    case OC_CONFIG_DIRECT: cfg->direct = b; break;
    case OC_CONFIG_FILE_STAT_MATCHES: cfg->file_stat_matches = b; break;
    case OC_CONFIG_READ_ONLY: cfg->read_only = b; break;
    case OC_CONFIG_REMOTE_ONLY: cfg->remote_only = b; break;
    case OC_CONFIG_REMOTE_READ_ONLY:
      cfg->remote_read_only = b;
      break;
    default: return false;
    }
    return true;
  }
  case T_SIZE:
    if (key == OC_CONFIG_MAX_OBJECT_SIZE) {
      uint64_t bytes;
      /* Below 1 KiB nothing is cacheable; above the format's limit, no
       * entry could hold it. */
      if (!oc_parse_size(value, &bytes) || bytes < 1024 ||
          bytes > ((uint64_t)4 << 30))
        return false;
      cfg->max_object_size = bytes;
      return true;
    }
    return oc_parse_size(value, &cfg->max_size);
  case T_LEVEL:
    if (!parse_int(value, MIN_COMPRESSION_LEVEL, MAX_COMPRESSION_LEVEL, 10,
                   &n))
      return false;
    cfg->compression_level = (int)n;
    return true;
  case T_UMASK:
    if (!parse_int(value, 0, 0777, 8, &n) || value[0] == '-' ||
        value[0] == '+')
      return false;
    cfg->umask = (int)n;
    return true;
  case T_PATH:
    if (len >= sizeof cfg->logfile)
      return false;
    memcpy(cfg->logfile, value, len + 1);
    return true;
  case T_URL: {
    oc_remote_url url;
    if (len >= sizeof cfg->remote)
      return false;
    oc_status status = oc_remote_url_parse(value, &url, NULL);
    if (status != OC_OK && status != OC_NOT_FOUND)
      return false;
    memcpy(cfg->remote, value, len + 1);
    return true;
  }
  case T_DIRLIST: {
    /* Each entry absolute; "/" would make every path relative, system
     * headers included, which ccache refuses too. */
    if (len >= sizeof cfg->base_dir)
      return false;
    for (const char *p = value; *p;) {
      const char *end = strchr(p, ':');
      size_t n = end ? (size_t)(end - p) : strlen(p);
      size_t slashes = 0;
      while (slashes < n && p[slashes] == '/')
        slashes++;
      if (n == 0 || p[0] != '/' || slashes == n)
        return false;
      p += n + (end ? 1 : 0);
    }
    memcpy(cfg->base_dir, value, len + 1);
    return true;
  }
  case T_TIMEOUT:
    if (!parse_duration(value, &ms) || ms < 1 || ms > 60000)
      return false;
    if (key == OC_CONFIG_REMOTE_CONNECT_TIMEOUT)
      cfg->remote_connect_timeout_ms = (uint32_t)ms;
    else
      cfg->remote_timeout_ms = (uint32_t)ms;
    return true;
  case T_EXPIRY:
    if (!parse_duration(value, &ms) || (ms != 0 && ms < 1000) ||
        ms > 3650 * MS_PER_DAY)
      return false;
    cfg->remote_expiry_ms = ms;
    return true;
  case T_PERCENT:
    return parse_percent(value, &cfg->verify);
  case T_SECRET:
    /* Short secrets can be guessed offline from one signed value. */
    if ((len != 0 && len < 16) || len >= sizeof cfg->remote_secret)
      return false;
    memcpy(cfg->remote_secret, value, len + 1);
    return true;
  case T_DIR:
    if (len == 0 || len >= sizeof cfg->cache_dir)
      return false;
    memcpy(cfg->cache_dir, value, len + 1);
    return true;
  }
  return false;
}

/* ---- loading ------------------------------------------------------------ */

static void set_defaults(oc_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->disable = false;
  cfg->max_size = DEFAULT_MAX_SIZE;
  cfg->compression_level = DEFAULT_COMPRESSION_LEVEL;
  cfg->umask = -1;
  cfg->debug = false;
  cfg->direct = true;
  cfg->file_stat_matches = true;
  cfg->read_only = false;
  cfg->remote_only = false;
  cfg->remote_connect_timeout_ms = DEFAULT_REMOTE_CONNECT_TIMEOUT_MS;
  cfg->remote_timeout_ms = DEFAULT_REMOTE_TIMEOUT_MS;
  cfg->remote_expiry_ms = 0;
  cfg->max_object_size = DEFAULT_MAX_OBJECT_SIZE;
  for (int i = 0; i < OC_CONFIG_KEY_COUNT; i++)
    cfg->source[i] = OC_SOURCE_DEFAULT;
}

/* Keeps the first error of a load: later problems do not overwrite it. */
static oc_status keep_first(oc_status current, oc_error *err,
                            const oc_error *fresh) {
  if (current != OC_OK)
    return current;
  if (err)
    *err = *fresh;
  return fresh->status;
}

static oc_status default_cache_dir(oc_config *cfg, oc_error *err) {
  const char *xdg = getenv("XDG_CACHE_HOME");
  int n;
  if (xdg && xdg[0] == '/') {
    n = snprintf(cfg->cache_dir, sizeof cfg->cache_dir, "%s/objcache", xdg);
  } else {
    const char *home = getenv("HOME");
    if (!home || !*home) {
      struct passwd *pw = getpwuid(getuid());
      home = pw ? pw->pw_dir : NULL;
    }
    if (!home || !*home) {
      /* No shared fallback such as /tmp/objcache-<uid>: another local user
       * could create it first and own our cache. Compile without one. */
      cfg->cache_dir[0] = '\0';
      cfg->disable = true;
      return oc_fail(err, OC_NOT_FOUND,
                     "no cache directory: OBJCACHE_DIR, XDG_CACHE_HOME and "
                     "HOME are unset and the user has no home directory");
    }
    n = snprintf(cfg->cache_dir, sizeof cfg->cache_dir, "%s/.cache/objcache",
                 home);
  }
  if (n < 0 || (size_t)n >= sizeof cfg->cache_dir)
    return oc_fail(err, OC_BAD_CONFIG, "default cache directory is too long");
  return OC_OK;
}

/* OBJCACHE_DIR (or the default), made absolute so that every compile of a
 * build uses the same directory whatever its working directory. */
static oc_status load_cache_dir(oc_config *cfg, oc_error *err) {
  const char *env = getenv("OBJCACHE_DIR");
  if (!env || !*env)
    return default_cache_dir(cfg, err);
  cfg->source[OC_CONFIG_DIR] = OC_SOURCE_ENV;
  char cwd[PATH_MAX];
  int n;
  if (env[0] == '/') {
    n = snprintf(cfg->cache_dir, sizeof cfg->cache_dir, "%s", env);
  } else if (getcwd(cwd, sizeof cwd)) {
    n = snprintf(cfg->cache_dir, sizeof cfg->cache_dir, "%s/%s", cwd, env);
  } else {
    n = snprintf(cfg->cache_dir, sizeof cfg->cache_dir, "%s", env);
  }
  if (n < 0 || (size_t)n >= sizeof cfg->cache_dir) {
    cfg->source[OC_CONFIG_DIR] = OC_SOURCE_DEFAULT;
    oc_error ignored;
    default_cache_dir(cfg, &ignored);
    return oc_fail(err, OC_BAD_CONFIG, "OBJCACHE_DIR=\"%.64s...\": %s", env,
                   expected_text(T_DIR));
  }
  return OC_OK;
}

static int lookup_key(const char *name) {
  for (int i = 0; i < OC_CONFIG_KEY_COUNT; i++)
    if (strcmp(keys[i].name, name) == 0)
      return i;
  return -1;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t len = strlen(s);
  while (len > 0 && isspace((unsigned char)s[len - 1]))
    s[--len] = '\0';
  return s;
}

/* Splits a conf line into key and value. Returns 0 for a blank or comment
 * line, 1 for a setting, -1 for a malformed line. */
static int split_line(char *line, char **key, char **value) {
  char *s = trim(line);
  if (*s == '\0' || *s == '#')
    return 0;
  char *eq = strchr(s, '=');
  if (!eq)
    return -1;
  *eq = '\0';
  *key = trim(s);
  *value = trim(eq + 1);
  return **key ? 1 : -1;
}

static void conf_path(const oc_config *cfg, char *out, size_t size) {
  snprintf(out, size, "%s/" CONF_NAME, cfg->cache_dir);
}

static const char *known_keys_text(void) {
  return "known keys: disable, max_size, compression_level, umask, debug, "
         "logfile, direct, file_stat_matches, remote, read_only, remote_only, "
         "remote_connect_timeout, remote_timeout, remote_expiry, "
         "remote_read_only, verify, base_dir, remote_secret, max_object_size";
}

/* Applies one conf line; lineno and path are for messages. */
static oc_status parse_line(oc_config *cfg, char *line, const char *path,
                            unsigned lineno, bool trusted, char *ignored,
                            size_t ignored_size, oc_error *err) {
  char *key, *value;
  int kind = split_line(line, &key, &value);
  if (kind == 0)
    return OC_OK;
  if (kind < 0)
    return oc_fail(err, OC_BAD_CONFIG,
                   "%s line %u: expected \"key = value\", got \"%.100s\"",
                   path, lineno, trim(line));
  int k = lookup_key(key);
  if (k < 0)
    return oc_fail(err, OC_BAD_CONFIG,
                   "%s line %u: unknown key \"%.100s\"; %s", path, lineno,
                   key, known_keys_text());
  if (k == OC_CONFIG_DIR)
    return oc_fail(err, OC_BAD_CONFIG,
                   "%s line %u: cache_dir cannot be set in " CONF_NAME
                   " (it lives in the cache directory); set OBJCACHE_DIR "
                   "instead",
                   path, lineno);
  if (!trusted && oc_config_key_sensitive((oc_config_key)k)) {
    /* Named once each in the warning, never applied. */
    size_t used = strlen(ignored);
    if (!strstr(ignored, keys[k].name))
      snprintf(ignored + used, ignored_size - used, "%s%s", used ? ", " : "",
               keys[k].name);
    return OC_OK;
  }
  if (!apply_value(cfg, (oc_config_key)k, value)) {
    char buf[256];
    oc_error why;
    return oc_fail(err, OC_BAD_CONFIG, "%s line %u: %s = \"%.200s\": %s",
                   path, lineno, key, shown_value(k, value, buf, sizeof buf),
                   why_bad(k, value, &why));
  }
  cfg->source[k] = OC_SOURCE_FILE;
  return OC_OK;
}

oc_status oc_config_parse_text(oc_config *cfg, const char *text, size_t size,
                               const char *path, bool trusted,
                               const char *why, oc_error *err) {
  oc_status status = OC_OK;
  oc_error fresh;
  char ignored[256] = "";
  unsigned lineno = 0;
  size_t pos = 0;
  char *line = NULL;
  size_t cap = 0;
  while (pos < size) {
    const char *nl = memchr(text + pos, '\n', size - pos);
    size_t end = nl ? (size_t)(nl - text) : size;
    size_t len = end - pos;
    lineno++;
    if (len + 1 > cap) {
      char *grown = realloc(line, len + 1);
      if (!grown) {
        free(line);
        return keep_first(status, err,
                          &(oc_error){OC_NO_MEMORY, "out of memory"});
      }
      line = grown;
      cap = len + 1;
    }
    memcpy(line, text + pos, len);
    line[len] = '\0';
    pos = nl ? end + 1 : size;
    if (memchr(line, '\0', len)) {
      oc_fail(&fresh, OC_BAD_CONFIG, "%s line %u: contains a NUL byte", path,
              lineno);
      status = keep_first(status, err, &fresh);
      continue;
    }
    if (parse_line(cfg, line, path, lineno, trusted, ignored, sizeof ignored,
                   &fresh) != OC_OK)
      status = keep_first(status, err, &fresh);
  }
  free(line);
  if (ignored[0] && !cfg->warning[0])
    snprintf(cfg->warning, sizeof cfg->warning,
             "ignoring %s from %s: %s (see \"Trust\" in docs/store.md)",
             ignored, path, why ? why : "the file is not trusted");
  return status;
}

/* The group OBJCACHE_TRUSTED_GROUP names (a name or a number), or -1. */
static long trusted_group(void) {
  const char *name = getenv("OBJCACHE_TRUSTED_GROUP");
  if (!name || !*name)
    return -1;
  long n;
  if (parse_int(name, 0, INT32_MAX, 10, &n))
    return n;
  struct group *gr = getgrnam(name);
  return gr ? (long)gr->gr_gid : -1;
}

/* A user private group (the convention behind umask 002 on many
 * distributions): the user's primary group, named after the user, with no
 * other members. Writable by it is writable by the user alone. */
static bool private_group(gid_t gid) {
  if (gid != getegid())
    return false;
  struct passwd *pw = getpwuid(geteuid());
  if (!pw || !pw->pw_name)
    return false;
  char name[256];
  snprintf(name, sizeof name, "%s", pw->pw_name);
  struct group *gr = getgrgid(gid);
  return gr && gr->gr_name && strcmp(gr->gr_name, name) == 0 &&
         (!gr->gr_mem || !gr->gr_mem[0] ||
          (strcmp(gr->gr_mem[0], name) == 0 && !gr->gr_mem[1]));
}

/* The safe.directory rule for one file or directory (config.h); false
 * with the reason in why. */
static bool owner_trusted(const struct stat *st, const char *what,
                          long group, char *why, size_t why_size) {
  uid_t me = geteuid();
  bool group_ok = group >= 0 && (long)st->st_gid == group;
  if (st->st_uid != me && st->st_uid != 0 && !group_ok) {
    snprintf(why, why_size,
             "%s is owned by uid %ld, not by you, root or "
             "OBJCACHE_TRUSTED_GROUP",
             what, (long)st->st_uid);
    return false;
  }
  if (st->st_mode & S_IWOTH) {
    snprintf(why, why_size, "%s is writable by others", what);
    return false;
  }
  if ((st->st_mode & S_IWGRP) && !group_ok && st->st_gid != 0 &&
      !private_group(st->st_gid)) {
    snprintf(why, why_size,
             "%s is writable by group %ld, which OBJCACHE_TRUSTED_GROUP "
             "does not name",
             what, (long)st->st_gid);
    return false;
  }
  return true;
}

static oc_status load_file(oc_config *cfg, oc_error *err) {
  char path[PATH_MAX + 32];
  conf_path(cfg, path, sizeof path);
  oc_buffer text = {0};
  struct stat st;
  oc_error fresh;
  /* Through the bounded reader: a FIFO or /dev/zero planted as the conf
   * must neither hang nor starve the compile. */
  oc_status status = oc_fs_read_file(AT_FDCWD, path, false, CONF_FILE_LIMIT,
                                     &text, &st, &fresh);
  if (status == OC_NOT_FOUND)
    return OC_OK; /* no conf file: defaults and environment only */
  if (status != OC_OK) {
    oc_buffer_free(&text);
    return oc_fail(err, OC_IO_ERROR, "cannot read %s: %s", path,
                   status == OC_CORRUPT
                       ? "not a regular file of at most 1 MiB"
                       : fresh.message);
  }
  char why[PATH_MAX + 160] = "";
  long group = trusted_group();
  struct stat dir_st;
  bool trusted = owner_trusted(&st, path, group, why, sizeof why);
  if (trusted) {
    if (stat(cfg->cache_dir, &dir_st) != 0) {
      trusted = false;
      snprintf(why, sizeof why, "cannot stat %s", cfg->cache_dir);
    } else {
      trusted = owner_trusted(&dir_st, cfg->cache_dir, group, why, sizeof why);
    }
  }
  status = oc_config_parse_text(cfg, (const char *)text.data, text.size, path,
                                trusted, why, err);
  oc_buffer_free(&text);
  return status;
}

static oc_status load_env(oc_config *cfg, oc_error *err) {
  oc_status status = OC_OK;
  for (int k = 0; k < OC_CONFIG_KEY_COUNT; k++) {
    if (k == OC_CONFIG_DIR)
      continue;
    const char *value = getenv(keys[k].env);
    if (!value)
      continue;
    /* An empty variable means "not set" except for the free-form strings,
     * where OBJCACHE_LOGFILE= or OBJCACHE_REMOTE= switch the feature off. */
    if (!*value && keys[k].type != T_PATH && keys[k].type != T_URL &&
        keys[k].type != T_DIRLIST && keys[k].type != T_SECRET)
      continue;
    if (!apply_value(cfg, (oc_config_key)k, value)) {
      oc_error fresh;
      char buf[256];
      oc_error why;
      oc_fail(&fresh, OC_BAD_CONFIG, "%s=\"%.200s\": %s", keys[k].env,
              shown_value(k, value, buf, sizeof buf), why_bad(k, value, &why));
      status = keep_first(status, err, &fresh);
      continue;
    }
    cfg->source[k] = OC_SOURCE_ENV;
  }
  return status;
}

oc_status oc_config_load(oc_config *cfg, oc_error *err) {
  if (!cfg)
    return oc_fail(err, OC_INVALID, "oc_config_load: NULL config");
  set_defaults(cfg);
  oc_error fresh;
  oc_status status = OC_OK;
  if (load_cache_dir(cfg, &fresh) != OC_OK)
    status = keep_first(status, err, &fresh);
  if (cfg->cache_dir[0] && load_file(cfg, &fresh) != OC_OK)
    status = keep_first(status, err, &fresh);
  if (load_env(cfg, &fresh) != OC_OK)
    status = keep_first(status, err, &fresh);
  if (!cfg->cache_dir[0])
    cfg->disable = true; /* no usable home: never a shared fallback */
  return status;
}

/* ---- display ------------------------------------------------------------ */

static void format_size(uint64_t bytes, char *out, size_t out_size) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB",
                                      "EiB"};
  if (bytes < 1024) {
    snprintf(out, out_size, "%" PRIu64 " B", bytes);
    return;
  }
  double v = (double)bytes / 1024;
  size_t u = 0;
  while (v >= 1024 && u + 1 < sizeof units / sizeof *units) {
    v /= 1024;
    u++;
  }
  snprintf(out, out_size, "%.1f %s", v, units[u]);
}

/* In the largest unit that shows it exactly: 100ms, 2s, 7d. */
static void format_duration(uint64_t ms, char *out, size_t out_size) {
  static const struct {
    const char *unit;
    uint64_t ms;
  } units[] = {
      {"d", MS_PER_DAY}, {"h", 3600 * 1000}, {"m", 60000}, {"s", 1000}};
  for (size_t i = 0; i < sizeof units / sizeof *units; i++)
    if (ms >= units[i].ms && ms % units[i].ms == 0) {
      snprintf(out, out_size, "%" PRIu64 "%s", ms / units[i].ms, units[i].unit);
      return;
    }
  snprintf(out, out_size, "%" PRIu64 "ms", ms);
}

void oc_config_format_value(const oc_config *cfg, oc_config_key key,
                            char *out, size_t out_size) {
  if (!out || out_size == 0)
    return;
  switch (key) {
  case OC_CONFIG_DIR: snprintf(out, out_size, "%s", cfg->cache_dir); return;
  case OC_CONFIG_DISABLE:
    snprintf(out, out_size, "%s", cfg->disable ? "true" : "false");
    return;
  case OC_CONFIG_MAX_SIZE: format_size(cfg->max_size, out, out_size); return;
  case OC_CONFIG_COMPRESSION_LEVEL:
    snprintf(out, out_size, "%d", cfg->compression_level);
    return;
  case OC_CONFIG_UMASK:
    if (cfg->umask < 0)
      snprintf(out, out_size, "unset");
    else
      snprintf(out, out_size, "%03o", (unsigned)cfg->umask);
    return;
  case OC_CONFIG_DEBUG:
    snprintf(out, out_size, "%s", cfg->debug ? "true" : "false");
    return;
  case OC_CONFIG_LOGFILE: snprintf(out, out_size, "%s", cfg->logfile); return;
  case OC_CONFIG_BASE_DIR:
    snprintf(out, out_size, "%s", cfg->base_dir);
    return;
  case OC_CONFIG_DIRECT:
    snprintf(out, out_size, "%s", cfg->direct ? "true" : "false");
    return;
  case OC_CONFIG_FILE_STAT_MATCHES:
    snprintf(out, out_size, "%s", cfg->file_stat_matches ? "true" : "false");
    return;
  case OC_CONFIG_REMOTE:
    oc_remote_url_redact(cfg->remote, out, out_size);
    return;
  case OC_CONFIG_READ_ONLY:
    snprintf(out, out_size, "%s", cfg->read_only ? "true" : "false");
    return;
  case OC_CONFIG_REMOTE_ONLY:
    snprintf(out, out_size, "%s", cfg->remote_only ? "true" : "false");
    return;
  case OC_CONFIG_REMOTE_CONNECT_TIMEOUT:
    format_duration(cfg->remote_connect_timeout_ms, out, out_size);
    return;
  case OC_CONFIG_REMOTE_TIMEOUT:
    format_duration(cfg->remote_timeout_ms, out, out_size);
    return;
  case OC_CONFIG_REMOTE_EXPIRY:
    if (cfg->remote_expiry_ms == 0)
      snprintf(out, out_size, "0 (never)");
    else
      format_duration(cfg->remote_expiry_ms, out, out_size);
    return;
  case OC_CONFIG_REMOTE_READ_ONLY:
    snprintf(out, out_size, "%s", cfg->remote_read_only ? "true" : "false");
    return;
  case OC_CONFIG_VERIFY:
    if (cfg->verify % 100 == 0)
      snprintf(out, out_size, "%" PRIu32 "%%", cfg->verify / 100);
    else
      snprintf(out, out_size, "%" PRIu32 ".%02" PRIu32 "%%", cfg->verify / 100,
               cfg->verify % 100);
    return;
  case OC_CONFIG_REMOTE_SECRET:
    /* Never the secret itself, not even a part of it. */
    snprintf(out, out_size, "%s", cfg->remote_secret[0] ? "(set)" : "");
    return;
  case OC_CONFIG_MAX_OBJECT_SIZE:
    format_size(cfg->max_object_size, out, out_size);
    return;
  case OC_CONFIG_KEY_COUNT: break;
  }
  out[0] = '\0';
}

/* ---- writing ------------------------------------------------------------ */

/* True if `line` sets `name` (ignoring surrounding blanks). */
static bool line_sets(const char *line, size_t len, const char *name) {
  char copy[256];
  if (len >= sizeof copy)
    len = sizeof copy - 1;
  memcpy(copy, line, len);
  copy[len] = '\0';
  char *key, *value;
  return split_line(copy, &key, &value) == 1 && strcmp(key, name) == 0;
}

oc_status oc_config_set_in_file(const oc_config *cfg, oc_config_key key,
                                const char *value, oc_error *err) {
  if (!cfg || !value || (unsigned)key >= OC_CONFIG_KEY_COUNT)
    return oc_fail(err, OC_INVALID, "oc_config_set_in_file: bad argument");
  if (key == OC_CONFIG_DIR)
    return oc_fail(err, OC_BAD_CONFIG,
                   "cache_dir cannot be set in " CONF_NAME
                   "; set OBJCACHE_DIR instead");
  /* Validate with the same parser the loader uses, on the trimmed value. */
  size_t vlen = strlen(value);
  char *trimmed_copy = malloc(vlen + 1);
  if (!trimmed_copy)
    return oc_fail(err, OC_NO_MEMORY, "out of memory");
  memcpy(trimmed_copy, value, vlen + 1);
  char *v = trim(trimmed_copy);
  oc_config scratch = *cfg;
  if (strpbrk(v, "\n\r") || !apply_value(&scratch, key, v)) {
    char buf[256];
    oc_error why;
    oc_status s = oc_fail(
        err, OC_BAD_CONFIG, "%s = \"%.200s\": %s", keys[key].name,
        shown_value(key, value, buf, sizeof buf), why_bad(key, v, &why));
    free(trimmed_copy);
    return s;
  }

  oc_status status = oc_fs_mkdirs(cfg->cache_dir, cfg->umask, err);
  if (status != OC_OK) {
    free(trimmed_copy);
    return status;
  }
  char path[PATH_MAX + 32];
  conf_path(cfg, path, sizeof path);

  /* Old contents (if any), kept line by line. */
  oc_buffer old = {0};
  mode_t mode = 0666;
  bool have_mode = false;
  struct stat st;
  int fd;
  status = oc_fs_read_file(AT_FDCWD, path, false, CONF_FILE_LIMIT, &old, &st,
                           err);
  if (status == OC_OK) {
    mode = st.st_mode & 07777;
    have_mode = true;
  } else if (status == OC_CORRUPT) {
    status = oc_fail(err, OC_IO_ERROR, "cannot read %s: %s", path,
                     "not a regular file of at most 1 MiB");
    goto out;
  } else if (status != OC_NOT_FOUND) {
    status = oc_fail(err, OC_IO_ERROR, "cannot read %s: %s", path,
                     err ? err->message : "error");
    goto out;
  }
  status = OC_OK;

  oc_buffer out_text = {0};
  bool replaced = false;
  size_t pos = 0;
  char setting[1200];
  int slen = snprintf(setting, sizeof setting, "%s = %s\n", keys[key].name, v);
  if (slen < 0 || (size_t)slen >= sizeof setting) {
    status = oc_fail(err, OC_BAD_CONFIG, "%s: value is too long",
                     keys[key].name);
    goto out;
  }
  while (pos < old.size) {
    const uint8_t *nl = memchr(old.data + pos, '\n', old.size - pos);
    size_t end = nl ? (size_t)(nl - old.data) + 1 : old.size;
    const char *line = (const char *)old.data + pos;
    size_t line_len = end - pos;
    if (line_sets(line, line_len, keys[key].name)) {
      if (!replaced &&
          oc_buffer_append(&out_text, setting, (size_t)slen) != OC_OK)
        status = OC_NO_MEMORY;
      replaced = true; /* later duplicates are dropped */
    } else {
      if (oc_buffer_append(&out_text, line, line_len) != OC_OK ||
          (!nl && oc_buffer_append(&out_text, "\n", 1) != OC_OK))
        status = OC_NO_MEMORY;
    }
    pos = end;
  }
  if (!replaced && oc_buffer_append(&out_text, setting, (size_t)slen) != OC_OK)
    status = OC_NO_MEMORY;
  if (status != OC_OK) {
    status = oc_fail(err, OC_NO_MEMORY, "out of memory writing %s", path);
    oc_buffer_free(&out_text);
    goto out;
  }

  char tmp[PATH_MAX + 80];
  oc_fs_temp_name(tmp, sizeof tmp, path);
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    int e = errno;
    status = oc_fail(err, oc_fs_errno_status(e), "cannot create %s: %s", tmp,
                     strerror(e));
    oc_buffer_free(&out_text);
    goto out;
  }
  /* A file that now holds a password or the secret is the user's alone. */
  oc_remote_url url;
  bool secret = (key == OC_CONFIG_REMOTE_SECRET && v[0]) ||
                (key == OC_CONFIG_REMOTE &&
                 oc_remote_url_parse(v, &url, NULL) == OC_OK &&
                 url.password[0]);
  if (have_mode)
    (void)fchmod(fd, secret ? mode & 0700 : mode);
  else if (secret)
    (void)fchmod(fd, 0600);
  else
    oc_fs_apply_mask(fd, 0666, cfg->umask);
  int e = oc_fs_write_all(fd, out_text.data, out_text.size);
  /* Durable before it replaces the old file: a crash leaves one or the
   * other, never an empty conf. */
  if (e == 0 && fsync(fd) != 0)
    e = errno;
  if (close(fd) != 0 && e == 0)
    e = errno;
  oc_buffer_free(&out_text);
  if (e == 0 && rename(tmp, path) != 0)
    e = errno;
  if (e != 0) {
    unlink(tmp);
    status = oc_fail(err, oc_fs_errno_status(e), "cannot write %s: %s", path,
                     strerror(e));
    goto out;
  }
  status = OC_OK;
out:
  oc_buffer_free(&old);
  free(trimmed_copy);
  return status;
}
