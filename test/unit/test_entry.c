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

/* Offsets of the documented layout (format 2) for an entry with one
 * output, spelled out independently of entry.c. */
enum {
  O_VERSION = 8, O_HSIZE = 12, O_KEY = 16, O_CREATED = 48, O_MS = 56,
  O_COUNT = 64, O_RSIZE = 68, O_TSUM = 72, O_TABLE = 104,
  O_NAME = O_TABLE, O_FLAGS = O_TABLE + 16, O_METHOD = O_TABLE + 20,
  O_LEVEL = O_TABLE + 24, O_RESERVED = O_TABLE + 28, O_USIZE = O_TABLE + 32,
  O_CSIZE = O_TABLE + 40, O_SUM = O_TABLE + 48, O_PAYLOAD = O_TABLE + 80,
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

/* Recomputes the output table's checksum of a one-output entry after a
 * field was changed on purpose, so the decoder reaches the field's check. */
static void fix_table(uint8_t *entry) {
  oc_digest sum = oc_hash_bytes(entry + O_TABLE, O_PAYLOAD - O_TABLE);
  memcpy(entry + O_TSUM, sum.bytes, 32);
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
  assert_int_equal(get32(e.data + O_VERSION), 2);
  assert_int_equal(get32(e.data + O_HSIZE), 104);
  assert_memory_equal(e.data + O_KEY, key.bytes, 32);
  assert_int_equal(get32(e.data + O_COUNT), 1);
  assert_int_equal(get32(e.data + O_RSIZE), 80);
  assert_memory_equal(e.data + O_NAME, "object\0\0\0\0\0\0\0\0\0\0", 16);
  assert_int_equal(get32(e.data + O_FLAGS), 0);
  assert_int_equal(get32(e.data + O_RESERVED), 0);
  oc_digest table = oc_hash_bytes(e.data + O_TABLE, 80);
  assert_memory_equal(e.data + O_TSUM, table.bytes, 32);
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
    fix_table(copy);
    expect_corrupt(copy, e.size, &key, NULL);
  }
  memcpy(copy, e.data, e.size);
  put64(copy + O_USIZE, OC_ENTRY_MAX_CONTENT + 1);
  fix_table(copy);
  expect_corrupt(copy, e.size, &key, "uncompressed size");
  /* Unfixed, any change to the table is caught by its checksum. */
  memcpy(copy, e.data, e.size);
  put64(copy + O_USIZE, 1999);
  expect_corrupt(copy, e.size, &key, "table checksum");
  uint64_t csize = e.size - O_PAYLOAD;
  static const int64_t cdeltas[] = {-1, 1, 1000};
  for (size_t i = 0; i < 3; i++) {
    memcpy(copy, e.data, e.size);
    put64(copy + O_CSIZE, csize + (uint64_t)cdeltas[i]);
    fix_table(copy);
    expect_corrupt(copy, e.size, &key, "compressed size");
  }
  memcpy(copy, e.data, e.size);
  put64(copy + O_CSIZE, UINT64_MAX);
  fix_table(copy);
  expect_corrupt(copy, e.size, &key, "compressed size");
  memcpy(copy, e.data, e.size);
  put32(copy + O_HSIZE, 121);
  expect_corrupt(copy, e.size, &key, "header size");
  memcpy(copy, e.data, e.size);
  put32(copy + O_VERSION, 3);
  expect_corrupt(copy, e.size, &key, "version");
  memcpy(copy, e.data, e.size);
  put32(copy + O_COUNT, 2);
  expect_corrupt(copy, e.size, &key, NULL);
  memcpy(copy, e.data, e.size);
  put32(copy + O_COUNT, OC_ENTRY_MAX_OUTPUTS + 1);
  expect_corrupt(copy, e.size, &key, "output count");
  memcpy(copy, e.data, e.size);
  put32(copy + O_RSIZE, 81);
  expect_corrupt(copy, e.size, &key, "record size");
  memcpy(copy, e.data, e.size);
  put32(copy + O_METHOD, 0);
  fix_table(copy);
  expect_corrupt(copy, e.size, &key, "compression method");
  memcpy(copy, e.data, e.size);
  put32(copy + O_LEVEL, 1000);
  fix_table(copy);
  expect_corrupt(copy, e.size, &key, "level");
  memcpy(copy, e.data, e.size);
  put32(copy + O_FLAGS, 2);
  fix_table(copy);
  expect_corrupt(copy, e.size, &key, "flags");
  memcpy(copy, e.data, e.size);
  put32(copy + O_FLAGS, OC_ENTRY_OUTPUT_ABSENT);
  fix_table(copy);
  expect_corrupt(copy, e.size, &key, "absent");
  memcpy(copy, e.data, e.size);
  put32(copy + O_RESERVED, 1);
  fix_table(copy);
  expect_corrupt(copy, e.size, &key, "reserved");
  memcpy(copy, e.data, e.size);
  copy[O_NAME] = 'O'; /* names are lower case */
  fix_table(copy);
  expect_corrupt(copy, e.size, &key, "name");
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
  fix_table(e.data);
  /* Sanity: with the true size, the unsized frame decodes fine. */
  oc_buffer got = {0};
  oc_error err;
  assert_int_equal(oc_entry_decode(e.data, e.size, &key, &got, NULL, &err),
                   OC_OK);
  assert_int_equal(got.size, sizeof content);
  oc_buffer_free(&got);

  put64(e.data + O_USIZE, OC_ENTRY_MAX_CONTENT);
  fix_table(e.data);
  assert_int_equal(oc_entry_decode(e.data, e.size, &key, &got, NULL, &err),
                   OC_CORRUPT);
  assert_int_equal(got.size, 0);
  assert_true(got.capacity <= (64u << 20));
  oc_buffer_free(&got);
  /* And claiming fewer bytes than the frame yields is caught too. */
  put64(e.data + O_USIZE, sizeof content - 1);
  fix_table(e.data);
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
  fix_table(e.data);
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
  oc_entry_contents contents = {0};
  assert_int_equal(oc_entry_decode_outputs_limited(ok.data, ok.size, &key,
                                                   4095, &contents, NULL,
                                                   &err),
                   OC_CORRUPT);
  assert_non_null(strstr(err.message, "max_object_size"));
  assert_int_equal(oc_entry_decode_outputs_limited(ok.data, ok.size, &key,
                                                   4096, &contents, NULL,
                                                   &err),
                   OC_OK);
  assert_int_equal(contents.outputs[0].size, sizeof text);
  oc_entry_contents_free(&contents);
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
  fix_table(twice.data);
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
    if (byte >= O_CREATED && byte < O_COUNT)
      continue; /* metadata only: checked below */
    if (byte == O_VERSION && (copy[byte] == 1)) {
      /* Version 1 is the older format: a miss, not damage. */
      oc_buffer got = {0};
      assert_int_equal(oc_entry_decode(copy, e.size, &key, &got, NULL, NULL),
                       OC_NOT_FOUND);
      oc_buffer_free(&got);
      continue;
    }
    /* The table checksum covers every record field, the level too. */
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
        fix_table(buf);
      }
      break;
    case 3: /* a valid header and a zstd frame magic, then noise */
      if (len >= O_PAYLOAD + 4) {
        memcpy(buf, valid.data, O_PAYLOAD + 4);
        put64(buf + O_CSIZE, len - O_PAYLOAD);
        fix_table(buf);
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

/* Several named outputs, one recorded as absent: each comes back with its
 * bytes; a missing required output, a damaged one, duplicates and bad
 * names are refused; an entry of the older format is a miss. */
static void several_outputs(void **unused) {
  (void)unused;
  uint8_t object[3000], dwo[2000];
  fill_text(object, sizeof object);
  fill_random(dwo, sizeof dwo);
  oc_entry_output outs[3];
  oc_error err;
  assert_int_equal(oc_entry_output_set(&outs[0], "object", object,
                                       sizeof object, false, &err),
                   OC_OK);
  assert_int_equal(
      oc_entry_output_set(&outs[1], "dwo", dwo, sizeof dwo, false, &err),
      OC_OK);
  assert_int_equal(oc_entry_output_set(&outs[2], "su", NULL, 0, true, &err),
                   OC_OK);
  oc_digest key = key_of("several");
  oc_entry_meta meta = {5, 6};
  oc_buffer e = {0};
  assert_int_equal(oc_entry_encode_outputs(&key, outs, 3, &meta, 1, &e, &err),
                   OC_OK);
  oc_entry_contents got = {0};
  oc_entry_meta back;
  assert_int_equal(
      oc_entry_decode_outputs(e.data, e.size, &key, &got, &back, &err), OC_OK);
  assert_int_equal(got.count, 3);
  assert_int_equal(back.compile_time_ms, 6);
  const oc_entry_output *o = oc_entry_find(&got, "dwo");
  assert_non_null(o);
  assert_false(o->absent);
  assert_int_equal(o->size, sizeof dwo);
  assert_memory_equal(o->data, dwo, sizeof dwo);
  o = oc_entry_find(&got, "object");
  assert_int_equal(o->size, sizeof object);
  assert_memory_equal(o->data, object, sizeof object);
  o = oc_entry_find(&got, "su");
  assert_true(o->absent);
  assert_int_equal(o->size, 0);
  assert_null(oc_entry_find(&got, "gcno"));
  static const char *const have[] = {"object", "su", "dwo"};
  static const char *const lacking[] = {"object", "gcno"};
  assert_int_equal(oc_entry_require(&got, have, 3, &err), OC_OK);
  assert_int_equal(oc_entry_require(&got, lacking, 2, &err), OC_CORRUPT);
  assert_non_null(strstr(err.message, "gcno"));
  /* The single-object decoder takes the object out of a bigger entry. */
  oc_buffer only = {0};
  assert_int_equal(oc_entry_decode(e.data, e.size, &key, &only, NULL, &err),
                   OC_OK);
  assert_int_equal(only.size, sizeof object);
  oc_buffer_free(&only);

  /* A flipped byte in the last output's frame: the whole entry is refused
   * and nothing is handed back. */
  uint8_t *copy = malloc(e.size);
  memcpy(copy, e.data, e.size);
  copy[e.size - 5] ^= 0x40;
  assert_int_equal(
      oc_entry_decode_outputs(copy, e.size, &key, &got, NULL, &err),
      OC_CORRUPT);
  assert_int_equal(got.count, 0);
  assert_null(got.storage.data);
  /* Format version 1 (one object): a miss. */
  memcpy(copy, e.data, e.size);
  put32(copy + O_VERSION, 1);
  assert_int_equal(
      oc_entry_decode_outputs(copy, e.size, &key, &got, NULL, &err),
      OC_NOT_FOUND);
  free(copy);
  oc_entry_contents_free(&got);

  /* Encoder refusals. */
  oc_buffer bad = {0};
  oc_entry_output twice[2] = {outs[1], outs[1]};
  assert_int_equal(oc_entry_encode_outputs(&key, twice, 2, NULL, 1, &bad, &err),
                   OC_INVALID);
  assert_int_equal(oc_entry_encode_outputs(&key, outs, 0, NULL, 1, &bad, &err),
                   OC_INVALID);
  oc_entry_output many[OC_ENTRY_MAX_OUTPUTS + 1];
  for (size_t i = 0; i <= OC_ENTRY_MAX_OUTPUTS; i++) {
    char name[8];
    snprintf(name, sizeof name, "o%zu", i);
    assert_int_equal(oc_entry_output_set(&many[i], name, "x", 1, false, &err),
                     OC_OK);
  }
  assert_int_equal(oc_entry_encode_outputs(&key, many, OC_ENTRY_MAX_OUTPUTS + 1,
                                           NULL, 1, &bad, &err),
                   OC_INVALID);
  assert_int_equal(oc_entry_encode_outputs(&key, many, OC_ENTRY_MAX_OUTPUTS,
                                           NULL, 1, &bad, &err),
                   OC_OK);
  oc_entry_output named;
  assert_int_equal(oc_entry_output_set(&named, "Object", "x", 1, false, &err),
                   OC_INVALID);
  assert_int_equal(oc_entry_output_set(&named, "", "x", 1, false, &err),
                   OC_INVALID);
  assert_int_equal(
      oc_entry_output_set(&named, "a-very-long-name", "x", 1, false, &err),
      OC_INVALID);
  assert_int_equal(oc_entry_output_set(&named, "su", "x", 1, true, &err),
                   OC_INVALID);
  oc_buffer_free(&bad);
  oc_buffer_free(&e);
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
      cmocka_unit_test(several_outputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
