/* test_basedir.c - base_dir rewriting: which paths are under a base dir
 * (whole components, several dirs), and their form relative to the
 * working directory. */
#include "objcache/basedir.h"

#include <setjmp.h> /* cmocka needs these before its header */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

static void test_contains(void **unused) {
  (void)unused;
  assert_true(oc_base_dir_contains("/work", "/work/a/x.c"));
  assert_true(oc_base_dir_contains("/work/", "/work"));
  assert_true(oc_base_dir_contains("/opt/x:/work", "/work//a/./x.c"));
  assert_false(oc_base_dir_contains("/work", "/workspace/x.c"));
  assert_false(oc_base_dir_contains("/work", "/usr/include/stdio.h"));
  assert_false(oc_base_dir_contains("/work", "work/x.c"));
  assert_false(oc_base_dir_contains("", "/work/x.c"));
  assert_false(oc_base_dir_contains("/work", "/work/../etc/passwd"));
}

static void test_relative(void **unused) {
  (void)unused;
  char out[256];
  assert_true(oc_path_relative("/w/a", "/w/a/inc/x.h", out, sizeof out));
  assert_string_equal(out, "inc/x.h");
  assert_true(oc_path_relative("/w/a/build", "/w/a/src/x.c", out, sizeof out));
  assert_string_equal(out, "../src/x.c");
  assert_true(oc_path_relative("/w/a/", "/w/a", out, sizeof out));
  assert_string_equal(out, ".");
  assert_true(oc_path_relative("/w/ab", "/w/a/x", out, sizeof out));
  assert_string_equal(out, "../a/x");
  assert_false(oc_path_relative("/w/a", "/w/a/../b", out, sizeof out));
  assert_false(oc_path_relative("/w/a", "/w/a/inc/x.h", out, 4));
  assert_true(oc_base_dir_rewrite("/w", "/w/b", "/w/b/inc", out, sizeof out));
  assert_string_equal(out, "inc");
  assert_false(oc_base_dir_rewrite("/w", "/w/b", "/usr/inc", out, sizeof out));
  assert_false(oc_base_dir_rewrite("/w", "/w/b", "inc", out, sizeof out));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_contains),
      cmocka_unit_test(test_relative),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
