/* test_entry.c - the entry format: layout, round trips, and a decoder that
 * rejects truncation, lying sizes, wrong keys, bit flips and random bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "objcache/entry.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* Offsets of the documented layout, spelled out independently of entry.c. */
enum {
  O_VERSION = 8, O_HSIZE = 12, O_KEY = 16, O_METHOD = 48, O_LEVEL = 52,
  O_USIZE = 56, O_CSIZE = 64, O_SUM = 72, O_CREATED = 104, O_MS = 112,
  O_PAYLOAD = 120,
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void fill_text(uint8_t *p, size_t n) { /* compressible */
  static const char words[] = "define i32 @main ret void call load store ";
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)words[(i + rnd() % 3) % (sizeof words - 1)];
}

static void fill_random(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)rnd();
}

static oc_digest key_of(const char *s) { return oc_hash_bytes(s, strlen(s)); }

static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static oc_buffer encode(const oc_digest *key, const void *content, size_t n,
                        int level) {
  oc_buffer out = {0};
  oc_entry_meta meta = {1700000000, 4321};
  oc_error err;
  assert_int_equal(oc_entry_encode(key, content, n, &meta, level, &out, &err),
                   OC_OK);
  return out;
}

/* Decodes data expecting OC_CORRUPT, and checks nothing leaked into the
 * content buffer. */
static void expect_corrupt(const uint8_t *data, size_t size,
                           const oc_digest *key, const char *needle) {
  oc_buffer content = {0};
  oc_buffer_append(&content, "prefix", 6);
  oc_error err = {0};
  oc_entry_meta meta = {7, 7};
  oc_status status = oc_entry_decode(data, size, key, &content, &meta, &err);
  if (status != OC_CORRUPT)
    fail_msg("expected corrupt, got %s (%s)", oc_status_name(status),
             err.message);
  assert_int_equal(err.status, OC_CORRUPT);
  assert_true(strlen(err.message) > 0);
  if (needle && !strstr(err.message, needle))
    fail_msg("message \"%s\" does not mention \"%s\"", err.message, needle);
  assert_int_equal(content.size, 6);
  assert_memory_equal(content.data, "prefix", 6);
  assert_int_equal(meta.created_unix, 7); /* untouched on failure */
  oc_buffer_free(&content);
}

static void layout_matches_documentation(void **unused) {
  (void)unused;
  uint8_t content[5000];
  fill_text(content, sizeof content);
  oc_digest key = key_of("layout");
  oc_buffer e = encode(&key, content, sizeof content, 3);
  assert_true(e.size > O_PAYLOAD);
  assert_memory_equal(e.data, "OCOBJ\0\0\1", 8);
  assert_int_equal(get32(e.data + O_VERSION), 1);
  assert_int_equal(get32(e.data + O_HSIZE), 120);
  assert_memory_equal(e.data + O_KEY, key.bytes, 32);
  assert_int_equal(get32(e.data + O_METHOD), OC_ENTRY_COMPRESSION_ZSTD);
  assert_int_equal((int32_t)get32(e.data + O_LEVEL), 3);
  assert_int_equal(get64(e.data + O_USIZE), sizeof content);
  assert_int_equal(get64(e.data + O_CSIZE), e.size - O_PAYLOAD);
  oc_digest sum = oc_hash_bytes(content, sizeof content);
  assert_memory_equal(e.data + O_SUM, sum.bytes, 32);
  assert_int_equal(get64(e.data + O_CREATED), 1700000000);
  assert_int_equal(get64(e.data + O_MS), 4321);
  /* The payload is a plain zstd frame of the content. */
  uint8_t back[5000];
  size_t n = ZSTD_decompress(back, sizeof back, e.data + O_PAYLOAD,
                             e.size - O_PAYLOAD);
  assert_int_equal(n, sizeof content);
  assert_memory_equal(back, content, sizeof content);
  /* Compressible content really is compressed. */
  assert_true(e.size < sizeof content / 2);
  oc_buffer_free(&e);
}

static void round_trips(void **unused) {
  (void)unused;
  static const size_t sizes[] = {0, 1, 7, 4096, 100000, 3 << 20};
  static const int levels[] = {-5, 0, 1, 19};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    for (size_t l = 0; l < sizeof levels / sizeof *levels; l++) {
      if (sizes[s] > 100000 && levels[l] == 19)
        continue; /* slow and adds nothing */
      size_t n = sizes[s];
      uint8_t *content = malloc(n ? n : 1);
      if (s % 2)
        fill_random(content, n);
      else
        fill_text(content, n);
      oc_digest key = oc_hash_bytes(&n, sizeof n);
      oc_buffer out = {0};
      oc_buffer_append(&out, "xyz", 3); /* encode appends */
      oc_entry_meta meta = {123456789, (uint64_t)n};
      oc_error err;
      assert_int_equal(
          oc_entry_encode(&key, content, n, &meta, levels[l], &out, &err),
          OC_OK);
      assert_memory_equal(out.data, "xyz", 3);
      oc_buffer got = {0};
      oc_buffer_append(&got, "ab", 2); /* decode appends */
      oc_entry_meta back = {0, 0};
      assert_int_equal(oc_entry_decode(out.data + 3, out.size - 3, &key, &got,
                                       &back, &err),
                       OC_OK);
      assert_int_equal(got.size, n + 2);
      assert_memory_equal(got.data, "ab", 2);
      if (n)
        assert_memory_equal(got.data + 2, content, n);
      assert_int_equal(back.created_unix, 123456789);
      assert_int_equal(back.compile_time_ms, n);
      /* Any key is accepted with expected_key == NULL, meta may be NULL. */
      got.size = 0;
      assert_int_equal(oc_entry_decode(out.data + 3, out.size - 3, NULL, &got,
                                       NULL, &err),
                       OC_OK);
      assert_int_equal(got.size, n);
      oc_buffer_free(&got);
      oc_buffer_free(&out);
      free(content);
    }
  }
}

static void encode_rejects_bad_arguments(void **unused) {
  (void)unused;
  oc_digest key = key_of("k");
  oc_buffer out = {0};
  oc_error err;
  assert_int_equal(oc_entry_encode(&key, "a", 1, NULL, 23, &out, &err),
                   OC_INVALID);
  assert_non_null(strstr(err.message, "23"));
  assert_int_equal(oc_entry_encode(&key, "a", 1, NULL, -200000, &out, &err),
                   OC_INVALID);
  /* Over the content limit: rejected before anything is read. */
  assert_int_equal(oc_entry_encode(&key, "a", (size_t)OC_ENTRY_MAX_CONTENT + 1,
                                   NULL, 1, &out, &err),
                   OC_INVALID);
  assert_int_equal(out.size, 0);
  assert_int_equal(oc_entry_encode(NULL, "a", 1, NULL, 1, &out, &err),
                   OC_INVALID);
  /* NULL meta encodes zeros. */
  assert_int_equal(oc_entry_encode(&key, "a", 1, NULL, 1, &out, &err), OC_OK);
  assert_int_equal(get64(out.data + O_CREATED), 0);
  assert_int_equal(get64(out.data + O_MS), 0);
  oc_buffer_free(&out);
}

static void truncated_at_every_length(void **unused) {
  (void)unused;
  uint8_t content[3000];
  fill_text(content, sizeof content);
  oc_digest key = key_of("trunc");
  oc_buffer e = encode(&key, content, sizeof content, 1);
  for (size_t len = 0; len < e.size; len++) {
    /* A private copy of exactly len bytes so ASan sees any over-read. */
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, e.data, len);
    expect_corrupt(copy, len, &key, NULL);
    free(copy);
  }
  /* One byte too many is just as wrong. */
  oc_buffer longer = {0};
  oc_buffer_append(&longer, e.data, e.size);
  oc_buffer_append(&longer, "", 1);
  expect_corrupt(longer.data, longer.size, &key, "payload");
  oc_buffer_free(&longer);
  oc_buffer_free(&e);
}

static void lying_sizes(void **unused) {
  (void)unused;
  uint8_t content[2000];
  fill_text(content, sizeof content);
  oc_digest key = key_of("sizes");
  oc_buffer e = encode(&key, content, sizeof content, 1);
  uint8_t *copy = malloc(e.size);
  static const uint64_t usizes[] = {
      0, 1, 1999, 2001, OC_ENTRY_MAX_CONTENT, OC_ENTRY_MAX_CONTENT + 1,
      (uint64_t)1 << 63, UINT64_MAX};
  for (size_t i = 0; i < sizeof usizes / sizeof *usizes; i++) {
    memcpy(copy, e.data, e.size);
    put64(copy + O_USIZE, usizes[i]);
    expect_corrupt(copy, e.size, &key, NULL);
  }
  memcpy(copy, e.data, e.size);
  put64(copy + O_USIZE, OC_ENTRY_MAX_CONTENT + 1);
  expect_corrupt(copy, e.size, &key, "uncompressed size");
  uint64_t csize = e.size - O_PAYLOAD;
  static const int64_t cdeltas[] = {-1, 1, 1000};
  for (size_t i = 0; i < 3; i++) {
    memcpy(copy, e.data, e.size);
    put64(copy + O_CSIZE, csize + (uint64_t)cdeltas[i]);
    expect_corrupt(copy, e.size, &key, "compressed size");
  }
  memcpy(copy, e.data, e.size);
  put64(copy + O_CSIZE, UINT64_MAX);
  expect_corrupt(copy, e.size, &key, "compressed size");
  memcpy(copy, e.data, e.size);
  put32(copy + O_HSIZE, 121);
  expect_corrupt(copy, e.size, &key, "header size");
  memcpy(copy, e.data, e.size);
  put32(copy + O_VERSION, 2);
  expect_corrupt(copy, e.size, &key, "version");
  memcpy(copy, e.data, e.size);
  put32(copy + O_METHOD, 0);
  expect_corrupt(copy, e.size, &key, "compression method");
  memcpy(copy, e.data, e.size);
  put32(copy + O_LEVEL, 1000);
  expect_corrupt(copy, e.size, &key, "level");
  free(copy);
  oc_buffer_free(&e);
}

/* A frame without a content size, under a header claiming 4 GiB: the
 * decoder must fail without ever reserving gigabytes. */
static void claimed_size_does_not_drive_allocation(void **unused) {
  (void)unused;
  uint8_t content[10000];
  fill_text(content, sizeof content);
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  uint8_t frame[20000];
  size_t csize = ZSTD_compress2(cctx, frame, sizeof frame, content,
                                sizeof content);
  ZSTD_freeCCtx(cctx);
  assert_false(ZSTD_isError(csize));
  oc_digest key = key_of("big");
  oc_buffer e = encode(&key, content, sizeof content, 1);
  e.size = O_PAYLOAD;
  oc_buffer_append(&e, frame, csize);
  put64(e.data + O_CSIZE, csize);
  /* Sanity: with the true size, the unsized frame decodes fine. */
  oc_buffer got = {0};
  oc_error err;
  assert_int_equal(oc_entry_decode(e.data, e.size, &key, &got, NULL, &err),
                   OC_OK);
  assert_int_equal(got.size, sizeof content);
  oc_buffer_free(&got);

  put64(e.data + O_USIZE, OC_ENTRY_MAX_CONTENT);
  assert_int_equal(oc_entry_decode(e.data, e.size, &key, &got, NULL, &err),
                   OC_CORRUPT);
  assert_int_equal(got.size, 0);
  assert_true(got.capacity <= (64u << 20));
  oc_buffer_free(&got);
  /* And claiming fewer bytes than the frame yields is caught too. */
  put64(e.data + O_USIZE, sizeof content - 1);
  expect_corrupt(e.data, e.size, &key, "more than");
  oc_buffer_free(&e);
}

/* issue 18: a small entry whose zstd frame really expands to 256 MiB of
 * zeros (RLE blocks; its checksum is wrong, as a forger's would be) used to
 * grow the output buffer to 256 MiB before the checksum refused it. The
 * ratio bound refuses it from the header, with no output room at all. */
static void decompression_bomb_is_refused_unread(void **unused) {
  (void)unused;
  const size_t big = (size_t)256 << 20;
  static uint8_t zeros[1 << 20];
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setPledgedSrcSize(cctx, big);
  oc_buffer frame = {0};
  oc_buffer_reserve(&frame, 1 << 20);
  uint8_t out[1 << 16];
  for (size_t done = 0; done < big; done += sizeof zeros) {
    ZSTD_inBuffer in = {zeros, sizeof zeros, 0};
    ZSTD_EndDirective end =
        done + sizeof zeros == big ? ZSTD_e_end : ZSTD_e_continue;
    size_t left;
    do {
      ZSTD_outBuffer o = {out, sizeof out, 0};
      left = ZSTD_compressStream2(cctx, &o, &in, end);
      assert_false(ZSTD_isError(left));
      oc_buffer_append(&frame, out, o.pos);
    } while (in.pos < in.size || (end == ZSTD_e_end && left != 0));
  }
  ZSTD_freeCCtx(cctx);
  assert_true(frame.size < (size_t)256 << 10); /* well under 256 KiB */

  oc_digest key = key_of("bomb");
  oc_buffer e = encode(&key, "x", 1, 1);
  e.size = O_PAYLOAD;
  oc_buffer_append(&e, frame.data, frame.size);
  put64(e.data + O_USIZE, big);
  put64(e.data + O_CSIZE, frame.size);
  oc_buffer got = {0};
  oc_error err;
  assert_int_equal(oc_entry_decode(e.data, e.size, &key, &got, NULL, &err),
                   OC_CORRUPT);
  assert_non_null(strstr(err.message, "decompression bomb"));
  assert_true(got.capacity < (1u << 20)); /* nothing was allocated for it */
  oc_buffer_free(&got);

  /* The encoder refuses such content too: never stored, never refused. */
  uint8_t *content = calloc(1, big);
  assert_non_null(content);
  oc_buffer enc = {0};
  assert_int_equal(oc_entry_encode(&key, content, big, NULL, 1, &enc, &err),
                   OC_INVALID);
  assert_non_null(strstr(err.message, "not cached"));
  free(content);
  oc_buffer_free(&enc);

  /* max_object_size: a valid entry over the caller's limit is refused
   * before decompression; within it, it decodes. */
  uint8_t text[4096];
  fill_text(text, sizeof text);
  oc_buffer ok = encode(&key, text, sizeof text, 1);
  assert_int_equal(oc_entry_decode_limited(ok.data, ok.size, &key, 4095, &got,
                                           NULL, &err),
                   OC_CORRUPT);
  assert_non_null(strstr(err.message, "max_object_size"));
  assert_int_equal(oc_entry_decode_limited(ok.data, ok.size, &key, 4096, &got,
                                           NULL, &err),
                   OC_OK);
  oc_buffer_free(&got);
  oc_buffer_free(&ok);
  oc_buffer_free(&e);
  oc_buffer_free(&frame);
}

static void two_frames_are_rejected(void **unused) {
  (void)unused;
  uint8_t content[1000];
  fill_text(content, sizeof content);
  oc_digest key = key_of("two");
  oc_buffer e = encode(&key, content, sizeof content, 1);
  size_t csize = e.size - O_PAYLOAD;
  oc_buffer twice = {0};
  oc_buffer_append(&twice, e.data, e.size);
  oc_buffer_append(&twice, e.data + O_PAYLOAD, csize);
  put64(twice.data + O_CSIZE, 2 * csize);
  expect_corrupt(twice.data, twice.size, &key, NULL);
  oc_buffer_free(&twice);
  oc_buffer_free(&e);
}

static void wrong_key(void **unused) {
  (void)unused;
  oc_digest key = key_of("right");
  oc_digest other = key_of("wrong");
  oc_buffer e = encode(&key, "hello", 5, 1);
  expect_corrupt(e.data, e.size, &other, "key mismatch");
  oc_buffer_free(&e);
}

static void header_bit_flips(void **unused) {
  (void)unused;
  uint8_t content[1500];
  fill_text(content, sizeof content);
  oc_digest key = key_of("flips");
  oc_buffer e = encode(&key, content, sizeof content, 1);
  uint8_t *copy = malloc(e.size);
  for (size_t bit = 0; bit < O_PAYLOAD * 8; bit++) {
    size_t byte = bit / 8;
    memcpy(copy, e.data, e.size);
    copy[byte] ^= (uint8_t)(1u << (bit % 8));
    if (byte >= O_CREATED)
      continue; /* metadata only: checked below */
    if (byte >= O_LEVEL && byte < O_LEVEL + 4) {
      /* The level is informational: a flip may land on another valid
       * level, but out-of-range values are rejected. */
      oc_buffer got = {0};
      oc_status s = oc_entry_decode(copy, e.size, &key, &got, NULL, NULL);
      int32_t level = (int32_t)get32(copy + O_LEVEL);
      assert_int_equal(s, level >= ZSTD_minCLevel() &&
                                  level <= ZSTD_maxCLevel()
                              ? OC_OK
                              : OC_CORRUPT);
      oc_buffer_free(&got);
      continue;
    }
    expect_corrupt(copy, e.size, &key, NULL);
  }
  /* Metadata flips decode, with the flipped value. */
  memcpy(copy, e.data, e.size);
  copy[O_MS] ^= 1;
  oc_buffer got = {0};
  oc_entry_meta meta;
  assert_int_equal(oc_entry_decode(copy, e.size, &key, &got, &meta, NULL),
                   OC_OK);
  assert_int_equal(meta.compile_time_ms, 4321 ^ 1);
  oc_buffer_free(&got);
  free(copy);
  oc_buffer_free(&e);
}

/* Every single-bit flip of the payload either is rejected or (for the rare
 * bit zstd does not depend on) yields exactly the original content. */
static void payload_bit_flips(void **unused) {
  (void)unused;
  uint8_t content[1500];
  fill_text(content, 1000);
  fill_random(content + 1000, 500);
  oc_digest key = key_of("payload");
  oc_buffer e = encode(&key, content, sizeof content, 3);
  uint8_t *copy = malloc(e.size);
  size_t flips = 0, rejected = 0;
  for (size_t bit = O_PAYLOAD * 8; bit < e.size * 8; bit++) {
    memcpy(copy, e.data, e.size);
    copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    oc_buffer got = {0};
    oc_error err;
    oc_status s = oc_entry_decode(copy, e.size, &key, &got, NULL, &err);
    flips++;
    if (s == OC_CORRUPT) {
      rejected++;
      assert_int_equal(got.size, 0);
    } else {
      assert_int_equal(s, OC_OK);
      assert_int_equal(got.size, sizeof content);
      assert_memory_equal(got.data, content, sizeof content);
    }
    oc_buffer_free(&got);
  }
  assert_true(flips > 1000);
  assert_true(rejected * 100 >= flips * 99);
  free(copy);
  oc_buffer_free(&e);
}

static void random_inputs(void **unused) {
  (void)unused;
  oc_digest key = key_of("random");
  uint8_t content[800];
  fill_text(content, sizeof content);
  oc_buffer valid = encode(&key, content, sizeof content, 1);
  for (int i = 0; i < 20000; i++) {
    size_t len = rnd() % 400;
    uint8_t *buf = malloc(len ? len : 1);
    fill_random(buf, len);
    switch (i % 4) {
    case 1: /* valid magic */
      memcpy(buf, valid.data, len < 8 ? len : 8);
      break;
    case 2: /* a valid header, random payload with a matching size */
      if (len >= O_PAYLOAD) {
        memcpy(buf, valid.data, O_PAYLOAD);
        put64(buf + O_CSIZE, len - O_PAYLOAD);
      }
      break;
    case 3: /* a valid header and a zstd frame magic, then noise */
      if (len >= O_PAYLOAD + 4) {
        memcpy(buf, valid.data, O_PAYLOAD + 4);
        put64(buf + O_CSIZE, len - O_PAYLOAD);
      }
      break;
    default:
      break;
    }
    expect_corrupt(buf, len, (i & 8) ? &key : NULL, NULL);
    free(buf);
  }
  expect_corrupt(NULL, 0, NULL, "magic");
  oc_buffer_free(&valid);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(layout_matches_documentation),
      cmocka_unit_test(round_trips),
      cmocka_unit_test(encode_rejects_bad_arguments),
      cmocka_unit_test(truncated_at_every_length),
      cmocka_unit_test(lying_sizes),
      cmocka_unit_test(claimed_size_does_not_drive_allocation),
      cmocka_unit_test(two_frames_are_rejected),
      cmocka_unit_test(decompression_bomb_is_refused_unread),
      cmocka_unit_test(wrong_key),
      cmocka_unit_test(header_bit_flips),
      cmocka_unit_test(payload_bit_flips),
      cmocka_unit_test(random_inputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
