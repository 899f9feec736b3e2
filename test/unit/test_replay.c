/* test_replay.c - what a direct hit writes besides the object: the .d
 * generator (clang's escaping, wrapping, -MP, target quoting, hostile names
 * refused or made harmless) and the stderr filter (text, UTF-8 and colour
 * codes kept; every other control byte replaced). */
/* cmocka needs these three first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#include "objcache/replay.h"

#include <string.h>

/* Generates into a NUL-terminated string (static storage). */
static const char *generate(const char *const *targets, size_t n_targets,
                            const char *const *deps, size_t n_deps,
                            size_t input_index, bool phony) {
  static oc_buffer out;
  out.size = 0;
  assert_int_equal(oc_depfile_generate(targets, n_targets, deps, n_deps,
                                       input_index, phony, &out),
                   OC_OK);
  assert_int_equal(oc_buffer_append(&out, "", 1), OC_OK);
  return (const char *)out.data;
}

static void test_escaping(void **unused) {
  (void)unused;
  const char *targets[] = {"a.o"};
  const char *deps[] = {"main file.c", "d$r.h", "h#sh.h", "back\\ slash.h",
                        "$(shell touch PWNED)"};
  /* Make must read `$(shell ...)` as the literal file name: `$$`. */
  assert_string_equal(generate(targets, 1, deps, 5, 0, false),
                      "a.o: main\\ file.c d$$r.h h\\#sh.h back/\\ slash.h "
                      "$$(shell\\ touch\\ PWNED)\n");
}

static void test_wrapping_and_phony(void **unused) {
  (void)unused;
  const char *targets[] = {"t1", "t2"};
  const char *deps[] = {
      "main.c",
      "include/a-rather-long-directory-name/a-long-header-name.h",
      "include/short.h",
      "x.h",
  };
  /* Columns count unescaped names: "t1 t2:" 6, then " main.c" 13, the long
   * one 71 (71 + 2 for a " \\" still fits 75), so include/short.h wraps. */
  assert_string_equal(
      generate(targets, 2, deps, 4, 0, true),
      "t1 t2: main.c "
      "include/a-rather-long-directory-name/a-long-header-name.h \\\n"
      "  include/short.h x.h\n"
      "include/a-rather-long-directory-name/a-long-header-name.h:\n"
      "include/short.h:\nx.h:\n");
  /* Targets wrap too, before a target that would pass the column. */
  const char *many[] = {
      "first-long-target-name-number-one.o",
      "second-long-target-name-number-two.o",
      "third.o",
  };
  assert_string_equal(generate(many, 3, deps, 1, 0, false),
                      "first-long-target-name-number-one.o "
                      "second-long-target-name-number-two.o \\\n"
                      "  third.o: main.c\n");
  /* The phony rule is left out for the main file wherever it is. */
  const char *extra[] = {"ignorelist.txt", "main.c", "x.h"};
  assert_string_equal(generate(targets, 1, extra, 3, 1, true),
                      "t1: ignorelist.txt main.c x.h\nignorelist.txt:\nx.h:\n");
}

static void test_refused_names(void **unused) {
  (void)unused;
  oc_buffer out = {0};
  const char *targets[] = {"a.o"};
  const char *newline[] = {"a.h\ninclude evil.mk"};
  assert_int_equal(oc_depfile_generate(targets, 1, newline, 1, 0, false, &out),
                   OC_INVALID);
  const char *tab[] = {"a\x1b.h"};
  assert_int_equal(oc_depfile_generate(targets, 1, tab, 1, 0, false, &out),
                   OC_INVALID);
  const char *bad_target[] = {"a.o\n\trm -rf x"};
  assert_int_equal(
      oc_depfile_generate(bad_target, 1, targets, 1, 0, false, &out),
      OC_INVALID);
  assert_int_equal(oc_depfile_generate(targets, 0, targets, 1, 0, false, &out),
                   OC_INVALID);
  assert_int_equal(out.size, 0);
  assert_false(oc_depfile_name_ok(""));
  assert_true(oc_depfile_name_ok("caf\xc3\xa9.h"));
  oc_buffer_free(&out);
}

static void test_quote_target(void **unused) {
  (void)unused;
  oc_buffer out = {0};
  assert_int_equal(oc_depfile_quote_target("a b\\ c$d#e\tf", &out), OC_OK);
  assert_int_equal(oc_buffer_append(&out, "", 1), OC_OK);
  assert_string_equal((const char *)out.data, "a\\ b\\\\\\ c$$d\\#e\\\tf");
  oc_buffer_free(&out);
}

static const char *sanitized(const char *in) {
  static oc_buffer out;
  out.size = 0;
  assert_int_equal(oc_stderr_sanitize((const uint8_t *)in, strlen(in), &out),
                   OC_OK);
  assert_int_equal(oc_buffer_append(&out, "", 1), OC_OK);
  return (const char *)out.data;
}

static bool clean(const char *in) {
  return oc_stderr_is_clean((const uint8_t *)in, strlen(in));
}

static void test_stderr_filter(void **unused) {
  (void)unused;
  /* What clang prints: text, tabs, UTF-8, and its SGR colour codes. */
  const char *ok = "a.c:1:2: \x1b[0;1;35mwarning: \x1b[0m\x1b[1mcaf\xc3\xa9 "
                   "\xe2\x9c\x93 \xf0\x9f\x98\x80\t|\n";
  assert_true(clean(ok));
  assert_string_equal(sanitized(ok), ok);
  /* Everything else a terminal would act on. */
  const char *bad[] = {
      "\x1b]0;title\x07", /* OSC: window title, BEL */
      "\033c",            /* ESC c: reset the terminal */
      "\x1b[2J",          /* erase the screen: CSI, not SGR */
      "\r",               /* carriage return */
      "\2332J",           /* 8-bit CSI (octal: at most 3 digits) */
      "\xc2\x9b",         /* U+009B, C1 CSI as UTF-8 */
      "\xc0\xaf",         /* overlong UTF-8 */
      "\xed\xa0\x80",     /* a surrogate */
      "\xe2\x9c",         /* truncated UTF-8 */
      "\x1b[31",          /* SGR without its end */
      "\x7f",
  };

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_false(clean(bad[i]));
  assert_string_equal(sanitized("a\x1b]0;t\007b"), "a?]0;t?b");
  assert_string_equal(sanitized("x\x1b[2Jy\x1b[1mz"), "x?[2Jy\x1b[1mz");
  assert_string_equal(sanitized("\xc2\x9b\r\n"), "???\n");
  assert_true(clean(""));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_escaping),
      cmocka_unit_test(test_wrapping_and_phony),
      cmocka_unit_test(test_refused_names),
      cmocka_unit_test(test_quote_target),
      cmocka_unit_test(test_stderr_filter),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
