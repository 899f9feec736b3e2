/* test_history.c - oc_record_diff's wording and the history store behind
 * `objcache --explain`: what a person reads when a compile missed. */
#include "objcache/history.h"
#include "objcache/hash.h"

#include <setjmp.h> /* cmocka needs these before its header */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Diffs two records given as C strings into a NUL-terminated string the
 * test frees. */
static char *diff(const char *old_record, const char *new_record) {
  oc_buffer out = {0};
  assert_int_equal(oc_record_diff(old_record, strlen(old_record), new_record,
                                  strlen(new_record), &out),
                   OC_OK);
  assert_int_equal(oc_buffer_append(&out, "", 1), OC_OK);
  return (char *)out.data;
}

static void test_equal_records_say_nothing(void **state) {
  (void)state;
  const char *rec = "target\tcpu\tx86-64\ninvocation\targ\t-O2\n"
                    "invocation\targ\t-g\n";
  char *text = diff(rec, rec);
  assert_string_equal(text, "");
  free(text);
  text = diff("", "");
  assert_string_equal(text, "");
  free(text);
}

static void test_single_value_changed(void **state) {
  (void)state;
  char *text =
      diff("llvm-option\tinline-threshold\t225\ntarget\tcpu\tx86-64\n",
           "llvm-option\tinline-threshold\t500\ntarget\tcpu\tx86-64\n");
  assert_string_equal(text, "llvm-option: inline-threshold 225 -> 500\n");
  free(text);
}

static void test_added_and_removed_names(void **state) {
  (void)state;
  char *text = diff("target\tcpu\tx86-64\ntarget\ttune\tgeneric\n",
                    "target\tcpu\tx86-64\ntarget\tfeatures\t+avx2\n");
  assert_string_equal(text, "target: added features = +avx2\n"
                            "target: removed tune (was generic)\n");
  free(text);
}

static void test_repeated_names_are_a_multiset(void **state) {
  (void)state;
  /* -O1 became -O3 and -g went away; -c and -Wall only moved. A positional
   * diff would report every argument after the first change. */
  char *text = diff("invocation\targ\t-c\ninvocation\targ\t-O1\n"
                    "invocation\targ\t-g\ninvocation\targ\t-Wall\n",
                    "invocation\targ\t-O3\ninvocation\targ\t-c\n"
                    "invocation\targ\t-Wall\n");
  assert_non_null(strstr(text, "invocation: added -O3\n"));
  assert_non_null(strstr(text, "invocation: removed -O1\n"));
  assert_non_null(strstr(text, "invocation: removed -g\n"));
  assert_null(strstr(text, "-c"));
  assert_null(strstr(text, "-Wall"));
  free(text);
}

static void test_repeated_value_counts_matter(void **state) {
  (void)state;
  /* The same argument twice is not the same as once. */
  char *text = diff("invocation\targ\t-I\ninvocation\targ\tinc\n",
                    "invocation\targ\t-I\ninvocation\targ\tinc\n"
                    "invocation\targ\t-I\ninvocation\targ\tinc\n");
  assert_string_equal(text, "invocation: added -I\ninvocation: added inc\n");
  free(text);
}

static void test_reordered_values_are_reported(void **state) {
  (void)state;
  /* Same multiset, other order: a different key, so never "nothing". */
  char *text = diff("invocation\targ\t-O2\ninvocation\targ\t-g\n",
                    "invocation\targ\t-g\ninvocation\targ\t-O2\n");
  assert_string_equal(text, "invocation: arg values reordered\n");
  free(text);
  text = diff("a\tx\t1\nb\ty\t2\n", "b\ty\t2\na\tx\t1\n");
  assert_non_null(strstr(text, "different order"));
  free(text);
}

static void test_long_values_say_changed(void **state) {
  (void)state;
  char old_rec[256], new_rec[256];
  snprintf(old_rec, sizeof old_rec, "module\tbitcode\t%064d\n", 1);
  snprintf(new_rec, sizeof new_rec, "module\tbitcode\t%0100d\n", 2);
  char *text = diff(old_rec, new_rec);
  assert_string_equal(text, "module: bitcode changed\n");
  free(text);
  /* A digest is summarised even when it is short enough to print. */
  text = diff("compiler\tclang\tbuild-id:3ff46fb4c40fe079bb0d749195d13a55\n",
              "compiler\tclang\tbuild-id:11337edccc89edc3ecdd09323f98ca5b\n");
  assert_string_equal(text, "compiler: clang changed\n");
  free(text);
  /* Short hex such as a version or an address is still shown. */
  text = diff("a\tb\t0x1234abcd\n", "a\tb\t0x1234abce\n");
  assert_string_equal(text, "a: b 0x1234abcd -> 0x1234abce\n");
  free(text);
  /* Added long values keep the name and drop the value. */
  text = diff("", new_rec);
  assert_string_equal(text, "module: added bitcode\n");
  free(text);
}

static void test_empty_and_spaced_values_are_quoted(void **state) {
  (void)state;
  char *text = diff("target\tfeatures\t\n", "target\tfeatures\t+a +b\n");
  assert_string_equal(text, "target: features \"\" -> \"+a +b\"\n");
  free(text);
}

static void test_output_follows_record_order(void **state) {
  (void)state;
  /* Factors in the order the new record has them, not alphabetical. */
  char *text = diff("zeta\tz\t1\nalpha\ta\t1\n", "zeta\tz\t2\nalpha\ta\t2\n");
  assert_string_equal(text, "zeta: z 1 -> 2\nalpha: a 1 -> 2\n");
  free(text);
}

static void test_missing_final_newline_is_accepted(void **state) {
  (void)state;
  char *text = diff("target\tcpu\tx86-64", "target\tcpu\tznver4\n");
  assert_string_equal(text, "target: cpu x86-64 -> znver4\n");
  free(text);
}

static void test_malformed_record_is_corrupt(void **state) {
  (void)state;
  oc_buffer out = {0};
  const char *bad = "no tabs here\n";
  const char *good = "a\tb\tc\n";
  assert_int_equal(oc_record_diff(bad, strlen(bad), good, strlen(good), &out),
                   OC_CORRUPT);
  assert_int_equal(oc_record_diff(good, strlen(good), "a\tb\n", 4, &out),
                   OC_CORRUPT);
  oc_buffer_free(&out);
}

/* Records read back from disk may be anything: random bytes made mostly of
 * tabs, newlines and a few letters must give OK or CORRUPT, never a crash
 * (the ASan build runs this too). */
static void test_random_records_are_safe(void **state) {
  (void)state;
  static const char alphabet[] = "\t\t\n\nab-=";
  srand(12345);
  for (int round = 0; round < 2000; round++) {
    char a[64], b[64];
    size_t alen = (size_t)rand() % sizeof a, blen = (size_t)rand() % sizeof b;
    for (size_t i = 0; i < alen; i++)
      a[i] = alphabet[rand() % (int)(sizeof alphabet - 1)];
    for (size_t i = 0; i < blen; i++)
      b[i] = alphabet[rand() % (int)(sizeof alphabet - 1)];
    oc_buffer out = {0};
    oc_status status = oc_record_diff(a, alen, b, blen, &out);
    assert_true(status == OC_OK || status == OC_CORRUPT);
    /* Records that differ (beyond a final newline) never say nothing. */
    size_t acmp = alen && a[alen - 1] == '\n' ? alen - 1 : alen;
    size_t bcmp = blen && b[blen - 1] == '\n' ? blen - 1 : blen;
    bool differ = acmp != bcmp || memcmp(a, b, acmp) != 0;
    if (status == OC_OK)
      assert_int_equal(out.size > 0, differ);
    oc_buffer_free(&out);
  }
}

/* ---- the history store, in a private cache dir -------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static int make_cache(void **state) {
  oc_config *cfg = calloc(1, sizeof *cfg);
  if (!cfg)
    return -1;
  char tmpl[] = "/tmp/oc-test-history-XXXXXX";
  if (!mkdtemp(tmpl))
    return -1;
  cfg->umask = -1;
  /* A cache dir that does not exist yet: recording must create it. */
  snprintf(cfg->cache_dir, sizeof cfg->cache_dir, "%s/cache", tmpl);
  *state = cfg;
  return 0;
}

static int remove_cache(void **state) {
  oc_config *cfg = *state;
  char *slash = strrchr(cfg->cache_dir, '/');
  *slash = '\0';
  nftw(cfg->cache_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(cfg);
  return 0;
}

static char *explain(const oc_config *cfg, const char *path, oc_status want) {
  oc_buffer out = {0};
  oc_error err = {0};
  assert_int_equal(oc_history_explain(cfg, path, &out, &err), want);
  assert_int_equal(oc_buffer_append(&out, "", 1), OC_OK);
  return (char *)out.data;
}

static void record(const oc_config *cfg, const char *path, const char *rec) {
  oc_error err = {0};
  assert_int_equal(oc_history_record(cfg, path, rec, strlen(rec), &err), OC_OK);
}

static void test_explain_needs_two_records(void **state) {
  oc_config *cfg = *state;
  char *text = explain(cfg, "/src/foo.o", OC_NOT_FOUND);
  assert_string_equal(text, "no previous compile of /src/foo.o\n");
  free(text);
  record(cfg, "/src/foo.o", "llvm-option\tinline-threshold\t225\n");
  text = explain(cfg, "/src/foo.o", OC_NOT_FOUND);
  assert_string_equal(text, "no previous compile of /src/foo.o\n");
  free(text);
}

static void test_explain_compares_the_last_two(void **state) {
  oc_config *cfg = *state;
  record(cfg, "/src/foo.o", "llvm-option\tinline-threshold\t100\n");
  record(cfg, "/src/foo.o", "llvm-option\tinline-threshold\t225\n");
  record(cfg, "/src/foo.o", "llvm-option\tinline-threshold\t500\n");
  /* Another output's records must not mix in. */
  record(cfg, "/src/bar.o", "llvm-option\tinline-threshold\t7\n");
  char *text = explain(cfg, "/src/foo.o", OC_OK);
  assert_string_equal(text, "/src/foo.o: changed since the previous compile:\n"
                            "  llvm-option: inline-threshold 225 -> 500\n");
  free(text);
  record(cfg, "/src/foo.o", "llvm-option\tinline-threshold\t500\n");
  text = explain(cfg, "/src/foo.o", OC_OK);
  assert_non_null(strstr(text, "no factor changed"));
  free(text);
}

/* Only "last" and "prev" remain (no temp files), with the configured umask
 * applied whatever the process umask is. */
static void test_history_keeps_two_files(void **state) {
  oc_config *cfg = *state;
  cfg->umask = 027;
  record(cfg, "/src/foo.o", "a\tb\t1\n");
  record(cfg, "/src/foo.o", "a\tb\t2\n");
  record(cfg, "/src/foo.o", "a\tb\t3\n");
  char history[PATH_MAX + 16];
  snprintf(history, sizeof history, "%s/history", cfg->cache_dir);
  DIR *top = opendir(history);
  assert_non_null(top);
  struct dirent *d;
  char dir[2 * PATH_MAX] = "";
  while ((d = readdir(top)))
    if (d->d_name[0] != '.')
      snprintf(dir, sizeof dir, "%s/%s", history, d->d_name);
  closedir(top);
  DIR *one = opendir(dir);
  assert_non_null(one);
  int files = 0;
  while ((d = readdir(one))) {
    if (d->d_name[0] == '.')
      continue;
    files++;
    assert_true(strcmp(d->d_name, "last") == 0 ||
                strcmp(d->d_name, "prev") == 0);
    char path[3 * PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
  }
  closedir(one);
  assert_int_equal(files, 2);
}

static void test_relative_path_is_refused(void **state) {
  oc_config *cfg = *state;
  oc_error err = {0};
  assert_int_equal(oc_history_record(cfg, "foo.o", "a\tb\tc\n", 6, &err),
                   OC_INVALID);
  assert_non_null(strstr(err.message, "foo.o"));
}

static void test_damaged_record_is_corrupt(void **state) {
  oc_config *cfg = *state;
  record(cfg, "/src/foo.o", "a\tb\tc\n");
  record(cfg, "/src/foo.o", "garbage without tabs\n");
  oc_buffer out = {0};
  oc_error err = {0};
  assert_int_equal(oc_history_explain(cfg, "/src/foo.o", &out, &err),
                   OC_CORRUPT);
  assert_non_null(strstr(err.message, "damaged"));
  oc_buffer_free(&out);
}

static void test_unwritable_cache_is_an_error(void **state) {
  oc_config *cfg = *state;
  /* Nobody, root included, can make directories inside /proc. */
  oc_config bad = *cfg;
  snprintf(bad.cache_dir, sizeof bad.cache_dir, "/proc/oc-no-such/cache");
  oc_error err = {0};
  assert_int_equal(oc_history_record(&bad, "/src/foo.o", "a\tb\tc\n", 6, &err),
                   OC_IO_ERROR);
  assert_non_null(strstr(err.message, "/proc/oc-no-such"));
}

/* issue 18: a symlink planted at history/<hash> (or history/) must not
 * redirect the record's writes outside the cache. */
static void test_symlinked_history_dir_is_refused(void **state) {
  oc_config *cfg = *state;
  record(cfg, "/src/foo.o", "a\tb\t1\n"); /* creates history/<hash> */
  oc_digest digest = oc_hash_bytes("/src/foo.o", strlen("/src/foo.o"));
  char hex[OC_DIGEST_HEX_SIZE], dir[PATH_MAX + 100], victim[PATH_MAX + 16];
  oc_digest_to_hex(&digest, hex);
  snprintf(dir, sizeof dir, "%s/history/%s", cfg->cache_dir, hex);
  snprintf(victim, sizeof victim, "%s/victim", cfg->cache_dir);
  assert_int_equal(mkdir(victim, 0755), 0);
  char cmd[PATH_MAX * 2 + 32];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(symlink(victim, dir), 0);
  oc_error err = {0};
  assert_int_not_equal(
      oc_history_record(cfg, "/src/foo.o", "a\tb\t2\n", 6, &err), OC_OK);
  assert_non_null(strstr(err.message, "symlink"));
  char last[PATH_MAX + 32];
  snprintf(last, sizeof last, "%s/last", victim);
  struct stat st;
  assert_int_not_equal(stat(last, &st), 0); /* nothing written there */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_symlinked_history_dir_is_refused,
                                      make_cache, remove_cache),
      cmocka_unit_test(test_equal_records_say_nothing),
      cmocka_unit_test(test_single_value_changed),
      cmocka_unit_test(test_added_and_removed_names),
      cmocka_unit_test(test_repeated_names_are_a_multiset),
      cmocka_unit_test(test_repeated_value_counts_matter),
      cmocka_unit_test(test_reordered_values_are_reported),
      cmocka_unit_test(test_long_values_say_changed),
      cmocka_unit_test(test_empty_and_spaced_values_are_quoted),
      cmocka_unit_test(test_output_follows_record_order),
      cmocka_unit_test(test_missing_final_newline_is_accepted),
      cmocka_unit_test(test_malformed_record_is_corrupt),
      cmocka_unit_test(test_random_records_are_safe),
      cmocka_unit_test_setup_teardown(test_explain_needs_two_records,
                                      make_cache, remove_cache),
      cmocka_unit_test_setup_teardown(test_explain_compares_the_last_two,
                                      make_cache, remove_cache),
      cmocka_unit_test_setup_teardown(test_history_keeps_two_files, make_cache,
                                      remove_cache),
      cmocka_unit_test_setup_teardown(test_relative_path_is_refused, make_cache,
                                      remove_cache),
      cmocka_unit_test_setup_teardown(test_damaged_record_is_corrupt,
                                      make_cache, remove_cache),
      cmocka_unit_test_setup_teardown(test_unwritable_cache_is_an_error,
                                      make_cache, remove_cache),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
