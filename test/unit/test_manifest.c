/* test_manifest.c - the direct-mode manifest: encode/decode round trips,
 * every truncation and random garbage refused as corrupt, field validation,
 * dedupe and the candidate bound, and the store side: a corrupt manifest
 * removed and counted, and parallel writers adding distinct candidates to
 * one manifest without losing any. */
/* cmocka needs these three first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#include "objcache/manifest.h"
#include "objcache/stats.h"
#include "objcache/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[64];
static char cache[128];

static int setup(void **unused) {
  (void)unused;
  snprintf(root, sizeof root, "/tmp/oc-manifest-XXXXXX");
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

static oc_config make_config(void) {
  oc_config cfg;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s", cache);
  cfg.max_size = 0;
  cfg.compression_level = 1;
  cfg.umask = -1;
  cfg.direct = true;
  return cfg;
}

/* A candidate with two read files, one absent path, stderr and a .d file;
 * `tag` makes its result key and header hash distinct. */
static oc_manifest_file files[3];
static oc_manifest_output side[2];
static oc_manifest_candidate sample(int tag) {
  static char paths[3][64];
  snprintf(paths[0], sizeof paths[0], "/src/main.c");
  snprintf(paths[1], sizeof paths[1], "/src/include/util-%d.h", tag);
  snprintf(paths[2], sizeof paths[2], "/src/first/util.h");
  memset(files, 0, sizeof files);
  files[0] = (oc_manifest_file){OC_MANIFEST_FILE_READ,   paths[0], 120, 5, 6,
                                oc_hash_bytes("main", 4)};
  files[1] =
      (oc_manifest_file){OC_MANIFEST_FILE_READ,          paths[1], 33, -7, 8,
                         oc_hash_bytes(&tag, sizeof tag)};
  files[2].kind = OC_MANIFEST_FILE_ABSENT;
  files[2].path = paths[2];
  static const char warning[] = "main.c:3:5: warning: unused variable\n";
  static char dep_names[2][64];
  snprintf(dep_names[0], sizeof dep_names[0], "main.c");
  snprintf(dep_names[1], sizeof dep_names[1], "include/util-%d.h", tag);
  static oc_manifest_dep deps[2];
  deps[0] = (oc_manifest_dep){0, dep_names[0]};
  deps[1] = (oc_manifest_dep){1, dep_names[1]};
  oc_manifest_candidate c = {
      .result_key = oc_hash_bytes(&tag, sizeof tag),
      .created_unix = 1700000000u + (unsigned)tag,
      .files = files,
      .file_count = 3,
      .stderr_data = (uint8_t *)warning,
      .stderr_size = sizeof warning - 1,
      .has_depfile = true,
      .deps = deps,
      .dep_count = 2,
      .outputs = side,
      .output_count = 2,
  };
  static char side_paths[2][64];
  snprintf(side_paths[0], sizeof side_paths[0], "/src/main-%d.dwo", tag);
  snprintf(side_paths[1], sizeof side_paths[1], "/src/main.su");
  memset(side, 0, sizeof side);
  snprintf(side[0].name, sizeof side[0].name, "dwo");
  side[0].path = side_paths[0];
  snprintf(side[1].name, sizeof side[1].name, "su");
  side[1].path = side_paths[1];
  return c;
}

static void encode_sample(oc_buffer *out, int candidates) {
  oc_manifest m = {0};
  oc_error err;
  for (int i = 0; i < candidates; i++) {
    oc_manifest_candidate c = sample(i);
    assert_int_equal(oc_manifest_add(&m, &c, 16, &err), OC_OK);
  }
  assert_int_equal(oc_manifest_encode(&m, out, &err), OC_OK);
  oc_manifest_free(&m);
}

static void test_round_trip(void **unused) {
  (void)unused;
  oc_buffer bytes = {0};
  encode_sample(&bytes, 2);
  oc_manifest m;
  oc_error err;
  assert_int_equal(oc_manifest_decode(bytes.data, bytes.size, &m, &err), OC_OK);
  assert_int_equal(m.count, 2);
  oc_manifest_candidate want = sample(1);
  const oc_manifest_candidate *got = &m.candidates[1];
  assert_true(oc_digest_equal(&got->result_key, &want.result_key));
  assert_int_equal(got->created_unix, want.created_unix);
  assert_int_equal(got->file_count, 3);
  assert_string_equal(got->files[1].path, "/src/include/util-1.h");
  assert_int_equal(got->files[1].size, 33);
  assert_int_equal(got->files[1].mtime_ns, -7);
  assert_int_equal(got->files[1].ctime_ns, 8);
  assert_true(oc_digest_equal(&got->files[1].hash, &want.files[1].hash));
  assert_int_equal(got->files[2].kind, OC_MANIFEST_FILE_ABSENT);
  assert_int_equal(got->stderr_size, want.stderr_size);
  assert_memory_equal(got->stderr_data, want.stderr_data, want.stderr_size);
  assert_true(got->has_depfile);
  assert_int_equal(got->dep_count, 2);
  assert_int_equal(got->dep_input_index, 0);
  assert_int_equal(got->deps[1].file, 1);
  assert_string_equal(got->deps[1].name, "include/util-1.h");
  assert_int_equal(got->output_count, 2);
  assert_string_equal(got->outputs[0].name, "dwo");
  assert_string_equal(got->outputs[0].path, "/src/main-1.dwo");
  assert_string_equal(got->outputs[1].name, "su");
  assert_string_equal(got->outputs[1].path, "/src/main.su");
  /* Re-encoding what was decoded gives the same bytes. */
  oc_buffer again = {0};
  assert_int_equal(oc_manifest_encode(&m, &again, &err), OC_OK);
  assert_int_equal(again.size, bytes.size);
  assert_memory_equal(again.data, bytes.data, bytes.size);
  oc_manifest_free(&m);
  oc_buffer_free(&again);
  oc_buffer_free(&bytes);
}

/* A relative path and a location entry (relocate/): kept as they are. */
static void test_relative_and_location(void **unused) {
  (void)unused;
  oc_manifest_candidate c = sample(3);
  oc_manifest_file mine[4];
  memcpy(mine, files, sizeof files);
  mine[1].path = "include/util-3.h";
  mine[3] = (oc_manifest_file){OC_MANIFEST_FILE_LOCATION, "bound here", 0, 0,
                               0, oc_hash_bytes("cwd", 3)};
  c.files = mine;
  c.file_count = 4;
  oc_manifest m = {0};
  oc_error err;
  oc_buffer bytes = {0};
  assert_int_equal(oc_manifest_add(&m, &c, 16, &err), OC_OK);
  assert_int_equal(oc_manifest_encode(&m, &bytes, &err), OC_OK);
  oc_manifest_free(&m);
  assert_int_equal(oc_manifest_decode(bytes.data, bytes.size, &m, &err), OC_OK);
  const oc_manifest_candidate *got = &m.candidates[0];
  assert_int_equal(got->file_count, 4);
  assert_string_equal(got->files[1].path, "include/util-3.h");
  assert_int_equal(got->files[3].kind, OC_MANIFEST_FILE_LOCATION);
  assert_string_equal(got->files[3].path, "bound here");
  assert_true(oc_digest_equal(&got->files[3].hash, &mine[3].hash));
  oc_manifest_free(&m);
  oc_buffer_free(&bytes);
}

static void test_every_truncation_is_corrupt(void **unused) {
  (void)unused;
  oc_buffer bytes = {0};
  encode_sample(&bytes, 2);
  for (size_t len = 0; len < bytes.size; len++) {
    oc_manifest m;
    oc_error err;
    assert_int_equal(oc_manifest_decode(bytes.data, len, &m, &err), OC_CORRUPT);
    assert_int_equal(m.count, 0);
  }
  oc_buffer_free(&bytes);
}

static void test_bit_flips_and_garbage(void **unused) {
  (void)unused;
  oc_buffer bytes = {0};
  encode_sample(&bytes, 1);
  for (size_t i = 0; i < bytes.size; i++) {
    bytes.data[i] ^= 0x10;
    oc_manifest m;
    oc_error err;
    assert_int_equal(oc_manifest_decode(bytes.data, bytes.size, &m, &err),
                     OC_CORRUPT);
    bytes.data[i] ^= 0x10;
  }
  srand(42);
  uint8_t garbage[4096];
  for (int round = 0; round < 2000; round++) {
    size_t len = (size_t)rand() % sizeof garbage;
    for (size_t i = 0; i < len; i++)
      garbage[i] = (uint8_t)rand();
    if (round % 2 && len >= 8)
      memcpy(garbage, OC_MANIFEST_MAGIC, 8); /* get past the magic check */
    oc_manifest m;
    oc_error err;
    assert_int_equal(oc_manifest_decode(garbage, len, &m, &err), OC_CORRUPT);
  }
  oc_buffer_free(&bytes);
}

/* Damaged fields under a valid checksum are still refused: the checksum
 * alone is not what makes the decoder safe. */
static void reseal(oc_buffer *b) {
  oc_digest sum = oc_hash_bytes(b->data, b->size - OC_DIGEST_SIZE);
  memcpy(b->data + b->size - OC_DIGEST_SIZE, sum.bytes, OC_DIGEST_SIZE);
}

static void expect_corrupt(oc_buffer *b, const char *why) {
  reseal(b);
  oc_manifest m;
  oc_error err = {0};
  assert_int_equal(oc_manifest_decode(b->data, b->size, &m, &err), OC_CORRUPT);
  if (!strstr(err.message, why))
    fail_msg("\"%s\" does not contain \"%s\"", err.message, why);
}

static void test_fields_validated(void **unused) {
  (void)unused;
  oc_buffer b = {0};
  encode_sample(&b, 1);
  /* Offsets: magic 8, version 4, count 4, key 32, created 8, files 4. */
  size_t files_at = 8 + 4 + 4 + 32 + 8;
  size_t kind_at = files_at + 4;
  /* Another format version (1 kept the .d bytes) is a miss, not damage. */
  b.data[8] = 1;
  reseal(&b);
  oc_manifest old;
  oc_error err = {0};
  assert_int_equal(oc_manifest_decode(b.data, b.size, &old, &err),
                   OC_NOT_FOUND);
  assert_non_null(strstr(err.message, "format version"));
  b.data[8] = OC_MANIFEST_FORMAT_VERSION;
  b.data[12] = 17;
  expect_corrupt(&b, "candidates");
  b.data[12] = 1;
  b.data[files_at + 3] = 0x7f;
  expect_corrupt(&b, "file count");
  b.data[files_at + 3] = 0;
  b.data[kind_at] = 3;
  expect_corrupt(&b, "file kind");
  b.data[kind_at] = 2; /* a location holds no file data */
  expect_corrupt(&b, "location");
  b.data[kind_at] = 0;
  b.data[kind_at + 1 + 4 + 1] = 0; /* "/src/main.c" -> "/\0rc/main.c" */
  expect_corrupt(&b, "NUL");
  b.data[kind_at + 1 + 4 + 1] = 's';
  b.data[kind_at + 1 + 3] = 0x40; /* a path length past the end */
  expect_corrupt(&b, "path");
  b.data[kind_at + 1 + 3] = 0;
  /* The side outputs close the candidate: "/src/main.su", then the name
   * "su" (4 + 2 bytes) and its length (4), then the count... */
  size_t su_path = b.size - OC_DIGEST_SIZE - strlen("/src/main.su");
  b.data[su_path] = 'x';
  expect_corrupt(&b, "side-output path");
  b.data[su_path] = '/';
  size_t su_name = su_path - 4 - 2;
  b.data[su_name] = 'S';
  expect_corrupt(&b, "side-output name");
  b.data[su_name] = 's';
  oc_buffer_append(&b, "x", 1); /* a trailing byte before the checksum */
  memmove(b.data + b.size - OC_DIGEST_SIZE,
          b.data + b.size - OC_DIGEST_SIZE - 1, OC_DIGEST_SIZE);
  expect_corrupt(&b, "trailing");
  oc_buffer_free(&b);
}

/* The dependency list may only name files the candidate checks, by names
 * that cannot break out of a make rule. */
static void test_deps_validated(void **unused) {
  (void)unused;
  oc_buffer b = {0};
  encode_sample(&b, 1);
  /* The last dependency is the last thing before the side outputs (their
   * count, then each name and path with its length) and the checksum:
   * index u32, name length u32, "include/util-0.h". */
  oc_manifest_candidate shape = sample(0);
  size_t side = 4;
  for (size_t i = 0; i < shape.output_count; i++)
    side += 4 + strlen(shape.outputs[i].name) + 4 +
            strlen(shape.outputs[i].path);
  size_t name_at =
      b.size - OC_DIGEST_SIZE - side - strlen("include/util-0.h");
  size_t index_at = name_at - 8;
  assert_memory_equal(b.data + name_at, "include/util-0.h", 16);
  b.data[index_at] = 2; /* the absent path */
  expect_corrupt(&b, "names no file");
  b.data[index_at] = 3; /* past the files */
  expect_corrupt(&b, "names no file");
  b.data[index_at] = 1;
  b.data[name_at + 7] = '\n';
  expect_corrupt(&b, "control byte");
  b.data[name_at + 7] = '/';
  reseal(&b);
  oc_manifest m;
  oc_error err;
  assert_int_equal(oc_manifest_decode(b.data, b.size, &m, &err), OC_OK);
  oc_manifest_free(&m);
  oc_buffer_free(&b);
  /* The encoder refuses the same. */
  oc_manifest_candidate c = sample(0);
  oc_manifest_dep bad[1] = {{2, "x.h"}};
  c.deps = bad;
  c.dep_count = 1;
  oc_manifest one = {&c, 1};
  oc_buffer out = {0};
  assert_int_equal(oc_manifest_encode(&one, &out, &err), OC_INVALID);
  bad[0] = (oc_manifest_dep){0, "a\nb"};
  assert_int_equal(oc_manifest_encode(&one, &out, &err), OC_INVALID);
  oc_buffer_free(&out);
}

static void test_add_dedupes_and_bounds(void **unused) {
  (void)unused;
  oc_manifest m = {0};
  oc_error err;
  for (int i = 0; i < 5; i++) {
    oc_manifest_candidate c = sample(i);
    assert_int_equal(oc_manifest_add(&m, &c, 3, &err), OC_OK);
  }
  /* Oldest dropped: 2, 3, 4 remain, in that order. */
  assert_int_equal(m.count, 3);
  assert_int_equal(m.candidates[0].created_unix, 1700000002u);
  assert_int_equal(m.candidates[2].created_unix, 1700000004u);
  /* The same result again replaces, and moves to the newest place. */
  oc_manifest_candidate again = sample(2);
  again.created_unix = 1;
  assert_int_equal(oc_manifest_add(&m, &again, 3, &err), OC_OK);
  assert_int_equal(m.count, 3);
  assert_int_equal(m.candidates[0].created_unix, 1700000003u);
  assert_int_equal(m.candidates[2].created_unix, 1);
  /* An empty path is refused (relative ones are taken from the working
   * directory, see relocate/). */
  oc_manifest_candidate bad = sample(9);
  bad.files[0].path = "";
  assert_int_equal(oc_manifest_add(&m, &bad, 3, &err), OC_INVALID);
  oc_manifest_free(&m);
}

static void test_store_corrupt_manifest_removed(void **unused) {
  (void)unused;
  oc_config cfg = make_config();
  oc_store *store;
  oc_error err;
  assert_int_equal(oc_store_open(&cfg, &store, &err), OC_OK);
  oc_digest key = oc_hash_bytes("direct", 6);
  oc_manifest m;
  assert_int_equal(oc_store_get_manifest(store, &key, &m, &err), OC_NOT_FOUND);
  oc_manifest_candidate c = sample(1);
  assert_int_equal(oc_store_add_candidate(store, &key, &c, &err), OC_OK);
  assert_int_equal(oc_store_get_manifest(store, &key, &m, &err), OC_OK);
  assert_int_equal(m.count, 1);
  oc_manifest_free(&m);

  char hex[OC_DIGEST_HEX_SIZE], path[256];
  oc_digest_to_hex(&key, hex);
  snprintf(path, sizeof path, "%s/objects/%.2s/%s.m", cache, hex, hex + 2);
  FILE *f = fopen(path, "r+");
  assert_non_null(f);
  fseek(f, 20, SEEK_SET);
  fputc('!', f);
  fclose(f);
  assert_int_equal(oc_store_get_manifest(store, &key, &m, &err), OC_CORRUPT);
  assert_non_null(strstr(err.message, "checksum"));
  assert_int_equal(access(path, F_OK), -1); /* removed */
  oc_stats s;
  assert_int_equal(oc_stats_read(cache, &s, &err), OC_OK);
  assert_int_equal(s.value[OC_STAT_CORRUPT_ENTRIES], 1);
  /* Manifests count as store usage. */
  assert_int_equal(oc_store_add_candidate(store, &key, &c, &err), OC_OK);
  uint64_t bytes, entries;
  assert_int_equal(oc_store_usage(store, &bytes, &entries, &err), OC_OK);
  assert_int_equal(entries, 1);
  assert_int_equal(bytes, 4096);
  oc_store_close(store);
}

/* More writers than cores, each adding its own candidate to one manifest
 * several times over: every candidate is there at the end. */
static void test_parallel_adders_lose_nothing(void **unused) {
  (void)unused;
  enum { WRITERS = 12, ROUNDS = 20 };
  oc_config cfg = make_config();
  oc_digest key = oc_hash_bytes("shared", 6);
  for (int w = 0; w < WRITERS; w++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      oc_store *store;
      oc_error err;
      if (oc_store_open(&cfg, &store, &err) != OC_OK)
        _exit(1);
      for (int r = 0; r < ROUNDS; r++) {
        oc_manifest_candidate c = sample(w);
        if (oc_store_add_candidate(store, &key, &c, &err) != OC_OK)
          _exit(2);
        oc_manifest m;
        oc_status s = oc_store_get_manifest(store, &key, &m, &err);
        oc_manifest_free(&m);
        if (s != OC_OK)
          _exit(3); /* a torn or corrupt manifest was seen */
      }
      oc_store_close(store);
      _exit(0);
    }
  }
  for (int w = 0; w < WRITERS; w++) {
    int status;
    assert_true(wait(&status) > 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
  }
  oc_store *store;
  oc_error err;
  assert_int_equal(oc_store_open(&cfg, &store, &err), OC_OK);
  oc_manifest m;
  assert_int_equal(oc_store_get_manifest(store, &key, &m, &err), OC_OK);
  assert_int_equal(m.count, WRITERS);
  bool seen[WRITERS] = {false};
  for (size_t i = 0; i < m.count; i++) {
    int tag = (int)(m.candidates[i].created_unix - 1700000000u);
    assert_true(tag >= 0 && tag < WRITERS);
    assert_false(seen[tag]);
    seen[tag] = true;
  }
  oc_manifest_free(&m);
  oc_store_close(store);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_relative_and_location),
      cmocka_unit_test(test_every_truncation_is_corrupt),
      cmocka_unit_test(test_bit_flips_and_garbage),
      cmocka_unit_test(test_fields_validated),
      cmocka_unit_test(test_deps_validated),
      cmocka_unit_test(test_add_dedupes_and_bounds),
      cmocka_unit_test_setup_teardown(test_store_corrupt_manifest_removed,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_parallel_adders_lose_nothing, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
