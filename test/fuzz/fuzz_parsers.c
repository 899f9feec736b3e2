/* fuzz_parsers.c - one libFuzzer target for the text parsers that read
 * bytes a shared cache or the user's environment can control: the conf
 * file (oc_config_parse_text), a stats file (oc_stats_parse), the remote
 * URL and its redaction (oc_remote_url_parse / oc_remote_url_redact), the
 * history records' diff (oc_record_diff) and the launcher's direct-mode
 * argument parser (oc_cc_args_parse). The direct-mode record the plugin
 * writes has its own target, fuzz_record.c (lib's oc_direct_record_decode).
 *
 * The first input byte picks the parser, the rest is its input. Beyond not
 * crashing or reading out of bounds (ASan, UBSan), each mode checks what it
 * promises: the secret is never shown, redaction keeps a password out,
 * parsed stats re-parse. Built and run by test/fuzz/run_fuzz.sh. */
#include "objcache/cc_args.h"
#include "objcache/config.h"
#include "objcache/history.h"
#include "objcache/remote_url.h"
#include "objcache/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond))                                                              \
      __builtin_trap();                                                       \
  } while (0)

static void fuzz_config(const uint8_t *data, size_t size) {
  static oc_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.umask = -1;
  oc_error err;
  (void)oc_config_parse_text(&cfg, (const char *)data, size, "fuzz.conf",
                             size % 2 == 0, "untrusted", &err);
  CHECK(memchr(cfg.remote, '\0', sizeof cfg.remote));
  CHECK(memchr(cfg.logfile, '\0', sizeof cfg.logfile));
  CHECK(memchr(cfg.warning, '\0', sizeof cfg.warning));
  char shown[2048];
  oc_config_format_value(&cfg, OC_CONFIG_REMOTE_SECRET, shown, sizeof shown);
  CHECK(strcmp(shown, cfg.remote_secret[0] ? "(set)" : "") == 0);
  for (int k = 0; k < OC_CONFIG_KEY_COUNT; k++)
    oc_config_format_value(&cfg, (oc_config_key)k, shown, sizeof shown);
}

static void fuzz_stats(const uint8_t *data, size_t size) {
  oc_stats stats;
  if (!oc_stats_parse(data, size, &stats))
    return;
  /* Whatever parses survives the writer's format and parses the same. */
  char text[4096];
  size_t len = 0;
  for (int i = 0; i < OC_STAT_COUNT; i++) {
    int n = snprintf(text + len, sizeof text - len, "%s %llu\n",
                     oc_stat_name((oc_stat)i),
                     (unsigned long long)stats.value[i]);
    CHECK(n > 0 && (size_t)n < sizeof text - len);
    len += (size_t)n;
  }
  oc_stats again;
  CHECK(oc_stats_parse(text, len, &again));
  CHECK(memcmp(&stats, &again, sizeof stats) == 0);
}

static void fuzz_url(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text)
    return;
  memcpy(text, data, size);
  text[size] = '\0';
  oc_remote_url url;
  oc_error err;
  oc_status status = oc_remote_url_parse(text, &url, &err);
  char shown[4096];
  oc_remote_url_redact(text, shown, sizeof shown);
  CHECK(strlen(shown) < sizeof shown);
  if (status == OC_OK) {
    CHECK(memchr(url.password, '\0', sizeof url.password));
    /* A parsed password of some length never survives redaction, unless
     * the text shown anyway holds the same bytes: the host, the path, or
     * what follows the last '@' (the password "@abcdef" of
     * "redis://@abcdef@abcdefhost" is the separator and the host's start). */
    const char *at = strrchr(text, '@');
    bool shown_anyway = strstr(url.host, url.password) ||
                        strstr(url.path, url.password) ||
                        (at && strstr(at, url.password));
    if (strlen(url.password) >= 6 && !shown_anyway)
      CHECK(!strstr(shown, url.password));
  } else if (status == OC_BAD_CONFIG) {
    CHECK(err.message[0] != '\0');
  }
  free(text);
}

static void fuzz_history(const uint8_t *data, size_t size) {
  const uint8_t *split = memchr(data, 0xff, size);
  size_t old_len = split ? (size_t)(split - data) : size / 2;
  const char *old_text = (const char *)data;
  const char *new_text = (const char *)data + old_len + (split ? 1 : 0);
  size_t new_len = size - old_len - (split ? 1 : 0);
  oc_buffer out = {0};
  (void)oc_record_diff(old_text, old_len, new_text, new_len, &out);
  oc_buffer_free(&out);
}

static void fuzz_args(const uint8_t *data, size_t size) {
  /* NUL-separated arguments, at most 64. */
  char *copy = malloc(size + 1);
  if (!copy)
    return;
  memcpy(copy, data, size);
  copy[size] = '\0';
  char *args[65];
  size_t n = 0;
  for (char *p = copy; n < 64 && p <= copy + size; p += strlen(p) + 1)
    args[n++] = p;
  args[n] = NULL;
  static oc_cc_args parsed;
  if (oc_cc_args_parse(args, &parsed)) {
    CHECK(parsed.input != NULL);
    CHECK(memchr(parsed.output, '\0', sizeof parsed.output));
  } else {
    CHECK(parsed.why != NULL);
  }
  free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  const uint8_t *rest = data + 1;
  size_t len = size - 1;
  switch (data[0] % 5) {
  case 0: fuzz_config(rest, len); break;
  case 1: fuzz_stats(rest, len); break;
  case 2: fuzz_url(rest, len); break;
  case 3: fuzz_history(rest, len); break;
  case 4: fuzz_args(rest, len); break;
  }
  return 0;
}
