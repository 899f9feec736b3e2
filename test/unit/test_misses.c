/* test_misses.c - naming why a compile missed from two factor records,
 * the miss log grouped most frequent first and emptied by zeroing the
 * stats, and verify mode's byte-for-byte comparison and draw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first. */
#include <cmocka.h>

#include "objcache/history.h"
#include "objcache/misses.h"
#include "objcache/stats.h"
#include "objcache/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[64];

static int setup(void **unused) {
  (void)unused;
  snprintf(root, sizeof root, "/tmp/oc-misses-XXXXXX");
  return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **unused) {
  (void)unused;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  return system(cmd) == 0 ? 0 : -1;
}

#define BASE                                                                   \
  "compiler\tversion\tclang 22\n"                                              \
  "invocation\targ\t-cc1\n"                                                    \
  "invocation\targ\t-O2\n"                                                     \
  "invocation\targ\t-fdebug-compilation-dir=/src\n"                            \
  "llvm-option\tinline-threshold\t225\n"                                       \
  "target\tcodegen-opt-level\t2\n"                                             \
  "file\t/src/prof.txt\tcontent:aa\n"                                          \
  "module\tbitcode\t0123456789abcdef0123456789abcdef\n"

static void reason_of(const char *old, const char *now, const char *kind,
                      const char *reason) {
  char k[32], r[512];
  oc_miss_reason(old, old ? strlen(old) : 0, now, strlen(now), k, sizeof k, r,
                 sizeof r);
  assert_string_equal(k, kind);
  assert_string_equal(r, reason);
}

static void names_the_most_direct_factor(void **unused) {
  (void)unused;
  reason_of(NULL, BASE, "first-compile", "first compile of this output");
  reason_of(BASE, BASE, "unchanged",
            "no factor changed (the entry was evicted, cleared, or never "
            "stored)");
  /* An -O level also changes the target: the option is named. */
  reason_of(BASE,
            "compiler\tversion\tclang 22\n"
            "invocation\targ\t-cc1\n"
            "invocation\targ\t-O1\n"
            "invocation\targ\t-fdebug-compilation-dir=/src\n"
            "llvm-option\tinline-threshold\t225\n"
            "target\tcodegen-opt-level\t1\n"
            "file\t/src/prof.txt\tcontent:aa\n"
            "module\tbitcode\t0123456789abcdef0123456789abcdef\n",
            "option", "option: removed -O2, added -O1");
  /* The working directory, alone among the arguments. */
  reason_of(BASE,
            "compiler\tversion\tclang 22\n"
            "invocation\targ\t-cc1\n"
            "invocation\targ\t-O2\n"
            "invocation\targ\t-fdebug-compilation-dir=/elsewhere\n"
            "llvm-option\tinline-threshold\t225\n"
            "target\tcodegen-opt-level\t2\n"
            "file\t/src/prof.txt\tcontent:aa\n"
            "module\tbitcode\t0123456789abcdef0123456789abcdef\n",
            "working-directory", "the working directory");
  /* A compiler change outranks everything it drags along. */
  reason_of(BASE,
            "compiler\tversion\tclang 23\n"
            "invocation\targ\t-cc1\n"
            "invocation\targ\t-O3\n"
            "module\tbitcode\tffff\n",
            "compiler", "the compiler: version \"clang 22\" -> \"clang 23\"");
  reason_of(BASE,
            "compiler\tversion\tclang 22\n"
            "invocation\targ\t-cc1\n"
            "invocation\targ\t-O2\n"
            "invocation\targ\t-fdebug-compilation-dir=/src\n"
            "llvm-option\tinline-threshold\t225\n"
            "target\tcodegen-opt-level\t2\n"
            "file\t/src/prof.txt\tcontent:bb\n"
            "module\tbitcode\t0123456789abcdef0123456789abcdef\n",
            "file",
            "a file named by an option: /src/prof.txt content:aa -> "
            "content:bb");
  reason_of(BASE,
            "compiler\tversion\tclang 22\n"
            "invocation\targ\t-cc1\n"
            "invocation\targ\t-O2\n"
            "invocation\targ\t-fdebug-compilation-dir=/src\n"
            "llvm-option\tinline-threshold\t225\n"
            "target\tcodegen-opt-level\t2\n"
            "file\t/src/prof.txt\tcontent:aa\n"
            "module\tbitcode\tfedcba9876543210fedcba9876543210\n",
            "source",
            "source/IR: the module changed (the source, a header or a macro)");
  /* A damaged previous record is said to be one. */
  reason_of("no tabs here\n", BASE, "unchanged",
            "unknown (the previous record is damaged)");
}

static void log_groups_most_frequent_first_and_zeroes(void **unused) {
  (void)unused;
  oc_config cfg;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s/cache", root);
  cfg.umask = -1;
  oc_error err;
  const char *edited = BASE "extra\tx\t1\n";
  /* a.o: first compile, then twice an edit; b.o: first compile. */
  assert_int_equal(oc_misses_note(&cfg, "/o/a.o", BASE, strlen(BASE), &err),
                   OC_OK);
  assert_int_equal(oc_history_record(&cfg, "/o/a.o", BASE, strlen(BASE), &err),
                   OC_OK);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(
        oc_misses_note(&cfg, "/o/a.o", edited, strlen(edited), &err), OC_OK);
    assert_int_equal(
        oc_history_record(&cfg, "/o/a.o", BASE, strlen(BASE), &err), OC_OK);
  }
  assert_int_equal(oc_misses_note(&cfg, "/o/b.o", BASE, strlen(BASE), &err),
                   OC_OK);
  /* A hostile line in the log is skipped. */
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/stats/misses", cfg.cache_dir);
  FILE *f = fopen(path, "a");
  fputs("garbage without tabs\n", f);
  fclose(f);

  oc_miss_report report;
  assert_int_equal(oc_misses_read(&cfg, &report, &err), OC_OK);
  assert_int_equal(report.total, 4);
  assert_int_equal(report.count, 2);
  assert_string_equal(report.groups[0].kind, "first-compile");
  assert_int_equal(report.groups[0].count, 2);
  assert_string_equal(report.groups[0].example, "/o/a.o");
  assert_string_equal(report.groups[1].kind, "other");
  assert_string_equal(report.groups[1].reason, "extra: added x = 1");
  assert_int_equal(report.groups[1].count, 2);
  oc_miss_report_free(&report);

  assert_int_equal(oc_stats_zero(cfg.cache_dir, &err), OC_OK);
  assert_int_equal(oc_misses_read(&cfg, &report, &err), OC_OK);
  assert_int_equal(report.total, 0);
  assert_int_equal(report.count, 0);
}

static void verify_compares_every_output_by_name(void **unused) {
  (void)unused;
  oc_verify_output a[] = {{"object", "abc", 3}, {"dwo", "xy", 2}};
  oc_verify_output same[] = {{"dwo", "xy", 2}, {"object", "abc", 3}};
  oc_verify_output other[] = {{"object", "abd", 3}, {"dwo", "xy", 2}};
  oc_verify_output shorter[] = {{"object", "ab", 2}, {"dwo", "xy", 2}};
  assert_null(oc_verify_compare(a, 2, same, 2));
  assert_string_equal(oc_verify_compare(a, 2, other, 2), "object");
  assert_string_equal(oc_verify_compare(a, 2, shorter, 2), "object");
  assert_string_equal(oc_verify_compare(a, 2, a, 1), "dwo");
  assert_string_equal(oc_verify_compare(a, 1, a, 2), "dwo");

  oc_config cfg;
  memset(&cfg, 0, sizeof cfg);
  assert_false(oc_verify_sample(&cfg));
  cfg.verify = 10000;
  for (int i = 0; i < 100; i++)
    assert_true(oc_verify_sample(&cfg));
  cfg.verify = 5000; /* 50%: 1000 draws land far from 0 and 1000 */
  int drawn = 0;
  for (int i = 0; i < 1000; i++)
    drawn += oc_verify_sample(&cfg);
  assert_true(drawn > 350 && drawn < 650);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(names_the_most_direct_factor),
      cmocka_unit_test_setup_teardown(log_groups_most_frequent_first_and_zeroes,
                                      setup, teardown),
      cmocka_unit_test(verify_compares_every_output_by_name),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
