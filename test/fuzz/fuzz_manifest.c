/* fuzz_manifest.c - libFuzzer target for oc_manifest_decode (manifest.h).
 * Manifests come from the cache directory and, with a remote, from the
 * network, so the decoder must refuse anything malformed without reading
 * out of bounds.
 *
 * The first input byte picks a mode, the rest is the data:
 *   0: decode the bytes as they are;
 *   1: decode the bytes followed by their correct checksum, so the fuzzer
 *      gets past the checksum to the field checks.
 * Whatever decodes must encode, and decode again to the same encoding.
 * Built and run by test/fuzz/run_fuzz.sh. */
#include "objcache/manifest.h"

#include <string.h>

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond))                                                              \
      __builtin_trap();                                                       \
  } while (0)

static void decode_and_round_trip(const uint8_t *data, size_t size) {
  oc_manifest manifest = {0};
  oc_error err;
  if (oc_manifest_decode(data, size, &manifest, &err) != OC_OK) {
    CHECK(manifest.count == 0 && manifest.candidates == NULL);
    return;
  }
  oc_buffer first = {0}, second = {0};
  CHECK(oc_manifest_encode(&manifest, &first, &err) == OC_OK);
  oc_manifest again = {0};
  CHECK(oc_manifest_decode(first.data, first.size, &again, &err) == OC_OK);
  CHECK(again.count == manifest.count);
  CHECK(oc_manifest_encode(&again, &second, &err) == OC_OK);
  CHECK(first.size == second.size &&
        memcmp(first.data, second.data, first.size) == 0);
  oc_manifest_free(&again);
  oc_manifest_free(&manifest);
  oc_buffer_free(&first);
  oc_buffer_free(&second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  uint8_t mode = data[0] % 2;
  data++, size--;
  if (mode == 0) {
    decode_and_round_trip(data, size);
    return 0;
  }
  oc_buffer framed = {0};
  oc_digest sum = oc_hash_bytes(data, size);
  CHECK(oc_buffer_append(&framed, data, size) == OC_OK);
  CHECK(oc_buffer_append(&framed, sum.bytes, OC_DIGEST_SIZE) == OC_OK);
  decode_and_round_trip(framed.data, framed.size);
  oc_buffer_free(&framed);
  return 0;
}
