/* test_config.c - settings: defaults, env > file > default precedence,
 * sources, every bad value and unknown key named in the error, size parsing
 * and display, the atomic rewrite of objcache.conf, and the settings
 * table's rows (unique, documented, defaults within their own bounds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "objcache/config.h"

#include "fixture.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void clear_env(void) {
  for (int k = 0; k < OC_CONFIG_KEY_COUNT; k++)
    unsetenv(oc_config_env_name((oc_config_key)k));
  unsetenv("XDG_CACHE_HOME");
}

static int setup(void **state) {
  clear_env();
  if (fixture_setup(state) != 0)
    return -1;
  mkdir(cache, 0777);
  chmod(cache, 0755); /* trusted whatever the umask (config.h) */
  setenv("OBJCACHE_DIR", cache, 1);
  setenv("HOME", root, 1);
  return 0;
}

static int teardown(void **state) {
  int rc = fixture_teardown(state);
  clear_env();
  return rc;
}

static void write_conf(const char *text) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/objcache.conf", cache);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  chmod(path, 0644);
}

static char *read_conf(void) {
  static char text[8192];
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/objcache.conf", cache);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  return text;
}

#define assert_contains(haystack, needle)                                     \
  do {                                                                        \
    if (!strstr((haystack), (needle)))                                        \
      fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));       \
  } while (0)

static void defaults(void **unused) {
  (void)unused;
  unsetenv("OBJCACHE_DIR");
  oc_config cfg;
  oc_error err;
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  char want[PATH_MAX + 32];
  snprintf(want, sizeof want, "%s/.cache/objcache", root);
  assert_string_equal(cfg.cache_dir, want);
  assert_false(cfg.disable);
  assert_int_equal(cfg.max_size, (uint64_t)5 << 30);
  assert_int_equal(cfg.compression_level, 1);
  assert_int_equal(cfg.umask, -1);
  assert_false(cfg.debug);
  assert_string_equal(cfg.logfile, "");
  assert_true(cfg.direct);
  assert_string_equal(cfg.remote, "");
  assert_false(cfg.read_only);
  assert_false(cfg.remote_only);
  for (int k = 0; k < OC_CONFIG_KEY_COUNT; k++)
    assert_int_equal(cfg.source[k], OC_SOURCE_DEFAULT);

  setenv("XDG_CACHE_HOME", "/xdg/here", 1);
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_string_equal(cfg.cache_dir, "/xdg/here/objcache");
  setenv("XDG_CACHE_HOME", "relative/xdg", 1); /* ignored, per the spec */
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_string_equal(cfg.cache_dir, want);
}

static void cache_dir_from_env(void **unused) {
  (void)unused;
  oc_config cfg;
  oc_error err;
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_string_equal(cfg.cache_dir, cache);
  assert_int_equal(cfg.source[OC_CONFIG_DIR], OC_SOURCE_ENV);
  /* A relative OBJCACHE_DIR is made absolute. */
  assert_int_equal(chdir(root), 0);
  setenv("OBJCACHE_DIR", "cache", 1);
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  char cwd[PATH_MAX];
  assert_non_null(getcwd(cwd, sizeof cwd));
  char want[2 * PATH_MAX];
  snprintf(want, sizeof want, "%s/cache", cwd);
  assert_string_equal(cfg.cache_dir, want);
  assert_int_equal(chdir("/"), 0);
}

static void precedence_env_file_default(void **unused) {
  (void)unused;
  write_conf("# objcache settings\n"
             "\n"
             "max_size = 1G\n"
             "  compression_level=5  \n"
             "\t# indented comment\n"
             "logfile = /var/log/objcache.log\n"
             "direct = off\n");
  setenv("OBJCACHE_MAX_SIZE", "2G", 1);
  setenv("OBJCACHE_DIRECT", "yes", 1);
  setenv("OBJCACHE_DEBUG", "1", 1);
  oc_config cfg;
  oc_error err;
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_int_equal(cfg.max_size, (uint64_t)2 << 30);
  assert_int_equal(cfg.source[OC_CONFIG_MAX_SIZE], OC_SOURCE_ENV);
  assert_int_equal(cfg.compression_level, 5);
  assert_int_equal(cfg.source[OC_CONFIG_COMPRESSION_LEVEL], OC_SOURCE_FILE);
  assert_string_equal(cfg.logfile, "/var/log/objcache.log");
  assert_int_equal(cfg.source[OC_CONFIG_LOGFILE], OC_SOURCE_FILE);
  assert_true(cfg.direct);
  assert_int_equal(cfg.source[OC_CONFIG_DIRECT], OC_SOURCE_ENV);
  assert_true(cfg.debug);
  assert_int_equal(cfg.source[OC_CONFIG_DEBUG], OC_SOURCE_ENV);
  assert_int_equal(cfg.umask, -1);
  assert_int_equal(cfg.source[OC_CONFIG_UMASK], OC_SOURCE_DEFAULT);

  /* Without the variables, the file wins over the defaults. */
  unsetenv("OBJCACHE_MAX_SIZE");
  unsetenv("OBJCACHE_DIRECT");
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_int_equal(cfg.max_size, (uint64_t)1 << 30);
  assert_int_equal(cfg.source[OC_CONFIG_MAX_SIZE], OC_SOURCE_FILE);
  assert_false(cfg.direct);
  /* An empty variable counts as unset for non-string settings, and as an
   * explicit empty value for logfile/remote. */
  setenv("OBJCACHE_MAX_SIZE", "", 1);
  setenv("OBJCACHE_LOGFILE", "", 1);
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_int_equal(cfg.max_size, (uint64_t)1 << 30);
  assert_string_equal(cfg.logfile, "");
  assert_int_equal(cfg.source[OC_CONFIG_LOGFILE], OC_SOURCE_ENV);
}

static void every_key_from_file_and_env(void **unused) {
  (void)unused;
  write_conf("disable = true\nmax_size = 300M\ncompression_level = -5\n"
             "umask = 002\ndebug = on\nlogfile = /tmp/l\ndirect = no\n"
             "file_stat_matches = false\n"
             "remote = redis://host:6379\nread_only = yes\n"
             "remote_only = 1\nremote_connect_timeout = 250ms\n"
             "remote_timeout = 3s\nremote_expiry = 7d\n"
             "remote_read_only = yes\nverify = 2.5\nbase_dir = /work:/src/p\n"
             "remote_secret = 0123456789abcdef\nmax_object_size = 64M\n");
  oc_config cfg;
  oc_error err;
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_int_equal(cfg.verify, 250);
  assert_string_equal(cfg.warning, "");
  assert_string_equal(cfg.remote_secret, "0123456789abcdef");
  assert_int_equal(cfg.max_object_size, (uint64_t)64 << 20);
  assert_true(cfg.disable);
  assert_int_equal(cfg.max_size, (uint64_t)300 << 20);
  assert_int_equal(cfg.compression_level, -5);
  assert_int_equal(cfg.umask, 2);
  assert_true(cfg.debug);
  assert_string_equal(cfg.logfile, "/tmp/l");
  assert_false(cfg.direct);
  assert_false(cfg.file_stat_matches);
  assert_string_equal(cfg.remote, "redis://host:6379");
  assert_true(cfg.read_only);
  assert_true(cfg.remote_only);
  assert_int_equal(cfg.remote_connect_timeout_ms, 250);
  assert_int_equal(cfg.remote_timeout_ms, 3000);
  assert_int_equal(cfg.remote_expiry_ms, (uint64_t)7 * 24 * 3600 * 1000);
  assert_true(cfg.remote_read_only);
  assert_string_equal(cfg.base_dir, "/work:/src/p");
  for (int k = 1; k < OC_CONFIG_KEY_COUNT; k++)
    assert_int_equal(cfg.source[k], OC_SOURCE_FILE);

  setenv("OBJCACHE_DISABLE", "off", 1);
  setenv("OBJCACHE_COMPRESSION_LEVEL", "19", 1);
  setenv("OBJCACHE_UMASK", "077", 1);
  setenv("OBJCACHE_REMOTE", "", 1);
  setenv("OBJCACHE_READ_ONLY", "FALSE", 1);
  setenv("OBJCACHE_REMOTE_ONLY", "No", 1);
  setenv("OBJCACHE_REMOTE_TIMEOUT", "2m", 1);
  setenv("OBJCACHE_REMOTE_EXPIRY", "0", 1);
  assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG); /* 2m > 60s */
  assert_contains(err.message, "OBJCACHE_REMOTE_TIMEOUT=\"2m\"");
  assert_int_equal(cfg.remote_timeout_ms, 3000); /* the file's value stays */
  setenv("OBJCACHE_REMOTE_TIMEOUT", "45s", 1);
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_int_equal(cfg.remote_timeout_ms, 45000);
  assert_int_equal(cfg.remote_expiry_ms, 0);
  assert_false(cfg.disable);
  assert_int_equal(cfg.compression_level, 19);
  assert_int_equal(cfg.umask, 077);
  assert_string_equal(cfg.remote, "");
  assert_false(cfg.read_only);
  assert_false(cfg.remote_only);
  assert_int_equal(cfg.source[OC_CONFIG_UMASK], OC_SOURCE_ENV);
  assert_int_equal(cfg.source[OC_CONFIG_REMOTE], OC_SOURCE_ENV);
}

static void bool_spellings(void **unused) {
  (void)unused;
  static const char *const yes[] = {"1", "true", "yes", "on", "TRUE", "Yes"};
  static const char *const no[] = {"0", "false", "no", "off", "OFF"};
  oc_config cfg;
  oc_error err;
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
    setenv("OBJCACHE_DISABLE", yes[i], 1);
    assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
    assert_true(cfg.disable);
  }
  for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
    setenv("OBJCACHE_DISABLE", no[i], 1);
    assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
    assert_false(cfg.disable);
  }
}

typedef struct bad_case {
  const char *key;
  const char *value;
  const char *expected; /* a piece of the accepted-values text */
} bad_case;

/* The value as messages quote it: a port that is not a number may be a
 * password without its '@', so it is redacted (issue 18). */
static const char *shown_as(const bad_case *c) {
  return strcmp(c->value, "redis://cache:http") == 0 ? "redis://***"
                                                     : c->value;
}

static const bad_case bad_cases[] = {
    {"disable", "maybe", "true, false"},
    {"debug", "2", "yes, no"},
    {"direct", "enabled", "on, off"},
    {"file_stat_matches", "sometimes", "true, false"},
    {"read_only", "y", "true, false"},
    {"remote_only", "nope", "true, false"},
    {"remote_read_only", "ro", "true, false"},
    {"verify", "101", "from 0 to 100"},
    {"verify", "0.123", "at most two decimals"},
    {"verify", "-1", "from 0 to 100"},
    {"verify", "1%", "from 0 to 100"},
    {"base_dir", "relative/dir", "absolute directories"},
    {"base_dir", "/", "absolute directories"},
    {"base_dir", "/a::/b", "absolute directories"},
    {"max_size", "banana", "500M, 10G or 1.5T"},
    {"max_size", "-1G", "500M, 10G or 1.5T"},
    {"max_size", "1.5", "500M, 10G or 1.5T"},
    {"max_size", "10X", "500M, 10G or 1.5T"},
    {"max_size", "99999999999999999999", "500M, 10G or 1.5T"},
    {"max_size", "20000000T", "500M, 10G or 1.5T"},
    {"compression_level", "20", "-5 to 19"},
    {"compression_level", "-6", "-5 to 19"},
    {"compression_level", "3x", "-5 to 19"},
    {"compression_level", "fast", "-5 to 19"},
    {"umask", "8", "octal"},
    {"umask", "0778", "octal"},
    {"umask", "1000", "octal"},
    {"umask", "-2", "octal"},
    {"umask", "u=rwx", "octal"},
    {"remote", "http://cache:6379", "unknown scheme"},
    {"remote", "rediss://cache:6379", "TLS"},
    {"remote", "redis://cache:0", "port must be a number from 1 to 65535"},
    {"remote", "redis://cache:http", "port must be"},
    {"remote", "redis://cache/db1", "database number"},
    {"remote", "redis+unix://cache/sock", "takes no host"},
    {"remote", "redis+unix://sock", "takes no host"},
    {"remote", "cache:6379", "redis+unix://[[user]:password@]/path/to/socket"},
    {"remote_connect_timeout", "100", "duration from 1ms to 60s"},
    {"remote_connect_timeout", "0", "duration from 1ms to 60s"},
    {"remote_timeout", "61s", "duration from 1ms to 60s"},
    {"remote_timeout", "1.5s", "duration from 1ms to 60s"},
    {"remote_expiry", "500ms", "0 (never) or a duration from 1s to 3650d"},
    {"remote_expiry", "3651d", "0 (never) or a duration from 1s to 3650d"},
    {"remote_expiry", "7 days", "0 (never) or a duration from 1s to 3650d"},
};

/* A remote URL with a password: accepted and shown redacted, and when it
 * is bad, the message still never contains the password. */
static void remote_password_never_shown(void **unused) {
  (void)unused;
  oc_config cfg;
  oc_error err;
  write_conf("remote = redis://:hunter2@cache.example:6380/3\n");
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  char out[256];
  oc_config_format_value(&cfg, OC_CONFIG_REMOTE, out, sizeof out);
  assert_string_equal(out, "redis://***@cache.example:6380/3");

  static const char *const bad[] = {
      "redis://:hunter2@cache.example:99999",
      "redis://alice:hunter2@cache.example:port",
      "redis://:hun/ter2@cache.example",
      "redis://:hunter2@",
      "rediss://:hunter2@cache.example",
      "redis+unix://:hunter2@relative/sock",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char text[256];
    snprintf(text, sizeof text, "remote = %s\n", bad[i]);
    write_conf(text);
    assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
    assert_contains(err.message, "remote = \"");
    assert_null(strstr(err.message, "hunter2"));
    assert_string_equal(cfg.remote, ""); /* the default stays */

    write_conf("");
    setenv("OBJCACHE_REMOTE", bad[i], 1);
    assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
    assert_contains(err.message, "OBJCACHE_REMOTE=\"");
    assert_null(strstr(err.message, "hunter2"));
    unsetenv("OBJCACHE_REMOTE");

    assert_int_equal(
        oc_config_set_in_file(&cfg, OC_CONFIG_REMOTE, bad[i], &err),
        OC_BAD_CONFIG);
    assert_null(strstr(err.message, "hunter2"));
  }
}

static void bad_values_in_file_name_key_value_and_line(void **unused) {
  (void)unused;
  for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
    const bad_case *c = &bad_cases[i];
    char text[512];
    snprintf(text, sizeof text, "# header\nmax_size = 7M\n%s = %s\n", c->key,
             c->value);
    write_conf(text);
    oc_config cfg;
    oc_error err;
    assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
    assert_int_equal(err.status, OC_BAD_CONFIG);
    char needle[256];
    snprintf(needle, sizeof needle, "objcache.conf line 3: %s = \"%s\"",
             c->key, shown_as(c));
    assert_contains(err.message, needle);
    assert_contains(err.message, c->expected);
    /* cfg stays usable: the directory and the good line are in place. */
    assert_string_equal(cfg.cache_dir, cache);
    if (strcmp(c->key, "max_size") != 0)
      assert_int_equal(cfg.max_size, (uint64_t)7 << 20);
  }
}

static void bad_values_in_env_name_the_variable(void **unused) {
  (void)unused;
  for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
    const bad_case *c = &bad_cases[i];
    clear_env();
    setenv("OBJCACHE_DIR", cache, 1);
    char var[64] = "OBJCACHE_";
    size_t j = 0;
    for (; c->key[j]; j++)
      var[9 + j] = (char)toupper((unsigned char)c->key[j]);
    var[9 + j] = '\0';
    if (strcmp(c->key, "base_dir") == 0)
      snprintf(var, sizeof var, "OBJCACHE_BASEDIR");
    setenv(var, c->value, 1);
    oc_config cfg;
    oc_error err;
    assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
    char needle[256];
    snprintf(needle, sizeof needle, "%s=\"%s\"", var,
             shown_as(c));
    assert_contains(err.message, needle);
    assert_contains(err.message, c->expected);
    assert_string_equal(cfg.cache_dir, cache);
  }
  /* A bad value leaves the default in place. */
  clear_env();
  setenv("OBJCACHE_DIR", cache, 1);
  setenv("OBJCACHE_COMPRESSION_LEVEL", "99", 1);
  oc_config cfg;
  oc_error err;
  assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
  assert_int_equal(cfg.compression_level, 1);
  assert_int_equal(cfg.source[OC_CONFIG_COMPRESSION_LEVEL], OC_SOURCE_DEFAULT);
}

static void unknown_key_and_malformed_lines(void **unused) {
  (void)unused;
  oc_config cfg;
  oc_error err;
  write_conf("max_size = 1G\nmax_sise = 2G\n");
  assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
  assert_contains(err.message, "line 2: unknown key \"max_sise\"");
  assert_contains(err.message, "max_size"); /* lists the known keys */
  assert_int_equal(cfg.max_size, (uint64_t)1 << 30);

  write_conf("\n\njust some words\n");
  assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
  assert_contains(err.message, "line 3: expected \"key = value\"");

  write_conf("= 5\n");
  assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
  assert_contains(err.message, "line 1");

  write_conf("cache_dir = /elsewhere\n");
  assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
  assert_contains(err.message, "OBJCACHE_DIR");
  assert_string_equal(cfg.cache_dir, cache);

  /* The first problem is reported. */
  write_conf("umask = 9\nbogus = 1\n");
  assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
  assert_contains(err.message, "line 1: umask");
}

static void conf_file_faults(void **unused) {
  (void)unused;
  oc_config cfg;
  oc_error err;
  /* Missing: fine. */
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  /* Unreadable (a directory in its place, which fails for root too). */
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/objcache.conf", cache);
  assert_int_equal(mkdir(path, 0777), 0);
  assert_int_equal(oc_config_load(&cfg, &err), OC_IO_ERROR);
  assert_contains(err.message, path);
  assert_string_equal(cfg.cache_dir, cache);
  rmdir(path);
  /* A cache "directory" that is a regular file: no conf, no crash; the
   * store reports the real problem. */
  char file[256];
  snprintf(file, sizeof file, "%s/plainfile", root);
  FILE *f = fopen(file, "w");
  fclose(f);
  setenv("OBJCACHE_DIR", file, 1);
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_string_equal(cfg.cache_dir, file);
}

static void parse_size(void **unused) {
  (void)unused;
  static const struct {
    const char *text;
    uint64_t bytes;
  } good[] = {
      {"0", 0},
      {"100000", 100000},
      {"1K", 1024},
      {"1k", 1024},
      {"1KiB", 1024},
      {"1KB", 1024},
      {"512M", (uint64_t)512 << 20},
      {"10G", (uint64_t)10 << 30},
      {"10 G", (uint64_t)10 << 30},
      {"1.5G", (uint64_t)3 << 29},
      {"1.5T", (uint64_t)3 << 39},
      {".5M", (uint64_t)1 << 19},
      {"2T", (uint64_t)2 << 40},
      {"100B", 100},
      {"16777215T", (uint64_t)16777215 << 40},
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    uint64_t bytes = 12345;
    if (!oc_parse_size(good[i].text, &bytes))
      fail_msg("\"%s\" rejected", good[i].text);
    assert_int_equal(bytes, good[i].bytes);
  }
  static const char *const bad[] = {
      "", "G", "1.5", "-1", "+1G", "1X", "1e3", " 1G", "1G ", "1..5G", "1.G",
      "18446744073709551616", "16777216T", "1GG", "1Gx", NULL};
  for (size_t i = 0; bad[i]; i++) {
    uint64_t bytes = 777;
    if (oc_parse_size(bad[i], &bytes))
      fail_msg("\"%s\" accepted as %llu", bad[i], (unsigned long long)bytes);
    assert_int_equal(bytes, 777);
  }
  assert_false(oc_parse_size(NULL, NULL));
}

static void names_and_display(void **unused) {
  (void)unused;
  assert_string_equal(oc_config_key_name(OC_CONFIG_MAX_SIZE), "max_size");
  assert_string_equal(oc_config_env_name(OC_CONFIG_MAX_SIZE),
                      "OBJCACHE_MAX_SIZE");
  assert_string_equal(oc_config_key_name(OC_CONFIG_DIR), "cache_dir");
  assert_string_equal(oc_config_env_name(OC_CONFIG_DIR), "OBJCACHE_DIR");
  assert_string_equal(oc_config_env_name(OC_CONFIG_REMOTE_ONLY),
                      "OBJCACHE_REMOTE_ONLY");
  /* Every variable is OBJCACHE_ + the upper-cased key, except the dir and
   * base_dir, which keep ccache's spelling (CCACHE_BASEDIR). */
  assert_string_equal(oc_config_env_name(OC_CONFIG_BASE_DIR),
                      "OBJCACHE_BASEDIR");
  for (int k = 1; k < OC_CONFIG_KEY_COUNT; k++) {
    if (k == OC_CONFIG_BASE_DIR)
      continue;
    const char *name = oc_config_key_name((oc_config_key)k);
    const char *env = oc_config_env_name((oc_config_key)k);
    assert_int_equal(strncmp(env, "OBJCACHE_", 9), 0);
    assert_int_equal(strlen(env), 9 + strlen(name));
    for (size_t i = 0; name[i]; i++)
      assert_int_equal(env[9 + i], name[i] >= 'a' ? name[i] - 32 : name[i]);
  }
  assert_string_equal(oc_config_source_name(OC_SOURCE_DEFAULT), "default");
  assert_string_equal(oc_config_source_name(OC_SOURCE_FILE), "file");
  assert_string_equal(oc_config_source_name(OC_SOURCE_ENV), "environment");

  oc_config cfg;
  oc_error err;
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  char out[64];
  oc_config_format_value(&cfg, OC_CONFIG_MAX_SIZE, out, sizeof out);
  assert_string_equal(out, "5.0 GiB");
  cfg.max_size = (uint64_t)3 << 29;
  oc_config_format_value(&cfg, OC_CONFIG_MAX_SIZE, out, sizeof out);
  assert_string_equal(out, "1.5 GiB");
  cfg.max_size = 500;
  oc_config_format_value(&cfg, OC_CONFIG_MAX_SIZE, out, sizeof out);
  assert_string_equal(out, "500 B");
  cfg.max_size = (uint64_t)300 << 20;
  oc_config_format_value(&cfg, OC_CONFIG_MAX_SIZE, out, sizeof out);
  assert_string_equal(out, "300.0 MiB");
  oc_config_format_value(&cfg, OC_CONFIG_UMASK, out, sizeof out);
  assert_string_equal(out, "unset");
  cfg.umask = 022;
  oc_config_format_value(&cfg, OC_CONFIG_UMASK, out, sizeof out);
  assert_string_equal(out, "022");
  oc_config_format_value(&cfg, OC_CONFIG_DIRECT, out, sizeof out);
  assert_string_equal(out, "true");
  oc_config_format_value(&cfg, OC_CONFIG_COMPRESSION_LEVEL, out, sizeof out);
  assert_string_equal(out, "1");
  oc_config_format_value(&cfg, OC_CONFIG_DIR, out, sizeof out);
  assert_string_equal(out, cache);
  char tiny[4];
  oc_config_format_value(&cfg, OC_CONFIG_DIR, tiny, sizeof tiny);
  assert_int_equal(strlen(tiny), 3);
}

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    if (de->d_name[0] != '.' || strlen(de->d_name) > 2)
      n++;
  closedir(d);
  return n;
}

static void set_in_file(void **unused) {
  (void)unused;
  write_conf("# keep me\n"
             "max_size = 1G\n"
             "compression_level = 3\n"
             "\n"
             "max_size=2G\n"
             "debug = on"); /* no final newline */
  oc_config cfg;
  oc_error err;
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_int_equal(oc_config_set_in_file(&cfg, OC_CONFIG_MAX_SIZE, "10G", &err),
                   OC_OK);
  assert_string_equal(read_conf(), "# keep me\n"
                                   "max_size = 10G\n"
                                   "compression_level = 3\n"
                                   "\n"
                                   "debug = on\n");
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_int_equal(cfg.max_size, (uint64_t)10 << 30);
  assert_int_equal(cfg.source[OC_CONFIG_MAX_SIZE], OC_SOURCE_FILE);
  assert_true(cfg.debug);

  /* A key not yet in the file is appended. */
  assert_int_equal(oc_config_set_in_file(&cfg, OC_CONFIG_UMASK, " 002 ", &err),
                   OC_OK);
  assert_contains(read_conf(), "debug = on\numask = 002\n");
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_int_equal(cfg.umask, 2);

  /* Bad values and the dir key are refused and leave the file alone. */
  char before[8192];
  snprintf(before, sizeof before, "%s", read_conf());
  assert_int_equal(oc_config_set_in_file(&cfg, OC_CONFIG_MAX_SIZE, "lots",
                                         &err),
                   OC_BAD_CONFIG);
  assert_contains(err.message, "max_size = \"lots\"");
  assert_contains(err.message, "10G");
  assert_int_equal(oc_config_set_in_file(&cfg, OC_CONFIG_DISABLE, "a\nb",
                                         &err),
                   OC_BAD_CONFIG);
  assert_int_equal(oc_config_set_in_file(&cfg, OC_CONFIG_DIR, "/x", &err),
                   OC_BAD_CONFIG);
  assert_string_equal(read_conf(), before);
  /* No temp file is left behind. */
  assert_int_equal(count_entries(cache), 1);
}

static void set_in_file_creates_dir_and_file(void **unused) {
  (void)unused;
  char deep[PATH_MAX + 32];
  snprintf(deep, sizeof deep, "%s/new/deeper", root);
  setenv("OBJCACHE_DIR", deep, 1);
  oc_config cfg;
  oc_error err;
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  cfg.umask = 027;
  assert_int_equal(oc_config_set_in_file(&cfg, OC_CONFIG_DEBUG, "true", &err),
                   OC_OK);
  struct stat st;
  assert_int_equal(stat(deep, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0750);
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/objcache.conf", deep);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640);
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_true(cfg.debug);
  assert_int_equal(cfg.source[OC_CONFIG_DEBUG], OC_SOURCE_FILE);

  /* A cache dir under a regular file: a clean error naming the path. */
  char file[256];
  snprintf(file, sizeof file, "%s/plain", root);
  FILE *f = fopen(file, "w");
  fclose(f);
  snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s/sub", file);
  assert_int_equal(oc_config_set_in_file(&cfg, OC_CONFIG_DEBUG, "1", &err),
                   OC_IO_ERROR);
  assert_contains(err.message, file);
}

/* The table behind every setting (lib/compile/config.c): each row has its own key
 * and variable, a line of help, and a default that passes its own bounds:
 * given back as a conf line and as a variable it loads without error and
 * shows as the built-in default does. The unknown-key message lists every
 * key but the environment-only cache_dir. */
static void table_rows(void **unused) {
  (void)unused;
  oc_config defaults, cfg;
  oc_error err;
  assert_int_equal(oc_config_load(&defaults, &err), OC_OK);
  write_conf("no_such_key = 1\n");
  assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
  char known[OC_ERROR_MESSAGE_SIZE];
  snprintf(known, sizeof known, "%s", strstr(err.message, "known keys: "));
  for (int k = 0; k < OC_CONFIG_KEY_COUNT; k++) {
    oc_config_key key = (oc_config_key)k;
    const char *name = oc_config_key_name(key);
    const char *env = oc_config_env_name(key);
    const char *help = oc_config_key_help(key);
    assert_non_null(name);
    assert_non_null(env);
    assert_non_null(help);
    assert_true(name[0] && help[0]);
    for (int j = 0; j < k; j++) {
      if (strcmp(name, oc_config_key_name((oc_config_key)j)) == 0 ||
          strcmp(env, oc_config_env_name((oc_config_key)j)) == 0)
        fail_msg("rows %d and %d share a name or a variable", j, k);
    }
    char word[64];
    snprintf(word, sizeof word, " %s", name);
    bool listed = false;
    for (const char *p = strstr(known, word); p && !listed;
         p = strstr(p + 1, word)) {
      char after = p[strlen(word)];
      listed = after == ',' || after == '\0';
    }
    assert_int_equal(listed, k != OC_CONFIG_DIR);

    char shown[PATH_MAX + 64], want[PATH_MAX + 64];
    oc_config_format_value(&defaults, key, want, sizeof want);
    const char *def = oc_config_key_default(key);
    if (!def)
      continue; /* empty, unset or computed */
    char line[256];
    snprintf(line, sizeof line, "%s = %s\n", name, def);
    write_conf(line);
    if (oc_config_load(&cfg, &err) != OC_OK)
      fail_msg("%s's default \"%s\" is refused: %s", name, def, err.message);
    assert_int_equal(cfg.source[k], OC_SOURCE_FILE);
    oc_config_format_value(&cfg, key, shown, sizeof shown);
    assert_string_equal(shown, want);
    assert_true(shown[0]);
    write_conf("");
    setenv(env, def, 1);
    if (oc_config_load(&cfg, &err) != OC_OK)
      fail_msg("%s=\"%s\" is refused: %s", env, def, err.message);
    unsetenv(env);
    assert_int_equal(cfg.source[k], OC_SOURCE_ENV);
    oc_config_format_value(&cfg, key, shown, sizeof shown);
    assert_string_equal(shown, want);
  }
  /* Out of range keys have no row. */
  assert_null(oc_config_key_default(OC_CONFIG_KEY_COUNT));
  assert_string_equal(oc_config_key_help(OC_CONFIG_KEY_COUNT), "unknown");
}

/* issue 18: a conf file others can write (or the directory holding it) sets
 * only the harmless settings; the sensitive ones are ignored and named in
 * one warning. */
static void untrusted_conf_ignores_sensitive_settings(void **unused) {
  (void)unused;
  const char *text = "max_size = 3M\nlogfile = /tmp/victim\n"
                     "remote = redis://attacker:6379\numask = 000\n"
                     "debug = true\nremote_secret = 0123456789abcdef\n";
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/objcache.conf", cache);
  oc_config cfg;
  oc_error err;
  /* Trusted: everything applies, no warning. */
  write_conf(text);
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_string_equal(cfg.logfile, "/tmp/victim");
  assert_string_equal(cfg.warning, "");

  /* The file writable by others. */
  chmod(path, 0666);
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_int_equal(cfg.max_size, (uint64_t)3 << 20);
  assert_string_equal(cfg.logfile, "");
  assert_string_equal(cfg.remote, "");
  assert_string_equal(cfg.remote_secret, "");
  assert_int_equal(cfg.umask, -1);
  assert_false(cfg.debug);
  assert_int_equal(cfg.source[OC_CONFIG_LOGFILE], OC_SOURCE_DEFAULT);
  assert_contains(cfg.warning,
                  "ignoring logfile, remote, umask, debug, remote_secret");
  assert_contains(cfg.warning, "writable by others");
  assert_null(strstr(cfg.warning, "0123456789abcdef"));

  /* The cache directory writable by others. */
  chmod(path, 0644);
  chmod(cache, 0777);
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_string_equal(cfg.logfile, "");
  assert_contains(cfg.warning, "writable by others");
  chmod(cache, 0755);

  /* Group-writable: trusted only when OBJCACHE_TRUSTED_GROUP names that
   * group. */
  chmod(path, 0664);
  /* A group that is neither root's nor a private one (needs root to
   * arrange; root's group and the user's private group are trusted). */
  if (geteuid() == 0 && chown(path, (uid_t)-1, 12346) == 0) {
    assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
    assert_string_equal(cfg.logfile, "");
    assert_contains(cfg.warning, "writable by group 12346");
    setenv("OBJCACHE_TRUSTED_GROUP", "12346", 1);
    assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
    assert_string_equal(cfg.logfile, "/tmp/victim");
    assert_string_equal(cfg.warning, "");
    unsetenv("OBJCACHE_TRUSTED_GROUP");
    assert_int_equal(chown(path, (uid_t)-1, getegid()), 0);
  }

  /* Owned by another user (needs root to arrange). */
  chmod(path, 0644);
  if (geteuid() == 0 && chown(path, 12345, 12345) == 0) {
    assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
    assert_string_equal(cfg.logfile, "");
    assert_contains(cfg.warning, "owned by uid 12345");
    /* The environment still sets them: it is the user's own. */
    setenv("OBJCACHE_LOGFILE", "/tmp/mine", 1);
    assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
    assert_string_equal(cfg.logfile, "/tmp/mine");
    unsetenv("OBJCACHE_LOGFILE");
  }
}

/* issue 18: a FIFO or a device as objcache.conf is refused at once (it used
 * to hang every compile, or grow without bound for /dev/zero). */
static void special_conf_files_do_not_hang(void **unused) {
  (void)unused;
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/objcache.conf", cache);
  oc_config cfg;
  oc_error err;
  assert_int_equal(mkfifo(path, 0644), 0);
  assert_int_equal(oc_config_load(&cfg, &err), OC_IO_ERROR);
  assert_contains(err.message, "not a regular file");
  assert_string_equal(cfg.cache_dir, cache);
  /* -M refuses to rewrite it as well, without blocking. */
  assert_int_equal(oc_config_set_in_file(&cfg, OC_CONFIG_DEBUG, "1", &err),
                   OC_IO_ERROR);
  unlink(path);
  assert_int_equal(symlink("/dev/zero", path), 0);
  assert_int_equal(oc_config_load(&cfg, &err), OC_IO_ERROR);
  unlink(path);
  /* Bigger than any conf: refused, not read. */
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_int_equal(fseek(f, 2 << 20, SEEK_SET), 0);
  fputc('\n', f);
  fclose(f);
  chmod(path, 0644);
  assert_int_equal(oc_config_load(&cfg, &err), OC_IO_ERROR);
}

/* issue 18: the secret is never shown; a conf holding it or a password is
 * created (or made) 0600. */
static void secrets_stay_private(void **unused) {
  (void)unused;
  oc_config cfg;
  oc_error err;
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  cfg.umask = 022;
  assert_int_equal(oc_config_set_in_file(&cfg, OC_CONFIG_MAX_SIZE, "1G", &err),
                   OC_OK);
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/objcache.conf", cache);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  assert_int_equal(oc_config_set_in_file(&cfg, OC_CONFIG_REMOTE,
                                         "redis://:pw@cache:6379", &err),
                   OC_OK);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  unlink(path);
  assert_int_equal(oc_config_set_in_file(&cfg, OC_CONFIG_REMOTE_SECRET,
                                         "a-long-enough-secret", &err),
                   OC_OK);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(oc_config_load(&cfg, &err), OC_OK);
  assert_string_equal(cfg.remote_secret, "a-long-enough-secret");
  char out[256];
  oc_config_format_value(&cfg, OC_CONFIG_REMOTE_SECRET, out, sizeof out);
  assert_string_equal(out, "(set)");
  /* A bad secret is reported without quoting it. */
  setenv("OBJCACHE_REMOTE_SECRET", "short-secret", 1);
  assert_int_equal(oc_config_load(&cfg, &err), OC_BAD_CONFIG);
  assert_null(strstr(err.message, "short-secret"));
  unsetenv("OBJCACHE_REMOTE_SECRET");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(cache_dir_from_env, setup, teardown),
      cmocka_unit_test_setup_teardown(precedence_env_file_default, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(every_key_from_file_and_env, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(bool_spellings, setup, teardown),
      cmocka_unit_test_setup_teardown(
          bad_values_in_file_name_key_value_and_line, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_values_in_env_name_the_variable,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(unknown_key_and_malformed_lines, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(conf_file_faults, setup, teardown),
      cmocka_unit_test_setup_teardown(parse_size, setup, teardown),
      cmocka_unit_test_setup_teardown(names_and_display, setup, teardown),
      cmocka_unit_test_setup_teardown(table_rows, setup, teardown),
      cmocka_unit_test_setup_teardown(remote_password_never_shown, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(set_in_file, setup, teardown),
      cmocka_unit_test_setup_teardown(untrusted_conf_ignores_sensitive_settings,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(special_conf_files_do_not_hang, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(secrets_stay_private, setup, teardown),
      cmocka_unit_test_setup_teardown(set_in_file_creates_dir_and_file, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
