/* test_key.c - the factor-list key: digest and record come from the same
 * entries, entries cannot be confused with each other, escaping works. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "objcache/key.h"

#include <string.h>

static oc_digest digest_of(const char *factor, const char *name,
                           const char *value) {
  oc_key_builder *k = oc_key_builder_new(false);
  oc_key_add_str(k, factor, name, value);
  oc_digest d = oc_key_digest(k);
  oc_key_builder_free(k);
  return d;
}

static void boundaries_are_unambiguous(void **unused) {
  (void)unused;
  oc_digest a = digest_of("f", "ab", "c");
  oc_digest b = digest_of("f", "a", "bc");
  oc_digest c = digest_of("fa", "b", "c");
  assert_false(oc_digest_equal(&a, &b));
  assert_false(oc_digest_equal(&a, &c));
  assert_false(oc_digest_equal(&b, &c));
  oc_digest a2 = digest_of("f", "ab", "c");
  assert_true(oc_digest_equal(&a, &a2));
}

static void every_part_changes_the_digest(void **unused) {
  (void)unused;
  oc_digest base = digest_of("llvm-option", "inline-threshold", "225");
  oc_digest value = digest_of("llvm-option", "inline-threshold", "500");
  oc_digest name = digest_of("llvm-option", "inline-thresholds", "225");
  oc_digest factor = digest_of("llvm-options", "inline-threshold", "225");
  assert_false(oc_digest_equal(&base, &value));
  assert_false(oc_digest_equal(&base, &name));
  assert_false(oc_digest_equal(&base, &factor));
}

static void record_matches_entries(void **unused) {
  (void)unused;
  oc_key_builder *with = oc_key_builder_new(true);
  oc_key_builder *without = oc_key_builder_new(false);
  oc_key_add_str(with, "invocation", "arg", "-O2");
  oc_key_add_str(without, "invocation", "arg", "-O2");
  oc_key_add_u64(with, "scheme", "version", 7);
  oc_key_add_u64(without, "scheme", "version", 7);
  oc_key_add(with, "file", "a\tb", "x\ny\\z\x01", 6);
  oc_key_add(without, "file", "a\tb", "x\ny\\z\x01", 6);
  size_t len = 0;
  const char *record = oc_key_record(with, &len);
  assert_string_equal(record, "invocation\targ\t-O2\n"
                              "scheme\tversion\t7\n"
                              "file\ta\\tb\tx\\ny\\\\z\\x01\n");
  assert_int_equal(len, strlen(record));
  assert_null(oc_key_record(without, NULL));
  /* Keeping the record must not change the key. */
  oc_digest d1 = oc_key_digest(with);
  oc_digest d2 = oc_key_digest(without);
  assert_true(oc_digest_equal(&d1, &d2));
  /* The builder stays usable after a digest. */
  oc_key_add_str(with, "module", "bitcode", "00");
  oc_digest d3 = oc_key_digest(with);
  assert_false(oc_digest_equal(&d1, &d3));
  oc_key_builder_free(with);
  oc_key_builder_free(without);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(boundaries_are_unambiguous),
      cmocka_unit_test(every_part_changes_the_digest),
      cmocka_unit_test(record_matches_entries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
