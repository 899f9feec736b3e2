/* test_direct.c - lib's direct module: the direct record's codec (round
 * trip of every field, damaged input refused, names with newlines refused),
 * candidate capture and matching (unchanged, changed, grown, no longer a
 * regular file, appeared, another location, a racing edit, a pseudo-file
 * that reads past its size), the record file under tmp/, the probe cache,
 * path cleaning and the output writer. */
/* cmocka needs these three first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#include "objcache/direct.h"
#include "objcache/fileio.h"

#include "fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static oc_config cfg;

static int setup(void **state) {
  if (fixture_setup(state) != 0)
    return -1;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s", cache);
  cfg.umask = -1;
  return 0;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

/* ---- the codec ---------------------------------------------------------- */

static const char *targets[] = {"a.o", "a\\ b.o"};
static const char *deps[] = {"a.c", "inc/a.h"};
static const char *sides[] = {"time trace", "modules"};
static oc_direct_side_output cached[] = {{"dwo", "/out/a.dwo"},
                                         {"su", "/out/a.su"}};
static oc_direct_record_file files[] = {
    {"a.c", false}, {"inc/a.h", false}, {"/usr/include/nope.h", true}};

static oc_direct_record full_record(void) {
  oc_direct_record rec = {0};
  for (size_t i = 0; i < OC_DIGEST_SIZE; i++)
    rec.key.bytes[i] = (uint8_t)(i * 7 + 1);
  rec.output = "/out/a.o";
  rec.depfile = "/out/a.d";
  rec.targets = targets;
  rec.target_count = 2;
  rec.depmain = 1;
  rec.deps = deps;
  rec.dep_count = 2;
  rec.sides = sides;
  rec.side_count = 2;
  rec.side_outputs = cached;
  rec.side_output_count = 2;
  rec.store = true;
  rec.files = files;
  rec.file_count = 3;
  rec.location = "debug info";
  return rec;
}

static void test_round_trip(void **unused) {
  (void)unused;
  oc_direct_record in = full_record();
  oc_buffer text = {0};
  assert_int_equal(oc_direct_record_encode(&in, &text, NULL), OC_OK);
  oc_direct_record out;
  assert_null(oc_direct_record_decode(text.data, text.size, &out));
  assert_true(oc_digest_equal(&in.key, &out.key));
  assert_string_equal(out.output, "/out/a.o");
  assert_string_equal(out.depfile, "/out/a.d");
  assert_int_equal(out.target_count, 2);
  assert_string_equal(out.targets[0], "a.o");
  assert_string_equal(out.targets[1], "a\\ b.o");
  assert_int_equal(out.depmain, 1);
  assert_int_equal(out.dep_count, 2);
  assert_string_equal(out.deps[1], "inc/a.h");
  assert_int_equal(out.side_count, 2);
  assert_string_equal(out.sides[0], "time trace");
  assert_string_equal(out.sides[1], "modules");
  assert_int_equal(out.side_output_count, 2);
  assert_string_equal(out.side_outputs[1].name, "su");
  assert_string_equal(out.side_outputs[1].path, "/out/a.su");
  assert_true(out.store);
  assert_int_equal(out.file_count, 3);
  assert_string_equal(out.files[0].path, "a.c");
  assert_false(out.files[0].absent);
  assert_string_equal(out.files[2].path, "/usr/include/nope.h");
  assert_true(out.files[2].absent);
  assert_string_equal(out.location, "debug info");
  oc_direct_record_free(&out);

  /* The smallest record: no .d file, no lists, no store, no location. */
  oc_direct_record small = {.output = "/o"};
  text.size = 0;
  assert_int_equal(oc_direct_record_encode(&small, &text, NULL), OC_OK);
  assert_null(oc_direct_record_decode(text.data, text.size, &out));
  assert_string_equal(out.output, "/o");
  assert_null(out.depfile);
  assert_false(out.store);
  assert_null(out.location);
  assert_int_equal(out.file_count + out.dep_count + out.side_count, 0);
  oc_direct_record_free(&out);
  oc_buffer_free(&text);
}

static void test_newline_refused(void **unused) {
  (void)unused;
  oc_direct_record rec = full_record();
  oc_direct_record_file bad[] = {{"a\nb.h", false}};
  rec.files = bad;
  rec.file_count = 1;
  oc_buffer text = {0};
  oc_error err = {0};
  assert_int_equal(oc_direct_record_encode(&rec, &text, &err), OC_INVALID);
  assert_non_null(strstr(err.message, "newline"));
  rec = full_record();
  rec.targets = (const char *[]){"x\ny"};
  rec.target_count = 1;
  assert_int_equal(oc_direct_record_encode(&rec, &text, &err), OC_INVALID);
  oc_buffer_free(&text);
}

static const char *decode_text(const char *text) {
  oc_direct_record rec;
  const char *why = oc_direct_record_decode(text, strlen(text), &rec);
  oc_direct_record_free(&rec);
  return why;
}

#define HEAD                                                                   \
  "objcache-direct-record 2\nkey "                                             \
  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"

static void test_damaged_refused(void **unused) {
  (void)unused;
  oc_direct_record in = full_record();
  oc_buffer text = {0};
  assert_int_equal(oc_direct_record_encode(&in, &text, NULL), OC_OK);
  /* Every cut before "end" is complete is refused. */
  for (size_t len = 0; len + 1 < text.size; len++) {
    oc_direct_record out;
    const char *why = oc_direct_record_decode(text.data, len, &out);
    oc_direct_record_free(&out);
    if (!why)
      fail_msg("a record cut to %zu of %zu bytes was accepted", len, text.size);
  }
  /* A NUL byte ends the text, as for a C string. */
  ((char *)text.data)[text.size - 2] = '\0';
  oc_direct_record out;
  assert_non_null(oc_direct_record_decode(text.data, text.size, &out));
  oc_direct_record_free(&out);
  oc_buffer_free(&text);

  assert_null(decode_text(HEAD "output /o\nend\n"));
  assert_string_equal(decode_text("objcache-direct-record 1\n"
                                  "output /o\nend\n"),
                      "bad record header");
  assert_string_equal(decode_text("objcache-direct-record 2\nkey 00\n"
                                  "output /o\nend\n"),
                      "bad key in record");
  assert_string_equal(decode_text(HEAD "end\n"), "truncated record");
  assert_string_equal(decode_text(HEAD "output /o\n"), "truncated record");
  assert_string_equal(decode_text(HEAD "output /o\nend\nread /x\n"),
                      "record continues after its end");
  assert_string_equal(decode_text(HEAD "output /o\nwhat\nend\n"),
                      "bad line in record");
  assert_string_equal(decode_text(HEAD "output /o\nread \nend\n"),
                      "bad line in record");
  assert_string_equal(decode_text(HEAD "output /o\nsideoutput dwo a.dwo\n"
                                       "end\n"),
                      "bad side output in record");
  assert_string_equal(decode_text(HEAD "output /o\nsideoutput  /a.dwo\n"
                                       "end\n"),
                      "bad side output in record");
  assert_string_equal(decode_text(HEAD "output /o\nsideoutput "
                                       "sixteen-bytes-xx /a\nend\n"),
                      "bad side output in record");
  char many[4096];
  int n = snprintf(many, sizeof many, HEAD "output /o\n");
  for (int i = 0; i <= OC_MANIFEST_MAX_SIDE_OUTPUTS; i++)
    n += snprintf(many + n, sizeof many - (size_t)n, "sideoutput o%d /o%d\n", i,
                  i);
  snprintf(many + n, sizeof many - (size_t)n, "end\n");
  assert_string_equal(decode_text(many), "too many side outputs");
}

static void test_record_file(void **unused) {
  (void)unused;
  char path[PATH_MAX + 96], second[PATH_MAX + 96];
  assert_int_equal(oc_direct_record_path(&cfg, path, sizeof path, NULL), OC_OK);
  assert_int_equal(oc_direct_record_path(&cfg, second, sizeof second, NULL),
                   OC_OK);
  char tmp[PATH_MAX + 16];
  snprintf(tmp, sizeof tmp, "%s/tmp/direct.", cfg.cache_dir);
  assert_memory_equal(path, tmp, strlen(tmp));
  assert_string_not_equal(path, second);

  oc_direct_record rec;
  assert_non_null(strstr(oc_direct_record_read(path, &rec), "no record"));
  oc_direct_record_free(&rec);
  oc_direct_record in = full_record();
  assert_int_equal(oc_direct_record_write(path, &in, NULL), OC_OK);
  assert_null(oc_direct_record_read(path, &rec));
  assert_string_equal(rec.output, "/out/a.o");
  oc_direct_record_free(&rec);
  /* A second writer finds the file taken and fails; the file is not its
   * to remove (OBJCACHE_DIRECT_RECORD may name anything). */
  oc_error err = {0};
  assert_int_not_equal(oc_direct_record_write(path, &in, &err), OC_OK);
  assert_non_null(strstr(err.message, "cannot create"));
  assert_int_equal(access(path, F_OK), 0);
  /* Nor is a symlink followed. */
  oc_direct_record_remove(path);
  char target[PATH_MAX + 16];
  snprintf(target, sizeof target, "%s/target", root);
  assert_int_equal(symlink(target, path), 0);
  assert_int_not_equal(oc_direct_record_write(path, &in, NULL), OC_OK);
  assert_int_not_equal(access(target, F_OK), 0);
  oc_direct_record_remove(path);
  assert_int_not_equal(access(path, F_OK), 0);
}

/* ---- capture and matching ----------------------------------------------- */

static struct timespec later(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_sec += 2; /* the compile "started" after the files were written */
  return t;
}

/* A candidate for the files a.h, b.h (read) and gone.h (absent). */
static void captured(oc_manifest_candidate *c, char paths[3][PATH_MAX]) {
  snprintf(paths[0], PATH_MAX, "%s/a.h", root);
  snprintf(paths[1], PATH_MAX, "%s/b.h", root);
  snprintf(paths[2], PATH_MAX, "%s/gone.h", root);
  write_file(paths[0], "int a;\n");
  write_file(paths[1], "int b;\n");
  unlink(paths[2]);
  oc_direct_record_file list[] = {
      {paths[0], false}, {paths[1], false}, {paths[2], true}};
  oc_direct_record rec = {.output = "/o", .files = list, .file_count = 3};
  memset(c, 0, sizeof *c);
  assert_null(oc_direct_candidate_from_record(&rec, c));
  assert_int_equal(c->file_count, 3);
  assert_int_equal(c->files[2].kind, OC_MANIFEST_FILE_ABSENT);
  struct timespec start = later();
  char detail[PATH_MAX + 64];
  assert_null(oc_direct_capture_files(c, &start, detail, sizeof detail));
  assert_int_equal(c->files[0].size, 7);
}

static bool matches(const oc_manifest_candidate *c, bool stat_matches,
                    char *why, size_t size) {
  oc_digest here = {{0}};
  bool only_location;
  bool ok = oc_direct_candidate_matches(c, &here, stat_matches, why, size,
                                        &only_location);
  assert_false(only_location);
  return ok;
}

static void test_match_unchanged(void **unused) {
  (void)unused;
  oc_manifest_candidate c;
  char paths[3][PATH_MAX], why[2 * PATH_MAX];
  captured(&c, paths);
  assert_true(matches(&c, true, why, sizeof why));
  assert_true(matches(&c, false, why, sizeof why));
  /* Same contents under a new mtime: still a match, by content. */
  write_file(paths[0], "int a;\n");
  assert_true(matches(&c, true, why, sizeof why));
  oc_manifest_candidate_free(&c);
}

/* c no longer matches, and the lookup says "<path> <what>". */
static void expect_differs(const oc_manifest_candidate *c, bool stat_matches,
                           const char *path, const char *what) {
  char why[2 * PATH_MAX], want[2 * PATH_MAX];
  snprintf(want, sizeof want, "%s %s", path, what);
  assert_false(matches(c, stat_matches, why, sizeof why));
  assert_string_equal(why, want);
}

static void test_match_changed(void **unused) {
  (void)unused;
  oc_manifest_candidate c;
  char paths[3][PATH_MAX];
  captured(&c, paths);
  write_file(paths[1], "int c;\n"); /* same size, other bytes */
  expect_differs(&c, true, paths[1], "changed");
  expect_differs(&c, false, paths[1], "changed");
  oc_manifest_candidate_free(&c);
}

static void test_match_grown(void **unused) {
  (void)unused;
  oc_manifest_candidate c;
  char paths[3][PATH_MAX];
  captured(&c, paths);
  write_file(paths[0], "int a;\nint more;\n");
  expect_differs(&c, false, paths[0], "changed");
  oc_manifest_candidate_free(&c);
}

static void test_match_not_regular(void **unused) {
  (void)unused;
  oc_manifest_candidate c;
  char paths[3][PATH_MAX];
  captured(&c, paths);
  assert_int_equal(unlink(paths[0]), 0);
  assert_int_equal(mkfifo(paths[0], 0600), 0);
  expect_differs(&c, false, paths[0], "is gone");
  oc_manifest_candidate_free(&c);
}

static void test_match_appeared(void **unused) {
  (void)unused;
  oc_manifest_candidate c;
  char paths[3][PATH_MAX];
  captured(&c, paths);
  write_file(paths[2], "");
  expect_differs(&c, true, paths[2], "appeared");
  oc_manifest_candidate_free(&c);
}

static void test_match_location(void **unused) {
  (void)unused;
  oc_manifest_candidate c;
  char paths[3][PATH_MAX], why[2 * PATH_MAX];
  captured(&c, paths);
  oc_manifest_file *grown = realloc(c.files, 4 * sizeof *grown);
  assert_non_null(grown);
  c.files = grown;
  oc_manifest_file *loc = &c.files[c.file_count++];
  memset(loc, 0, sizeof *loc);
  loc->kind = OC_MANIFEST_FILE_LOCATION;
  loc->path = strdup("debug info");
  loc->hash.bytes[0] = 1;
  oc_digest here = {{0}};
  bool only;
  assert_false(
      oc_direct_candidate_matches(&c, &here, true, why, sizeof why, &only));
  assert_true(only);
  assert_non_null(strstr(why, "another working directory"));
  here.bytes[0] = 1;
  assert_true(
      oc_direct_candidate_matches(&c, &here, true, why, sizeof why, &only));
  oc_manifest_candidate_free(&c);
}

static void test_capture_racing_edit(void **unused) {
  (void)unused;
  char path[PATH_MAX], detail[PATH_MAX + 64], want[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/race.h", root);
  struct timespec start;
  clock_gettime(CLOCK_REALTIME, &start);
  start.tv_sec -= 2; /* the compile started before this edit */
  write_file(path, "int race;\n");
  oc_direct_record_file list[] = {{path, false}};
  oc_direct_record rec = {.output = "/o", .files = list, .file_count = 1};
  oc_manifest_candidate c = {0};
  assert_null(oc_direct_candidate_from_record(&rec, &c));
  snprintf(want, sizeof want, "%s was modified during the compile", path);
  const char *why = oc_direct_capture_files(&c, &start, detail, sizeof detail);
  assert_non_null(why);
  assert_string_equal(why, want);
  /* A time of whole seconds is compared by the second: a write in the
   * start's second is a racing edit too. */
  struct timespec whole[2] = {{start.tv_sec, 0}, {start.tv_sec, 0}};
  assert_int_equal(utimensat(AT_FDCWD, path, whole, 0), 0);
  start.tv_nsec = 999999999;
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  if (st.st_ctim.tv_sec < start.tv_sec) /* ctime is now: always too new */
    fail_msg("ctime older than the start");
  assert_non_null(oc_direct_capture_files(&c, &start, detail, sizeof detail));
  oc_manifest_candidate_free(&c);
}

static void test_capture_refusals(void **unused) {
  (void)unused;
  char detail[PATH_MAX + 64], path[PATH_MAX];
  struct timespec start = later();
  /* A pseudo-file whose stat size is 0 and that reads past it. */
  oc_direct_record_file proc[] = {{"/proc/self/status", false}};
  oc_direct_record rec = {.output = "/o", .files = proc, .file_count = 1};
  oc_manifest_candidate c = {0};
  assert_null(oc_direct_candidate_from_record(&rec, &c));
  assert_string_equal(
      oc_direct_capture_files(&c, &start, detail, sizeof detail),
      "a file read does not end at its size (a pseudo-file?)");
  oc_manifest_candidate_free(&c);
  /* A read file that is gone, an absent one that exists. */
  snprintf(path, sizeof path, "%s/none.h", root);
  oc_direct_record_file gone[] = {{path, false}};
  rec.files = gone;
  memset(&c, 0, sizeof c);
  assert_null(oc_direct_candidate_from_record(&rec, &c));
  assert_string_equal(
      oc_direct_capture_files(&c, &start, detail, sizeof detail),
      "a file the compile read is gone");
  oc_manifest_candidate_free(&c);
  oc_direct_record_file there[] = {{root, true}};
  rec.files = there;
  memset(&c, 0, sizeof c);
  assert_null(oc_direct_candidate_from_record(&rec, &c));
  assert_string_equal(
      oc_direct_capture_files(&c, &start, detail, sizeof detail),
      "a path the compile did not find exists now");
  oc_manifest_candidate_free(&c);
}

static void test_candidate_side_outputs(void **unused) {
  (void)unused;
  oc_direct_record rec = full_record();
  oc_manifest_candidate c = {0};
  assert_null(oc_direct_candidate_from_record(&rec, &c));
  assert_true(oc_digest_equal(&c.result_key, &rec.key));
  assert_int_equal(c.output_count, 2);
  assert_string_equal(c.outputs[0].name, "dwo");
  assert_string_equal(c.outputs[0].path, "/out/a.dwo");
  oc_manifest_candidate_free(&c);
}

/* ---- the probe cache, paths, outputs ------------------------------------ */

static void test_probe_cache(void **unused) {
  (void)unused;
  char text[256];
  assert_false(oc_probe_cache_get(&cfg, "abc.direct", text, sizeof text));
  oc_probe_cache_put(&cfg, "abc.direct", "lib /x.so\n");
  assert_true(oc_probe_cache_get(&cfg, "abc.direct", text, sizeof text));
  assert_string_equal(text, "lib /x.so\n");
  /* A file without its trailer (a writer died) is redone. */
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/compilers/abc.direct", cfg.cache_dir);
  write_file(path, "lib /x.so\n");
  assert_false(oc_probe_cache_get(&cfg, "abc.direct", text, sizeof text));

  static const char *const answers[] = {"clang-22\n", "other\n"};
  assert_int_equal(oc_probe_answer_get(&cfg, "id", answers, 2), -1);
  assert_true(oc_probe_answer_create(&cfg, "id", "other\n"));
  assert_false(oc_probe_answer_create(&cfg, "id", "clang-22\n"));
  assert_int_equal(oc_probe_answer_get(&cfg, "id", answers, 2), 1);
  snprintf(path, sizeof path, "%s/compilers/id", cfg.cache_dir);
  write_file(path, "other\nx");
  assert_int_equal(oc_probe_answer_get(&cfg, "id", answers, 2), -1);
  assert_int_not_equal(access(path, F_OK), 0); /* removed */
  /* A FIFO planted there is refused without hanging, and removed. */
  assert_int_equal(mkfifo(path, 0600), 0);
  assert_int_equal(oc_probe_answer_get(&cfg, "id", answers, 2), -1);
  assert_int_not_equal(access(path, F_OK), 0);
  /* put replaces whatever is there. */
  oc_probe_answer_put(&cfg, "id", "other\n");
  oc_probe_answer_put(&cfg, "id", "clang-22\n");
  assert_int_equal(oc_probe_answer_get(&cfg, "id", answers, 2), 0);
}

static void test_path_clean(void **unused) {
  (void)unused;
  char out[PATH_MAX];
  assert_true(oc_path_clean("/w/d", "a/./b/../c.o", out, sizeof out));
  assert_string_equal(out, "/w/d/a/c.o");
  assert_true(oc_path_clean("/w/d", "/x//y/../../../z", out, sizeof out));
  assert_string_equal(out, "/z");
  assert_true(oc_path_clean("/w", "..", out, sizeof out));
  assert_string_equal(out, "/");
  assert_false(oc_path_clean("/w", "abcdef", out, 6));
  char cwd[PATH_MAX], want[PATH_MAX + 8];
  assert_non_null(getcwd(cwd, sizeof cwd));
  snprintf(want, sizeof want, "%s/x.o", strcmp(cwd, "/") ? cwd : "");
  assert_true(oc_path_clean(NULL, "./x.o", out, sizeof out));
  assert_string_equal(out, want);
}

static void test_write_output(void **unused) {
  (void)unused;
  char path[PATH_MAX], why[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/out.o", root);
  write_file(path, "old contents");
  struct stat before, after;
  assert_int_equal(stat(path, &before), 0);
  assert_true(oc_write_output(path, "new", 3, why, sizeof why));
  assert_int_equal(stat(path, &after), 0);
  assert_int_equal(after.st_size, 3);
  assert_int_not_equal(before.st_ino, after.st_ino); /* renamed into place */
  assert_true(oc_write_output("/dev/null", "x", 1, why, sizeof why));
  assert_int_equal(stat("/dev/null", &after), 0);
  assert_true(S_ISCHR(after.st_mode));
  snprintf(path, sizeof path, "%s/no/such/dir/out.o", root);
  assert_false(oc_write_output(path, "x", 1, why, sizeof why));
  assert_non_null(strstr(why, "cannot write"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_newline_refused),
      cmocka_unit_test(test_damaged_refused),
      cmocka_unit_test_setup_teardown(test_record_file, setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(test_match_unchanged, setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(test_match_changed, setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(test_match_grown, setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(test_match_not_regular, setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(test_match_appeared, setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(test_match_location, setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(test_capture_racing_edit, setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(test_capture_refusals, setup,
                                      fixture_teardown),
      cmocka_unit_test(test_candidate_side_outputs),
      cmocka_unit_test_setup_teardown(test_probe_cache, setup,
                                      fixture_teardown),
      cmocka_unit_test(test_path_clean),
      cmocka_unit_test_setup_teardown(test_write_output, setup,
                                      fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
