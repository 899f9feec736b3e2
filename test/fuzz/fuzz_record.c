/* fuzz_record.c - libFuzzer target for oc_direct_record_decode
 * (objcache/direct.h). The record is read from a file under the cache
 * directory's tmp/, which anyone who can write the cache can replace, so
 * the decoder must refuse anything malformed without reading out of
 * bounds. Whatever decodes must become a candidate or be refused cleanly,
 * and must encode, decode again and encode to the same bytes. Built and
 * run by test/fuzz/run_fuzz.sh. */
#include "objcache/direct.h"

#include <string.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      __builtin_trap();                                                        \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  oc_direct_record rec;
  if (oc_direct_record_decode(data, size, &rec)) {
    oc_direct_record_free(&rec);
    return 0;
  }
  CHECK(rec.output != NULL);
  oc_manifest_candidate c = {0};
  (void)oc_direct_candidate_from_record(&rec, &c);
  CHECK(c.output_count <= OC_MANIFEST_MAX_SIDE_OUTPUTS);
  oc_manifest_candidate_free(&c);

  oc_buffer first = {0}, second = {0};
  CHECK(oc_direct_record_encode(&rec, &first, NULL) == OC_OK);
  oc_direct_record again;
  CHECK(oc_direct_record_decode(first.data, first.size, &again) == NULL);
  CHECK(oc_digest_equal(&again.key, &rec.key));
  CHECK(again.file_count == rec.file_count);
  CHECK(oc_direct_record_encode(&again, &second, NULL) == OC_OK);
  CHECK(first.size == second.size &&
        memcmp(first.data, second.data, first.size) == 0);
  oc_direct_record_free(&again);
  oc_direct_record_free(&rec);
  oc_buffer_free(&first);
  oc_buffer_free(&second);
  return 0;
}
