/* test_session.c - one compile's reporting (session.h): the counts reach
 * the stats files in one update at close, a repeated fault warns and counts
 * once, the log line has its six fields, the history record is kept at
 * close, and a failure to write the stats is shown only as a first line. */
#include "objcache/history.h"
#include "objcache/session.h"

#include "fixture.h"

#include <setjmp.h> /* cmocka needs these before its header */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  oc_config cfg;
  char lines[4096]; /* every warning line printed, in order */
  int line_count;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!f || fixture_setup(state) != 0) {
    free(f);
    return -1;
  }
  snprintf(f->cfg.cache_dir, sizeof f->cfg.cache_dir, "%s", cache);
  f->cfg.umask = -1;
  f->cfg.max_size = 1 << 20;
  f->cfg.compression_level = 1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  free(*state);
  return fixture_teardown(state);
}

static void collect(void *ctx, const char *line) {
  fixture *f = ctx;
  size_t used = strlen(f->lines);
  snprintf(f->lines + used, sizeof f->lines - used, "%s", line);
  f->line_count++;
}

static oc_stats read_stats(const fixture *f) {
  oc_stats stats;
  oc_error err;
  assert_int_equal(oc_stats_read(f->cfg.cache_dir, &stats, &err), OC_OK);
  return stats;
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static void test_one_delta_written_at_close(void **state) {
  fixture *f = *state;
  oc_session *s = oc_session_open(&f->cfg, 0, collect, f);
  assert_non_null(s);
  oc_session_outcome(s, OC_OUTCOME_DIRECT_MISS, OC_STAT_COUNT, "no manifest");
  oc_session_outcome(s, OC_OUTCOME_HIT, OC_STAT_COUNT, NULL);
  oc_session_count(s, OC_STAT_TIME_SAVED_MS, 250);
  oc_session_count(s, OC_STAT_TIME_SAVED_MS, 50);
  oc_session_outcome(s, OC_OUTCOME_UNCACHEABLE, OC_STAT_UNCACHEABLE_INLINE_ASM,
                     "inline assembly");
  assert_true(oc_session_fault(s, "the remote is down"));
  /* Nothing reaches the cache directory before the end. */
  char stats_dir[PATH_MAX + 8];
  snprintf(stats_dir, sizeof stats_dir, "%s/stats", f->cfg.cache_dir);
  assert_false(exists(stats_dir));
  assert_int_equal(oc_session_delta(s)->value[OC_STAT_TIME_SAVED_MS], 300);
  oc_session_close(s);

  oc_stats stats = read_stats(f);
  assert_int_equal(stats.value[OC_STAT_DIRECT_MISSES], 1);
  assert_int_equal(stats.value[OC_STAT_HITS], 1);
  assert_int_equal(stats.value[OC_STAT_TIME_SAVED_MS], 300);
  assert_int_equal(stats.value[OC_STAT_UNCACHEABLE], 1);
  assert_int_equal(stats.value[OC_STAT_UNCACHEABLE_INLINE_ASM], 1);
  assert_int_equal(stats.value[OC_STAT_ERRORS], 1);
  assert_int_equal(stats.value[OC_STAT_MISSES], 0);
  /* One update: one shard, this process's. */
  int shards = 0;
  for (int i = 0; i < 16; i++) {
    char shard[PATH_MAX + 32];
    snprintf(shard, sizeof shard, "%s/shard-%02d", stats_dir, i);
    shards += exists(shard);
  }
  assert_int_equal(shards, 1);
  assert_int_equal(f->line_count, 1);
}

static void test_one_store_handle_per_use(void **state) {
  fixture *f = *state;
  oc_session *s = oc_session_open(&f->cfg, 0, collect, f);
  oc_store *store = NULL, *again = NULL;
  oc_error err;
  assert_int_equal(oc_session_store(s, &store, &err), OC_OK);
  assert_int_equal(oc_session_store(s, &again, &err), OC_OK);
  assert_ptr_equal(store, again); /* one handle per session */
  oc_digest key = oc_hash_bytes("k", 1);
  assert_int_equal(oc_store_put(store, &key, "obj", 3, NULL, &err), OC_OK);
  oc_session_release_store(s);
  assert_int_equal(oc_session_store(s, &again, &err), OC_OK);
  oc_buffer got = {0};
  assert_int_equal(oc_store_get(again, &key, &got, NULL, &err), OC_OK);
  assert_int_equal(got.size, 3);
  oc_buffer_free(&got);
  oc_session_outcome(s, OC_OUTCOME_MISS, OC_STAT_COUNT, NULL);
  oc_session_close(s); /* releases the second handle */
  assert_int_equal(read_stats(f).value[OC_STAT_MISSES], 1);
  assert_int_equal(f->line_count, 0);
}

static void test_repeated_fault_warns_and_counts_once(void **state) {
  fixture *f = *state;
  oc_session *s = oc_session_open(&f->cfg, 0, collect, f);
  assert_false(oc_session_warned(s));
  assert_true(oc_session_fault(s, "entry x is corrupt (removed)"));
  assert_false(oc_session_fault(s, "entry x is corrupt (removed)"));
  assert_true(oc_session_fault(s, "manifest y is corrupt (removed)"));
  /* A warning line of the same text as a fault is not shown again. */
  oc_session_warn(s, "entry x is corrupt (removed)");
  oc_session_warn(s, "cannot store the object: disk full");
  assert_true(oc_session_warned(s));
  oc_session_close(s);
  assert_string_equal(f->lines,
                      "objcache: warning: entry x is corrupt (removed)\n"
                      "objcache: warning: manifest y is corrupt (removed)\n"
                      "objcache: warning: cannot store the object: disk "
                      "full\n");
  assert_int_equal(read_stats(f).value[OC_STAT_ERRORS], 2);
}

static char *slurp(const char *path) {
  static char text[4096];
  FILE *file = fopen(path, "r");
  assert_non_null(file);
  size_t n = fread(text, 1, sizeof text - 1, file);
  fclose(file);
  text[n] = '\0';
  return text;
}

static void test_log_line_format(void **state) {
  fixture *f = *state;
  snprintf(f->cfg.logfile, sizeof f->cfg.logfile, "%s/log", root);
  oc_session *s = oc_session_open(&f->cfg, 0, collect, f);
  oc_session_outcome(s, OC_OUTCOME_DIRECT_UNCACHEABLE, OC_STAT_COUNT,
                     "CCC_OVERRIDE_OPTIONS is set");
  oc_session_set_source(s, "src/a.c");
  oc_session_set_key(s, "00ff");
  oc_session_outcome(s, OC_OUTCOME_UNCACHEABLE, OC_STAT_UNCACHEABLE_SAVE_TEMPS,
                     "-save-temps");
  oc_session_outcome(s, OC_OUTCOME_MISS, OC_STAT_COUNT, "");
  oc_session_close(s);

  char *text = slurp(f->cfg.logfile);
  const char *want[3][5] = {
      {"-", "-", "direct-uncacheable", "CCC_OVERRIDE_OPTIONS is set"},
      {"src/a.c", "00ff", "uncacheable", "-save-temps"},
      {"src/a.c", "00ff", "miss", "-"},
  };
  char *save_line = NULL;
  char *line = strtok_r(text, "\n", &save_line);
  for (int i = 0; i < 3; i++, line = strtok_r(NULL, "\n", &save_line)) {
    assert_non_null(line);
    /* <ISO-8601 UTC time>\t<source>\t<key>\t<result>\t<reason>\t<ms> */
    char *save = NULL;
    char *stamp = strtok_r(line, "\t", &save);
    assert_non_null(stamp);
    assert_int_equal(strlen(stamp), strlen("2026-01-01T00:00:00.000Z"));
    assert_int_equal(stamp[10], 'T');
    assert_int_equal(stamp[23], 'Z');
    for (int k = 0; k < 4; k++)
      assert_string_equal(strtok_r(NULL, "\t", &save), want[i][k]);
    char *ms = strtok_r(NULL, "\t", &save);
    assert_non_null(ms);
    assert_int_equal(strspn(ms, "0123456789"), strlen(ms));
    assert_null(strtok_r(NULL, "\t", &save));
  }
  assert_null(line);
  oc_stats stats = read_stats(f);
  assert_int_equal(stats.value[OC_STAT_DIRECT_UNCACHEABLE], 1);
  assert_int_equal(stats.value[OC_STAT_UNCACHEABLE_SAVE_TEMPS], 1);
  assert_int_equal(stats.value[OC_STAT_MISSES], 1);
  assert_string_equal(oc_outcome_name(OC_OUTCOME_DIRECT_HIT), "direct-hit");
}

static void test_history_kept_at_close(void **state) {
  fixture *f = *state;
  oc_session *s = oc_session_open(&f->cfg, 0, collect, f);
  oc_session_set_history(s, "/out/a.o", "first\n", 6, false);
  oc_session_set_history(s, "/out/a.o", "factor one\n", 11, true);
  oc_buffer got = {0};
  oc_error err;
  assert_int_equal(oc_history_last(&f->cfg, "/out/a.o", &got, &err),
                   OC_NOT_FOUND);
  oc_session_close(s);
  assert_int_equal(oc_history_last(&f->cfg, "/out/a.o", &got, &err), OC_OK);
  assert_int_equal(got.size, 11);
  assert_memory_equal(got.data, "factor one\n", 11);
  oc_buffer_free(&got);
  assert_int_equal(f->line_count, 0);
}

/* A regular file where the cache directory belongs: nothing is writable. */
static void break_cache_dir(fixture *f) {
  FILE *file = fopen(f->cfg.cache_dir, "w");
  assert_non_null(file);
  fclose(file);
}

static void test_unwritable_stats_warn_as_first_line_only(void **state) {
  fixture *f = *state;
  break_cache_dir(f);
  oc_session *s = oc_session_open(&f->cfg, 0, collect, f);
  oc_session_outcome(s, OC_OUTCOME_HIT, OC_STAT_COUNT, NULL);
  oc_session_close(s);
  assert_int_equal(f->line_count, 1);
  assert_non_null(
      strstr(f->lines, "objcache: warning: cannot update statistics: "));

  /* After a fault, the broken cache says nothing more. */
  f->lines[0] = '\0';
  f->line_count = 0;
  s = oc_session_open(&f->cfg, 0, collect, f);
  oc_session_fault(s, "first");
  oc_session_set_history(s, "/out/a.o", "r\n", 2, true);
  oc_session_close(s);
  assert_string_equal(f->lines, "objcache: warning: first\n");

  /* The launcher leaves an unusable cache to the plugin. */
  f->line_count = 0;
  s = oc_session_open(&f->cfg, OC_SESSION_QUIET, collect, f);
  oc_session_outcome(s, OC_OUTCOME_DIRECT_MISS, OC_STAT_COUNT, NULL);
  oc_session_close(s);
  assert_int_equal(f->line_count, 0);
}

static void test_no_config_only_prints(void **state) {
  fixture *f = *state;
  oc_session *s = oc_session_open(NULL, 0, collect, f);
  oc_store *store = NULL;
  oc_error err;
  assert_int_not_equal(oc_session_store(s, &store, &err), OC_OK);
  assert_true(oc_session_fault(s, "bad OBJCACHE_DIR"));
  oc_session_outcome(s, OC_OUTCOME_ERROR, OC_STAT_COUNT, NULL);
  oc_session_close(s);
  assert_string_equal(f->lines, "objcache: warning: bad OBJCACHE_DIR\n");
  assert_false(exists(f->cfg.cache_dir));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_one_delta_written_at_close, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_one_store_handle_per_use, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_repeated_fault_warns_and_counts_once,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_log_line_format, setup, teardown),
      cmocka_unit_test_setup_teardown(test_history_kept_at_close, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_unwritable_stats_warn_as_first_line_only, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_config_only_prints, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
