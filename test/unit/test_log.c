/* test_log.c - the per-compile log line: its six tab-separated fields, one
 * line per call, and nothing at all when no logfile is set. */
#include "objcache/log.h"

#include "fixture.h"

#include <setjmp.h> /* cmocka needs these before its header */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The log goes into the fixture's fresh directory, named in *state. */
static int make_dir(void **state) {
  if (fixture_setup(state) != 0)
    return -1;
  *state = root;
  return 0;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char text[4096];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  return text;
}

static void test_no_logfile_does_nothing(void **state) {
  (void)state;
  oc_config cfg = {0};
  oc_error err = {0};
  assert_int_equal(oc_log_compile(&cfg, "a.c", "-", "miss", NULL, 1, &err),
                   OC_OK);
}

static void test_line_shape(void **state) {
  oc_config cfg = {0};
  snprintf(cfg.logfile, sizeof cfg.logfile, "%s/log", (char *)*state);
  oc_error err = {0};
  assert_int_equal(
      oc_log_compile(&cfg, "/src/a.c", "abc123", "hit", NULL, 42, &err), OC_OK);
  /* A tab or newline in a field must not break the line apart. */
  assert_int_equal(oc_log_compile(&cfg, "/src/we\tird\n.c", NULL, "uncacheable",
                                  "split-dwarf", 7, &err),
                   OC_OK);
  char *text = slurp(cfg.logfile);
  char *second = strchr(text, '\n');
  assert_non_null(second);
  second++;
  /* 2025-01-02T03:04:05.678Z */
  assert_int_equal(strlen(text) > 24, 1);
  assert_int_equal(text[4], '-');
  assert_int_equal(text[10], 'T');
  assert_int_equal(text[23], 'Z');
  assert_memory_equal(text + 24, "\t/src/a.c\tabc123\thit\t-\t42\n", 26);
  assert_memory_equal(second + 24,
                      "\t/src/we?ird?.c\t-\tuncacheable\tsplit-dwarf\t7\n", 45);
  assert_string_equal(second + 24 + 45, "");
}

static void test_unopenable_logfile_is_an_error(void **state) {
  (void)state;
  oc_config cfg = {0};
  snprintf(cfg.logfile, sizeof cfg.logfile, "/proc/oc-no-such/log");
  oc_error err = {0};
  assert_int_equal(oc_log_compile(&cfg, "a.c", "-", "miss", NULL, 1, &err),
                   OC_IO_ERROR);
  assert_non_null(strstr(err.message, "/proc/oc-no-such/log"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_logfile_does_nothing),
      cmocka_unit_test_setup_teardown(test_line_shape, make_dir,
                                      fixture_teardown),
      cmocka_unit_test(test_unopenable_logfile_is_an_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
