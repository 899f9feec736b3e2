/* test_stats.c - statistics counters: stable names, exact totals under many
 * parallel processes (also all on one shard), damaged shards counted as
 * zero and reported, reset on the next update. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "objcache/stats.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[64];
static char cache[128];

static int setup(void **unused) {
  (void)unused;
  snprintf(root, sizeof root, "/tmp/oc-stats-XXXXXX");
  if (!mkdtemp(root))
    return -1;
  snprintf(cache, sizeof cache, "%s/cache", root);
  return 0;
}

static int teardown(void **unused) {
  (void)unused;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  return system(cmd) == 0 ? 0 : -1;
}

#define assert_contains(haystack, needle)                                     \
  do {                                                                        \
    if (!strstr((haystack), (needle)))                                        \
      fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));       \
  } while (0)

static void write_shard(int shard, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/stats", cache);
  mkdir(cache, 0777);
  mkdir(path, 0777);
  snprintf(path, sizeof path, "%s/stats/shard-%02d", cache, shard);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void names_are_stable(void **unused) {
  (void)unused;
  static const char *const want[OC_STAT_COUNT] = {
      "hits",
      "direct_hits",
      "misses",
      "uncacheable",
      "uncacheable_ir_input",
      "uncacheable_output_kind",
      "uncacheable_split_dwarf",
      "uncacheable_coverage",
      "uncacheable_backend_diagnostic",
      "uncacheable_extra_output",
      "uncacheable_inline_asm",
      "uncacheable_save_temps",
      "uncacheable_other",
      "errors",
      "corrupt_entries",
      "evictions",
      "time_saved_ms",
      "direct_misses",
      "direct_uncacheable",
      "remote_hits",
      "remote_misses",
      "remote_corrupt",
      "remote_errors",
      "remote_skipped",
      "remote_writes",
      "remote_bytes_down",
      "remote_bytes_up",
      "remote_manifest_hits",
      "remote_manifest_misses",
      "remote_manifest_writes",
      "verify_checked",
      "verify_mismatches"};
  for (int i = 0; i < OC_STAT_COUNT; i++)
    assert_string_equal(oc_stat_name((oc_stat)i), want[i]);
  assert_string_equal(oc_stat_name(OC_STAT_COUNT), "unknown");
}

static void add_read_zero(void **unused) {
  (void)unused;
  oc_stats s;
  oc_error err;
  /* Nothing there yet: all zero, no error, nothing created by reading. */
  assert_int_equal(oc_stats_read(cache, &s, &err), OC_OK);
  for (int i = 0; i < OC_STAT_COUNT; i++)
    assert_int_equal(s.value[i], 0);
  struct stat st;
  assert_int_not_equal(stat(cache, &st), 0);
  /* An all-zero delta does no I/O. */
  oc_stats zero = {{0}};
  assert_int_equal(oc_stats_add(cache, &zero, &err), OC_OK);
  assert_int_not_equal(stat(cache, &st), 0);

  oc_stats delta = {{0}};
  delta.value[OC_STAT_HITS] = 3;
  delta.value[OC_STAT_TIME_SAVED_MS] = 1500;
  assert_int_equal(oc_stats_add(cache, &delta, &err), OC_OK);
  assert_int_equal(oc_stats_bump(cache, OC_STAT_MISSES, 2, &err), OC_OK);
  assert_int_equal(oc_stats_bump(cache, OC_STAT_HITS, 1, &err), OC_OK);
  assert_int_equal(oc_stats_read(cache, &s, &err), OC_OK);
  assert_int_equal(s.value[OC_STAT_HITS], 4);
  assert_int_equal(s.value[OC_STAT_MISSES], 2);
  assert_int_equal(s.value[OC_STAT_TIME_SAVED_MS], 1500);
  assert_int_equal(s.value[OC_STAT_ERRORS], 0);

  /* The shard is readable text, one "name value" line per counter. */
  char path[256];
  snprintf(path, sizeof path, "%s/stats/shard-%02d", cache,
           (int)(getpid() % 16));
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char text[2048];
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  assert_contains(text, "hits 4\n");
  assert_contains(text, "misses 2\n");
  assert_contains(text, "time_saved_ms 1500\n");

  assert_int_equal(oc_stats_zero(cache, &err), OC_OK);
  assert_int_equal(oc_stats_read(cache, &s, &err), OC_OK);
  for (int i = 0; i < OC_STAT_COUNT; i++)
    assert_int_equal(s.value[i], 0);
  assert_int_equal(oc_stats_bump(cache, OC_STAT_COUNT, 1, &err), OC_INVALID);
}

static void saturates_instead_of_wrapping(void **unused) {
  (void)unused;
  oc_error err;
  assert_int_equal(oc_stats_bump(cache, OC_STAT_HITS, UINT64_MAX - 1, &err),
                   OC_OK);
  assert_int_equal(oc_stats_bump(cache, OC_STAT_HITS, 5, &err), OC_OK);
  write_shard((int)((getpid() + 1) % 16), "hits 7\n");
  oc_stats s;
  assert_int_equal(oc_stats_read(cache, &s, &err), OC_OK);
  assert_true(s.value[OC_STAT_HITS] == UINT64_MAX);
}

/* Forks a child whose pid % 16 == shard (retrying forks until one fits)
 * that runs fn after reading a byte from start_fd; returns its pid. */
static pid_t fork_on_shard(int shard, int start_fd, int (*fn)(void)) {
  for (;;) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      if (getpid() % 16 != shard)
        _exit(99);
      char c;
      if (start_fd >= 0 && read(start_fd, &c, 1) != 1)
        _exit(98);
      _exit(fn());
    }
    if (pid % 16 == shard)
      return pid;
    int status;
    waitpid(pid, &status, 0);
  }
}

#define BUMPS 300

static int bump_many(void) {
  for (int i = 0; i < BUMPS; i++) {
    oc_stats d = {{0}};
    d.value[OC_STAT_HITS] = 1;
    d.value[OC_STAT_TIME_SAVED_MS] = 7;
    if (oc_stats_add(cache, &d, NULL) != OC_OK)
      return 1;
    if (oc_stats_bump(cache, OC_STAT_MISSES, 2, NULL) != OC_OK)
      return 2;
  }
  return 0;
}

static void parallel_totals(int shard_for_all) {
  enum { WORKERS = 8 };
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pids[WORKERS];
  for (int w = 0; w < WORKERS; w++) {
    if (shard_for_all >= 0) {
      pids[w] = fork_on_shard(shard_for_all, fds[0], bump_many);
    } else {
      pids[w] = fork();
      assert_true(pids[w] >= 0);
      if (pids[w] == 0) {
        char c;
        _exit(read(fds[0], &c, 1) == 1 ? bump_many() : 98);
      }
    }
  }
  /* Start them together. */
  char go[WORKERS];
  memset(go, 'g', sizeof go);
  assert_int_equal(write(fds[1], go, sizeof go), WORKERS);
  for (int w = 0; w < WORKERS; w++) {
    int status;
    assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
  }
  close(fds[0]);
  close(fds[1]);
  oc_stats s;
  oc_error err;
  assert_int_equal(oc_stats_read(cache, &s, &err), OC_OK);
  assert_int_equal(s.value[OC_STAT_HITS], WORKERS * BUMPS);
  assert_int_equal(s.value[OC_STAT_MISSES], 2 * WORKERS * BUMPS);
  assert_int_equal(s.value[OC_STAT_TIME_SAVED_MS], 7 * WORKERS * BUMPS);
}

static void exact_under_parallel_processes(void **unused) {
  (void)unused;
  parallel_totals(-1);
}

static void exact_when_all_share_one_shard(void **unused) {
  (void)unused;
  parallel_totals(5);
}

static void damaged_shard_counts_as_zero_and_is_reported(void **unused) {
  (void)unused;
  static const char *const garbage[] = {
      "hits 12\nmisses x\n",
      "hits 1\nhits 2\n",
      "hits 99999999999999999999\n",
      "hits  5\n",
      "HITS 5\n",
      "\x01\x02\xff garbage",
      "hits 5\n\n",
      "hits -5\n",
  };
  for (size_t g = 0; g < sizeof garbage / sizeof *garbage; g++) {
    write_shard(3, "hits 10\nmisses 4\n");
    write_shard(7, "hits 1\nevictions 2");   /* no final newline: fine */
    write_shard(9, "");                      /* empty: fine */
    write_shard(11, "future_counter 9\nhits 100\n"); /* unknown name: skipped */
    write_shard(12, garbage[g]);
    oc_stats s;
    oc_error err = {0};
    assert_int_equal(oc_stats_read(cache, &s, &err), OC_CORRUPT);
    assert_contains(err.message, "shard-12");
    assert_int_equal(s.value[OC_STAT_HITS], 111);
    assert_int_equal(s.value[OC_STAT_MISSES], 4);
    assert_int_equal(s.value[OC_STAT_EVICTIONS], 2);
  }
}

static int bump_hits_once(void) {
  oc_error err;
  oc_status s = oc_stats_bump(cache, OC_STAT_HITS, 1, &err);
  if (s == OC_CORRUPT && strstr(err.message, "reset"))
    return 42;
  return s == OC_OK ? 0 : 1;
}

static void damaged_shard_is_reset_by_next_update(void **unused) {
  (void)unused;
  write_shard(3, "hits 10\n");
  write_shard(12, "hits 5\nmisses zz\n");
  pid_t pid = fork_on_shard(12, -1, bump_hits_once);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 42); /* recorded, reported reset */
  oc_stats s;
  oc_error err;
  assert_int_equal(oc_stats_read(cache, &s, &err), OC_OK);
  assert_int_equal(s.value[OC_STAT_HITS], 11);
  assert_int_equal(s.value[OC_STAT_MISSES], 0);
  /* The next update of that shard is a plain success. */
  pid = fork_on_shard(12, -1, bump_hits_once);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(oc_stats_read(cache, &s, &err), OC_OK);
  assert_int_equal(s.value[OC_STAT_HITS], 12);
}

static void faults(void **unused) {
  (void)unused;
  /* A cache "directory" that is a regular file. */
  char file[128];
  snprintf(file, sizeof file, "%s/plain", root);
  FILE *f = fopen(file, "w");
  fclose(f);
  oc_error err;
  assert_int_equal(oc_stats_bump(file, OC_STAT_HITS, 1, &err), OC_IO_ERROR);
  assert_contains(err.message, file);
  /* A shard that is a directory cannot be read. */
  char path[256];
  snprintf(path, sizeof path, "%s/stats", cache);
  mkdir(cache, 0777);
  mkdir(path, 0777);
  snprintf(path, sizeof path, "%s/stats/shard-04", cache);
  mkdir(path, 0777);
  write_shard(2, "hits 3\n");
  oc_stats s;
  assert_int_not_equal(oc_stats_read(cache, &s, &err), OC_OK);
  assert_contains(err.message, "shard-04");
  assert_int_equal(s.value[OC_STAT_HITS], 3);
  /* A symlink planted as a shard is not followed. */
  rmdir(path);
  assert_int_equal(symlink(file, path), 0);
  assert_int_equal(oc_stats_read(cache, &s, &err), OC_CORRUPT);
  assert_contains(err.message, "shard-04");
  assert_int_equal(oc_stats_zero(cache, &err), OC_OK);
  struct stat st;
  assert_int_not_equal(lstat(path, &st), 0); /* removed by zero */
  assert_int_equal(stat(file, &st), 0);       /* its target untouched */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(names_are_stable),
      cmocka_unit_test_setup_teardown(add_read_zero, setup, teardown),
      cmocka_unit_test_setup_teardown(saturates_instead_of_wrapping, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(exact_under_parallel_processes, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(exact_when_all_share_one_shard, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          damaged_shard_counts_as_zero_and_is_reported, setup, teardown),
      cmocka_unit_test_setup_teardown(damaged_shard_is_reset_by_next_update,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(faults, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
