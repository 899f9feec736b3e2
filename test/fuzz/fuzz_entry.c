/* fuzz_entry.c - libFuzzer target for oc_entry_decode (entry.h).
 *
 * The first input byte picks a mode, the rest is the data:
 *   0: decode the bytes as an entry, with and without an expected key;
 *   1: encode the bytes as content and decode them back (round trip);
 *   2: wrap the bytes as a zstd payload under a header whose sizes and
 *      checksum are made consistent, so the fuzzer reaches the decompressor
 *      and the success path, and compare with zstd's reference decoder;
 *   3: encode the first half, flip bytes chosen by the second half, decode.
 * Any broken property aborts (ASan/UBSan catch memory errors on their own).
 * Built and run by test/fuzz/run_fuzz.sh. */
#include "objcache/entry.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond))                                                              \
      __builtin_trap();                                                       \
  } while (0)

/* A one-output entry (format 2): the record follows the header, the frame
 * follows the record. */
#define REC (OC_ENTRY_HEADER_SIZE)
#define OFF_USIZE (REC + 32)
#define OFF_CSIZE (REC + 40)
#define OFF_SUM (REC + 48)
#define OFF_CREATED 48
#define PAYLOAD (REC + OC_ENTRY_RECORD_SIZE)

/* Makes the table checksum match a patched record. */
static void fix_table(uint8_t *entry) {
  oc_digest sum = oc_hash_bytes(entry + REC, OC_ENTRY_RECORD_SIZE);
  memcpy(entry + 72, sum.bytes, OC_DIGEST_SIZE);
}

static uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* Decodes and checks the contract: on success the content is exactly the
 * declared size and matches the checksum; on failure nothing is appended. */
static oc_status decode_checked(const uint8_t *data, size_t size,
                                const oc_digest *key, oc_buffer *content) {
  oc_buffer_append(content, "P", 1);
  oc_error err;
  oc_entry_meta meta;
  oc_status s = oc_entry_decode(data, size, key, content, &meta, &err);
  CHECK(content->size >= 1 && content->data[0] == 'P');
  if (s == OC_OK) {
    CHECK(size >= OC_ENTRY_HEADER_SIZE + OC_ENTRY_RECORD_SIZE);
    if (key)
      CHECK(memcmp(key->bytes, data + 16, OC_DIGEST_SIZE) == 0);
    CHECK(meta.created_unix == get_u64(data + OFF_CREATED));
    /* Whatever record holds the object, its size and checksum match. */
    oc_digest sum = oc_hash_bytes(content->data + 1, content->size - 1);
    bool found = false;
    for (size_t i = 0; i < OC_ENTRY_MAX_OUTPUTS && !found; i++) {
      const uint8_t *rec = data + REC + i * OC_ENTRY_RECORD_SIZE;
      if (rec + OC_ENTRY_RECORD_SIZE > data + size)
        break;
      found = memcmp(rec, OC_ENTRY_OBJECT, sizeof OC_ENTRY_OBJECT) == 0 &&
              get_u64(rec + 32) == content->size - 1 &&
              memcmp(sum.bytes, rec + 48, OC_DIGEST_SIZE) == 0;
    }
    CHECK(found);
  } else {
    /* An older-format entry is a miss, anything else bad is corrupt. */
    CHECK(s == OC_CORRUPT || s == OC_NOT_FOUND);
    CHECK(content->size == 1);
    CHECK(err.status == s && err.message[0] != '\0');
  }
  return s;
}

static void mode_raw(const uint8_t *data, size_t size) {
  oc_buffer content = {0};
  decode_checked(data, size, NULL, &content);
  content.size = 0;
  oc_digest key = oc_hash_bytes(data, size < 8 ? size : 8);
  if (size >= 48)
    memcpy(key.bytes, data + 16, OC_DIGEST_SIZE);
  decode_checked(data, size, &key, &content);
  oc_buffer_free(&content);
}

static void mode_round_trip(const uint8_t *data, size_t size) {
  int level = size ? (int)(data[0] % 25) - 5 : 1; /* -5..19 */
  oc_digest key = oc_hash_bytes(data, size);
  oc_entry_meta meta = {size, 42};
  oc_buffer entry = {0};
  oc_error err;
  CHECK(oc_entry_encode(&key, data, size, &meta, level, &entry, &err) ==
        OC_OK);
  oc_buffer content = {0};
  CHECK(decode_checked(entry.data, entry.size, &key, &content) == OC_OK);
  CHECK(content.size == size + 1);
  CHECK(size == 0 || memcmp(content.data + 1, data, size) == 0);
  oc_buffer_free(&content);
  oc_buffer_free(&entry);
}

static void mode_fixup(const uint8_t *data, size_t size) {
  /* Reference: zstd's one-shot decoder, bounded. */
  static uint8_t ref[1 << 20];
  size_t n = ZSTD_decompress(ref, sizeof ref, data, size);
  bool ref_ok = !ZSTD_isError(n);
  uint64_t usize = ref_ok ? n : 0;
  unsigned long long declared = ZSTD_getFrameContentSize(data, size);
  if (!ref_ok && declared != ZSTD_CONTENTSIZE_ERROR &&
      declared != ZSTD_CONTENTSIZE_UNKNOWN)
    usize = declared; /* let the decoder try what the frame claims */

  /* A dummy encode gives a well-formed header to patch. */
  oc_digest key = oc_hash_bytes("fixup", 5);
  oc_buffer entry = {0};
  oc_error err;
  CHECK(oc_entry_encode(&key, "", 0, NULL, 1, &entry, &err) == OC_OK);
  entry.size = PAYLOAD;
  oc_buffer_append(&entry, data, size);
  put_u64(entry.data + OFF_USIZE, usize);
  put_u64(entry.data + OFF_CSIZE, size);
  oc_digest sum = oc_hash_bytes(ref_ok ? ref : (const uint8_t *)"",
                                ref_ok ? n : 0);
  memcpy(entry.data + OFF_SUM, sum.bytes, OC_DIGEST_SIZE);
  fix_table(entry.data);

  oc_buffer content = {0};
  oc_status s = decode_checked(entry.data, entry.size, &key, &content);
  size_t frame = ZSTD_findFrameCompressedSize(data, size);
  if (ref_ok && !ZSTD_isError(frame) && frame == size && declared == n &&
      size <= ZSTD_compressBound(n)) {
    /* One well-formed frame that states its size, as the encoder writes
     * them: we must agree with the reference. (Without a stated size the
     * streaming decoder may also refuse windows over 128 MiB. A frame
     * larger than ZSTD_compressBound of its content, e.g. many empty raw
     * blocks, is one no encoder writes, and the decoder refuses it by
     * design: docs/store.md, "compressed size".) */
    CHECK(s == OC_OK);
    CHECK(content.size - 1 == n && memcmp(content.data + 1, ref, n) == 0);
  }
  if (s == OC_OK && ref_ok)
    CHECK(content.size - 1 == n && memcmp(content.data + 1, ref, n) == 0);
  oc_buffer_free(&content);
  oc_buffer_free(&entry);
}

static void mode_mutate(const uint8_t *data, size_t size) {
  size_t half = size / 2;
  oc_digest key = oc_hash_bytes(data, half);
  oc_buffer entry = {0};
  oc_error err;
  CHECK(oc_entry_encode(&key, data, half, NULL, 1, &entry, &err) == OC_OK);
  /* Pairs (position, xor mask) from the second half. */
  for (size_t i = half; i + 1 < size; i += 2)
    entry.data[data[i] * 7919u % entry.size] ^= data[i + 1];
  oc_buffer content = {0};
  oc_status s = decode_checked(entry.data, entry.size, &key, &content);
  if (s == OC_OK) /* only metadata or no-op flips survive */
    CHECK(content.size - 1 == half &&
          (half == 0 || memcmp(content.data + 1, data, half) == 0));
  oc_buffer_free(&content);
  oc_buffer_free(&entry);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  uint8_t mode = data[0] % 4;
  data++;
  size--;
  switch (mode) {
  case 0: mode_raw(data, size); break;
  case 1: mode_round_trip(data, size); break;
  case 2: mode_fixup(data, size); break;
  default: mode_mutate(data, size); break;
  }
  return 0;
}
