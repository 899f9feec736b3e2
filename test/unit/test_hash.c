/* test_hash.c - BLAKE2b-256 digests: known answers, streaming, hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "objcache/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* BLAKE2b-256("abc"), from the reference implementation's test vectors. */
static const char ABC_HEX[] =
    "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319";

static void known_answer(void **unused) {
  (void)unused;
  oc_digest d = oc_hash_bytes("abc", 3);
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(&d, hex);
  assert_string_equal(hex, ABC_HEX);
}

static void streaming_equals_one_shot(void **unused) {
  (void)unused;
  oc_hasher h;
  oc_hasher_init(&h);
  oc_hasher_update(&h, "a", 1);
  oc_hasher_update(&h, "", 0);
  oc_hasher_update(&h, "bc", 2);
  oc_digest streamed = oc_hasher_final(&h);
  oc_digest whole = oc_hash_bytes("abc", 3);
  assert_true(oc_digest_equal(&streamed, &whole));
  oc_digest other = oc_hash_bytes("abd", 3);
  assert_false(oc_digest_equal(&other, &whole));
}

static void hex_round_trip(void **unused) {
  (void)unused;
  oc_digest d;
  assert_true(oc_digest_from_hex(ABC_HEX, &d));
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(&d, hex);
  assert_string_equal(hex, ABC_HEX);
  assert_false(oc_digest_from_hex("bddd", &d));     /* too short */
  char bad[OC_DIGEST_HEX_SIZE + 1];
  memcpy(bad, ABC_HEX, sizeof ABC_HEX);
  bad[10] = 'g';
  assert_false(oc_digest_from_hex(bad, &d));        /* not hex */
  memcpy(bad, ABC_HEX, sizeof ABC_HEX - 1);
  bad[OC_DIGEST_HEX_SIZE - 1] = '0';
  bad[OC_DIGEST_HEX_SIZE] = '\0';
  assert_false(oc_digest_from_hex(bad, &d));        /* too long */
}

static void file_digest(void **unused) {
  (void)unused;
  char path[] = "/tmp/oc-test-hash-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "abc", 3), 3);
  close(fd);
  oc_digest d;
  oc_error err;
  assert_int_equal(oc_hash_file(path, &d, &err), OC_OK);
  char hex[OC_DIGEST_HEX_SIZE];
  oc_digest_to_hex(&d, hex);
  assert_string_equal(hex, ABC_HEX);
  unlink(path);
  assert_int_equal(oc_hash_file(path, &d, &err), OC_IO_ERROR);
  assert_non_null(strstr(err.message, path));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(known_answer),
      cmocka_unit_test(streaming_equals_one_shot),
      cmocka_unit_test(hex_round_trip),
      cmocka_unit_test(file_digest),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
