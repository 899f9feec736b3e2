/* entry.c - the self-checking entry format of entry.h: encoding (zstd +
 * BLAKE2b-256 content checksum) and a defensive decoder that validates every
 * header field and size before use and never trusts a claimed size for an
 * allocation. */
#include "objcache/entry.h"

#include <inttypes.h>
#include <string.h>
#include <zstd.h>

/* Field offsets of format version 1 (see entry.h). */
enum {
  OFF_MAGIC = 0,
  OFF_VERSION = 8,
  OFF_HEADER_SIZE = 12,
  OFF_KEY = 16,
  OFF_METHOD = 48,
  OFF_LEVEL = 52,
  OFF_USIZE = 56,
  OFF_CSIZE = 64,
  OFF_CHECKSUM = 72,
  OFF_CREATED = 104,
  OFF_COMPILE_MS = 112,
  HEADER_END = 120,
};
_Static_assert(HEADER_END == OC_ENTRY_HEADER_SIZE, "entry header layout");
_Static_assert(sizeof(OC_ENTRY_MAGIC) - 1 == OC_ENTRY_MAGIC_SIZE, "magic");

/* Without a trusted size, the decoder starts with at most this much output
 * room and grows it as zstd actually produces bytes. */
#define INITIAL_OUTPUT_LIMIT ((size_t)16 << 20)
#define PLAUSIBLE_RATIO 256

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

oc_status oc_entry_check_expansion(uint64_t csize, uint64_t usize,
                                   uint64_t max_content, oc_error *err) {
  if (max_content > OC_ENTRY_MAX_CONTENT)
    max_content = OC_ENTRY_MAX_CONTENT;
  if (usize > max_content)
    return oc_fail(err, OC_CORRUPT,
                   "content of %" PRIu64 " bytes is over the limit of %" PRIu64
                   " bytes (max_object_size)",
                   usize, max_content);
  if (usize > OC_ENTRY_RATIO_FLOOR &&
      (csize == 0 || usize / csize >= OC_ENTRY_MAX_RATIO))
    return oc_fail(err, OC_CORRUPT,
                   "%" PRIu64 " compressed bytes claim %" PRIu64
                   " bytes of content, a ratio over %d: refused as a "
                   "decompression bomb",
                   csize, usize, OC_ENTRY_MAX_RATIO);
  return OC_OK;
}

oc_status oc_entry_encode(const oc_digest *key, const void *content,
                          size_t size, const oc_entry_meta *meta,
                          int compression_level, oc_buffer *out,
                          oc_error *err) {
  if (!key || !out || (size > 0 && !content))
    return oc_fail(err, OC_INVALID, "oc_entry_encode: NULL argument");
  if ((uint64_t)size > OC_ENTRY_MAX_CONTENT)
    return oc_fail(err, OC_INVALID,
                   "object of %zu bytes is over the limit of %" PRIu64
                   " bytes",
                   size, OC_ENTRY_MAX_CONTENT);
  if (compression_level < ZSTD_minCLevel() ||
      compression_level > ZSTD_maxCLevel())
    return oc_fail(err, OC_INVALID,
                   "compression level %d is out of zstd's range %d..%d",
                   compression_level, ZSTD_minCLevel(), ZSTD_maxCLevel());

  size_t bound = ZSTD_compressBound(size);
  if (ZSTD_isError(bound) || bound > SIZE_MAX - HEADER_END)
    return oc_fail(err, OC_INVALID, "object of %zu bytes is too large", size);
  size_t start = out->size;
  if (oc_buffer_reserve(out, HEADER_END + bound) != OC_OK)
    return oc_fail(err, OC_NO_MEMORY,
                   "out of memory encoding an entry of %zu bytes", size);

  if (size == 0)
    content = ""; /* never hand NULL to zstd or libb2 */
  uint8_t *header = out->data + start;
  uint8_t *payload = header + HEADER_END;
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  if (!cctx)
    return oc_fail(err, OC_NO_MEMORY, "out of memory creating a zstd context");
  size_t csize = ZSTD_compressCCtx(cctx, payload, bound, content, size,
                                   compression_level);
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(csize))
    return oc_fail(err, OC_INVALID, "zstd compression failed: %s",
                   ZSTD_getErrorName(csize));
  /* What the decoder would refuse is not stored at all. */
  oc_error bound_err;
  if (oc_entry_check_expansion(csize, size, OC_ENTRY_MAX_CONTENT,
                               &bound_err) != OC_OK)
    return oc_fail(err, OC_INVALID, "not cached: %s", bound_err.message);

  oc_digest checksum = oc_hash_bytes(content, size);
  memcpy(header + OFF_MAGIC, OC_ENTRY_MAGIC, OC_ENTRY_MAGIC_SIZE);
  put_u32(header + OFF_VERSION, OC_ENTRY_FORMAT_VERSION);
  put_u32(header + OFF_HEADER_SIZE, HEADER_END);
  memcpy(header + OFF_KEY, key->bytes, OC_DIGEST_SIZE);
  put_u32(header + OFF_METHOD, OC_ENTRY_COMPRESSION_ZSTD);
  put_u32(header + OFF_LEVEL, (uint32_t)compression_level);
  put_u64(header + OFF_USIZE, (uint64_t)size);
  put_u64(header + OFF_CSIZE, (uint64_t)csize);
  memcpy(header + OFF_CHECKSUM, checksum.bytes, OC_DIGEST_SIZE);
  put_u64(header + OFF_CREATED, meta ? meta->created_unix : 0);
  put_u64(header + OFF_COMPILE_MS, meta ? meta->compile_time_ms : 0);
  out->size = start + HEADER_END + csize;
  return OC_OK;
}

/* Decompresses exactly one zstd frame of `csize` bytes that must produce
 * exactly `usize` bytes, appending them to out. Output room grows with what
 * zstd really produces, so a lying header cannot make us allocate 4 GiB. */
static oc_status decompress(const uint8_t *src, size_t csize, size_t usize,
                            oc_buffer *out, oc_error *err) {
  unsigned long long frame_size = ZSTD_getFrameContentSize(src, csize);
  if (frame_size == ZSTD_CONTENTSIZE_ERROR)
    return oc_fail(err, OC_CORRUPT, "payload is not a zstd frame");
  if (frame_size != ZSTD_CONTENTSIZE_UNKNOWN && frame_size != usize)
    return oc_fail(err, OC_CORRUPT,
                   "zstd frame declares %llu bytes but the header %zu",
                   frame_size, usize);
  size_t frame_csize = ZSTD_findFrameCompressedSize(src, csize);
  if (ZSTD_isError(frame_csize))
    return oc_fail(err, OC_CORRUPT, "payload is not a valid zstd frame: %s",
                   ZSTD_getErrorName(frame_csize));
  if (frame_csize != csize)
    return oc_fail(err, OC_CORRUPT,
                   "zstd frame is %zu bytes but the payload %zu bytes",
                   frame_csize, csize);

  /* Trust the declared size for the first allocation only when it is
   * plausible (modest, or a compression ratio under 256); otherwise grow as
   * output appears. With room for everything zstd decodes in one pass. */
  size_t limit = INITIAL_OUTPUT_LIMIT;
  if (csize <= SIZE_MAX / PLAUSIBLE_RATIO && csize * PLAUSIBLE_RATIO > limit)
    limit = csize * PLAUSIBLE_RATIO;
  size_t room = usize < limit ? usize : limit;
  if (oc_buffer_reserve(out, room ? room : 1) != OC_OK)
    return oc_fail(err, OC_NO_MEMORY, "out of memory decompressing an entry");

  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  if (!dctx)
    return oc_fail(err, OC_NO_MEMORY, "out of memory creating a zstd context");
  size_t start = out->size;
  size_t produced = 0;
  ZSTD_inBuffer in = {src, csize, 0};
  oc_status status = OC_OK;
  for (;;) {
    size_t avail = out->capacity - out->size;
    if (avail > usize - produced)
      avail = usize - produced;
    uint8_t spare;
    ZSTD_outBuffer o;
    if (avail > 0) {
      o = (ZSTD_outBuffer){out->data + out->size, avail, 0};
    } else {
      /* All declared bytes are out: one byte of room tells us whether the
       * frame would produce more than declared. */
      o = (ZSTD_outBuffer){&spare, 1, 0};
    }
    size_t ret = ZSTD_decompressStream(dctx, &o, &in);
    if (ZSTD_isError(ret)) {
      status = oc_fail(err, OC_CORRUPT, "zstd decompression failed: %s",
                       ZSTD_getErrorName(ret));
      break;
    }
    if (avail == 0 && o.pos > 0) {
      status = oc_fail(err, OC_CORRUPT,
                       "payload decompresses to more than the declared %zu "
                       "bytes",
                       usize);
      break;
    }
    out->size += o.pos;
    produced += o.pos;
    if (ret == 0) /* frame complete */
      break;
    if (in.pos == in.size && o.pos < o.size) {
      status = oc_fail(err, OC_CORRUPT, "zstd frame is truncated");
      break;
    }
    if (produced < usize && out->size == out->capacity) {
      size_t grow = out->capacity; /* doubling, capped at what is declared */
      if (grow > usize - produced)
        grow = usize - produced;
      if (oc_buffer_reserve(out, grow) != OC_OK) {
        status = oc_fail(err, OC_NO_MEMORY,
                         "out of memory decompressing an entry");
        break;
      }
    }
  }
  ZSTD_freeDCtx(dctx);
  if (status == OC_OK && produced != usize)
    status = oc_fail(err, OC_CORRUPT,
                     "payload decompresses to %zu bytes, header says %zu",
                     produced, usize);
  if (status != OC_OK)
    out->size = start;
  return status;
}

oc_status oc_entry_decode(const void *data, size_t size,
                          const oc_digest *expected_key, oc_buffer *content,
                          oc_entry_meta *meta, oc_error *err) {
  return oc_entry_decode_limited(data, size, expected_key,
                                 OC_ENTRY_MAX_CONTENT, content, meta, err);
}

oc_status oc_entry_decode_limited(const void *data, size_t size,
                                  const oc_digest *expected_key,
                                  uint64_t max_content, oc_buffer *content,
                                  oc_entry_meta *meta, oc_error *err) {
  if ((!data && size > 0) || !content)
    return oc_fail(err, OC_INVALID, "oc_entry_decode: NULL argument");
  const uint8_t *p = data;
  if (size < OC_ENTRY_MAGIC_SIZE ||
      memcmp(p + OFF_MAGIC, OC_ENTRY_MAGIC, OC_ENTRY_MAGIC_SIZE) != 0)
    return oc_fail(err, OC_CORRUPT, "bad magic: not an objcache entry");
  if (size < HEADER_END)
    return oc_fail(err, OC_CORRUPT,
                   "truncated header: %zu bytes, need %d", size, HEADER_END);
  uint32_t version = get_u32(p + OFF_VERSION);
  if (version != OC_ENTRY_FORMAT_VERSION)
    return oc_fail(err, OC_CORRUPT,
                   "unsupported format version %" PRIu32 " (expected %d)",
                   version, OC_ENTRY_FORMAT_VERSION);
  uint32_t header_size = get_u32(p + OFF_HEADER_SIZE);
  if (header_size != HEADER_END)
    return oc_fail(err, OC_CORRUPT,
                   "header size %" PRIu32 " (expected %d)", header_size,
                   HEADER_END);
  oc_digest key;
  memcpy(key.bytes, p + OFF_KEY, OC_DIGEST_SIZE);
  if (expected_key && !oc_digest_equal(&key, expected_key)) {
    char want[OC_DIGEST_HEX_SIZE], got[OC_DIGEST_HEX_SIZE];
    oc_digest_to_hex(expected_key, want);
    oc_digest_to_hex(&key, got);
    return oc_fail(err, OC_CORRUPT, "key mismatch: entry is for %s, not %s",
                   got, want);
  }
  uint32_t method = get_u32(p + OFF_METHOD);
  if (method != OC_ENTRY_COMPRESSION_ZSTD)
    return oc_fail(err, OC_CORRUPT,
                   "unknown compression method %" PRIu32 " (expected %d)",
                   method, OC_ENTRY_COMPRESSION_ZSTD);
  int32_t level = (int32_t)get_u32(p + OFF_LEVEL);
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
    return oc_fail(err, OC_CORRUPT,
                   "compression level %" PRId32 " is out of zstd's range",
                   level);
  uint64_t usize = get_u64(p + OFF_USIZE);
  if (usize > OC_ENTRY_MAX_CONTENT || usize > SIZE_MAX)
    return oc_fail(err, OC_CORRUPT,
                   "uncompressed size %" PRIu64 " is over the limit of %" PRIu64,
                   usize, OC_ENTRY_MAX_CONTENT);
  uint64_t csize = get_u64(p + OFF_CSIZE);
  if (csize > ZSTD_compressBound((size_t)usize))
    return oc_fail(err, OC_CORRUPT,
                   "compressed size %" PRIu64 " is impossible for %" PRIu64
                   " bytes of content",
                   csize, usize);
  if (csize != (uint64_t)(size - HEADER_END))
    return oc_fail(err, OC_CORRUPT,
                   "compressed size %" PRIu64 " but %zu payload bytes present",
                   csize, size - HEADER_END);
  oc_status bound = oc_entry_check_expansion(csize, usize, max_content, err);
  if (bound != OC_OK)
    return bound;

  size_t start = content->size;
  oc_status status =
      decompress(p + HEADER_END, (size_t)csize, (size_t)usize, content, err);
  if (status != OC_OK)
    return status;
  oc_digest checksum = oc_hash_bytes(content->data + start, (size_t)usize);
  if (memcmp(checksum.bytes, p + OFF_CHECKSUM, OC_DIGEST_SIZE) != 0) {
    content->size = start;
    return oc_fail(err, OC_CORRUPT, "content checksum mismatch");
  }
  if (meta) {
    meta->created_unix = get_u64(p + OFF_CREATED);
    meta->compile_time_ms = get_u64(p + OFF_COMPILE_MS);
  }
  return OC_OK;
}
