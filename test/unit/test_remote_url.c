/* test_remote_url.c - the remote setting's URL forms: every part parsed,
 * defaults, percent-escapes, each malformed form refused with a message
 * that names the part at fault and never the password, and redaction of
 * good and bad URLs for display. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs the three above first. */
#include <cmocka.h>

#include "objcache/remote_url.h"

#include <string.h>

#define assert_contains(haystack, needle)                                      \
  do {                                                                         \
    if (!strstr((haystack), (needle)))                                         \
      fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));        \
  } while (0)

static oc_remote_url parse_ok(const char *text) {
  oc_remote_url url;
  oc_error err = {0};
  oc_status status = oc_remote_url_parse(text, &url, &err);
  if (status != OC_OK)
    fail_msg("%s: %s", text, err.message);
  return url;
}

static void tcp_forms(void **unused) {
  (void)unused;
  oc_remote_url url = parse_ok("redis://cache.example");
  assert_false(url.unix_socket);
  assert_string_equal(url.host, "cache.example");
  assert_int_equal(url.port, 6379);
  assert_int_equal(url.db, 0);
  assert_string_equal(url.user, "");
  assert_string_equal(url.password, "");

  url = parse_ok("redis://10.0.0.7:6380/");
  assert_string_equal(url.host, "10.0.0.7");
  assert_int_equal(url.port, 6380);
  assert_int_equal(url.db, 0);

  url = parse_ok("redis://:s3cret@cache:7000/15");
  assert_string_equal(url.host, "cache");
  assert_int_equal(url.port, 7000);
  assert_int_equal(url.db, 15);
  assert_string_equal(url.user, "");
  assert_string_equal(url.password, "s3cret");

  url = parse_ok("redis://ci:tok%40en%3A%2F@cache/2");
  assert_string_equal(url.user, "ci");
  assert_string_equal(url.password, "tok@en:/");
  assert_int_equal(url.db, 2);

  /* Without ':' the user information is the password. */
  url = parse_ok("redis://justpass@cache");
  assert_string_equal(url.user, "");
  assert_string_equal(url.password, "justpass");

  /* An unescaped '@' in the password: the last '@' ends it. */
  url = parse_ok("redis://:p@ss@cache:6379");
  assert_string_equal(url.password, "p@ss");
  assert_string_equal(url.host, "cache");

  url = parse_ok("redis://[::1]:6390/1");
  assert_string_equal(url.host, "::1");
  assert_int_equal(url.port, 6390);
  assert_int_equal(url.db, 1);
  url = parse_ok("redis://[fe80::1]");
  assert_string_equal(url.host, "fe80::1");
  assert_int_equal(url.port, 6379);

  url = parse_ok("redis://h:65535");
  assert_int_equal(url.port, 65535);
}

static void unix_forms(void **unused) {
  (void)unused;
  oc_remote_url url = parse_ok("redis+unix:///run/redis/redis.sock");
  assert_true(url.unix_socket);
  assert_string_equal(url.path, "/run/redis/redis.sock");
  assert_int_equal(url.db, 0);
  assert_string_equal(url.password, "");

  url = parse_ok("redis+unix://:pw@/tmp/r.sock?db=4");
  assert_string_equal(url.path, "/tmp/r.sock");
  assert_int_equal(url.db, 4);
  assert_string_equal(url.password, "pw");

  url = parse_ok("redis+unix://bob:pw@/tmp/r.sock");
  assert_string_equal(url.user, "bob");
  assert_string_equal(url.password, "pw");
}

static void empty_is_no_remote(void **unused) {
  (void)unused;
  oc_remote_url url;
  oc_error err;
  assert_int_equal(oc_remote_url_parse("", &url, &err), OC_NOT_FOUND);
}

typedef struct {
  const char *text;
  const char *why; /* a piece of the message */
} bad_url;

static const bad_url bad_urls[] = {
    {"cache:6379", "unknown scheme"},
    {"http://cache", "unknown scheme"},
    {"REDIS://cache", "unknown scheme"},
    {"rediss://:pw1@cache", "TLS"},
    {"redis://", "host is missing"},
    {"redis://:pw1@", "host is missing"},
    {"redis://:pw1@:6379", "host is missing"},
    {"redis://cache:", "port must be"},
    {"redis://cache:0", "port must be"},
    {"redis://cache:65536", "port must be"},
    {"redis://cache:-1", "port must be"},
    {"redis://cache:12a", "port must be"},
    {"redis://cache:6379:1", "port must be"},
    {"redis://:pw1@cache/x", "database number"},
    {"redis://cache/1/2", "database number"},
    {"redis://cache/-1", "database number"},
    {"redis://cache?db=1", "takes no query"},
    {"redis://ca che", "not allowed"},
    {"redis://[::1", "closing ']'"},
    {"redis://[::1]6379", "':port'"},
    {"redis://:@cache", "password after ':' is empty"},
    {"redis://:pw%4@cache", "%-escape"},
    {"redis://:pw%00x@cache", "%-escape"},
    {"redis://:pw1/x@cache", "%2F"},
    {"redis+unix://", "absolute"},
    {"redis+unix:///", "absolute"},
    {"redis+unix://host/sock", "takes no host"},
    {"redis+unix:///tmp/s?db=x", "?db=N"},
    {"redis+unix:///tmp/s?timeout=1", "?db=N"},
    {"redis+unix:///"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "longer than 107"},
};

static void bad_forms_say_why_without_password(void **unused) {
  (void)unused;
  for (size_t i = 0; i < sizeof bad_urls / sizeof *bad_urls; i++) {
    oc_remote_url url;
    oc_error err = {0};
    oc_status status = oc_remote_url_parse(bad_urls[i].text, &url, &err);
    if (status != OC_BAD_CONFIG)
      fail_msg("%s: accepted", bad_urls[i].text);
    assert_contains(err.message, bad_urls[i].why);
    assert_contains(err.message, "expected redis://");
    assert_null(strstr(err.message, "pw1"));
  }
}

static void redaction(void **unused) {
  (void)unused;
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"", ""},
      {"redis://cache:6379/1", "redis://cache:6379/1"},
      {"redis://:pw@cache:6379/1", "redis://***@cache:6379/1"},
      {"redis://alice:pw@cache", "redis://***@cache"},
      {"redis://:p@ss@cache", "redis://***@cache"},
      {"redis://:p/ss@cache", "redis://***@cache"},
      {"redis+unix://:pw@/tmp/s?db=2", "redis+unix://***@/tmp/s?db=2"},
      {"redis+unix:///tmp/s", "redis+unix:///tmp/s"},
      {"garbage:pw@cache", "***@cache"},
      {"rediss://:pw@cache", "rediss://***@cache"},
      /* issue 18: a password with both '@' and '/', and one with no '@'. */
      {"redis://user:p@ss/word@host", "redis://***@host"},
      {"redis://:secret", "redis://***"},
      {"redis://:secret/2", "redis://***/2"},
      {"redis://cache:", "redis://***"},
      {"redis://[::1]:6379", "redis://[::1]:6379"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char out[128];
    oc_remote_url_redact(cases[i].in, out, sizeof out);
    assert_string_equal(out, cases[i].out);
  }
  /* Truncation keeps the result a string and never grows past the buffer. */
  char small[12];
  oc_remote_url_redact("redis://:secret@cache.example.org", small,
                       sizeof small);
  assert_int_equal(strlen(small), sizeof small - 1);
  assert_null(strstr(small, "secret"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(tcp_forms),
      cmocka_unit_test(unix_forms),
      cmocka_unit_test(empty_is_no_remote),
      cmocka_unit_test(bad_forms_say_why_without_password),
      cmocka_unit_test(redaction),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
