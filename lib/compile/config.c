/* config.c - objcache's settings (config.h) as one table: a row per setting
 * gives its conf-file key, variable, value type, flags, field in oc_config
 * (offsetof), default (text in the value's own syntax), bounds, what error
 * messages say it accepts, and a line of help. Flags mark the secret (never
 * shown) and the settings a shared objcache.conf sets only when trusted
 * (config.h's Trust, whose owner checks live here too). Defaults,
 * objcache.conf lines, OBJCACHE_* variables, origins, display (`objcache
 * -p`) and the rewrite of one key in the file (`objcache -M`) all loop over
 * the table, so a new setting is a row here, its key and field in config.h
 * and its entry in docs/objcache.1.in. Messages name the key, the bad value
 * and what is accepted; the file is rewritten atomically. */
#include "objcache/config.h"

#include "fsutil.h"
#include "objcache/format.h"
#include "objcache/remote_url.h"

#include <assert.h>
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
/* A conf file is a few lines; anything bigger is not one. */
#define CONF_FILE_LIMIT ((size_t)1 << 20)
#define MS_PER_DAY ((uint64_t)24 * 3600 * 1000)

/* How a value is read, bounded, stored and shown. */
typedef enum value_type {
  T_DIR,      /* char[]: a directory path, never empty */
  T_BOOL,     /* bool: 1/0, true/false, yes/no, on/off; shown true/false */
  T_SIZE,     /* uint64_t bytes: 500M, 10G, 1.5T; shown as "5.0 GiB" */
  T_INT,      /* int, decimal */
  T_OCTAL,    /* int, octal such as 022; -1 ("unset") when no default */
  T_PATH,     /* char[]: a path, or nothing */
  T_TEXT,     /* char[]: any text within the length bounds, or nothing */
  T_URL,      /* char[]: remote_url.h's forms, or nothing; shown redacted */
  T_DIRLIST,  /* char[]: absolute dirs separated by ':' (not "/"), or "" */
  T_DURATION, /* uint32_t or uint64_t ms: 100ms, 2s, 5m, 12h, 7d */
  T_PERCENT,  /* uint32_t hundredths of a percent: 1, 0.5, 100 */
} value_type;

enum setting_flag {
  /* Set by its variable only, never in objcache.conf (cache_dir: the
   * file lives in it). Its default is computed (load_cache_dir). */
  F_ENV_ONLY = 1 << 0,
  /* 0 (a number) or nothing (a text) is accepted beside the bounds and
   * switches the feature off; a duration of 0 is shown "0 (never)". */
  F_ZERO_OFF = 1 << 1,
  /* Never shown: -p says "(set)" or nothing, messages say "***". */
  F_SECRET = 1 << 2,
  /* Sends data somewhere or writes outside the cache: a shared
   * objcache.conf sets it only when trusted (config.h's Trust). */
  F_TRUSTED = 1 << 3,
};

typedef struct setting {
  const char *name; /* the objcache.conf key */
  const char *env;  /* the variable */
  value_type type;
  unsigned flags;      /* setting_flag */
  size_t offset, size; /* the field in oc_config */
  /* In the value's own syntax, applied as a conf line would be (a unit
   * test checks each passes its bounds). NULL: empty, unset or computed. */
  const char *def;
  /* Inclusive, in the stored unit (bytes, ms, hundredths of a percent;
   * length for texts, whose max 0 means "what fits the field"). */
  int64_t min;
  uint64_t max;
  const char *accepts; /* for messages; NULL: the type's own text */
  const char *help;    /* one line: what the setting does */
} setting;

#define FIELD(f) offsetof(oc_config, f), sizeof(((oc_config *)0)->f)

/* One row per setting, in `objcache -p` order. */
/* clang-format off */
static const setting settings[OC_CONFIG_KEY_COUNT] = {
  [OC_CONFIG_DIR] = {"cache_dir", "OBJCACHE_DIR", T_DIR, F_ENV_ONLY,
    FIELD(cache_dir), NULL, 1, 0,
    "expected a directory path shorter than PATH_MAX",
    "the cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/objcache)"},
  [OC_CONFIG_DISABLE] = {"disable", "OBJCACHE_DISABLE", T_BOOL, 0,
    FIELD(disable), "false", 0, 1, NULL,
    "compile as if objcache were not there"},
  [OC_CONFIG_MAX_SIZE] = {"max_size", "OBJCACHE_MAX_SIZE", T_SIZE, 0,
    FIELD(max_size), "5G", 0, UINT64_MAX, NULL,
    "the size cleanup trims the local cache to"},
  [OC_CONFIG_COMPRESSION_LEVEL] = {"compression_level",
    "OBJCACHE_COMPRESSION_LEVEL", T_INT, 0,
    FIELD(compression_level), "1", -5, 19,
    "expected an integer from -5 to 19",
    "the zstd level of stored entries"},
  [OC_CONFIG_UMASK] = {"umask", "OBJCACHE_UMASK", T_OCTAL, F_TRUSTED,
    FIELD(umask), NULL, 0, 0777,
    "expected an octal umask from 000 to 777, such as 022",
    "the umask of files and directories the cache creates"},
  [OC_CONFIG_DEBUG] = {"debug", "OBJCACHE_DEBUG", T_BOOL, F_TRUSTED,
    FIELD(debug), "false", 0, 1, NULL,
    "keep the factor records --explain compares"},
  [OC_CONFIG_LOGFILE] = {"logfile", "OBJCACHE_LOGFILE", T_PATH, F_TRUSTED,
    FIELD(logfile), NULL, 0, 0,
    "expected a path shorter than PATH_MAX",
    "a file that gets one line per compile; empty for none"},
  [OC_CONFIG_DIRECT] = {"direct", "OBJCACHE_DIRECT", T_BOOL, 0,
    FIELD(direct), "true", 0, 1, NULL,
    "let the launcher serve hits without running clang"},
  [OC_CONFIG_FILE_STAT_MATCHES] = {"file_stat_matches",
    "OBJCACHE_FILE_STAT_MATCHES", T_BOOL, 0,
    FIELD(file_stat_matches), "true", 0, 1, NULL,
    "a direct lookup trusts a file whose size, mtime and ctime match"},
  [OC_CONFIG_REMOTE] = {"remote", "OBJCACHE_REMOTE", T_URL, F_TRUSTED,
    FIELD(remote), NULL, 0, 0,
    "expected " OC_REMOTE_URL_FORMS " (at most 1023 bytes), or "
    "nothing for no remote",
    "a shared second tier (redis://...); empty for none"},
  [OC_CONFIG_READ_ONLY] = {"read_only", "OBJCACHE_READ_ONLY", T_BOOL, 0,
    FIELD(read_only), "false", 0, 1, NULL,
    "look up entries but write to no tier"},
  [OC_CONFIG_REMOTE_ONLY] = {"remote_only", "OBJCACHE_REMOTE_ONLY", T_BOOL, 0,
    FIELD(remote_only), "false", 0, 1, NULL,
    "keep no local copies of what the remote has"},
  [OC_CONFIG_REMOTE_CONNECT_TIMEOUT] = {"remote_connect_timeout",
    "OBJCACHE_REMOTE_CONNECT_TIMEOUT", T_DURATION, 0,
    FIELD(remote_connect_timeout_ms), "100ms", 1, 60000,
    "expected a duration from 1ms to 60s, such as 100ms or 2s",
    "how long to wait for the remote to accept a connection"},
  [OC_CONFIG_REMOTE_TIMEOUT] = {"remote_timeout", "OBJCACHE_REMOTE_TIMEOUT",
    T_DURATION, 0,
    FIELD(remote_timeout_ms), "1s", 1, 60000,
    "expected a duration from 1ms to 60s, such as 100ms or 2s",
    "how long to wait for a remote command"},
  [OC_CONFIG_REMOTE_EXPIRY] = {"remote_expiry", "OBJCACHE_REMOTE_EXPIRY",
    T_DURATION, F_ZERO_OFF,
    FIELD(remote_expiry_ms), "0", 1000, 3650 * MS_PER_DAY,
    "expected 0 (never) or a duration from 1s to 3650d, such as 12h or 7d",
    "how long the remote keeps an entry; 0 for ever"},
  [OC_CONFIG_REMOTE_READ_ONLY] = {"remote_read_only",
    "OBJCACHE_REMOTE_READ_ONLY", T_BOOL, 0,
    FIELD(remote_read_only), "false", 0, 1, NULL,
    "use the remote, never write to it"},
  [OC_CONFIG_VERIFY] = {"verify", "OBJCACHE_VERIFY", T_PERCENT, 0,
    FIELD(verify), "0", 0, 10000,
    "expected a percentage from 0 to 100, such as 1 or 0.5 (at most two "
    "decimals)",
    "the share of hits recompiled and compared with the cached object"},
  [OC_CONFIG_BASE_DIR] = {"base_dir", "OBJCACHE_BASEDIR", T_DIRLIST, 0,
    FIELD(base_dir), NULL, 0, 0,
    "expected absolute directories separated by ':' (not \"/\"), shorter "
    "than PATH_MAX in all, or nothing",
    "paths under these directories are keyed relative to the working "
    "directory"},
  /* Short secrets can be guessed offline from one signed value. */
  [OC_CONFIG_REMOTE_SECRET] = {"remote_secret", "OBJCACHE_REMOTE_SECRET",
    T_TEXT, F_ZERO_OFF | F_SECRET | F_TRUSTED,
    FIELD(remote_secret), NULL, 16, 0,
    "expected a secret of 16 to 255 bytes, or nothing for none",
    "signs entries and manifests; unsigned ones are refused"},
  /* Below 1 KiB nothing is cacheable; above the format's limit, no entry
   * could hold it. */
  [OC_CONFIG_MAX_OBJECT_SIZE] = {"max_object_size",
    "OBJCACHE_MAX_OBJECT_SIZE", T_SIZE, 0,
    FIELD(max_object_size), "512M", 1024, (uint64_t)4 << 30, NULL,
    "bigger objects are not cached, and nothing claiming more is read"},
};
/* clang-format on */

const char *oc_config_key_name(oc_config_key key) {
  return (unsigned)key < OC_CONFIG_KEY_COUNT ? settings[key].name : "unknown";
}

const char *oc_config_env_name(oc_config_key key) {
  return (unsigned)key < OC_CONFIG_KEY_COUNT ? settings[key].env : "unknown";
}

const char *oc_config_key_default(oc_config_key key) {
  return (unsigned)key < OC_CONFIG_KEY_COUNT ? settings[key].def : NULL;
}

const char *oc_config_key_help(oc_config_key key) {
  return (unsigned)key < OC_CONFIG_KEY_COUNT ? settings[key].help : "unknown";
}

const char *oc_config_source_name(oc_config_source source) {
  switch (source) {
  case OC_SOURCE_DEFAULT: return "default";
  case OC_SOURCE_FILE: return "file";
  case OC_SOURCE_ENV: return "environment";
  }
  return "unknown";
}

/* What a key accepts, for error messages: the row's text, else its type's. */
static const char *expected_text(oc_config_key key) {
  if (settings[key].accepts)
    return settings[key].accepts;
  switch (settings[key].type) {
  case T_BOOL: return "expected one of 1, 0, true, false, yes, no, on, off";
  case T_SIZE: return "expected a size such as 500M, 10G or 1.5T";
  default:
    return "";
  }
}

/* The value as a message may quote it: a URL without its password, a
 * secret not at all. */
static const char *shown_value(oc_config_key key, const char *value, char *buf,
                               size_t size) {
  if (settings[key].flags & F_SECRET) {
    snprintf(buf, size, "***");
    return buf;
  }
  if (settings[key].type != T_URL)
    return value;
  oc_remote_url_redact(value, buf, size);
  return buf;
}

/* Why a value was refused: the URL parser says which part is wrong; other
 * keys list what they accept. */
static const char *why_bad(oc_config_key key, const char *value,
                           oc_error *scratch) {
  oc_remote_url url;
  if (settings[key].type == T_URL && strlen(value) < sizeof url.password * 2 &&
      oc_remote_url_parse(value, &url, scratch) == OC_BAD_CONFIG)
    return scratch->message;
  return expected_text(key);
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

static bool is_text(value_type type) {
  return type == T_DIR || type == T_PATH || type == T_TEXT || type == T_URL ||
         type == T_DIRLIST;
}

/* Within the row's bounds, or the 0 that switches the feature off. */
static bool in_bounds(const setting *s, uint64_t v) {
  if (v == 0 && (s->flags & F_ZERO_OFF))
    return true;
  return v >= (uint64_t)s->min && v <= s->max;
}

/* Numbers of 4 or 8 bytes, as the row's field is. */
static void store_unsigned(void *field, size_t size, uint64_t v) {
  if (size == sizeof(uint32_t)) {
    assert(v <= UINT32_MAX);
    uint32_t narrow = (uint32_t)v;
    memcpy(field, &narrow, sizeof narrow);
  } else {
    assert(size == sizeof(uint64_t));
    memcpy(field, &v, sizeof v);
  }
}

static uint64_t load_unsigned(const void *field, size_t size) {
  if (size == sizeof(uint32_t)) {
    uint32_t narrow;
    memcpy(&narrow, field, sizeof narrow);
    return narrow;
  }
  uint64_t v;
  memcpy(&v, field, sizeof v);
  return v;
}

/* Each entry absolute; "/" would make every path relative, system headers
 * included, which ccache refuses too. */
static bool valid_dirlist(const char *value) {
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
  return true;
}

/* Parses value as the row of key says, checks its bounds and stores it
 * into cfg; false (cfg unchanged) on a bad value. */
static bool apply_value(oc_config *cfg, oc_config_key key, const char *value) {
  const setting *s = &settings[key];
  char *field = (char *)cfg + s->offset;
  long n;
  uint64_t v;
  if (is_text(s->type)) {
    size_t len = strlen(value);
    size_t max = s->max ? (size_t)s->max : s->size - 1;
    if (len >= s->size || len > max)
      return false;
    if (len < (size_t)s->min && !(len == 0 && (s->flags & F_ZERO_OFF)))
      return false;
    if (s->type == T_URL) {
      oc_remote_url url;
      oc_status status = oc_remote_url_parse(value, &url, NULL);
      if (status != OC_OK && status != OC_NOT_FOUND)
        return false;
    }
    if (s->type == T_DIRLIST && !valid_dirlist(value))
      return false;
    memcpy(field, value, len + 1);
    return true;
  }
  switch (s->type) {
  case T_BOOL: {
    bool b;
    if (!parse_bool(value, &b))
      return false;
    assert(s->size == sizeof b);
    memcpy(field, &b, sizeof b);
    return true;
  }
  case T_INT:
    assert(s->size == sizeof(int));
    if (!parse_int(value, (long)s->min, (long)s->max, 10, &n))
      return false;
    *(int *)(void *)field = (int)n;
    return true;
  case T_OCTAL:
    assert(s->size == sizeof(int));
    if (!parse_int(value, (long)s->min, (long)s->max, 8, &n) ||
        value[0] == '-' || value[0] == '+')
      return false;
    *(int *)(void *)field = (int)n;
    return true;
  case T_SIZE:
    if (!oc_parse_size(value, &v) || !in_bounds(s, v))
      return false;
    store_unsigned(field, s->size, v);
    return true;
  case T_DURATION:
    if (!parse_duration(value, &v) || !in_bounds(s, v))
      return false;
    store_unsigned(field, s->size, v);
    return true;
  case T_PERCENT: {
    uint32_t hundredths;
    if (!parse_percent(value, &hundredths) || !in_bounds(s, hundredths))
      return false;
    store_unsigned(field, s->size, hundredths);
    return true;
  }
  default:
    return false;
  }
}

/* ---- loading ------------------------------------------------------------ */

/* Every row's default, applied as a conf line would be; the rows without
 * one are zero, empty, or (T_OCTAL) -1 for unset. */
static void set_defaults(oc_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  for (int k = 0; k < OC_CONFIG_KEY_COUNT; k++) {
    const setting *s = &settings[k];
    if (s->def) {
      bool ok = apply_value(cfg, (oc_config_key)k, s->def);
      assert(ok && "a default outside its own bounds");
      (void)ok;
    } else if (s->type == T_OCTAL) {
      *(int *)(void *)((char *)cfg + s->offset) = -1;
    }
    cfg->source[k] = OC_SOURCE_DEFAULT;
  }
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
  const char *env = getenv(settings[OC_CONFIG_DIR].env);
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
                   expected_text(OC_CONFIG_DIR));
  }
  return OC_OK;
}

static int lookup_key(const char *name) {
  for (int i = 0; i < OC_CONFIG_KEY_COUNT; i++)
    if (strcmp(settings[i].name, name) == 0)
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

/* "known keys: disable, max_size, ...": every key a conf file may set. */
static const char *known_keys_text(char *out, size_t size) {
  size_t used = (size_t)snprintf(out, size, "known keys:");
  const char *sep = " ";
  for (int k = 0; k < OC_CONFIG_KEY_COUNT && used < size; k++) {
    if (settings[k].flags & F_ENV_ONLY)
      continue;
    used += (size_t)snprintf(out + used, size - used, "%s%s", sep,
                             settings[k].name);
    sep = ", ";
  }
  return out;
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
  if (k < 0) {
    char known[512];
    return oc_fail(err, OC_BAD_CONFIG, "%s line %u: unknown key \"%.100s\"; %s",
                   path, lineno, key, known_keys_text(known, sizeof known));
  }
  const setting *s = &settings[k];
  if (s->flags & F_ENV_ONLY)
    return oc_fail(err, OC_BAD_CONFIG,
                   "%s line %u: %s cannot be set in " CONF_NAME
                   " (it lives in the cache directory); set %s instead",
                   path, lineno, s->name, s->env);
  if (!trusted && (s->flags & F_TRUSTED)) {
    /* Named once each in the warning, never applied. */
    size_t used = strlen(ignored);
    if (!strstr(ignored, s->name))
      snprintf(ignored + used, ignored_size - used, "%s%s", used ? ", " : "",
               s->name);
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
    const setting *s = &settings[k];
    if (s->flags & F_ENV_ONLY)
      continue; /* read first, by load_cache_dir */
    const char *value = getenv(s->env);
    if (!value)
      continue;
    /* An empty variable means "not set" except for the free-form texts,
     * where OBJCACHE_LOGFILE= or OBJCACHE_REMOTE= switch the feature off. */
    if (!*value && !is_text(s->type))
      continue;
    if (!apply_value(cfg, (oc_config_key)k, value)) {
      oc_error fresh;
      char buf[256];
      oc_error why;
      oc_fail(&fresh, OC_BAD_CONFIG, "%s=\"%.200s\": %s", s->env,
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
  out[0] = '\0';
  if ((unsigned)key >= OC_CONFIG_KEY_COUNT)
    return;
  const setting *s = &settings[key];
  const char *field = (const char *)cfg + s->offset;
  int n;
  uint64_t v;
  if (s->flags & F_SECRET) {
    /* Never the secret itself, not even a part of it. */
    snprintf(out, out_size, "%s", field[0] ? "(set)" : "");
    return;
  }
  switch (s->type) {
  case T_DIR:
  case T_PATH:
  case T_TEXT:
  case T_DIRLIST:
    snprintf(out, out_size, "%s", field);
    return;
  case T_URL:
    oc_remote_url_redact(field, out, out_size);
    return;
  case T_BOOL: {
    bool b;
    memcpy(&b, field, sizeof b);
    snprintf(out, out_size, "%s", b ? "true" : "false");
    return;
  }
  case T_INT:
    memcpy(&n, field, sizeof n);
    snprintf(out, out_size, "%d", n);
    return;
  case T_OCTAL:
    memcpy(&n, field, sizeof n);
    if (n < 0)
      snprintf(out, out_size, "unset");
    else
      snprintf(out, out_size, "%03o", (unsigned)n);
    return;
  case T_SIZE:
    oc_format_size(load_unsigned(field, s->size), out, out_size);
    return;
  case T_DURATION:
    v = load_unsigned(field, s->size);
    if (v == 0 && (s->flags & F_ZERO_OFF))
      snprintf(out, out_size, "0 (never)");
    else
      format_duration(v, out, out_size);
    return;
  case T_PERCENT:
    v = load_unsigned(field, s->size);
    if (v % 100 == 0)
      snprintf(out, out_size, "%" PRIu64 "%%", v / 100);
    else
      snprintf(out, out_size, "%" PRIu64 ".%02" PRIu64 "%%", v / 100, v % 100);
    return;
  }
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
  if (settings[key].flags & F_ENV_ONLY)
    return oc_fail(err, OC_BAD_CONFIG,
                   "%s cannot be set in " CONF_NAME "; set %s instead",
                   settings[key].name, settings[key].env);
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
        err, OC_BAD_CONFIG, "%s = \"%.200s\": %s", settings[key].name,
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
  char assignment[1200];
  int slen = snprintf(assignment, sizeof assignment, "%s = %s\n",
                      settings[key].name, v);
  if (slen < 0 || (size_t)slen >= sizeof assignment) {
    status = oc_fail(err, OC_BAD_CONFIG, "%s: value is too long",
                     settings[key].name);
    goto out;
  }
  while (pos < old.size) {
    const uint8_t *nl = memchr(old.data + pos, '\n', old.size - pos);
    size_t end = nl ? (size_t)(nl - old.data) + 1 : old.size;
    const char *line = (const char *)old.data + pos;
    size_t line_len = end - pos;
    if (line_sets(line, line_len, settings[key].name)) {
      if (!replaced &&
          oc_buffer_append(&out_text, assignment, (size_t)slen) != OC_OK)
        status = OC_NO_MEMORY;
      replaced = true; /* later duplicates are dropped */
    } else {
      if (oc_buffer_append(&out_text, line, line_len) != OC_OK ||
          (!nl && oc_buffer_append(&out_text, "\n", 1) != OC_OK))
        status = OC_NO_MEMORY;
    }
    pos = end;
  }
  if (!replaced &&
      oc_buffer_append(&out_text, assignment, (size_t)slen) != OC_OK)
    status = OC_NO_MEMORY;
  if (status != OC_OK) {
    status = oc_fail(err, OC_NO_MEMORY, "out of memory writing %s", path);
    oc_buffer_free(&out_text);
    goto out;
  }

  /* A file that now holds a password or the secret is the user's alone. */
  oc_remote_url url;
  bool secret = ((settings[key].flags & F_SECRET) && v[0]) ||
                (settings[key].type == T_URL &&
                 oc_remote_url_parse(v, &url, NULL) == OC_OK &&
                 url.password[0]);
  char tmp[PATH_MAX + 80];
  oc_fs_write_step failed;
  oc_fs_write_opts opts = {.mode = 0666,
                           .mask = cfg->umask,
                           .nofollow = true,
                           /* Durable before it replaces the old file: a
                            * crash leaves one or the other, never an empty
                            * conf. */
                           .fsync = true,
                           .temp_name = tmp,
                           .temp_name_size = sizeof tmp,
                           .failed = &failed};
  if (have_mode || secret) {
    opts.mode = !have_mode ? 0600 : secret ? mode & 0700 : mode;
    opts.mask = 0; /* exactly that mode */
  }
  int e = oc_fs_write_atomic_at(AT_FDCWD, path, out_text.data, out_text.size,
                                &opts);
  oc_buffer_free(&out_text);
  if (e != 0) {
    status = failed == OC_FS_WRITE_CREATE
                 ? oc_fail(err, oc_fs_errno_status(e), "cannot create %s: %s",
                           tmp, strerror(e))
                 : oc_fail(err, oc_fs_errno_status(e), "cannot write %s: %s",
                           path, strerror(e));
    goto out;
  }
  status = OC_OK;
out:
  oc_buffer_free(&old);
  free(trimmed_copy);
  return status;
}
